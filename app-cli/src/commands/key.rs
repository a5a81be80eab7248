//! `aviary key create|list|revoke`: API keys for automation. `create` is the one place the CLI
//! ever prints a secret, once.

use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::model::KeyCreator;
use aviary_domain::usecases::{ApiKeyError, CreatedKey, NewApiKey};
use aviary_domain::values::ApiKeyId;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};

use crate::cli::{KeyCommand, OutputFormat};
use crate::commands::{Ctx, confirm};
use crate::output;
use crate::views::ApiKeyView;

pub async fn run(ctx: &Ctx, command: KeyCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::Create {
            name,
            scope,
            expires_in_days,
        } => {
            let new = NewApiKey {
                name,
                scope,
                expires_in_days,
                created_by: KeyCreator::CommandLine,
            };
            create(ctx, new).await
        }
        KeyCommand::List => list(ctx).await,
        KeyCommand::Revoke { id, yes } => revoke(ctx, &id, yes).await,
    }
}

/// `key create --output json`. It lives here rather than in `views` (whose shapes never hold
/// secrets): this is the only output with a key in it.
#[derive(Serialize)]
struct CreatedKeyView<'a> {
    id: String,
    name: &'a str,
    prefix: &'a str,
    scope: &'static str,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "expose")]
    key: &'a SecretString,
}

fn expose<S: Serializer>(secret: &&SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

const LIST_HEADER: &[&str] = &[
    "ID",
    "NAME",
    "PREFIX",
    "SCOPE",
    "CREATED",
    "BY",
    "EXPIRES",
    "LAST USED",
    "REVOKED",
];
const CREATED_HEADER: &[&str] = &["ID", "NAME", "PREFIX", "SCOPE", "CREATED", "EXPIRES", "KEY"];

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn rows(views: &[ApiKeyView]) -> Vec<Vec<String>> {
    views
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.name.clone(),
                v.prefix.clone(),
                v.scope.to_owned(),
                v.created_at.to_rfc3339(),
                v.created_by.clone(),
                time(v.expires_at),
                time(v.last_used_at),
                time(v.revoked_at),
            ]
        })
        .collect()
}

async fn create(ctx: &Ctx, new: NewApiKey) -> anyhow::Result<ExitCode> {
    let CreatedKey { key, secret } = ctx.services.api_keys.create(new).await?;
    let view = CreatedKeyView {
        id: key.id.to_string(),
        name: key.name.as_str(),
        prefix: key.prefix.as_str(),
        scope: key.scope.as_str(),
        created_at: key.created_at,
        expires_at: key.expires_at,
        key: &secret,
    };
    eprintln!(
        "warning: this is the only time the key is shown; it cannot be shown again (Aviary keeps \
         only a hash of it). Store it now, send it as `Authorization: Bearer <key>`, and revoke \
         it with `aviary key revoke {}`",
        view.id
    );
    match ctx.output {
        OutputFormat::Json => output::json(&view)?,
        OutputFormat::Csv => output::csv(
            CREATED_HEADER,
            vec![vec![
                view.id.clone(),
                view.name.to_owned(),
                view.prefix.to_owned(),
                view.scope.to_owned(),
                view.created_at.to_rfc3339(),
                time(view.expires_at),
                secret.expose_secret().to_owned(),
            ]],
        )?,
        OutputFormat::Table => {
            let listed = ApiKeyView::from(&key);
            output::table(LIST_HEADER, rows(std::slice::from_ref(&listed)))?;
            // On a line of its own, outside the table, so it is never wrapped or padded.
            say!("API key \"{}\":", view.name)?;
            say!("{}", secret.expose_secret())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let keys = ctx.services.api_keys.list().await?;
    let views: Vec<ApiKeyView> = keys.iter().map(ApiKeyView::from).collect();
    output::render(ctx.output, &views, LIST_HEADER, || rows(&views))?;
    Ok(ExitCode::SUCCESS)
}

async fn revoke(ctx: &Ctx, raw_id: &str, yes: bool) -> anyhow::Result<ExitCode> {
    let id: ApiKeyId = raw_id
        .parse()
        .with_context(|| format!("\"{raw_id}\" is not an API key id (see `aviary key list`)"))?;
    let key = ctx.services.api_keys.get(id).await?;
    if !key.is_active() {
        return Err(ApiKeyError::AlreadyRevoked(id).into());
    }
    if let Some(stop) = confirm(
        yes,
        &format!(
            "Revoke API key \"{}\" ({})? Automation using it stops working at once.",
            key.name, key.prefix
        ),
        &format!(
            "refusing to revoke API key \"{}\" ({})",
            key.name, key.prefix
        ),
        "nothing revoked",
    )? {
        return Ok(stop);
    }
    let revoked = ctx.services.api_keys.revoke(id).await?;
    let view = ApiKeyView::from(&revoked);
    if ctx.output == OutputFormat::Table {
        eprintln!(
            "revoked API key \"{}\" ({}, {})",
            view.name, view.prefix, view.id
        );
    }
    match ctx.output {
        OutputFormat::Json => output::json(&view)?,
        format => output::render(format, std::slice::from_ref(&view), LIST_HEADER, || {
            rows(std::slice::from_ref(&view))
        })?,
    }
    Ok(ExitCode::SUCCESS)
}
