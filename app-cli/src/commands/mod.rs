//! Command handlers: each parses its arguments into domain requests, calls a use case and
//! renders the result. Errors become one line on stderr and a non-zero exit.

mod accounts;
mod admin;
mod db;
mod demo;
mod departments;
mod integration;
mod inventory;
mod key;
mod runs;
mod serve;
mod simulator;
mod sync;
mod worker;

use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::model::Integration;
use aviary_wiring::{Services, Settings};

use crate::cli::{Cli, Command, OutputFormat};

/// What every command needs.
pub struct Ctx {
    pub services: Services,
    pub output: OutputFormat,
}

impl Ctx {
    /// The integration named by an `<ID|LABEL>` argument.
    pub async fn integration(&self, key: &str) -> anyhow::Result<Integration> {
        Ok(self.services.integrations.find(key).await?)
    }
}

/// Exit codes beyond 0 (success) and 1 (error); clap uses 2 for usage errors.
pub mod exit {
    /// Bad usage, as clap reports it; also a confirmation that cannot be asked (no terminal)
    /// and was not given with `--yes`.
    pub const USAGE: u8 = 2;
    /// A sync run failed.
    pub const RUN_FAILED: u8 = 3;
    /// A sync run was held: removals above the threshold need confirmation.
    pub const RUN_HELD: u8 = 4;
    /// A sync run was cancelled by SIGINT (Ctrl-C) or SIGTERM (128 + SIGINT, as shells report
    /// Ctrl-C).
    pub const RUN_CANCELLED: u8 = 130;
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Simulator(args) = cli.command {
        return simulator::run(args).await;
    }
    let loaded = Settings::load(cli.config.as_deref())?;
    // With --strict the refusal names them; warning first would say it twice.
    if !cli.strict {
        for unknown in &loaded.unknown {
            eprintln!("warning: {unknown} (ignored)");
        }
    }
    let mut settings = loaded.strict(cli.strict)?;
    match &cli.command {
        Command::Serve(args) => serve::override_address(&mut settings, args),
        Command::Demo(args) => {
            serve::override_address(&mut settings, &args.address);
            // The demo's tenant is the simulator, on this machine.
            settings.lark.client.allow_custom_base_url = true;
        }
        _ => {}
    }
    let services = Services::build(settings)
        .await
        .context("cannot start Aviary")?;
    let ctx = Ctx {
        services,
        output: cli.output,
    };
    match cli.command {
        Command::Integration(command) => integration::run(&ctx, command).await,
        Command::Sync(args) => sync::run(&ctx, args).await,
        Command::Accounts(command) => accounts::run(&ctx, command).await,
        Command::Departments(command) => departments::run(&ctx, command).await,
        Command::Groups(command) => inventory::groups(&ctx, command).await,
        Command::Apps(command) => inventory::apps(&ctx, command).await,
        Command::Runs(command) => runs::run(&ctx, command).await,
        Command::Key(command) => key::run(&ctx, command).await,
        Command::Admin(command) => admin::run(&ctx, command).await,
        Command::Db(command) => db::run(&ctx, command).await,
        Command::Demo(args) => demo::run(&ctx, args).await,
        Command::Serve(_) => serve::run(ctx).await,
        Command::Worker(args) => worker::run(ctx, &args).await,
        Command::Simulator(_) => unreachable_simulator(),
    }
}

/// The simulator is dispatched before the services start; reaching here would be a bug in
/// `run`, reported as an error rather than a panic.
fn unreachable_simulator() -> anyhow::Result<ExitCode> {
    anyhow::bail!("internal error: the simulator command was not dispatched")
}

/// Asks `question` on the terminal unless `yes`; `None` means go ahead, `Some(code)` means stop
/// with that exit code: `exit::USAGE` when there is no terminal to ask (the refusal names
/// `--yes`), 1 when the answer was not yes (`declined` is said).
///
/// # Errors
/// When the answer cannot be read.
pub(crate) fn confirm(
    yes: bool,
    question: &str,
    refusal: &str,
    declined: &str,
) -> anyhow::Result<Option<ExitCode>> {
    use std::io::{IsTerminal as _, Write as _};
    if yes {
        return Ok(None);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("error: {refusal} without confirmation: pass --yes");
        return Ok(Some(ExitCode::from(exit::USAGE)));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read the confirmation")?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(None)
    } else {
        eprintln!("{declined}");
        Ok(Some(ExitCode::FAILURE))
    }
}
