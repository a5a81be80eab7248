//! `aviary admin create|list|reset-password`: admin users of the web UI. A password comes from
//! stdin (its first line) or, on a terminal, from two prompts without echo; it is never an
//! argument and never printed.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::usecases::ResetPasswordError;
use aviary_domain::values::EmailAddress;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

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
        AdminCommand::ResetPassword { email } => reset_password(ctx, &email).await,
    }
}

/// The new password: asked twice without echo on a terminal, else the first line of stdin
/// (without its line ending; nothing else is trimmed). `command` (`create`, `reset-password`)
/// is named in the hint when stdin is empty.
fn read_password(command: &str) -> anyhow::Result<SecretString> {
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
            "the two passwords differ; nothing was changed"
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
        "no password on stdin: pipe it in (one line), e.g. `aviary admin {command} --email E < password.txt`, or run on a terminal to be asked"
    );
    Ok(SecretString::from(line.to_owned()))
}

async fn create(ctx: &Ctx, email: &str) -> anyhow::Result<ExitCode> {
    // Checked before asking for a password, so a typo is not found after typing it twice.
    EmailAddress::parse(email).map_err(|err| anyhow::anyhow!("invalid email: {err}"))?;
    let password = read_password("create")?;
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

/// `admin reset-password --output json`: the admin as stored now, and how many sessions ended.
#[derive(Serialize)]
struct ResetView {
    #[serde(flatten)]
    admin: AdminView,
    sessions_ended: u64,
}

/// The use case's errors in the CLI's words.
fn reset_error(err: ResetPasswordError) -> anyhow::Error {
    match err {
        ResetPasswordError::UnknownEmail(email) => {
            anyhow::anyhow!("there is no admin with email {email} (see `aviary admin list`)")
        }
        err @ (ResetPasswordError::Email(_)
        | ResetPasswordError::Password(_)
        | ResetPasswordError::Unavailable(_)
        | ResetPasswordError::SessionsNotEnded(_)) => err.into(),
    }
}

async fn reset_password(ctx: &Ctx, email: &str) -> anyhow::Result<ExitCode> {
    // Email and admin are checked before asking for a password, so that a typo is not found
    // after typing it twice; the reset checks both again.
    let address =
        EmailAddress::parse(email).map_err(|err| anyhow::anyhow!("invalid email: {err}"))?;
    let admins = ctx.services.admins.list().await?;
    if !admins.iter().any(|admin| admin.email == address) {
        return Err(reset_error(ResetPasswordError::UnknownEmail(address)));
    }
    let password = read_password("reset-password")?;
    let reset = ctx
        .services
        .admins
        .reset_password(email, password)
        .await
        .map_err(reset_error)?;
    let view = ResetView {
        admin: AdminView::from(&reset.admin),
        sessions_ended: reset.sessions_ended,
    };
    match ctx.output {
        OutputFormat::Table => {
            let sessions = match view.sessions_ended {
                1 => "1 session".to_owned(),
                n => format!("{n} sessions"),
            };
            say!(
                "reset the password of admin {}: {sessions} ended, failed sign-ins and any lock cleared; sign in with the new password",
                view.admin.email
            )?;
        }
        OutputFormat::Json => output::json(&view)?,
        OutputFormat::Csv => output::csv(
            &["EMAIL", "SESSIONS ENDED"],
            vec![vec![
                view.admin.email.clone(),
                view.sessions_ended.to_string(),
            ]],
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
