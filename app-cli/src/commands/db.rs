//! `aviary db migrate|rotate-key`: database maintenance.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use aviary_adapters_db::{MASTER_KEY_FILE, MasterKey};

use crate::cli::DbCommand;
use crate::commands::Ctx;

/// Where a rotation keeps the new key until the database uses it, so that an interruption
/// never loses the key the secrets are encrypted with.
const ROTATION_DIR: &str = "rotation";

pub async fn run(ctx: &Ctx, command: DbCommand) -> anyhow::Result<ExitCode> {
    match command {
        DbCommand::Migrate => {
            // Opening the services already migrated; say so explicitly for operators.
            ctx.services.database.migrate().await?;
            eprintln!("database schema is up to date");
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::RotateKey { new_key_stdin } => rotate_key(ctx, new_key_stdin).await,
    }
}

fn key_from_stdin() -> anyhow::Result<MasterKey> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the new key from stdin")?;
    MasterKey::from_base64(text.trim()).context("the new key on stdin is not base64 of 32 bytes")
}

async fn rotate_key(ctx: &Ctx, new_key_stdin: bool) -> anyhow::Result<ExitCode> {
    let settings = &ctx.services.settings;
    let key_in_file = settings.secrets.master_key.is_none();
    let new_key = match (new_key_stdin, key_in_file) {
        (true, _) => key_from_stdin()?,
        (false, true) => MasterKey::generate(),
        (false, false) => anyhow::bail!(
            "the master key comes from AVIARY_SECRETS__MASTER_KEY: pass the new key on stdin with --new-key-stdin"
        ),
    };
    let old_id = ctx.services.database.master_key_id();
    let new_id = new_key.id().to_owned();
    anyhow::ensure!(
        old_id != new_id,
        "the new key is the key already in use ({old_id})"
    );
    if !key_in_file {
        let count = ctx.services.database.rotate_master_key(new_key).await?;
        eprintln!(
            "re-encrypted {count} secrets under master key {new_id} (was {old_id}); now set \
             AVIARY_SECRETS__MASTER_KEY to the new key for every process sharing this database and restart them"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let staging = settings.data.dir.join(ROTATION_DIR);
    let staged = new_key
        .store_in(&staging)
        .with_context(|| format!("cannot stage the new key in {}", staging.display()))?;
    let count = ctx
        .services
        .database
        .rotate_master_key(new_key)
        .await
        .with_context(|| {
            format!(
                "nothing was re-encrypted; the unused new key is in {}",
                staged.display()
            )
        })?;
    let key_file = settings.data.dir.join(MASTER_KEY_FILE);
    std::fs::rename(&staged, &key_file).with_context(|| {
        format!(
            "the secrets are now encrypted with the key in {}: move it to {} before the next start",
            staged.display(),
            key_file.display()
        )
    })?;
    let _ = std::fs::remove_dir(&staging);
    eprintln!(
        "re-encrypted {count} secrets under master key {new_id} (was {old_id}); {} replaced",
        key_file.display()
    );
    Ok(ExitCode::SUCCESS)
}
