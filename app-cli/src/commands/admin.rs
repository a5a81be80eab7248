//! `aviary admin create|list`: admin users of the web UI. The password comes from stdin (its
//! first line) or, on a terminal, from two prompts without echo; it is never an argument and
//! never printed.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::values::EmailAddress;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};

use crate::cli::{AdminCommand, OutputFormat};
use crate::commands::Ctx;
use crate::output;
use crate::views::AdminView;

/// More than the longest password the policy allows (1024 characters of up to 4 bytes).
const MAX_STDIN_BYTES: u64 = 64 * 1024;

pub async fn run(ctx: &Ctx, command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::Create { email } => create(ctx, &email).await,
        AdminCommand::List => list(ctx).await,
    }
}

/// The new password: asked twice without echo on a terminal, else the first line of stdin
/// (without its line ending; nothing else is trimmed).
fn read_password() -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = SecretString::from(
            rpassword::prompt_password("Password (at least 12 characters): ")
                .context("cannot read the password from the terminal")?,
        );
        let second = SecretString::from(
            rpassword::prompt_password("Repeat the password: ")
                .context("cannot read the password from the terminal")?,
        );
        anyhow::ensure!(
            first.expose_secret() == second.expose_secret(),
            "the two passwords differ; nothing was created"
        );
        return Ok(first);
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(MAX_STDIN_BYTES)
        .read_to_string(&mut text)
        .context("cannot read the password from stdin")?;
    let text = SecretString::from(text);
    let line = text.expose_secret().lines().next().unwrap_or_default();
    anyhow::ensure!(
        !line.is_empty(),
        "no password on stdin: pipe it in (one line), e.g. `aviary admin create --email E < password.txt`, or run on a terminal to be asked"
    );
    Ok(SecretString::from(line.to_owned()))
}

async fn create(ctx: &Ctx, email: &str) -> anyhow::Result<ExitCode> {
    // Checked before asking for a password, so a typo is not found after typing it twice.
    EmailAddress::parse(email).map_err(|err| anyhow::anyhow!("invalid email: {err}"))?;
    let password = read_password()?;
    let admin = ctx.services.admins.create(email, password).await?;
    let view = AdminView::from(&admin);
    if ctx.output == OutputFormat::Table {
        eprintln!(
            "created admin {}; they can now sign in to the web UI",
            view.email
        );
    }
    render(ctx.output, std::slice::from_ref(&view), true)?;
    Ok(ExitCode::SUCCESS)
}

const HEADER: &[&str] = &["EMAIL", "CREATED", "LAST SIGN-IN", "LOCKED UNTIL"];

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn rows(views: &[AdminView]) -> Vec<Vec<String>> {
    views
        .iter()
        .map(|v| {
            vec![
                v.email.clone(),
                v.created_at.to_rfc3339(),
                time(v.last_sign_in_at),
                time(v.locked_until),
            ]
        })
        .collect()
}

/// One admin as an object (`create`) or a list of them (`list`).
fn render(format: OutputFormat, views: &[AdminView], single: bool) -> anyhow::Result<()> {
    match (format, views) {
        (OutputFormat::Json, [view]) if single => output::json(view),
        _ => output::render(format, views, HEADER, || rows(views)),
    }
}

async fn list(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let admins = ctx.services.admins.list().await?;
    let views: Vec<AdminView> = admins.iter().map(AdminView::from).collect();
    render(ctx.output, &views, false)?;
    Ok(ExitCode::SUCCESS)
}
