//! `aviary db …`: database maintenance.

use std::process::ExitCode;

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
    }
}
