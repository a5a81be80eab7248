//! `aviary db migrate|rotate-key`: database maintenance.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use aviary_adapters_db::{MASTER_KEY_FILE, MasterKey};

use crate::cli::DbCommand;
use crate::commands::Ctx;

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
    let dir = &settings.data.dir;
    let staged = new_key
        .stage_in(dir)
        .context("cannot stage the new key in the data directory")?;
    let count = ctx
        .services
        .database
        .rotate_master_key(new_key)
        .await
        .with_context(|| {
            format!(
                "nothing was re-encrypted; the unused new key in {} is discarded at the next start",
                staged.display()
            )
        })?;
    // Should this fail, the next start finds the staged key and finishes the rotation.
    MasterKey::promote_staged(dir)
        .context("the secrets use the new key, but it could not replace the key file yet")?;
    eprintln!(
        "re-encrypted {count} secrets under master key {new_id} (was {old_id}); {} replaced",
        dir.join(MASTER_KEY_FILE).display()
    );
    Ok(ExitCode::SUCCESS)
}
