//! `aviary db migrate|rotate-key|retire-keys`: database maintenance.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use secrecy::SecretString;

use crate::cli::DbCommand;
use crate::commands::Ctx;

pub async fn run(ctx: &Ctx, command: DbCommand) -> anyhow::Result<ExitCode> {
    match command {
        DbCommand::Migrate => {
            // Opening the services already migrated; say so explicitly for operators.
            ctx.services.maintenance.migrate().await?;
            eprintln!("database schema is up to date");
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::RotateKey { new_key_stdin } => rotate_key(ctx, new_key_stdin).await,
        DbCommand::RetireKeys => {
            let retired = ctx.services.maintenance.retire_unused_keys().await?;
            for key in &retired.deleted {
                eprintln!("deleted retired master key {key}: no stored secret uses it");
            }
            for (key, secrets) in &retired.kept {
                eprintln!(
                    "kept retired master key {key}: {secrets} stored secrets still use it (run `aviary db rotate-key` to re-encrypt them)"
                );
            }
            if retired.deleted.is_empty() && retired.kept.is_empty() {
                eprintln!("no retired master keys");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn key_from_stdin() -> anyhow::Result<SecretString> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the new key from stdin")?;
    Ok(SecretString::from(text))
}

async fn rotate_key(ctx: &Ctx, new_key_stdin: bool) -> anyhow::Result<ExitCode> {
    let new_key = if new_key_stdin {
        Some(key_from_stdin()?)
    } else {
        None
    };
    let rotation = ctx.services.maintenance.rotate_master_key(new_key).await?;
    let (count, new_id, old_id) = (
        rotation.reencrypted,
        &rotation.new_key_id,
        &rotation.old_key_id,
    );
    match &rotation.key_file {
        Some(file) => eprintln!(
            "re-encrypted {count} secrets under master key {new_id} (was {old_id}); {} replaced",
            file.display()
        ),
        None => eprintln!(
            "re-encrypted {count} secrets under master key {new_id} (was {old_id}); now set \
             AVIARY_SECRETS__MASTER_KEY to the new key for every process sharing this database and restart them"
        ),
    }
    Ok(ExitCode::SUCCESS)
}
