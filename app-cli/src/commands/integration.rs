//! `aviary integration add|list|show|set|remove|doctor` (the doctor in `integration/doctor.rs`).

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::model::Region;
use aviary_domain::usecases::{IntegrationChanges, NewIntegration};
use aviary_domain::values::Patch;
use secrecy::SecretString;

use crate::cli::{
    IntegrationAddArgs, IntegrationCommand, IntegrationSetArgs, OutputFormat, RegionArg,
};
use crate::commands::{Ctx, confirm};
use crate::output;
use crate::views::IntegrationView;

mod doctor;

pub async fn run(ctx: &Ctx, command: IntegrationCommand) -> anyhow::Result<ExitCode> {
    match command {
        IntegrationCommand::Add(args) => add(ctx, args).await,
        IntegrationCommand::List => list(ctx).await,
        IntegrationCommand::Show { integration } => {
            let integration = ctx.integration(&integration).await?;
            show(ctx.output, &IntegrationView::from(&integration))?;
            Ok(ExitCode::SUCCESS)
        }
        IntegrationCommand::Set(args) => set(ctx, args).await,
        IntegrationCommand::Doctor { integration } => doctor::run(ctx, &integration).await,
        IntegrationCommand::Remove { integration, yes } => remove(ctx, &integration, yes).await,
    }
}

/// The App Secret from stdin (first line) or `AVIARY_APP_SECRET`; never from an argument.
fn read_secret(from_stdin: bool) -> anyhow::Result<SecretString> {
    if from_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the App Secret from stdin")?;
        let secret = text.lines().next().unwrap_or("").trim().to_owned();
        anyhow::ensure!(
            !secret.is_empty(),
            "no App Secret on stdin (pipe it in, e.g. `… --app-secret-stdin < secret.txt`)"
        );
        return Ok(SecretString::from(secret));
    }
    match std::env::var("AVIARY_APP_SECRET") {
        Ok(secret) if !secret.trim().is_empty() => Ok(SecretString::from(secret.trim().to_owned())),
        _ => anyhow::bail!(
            "supply the App Secret on stdin with --app-secret-stdin, or in AVIARY_APP_SECRET"
        ),
    }
}

async fn add(ctx: &Ctx, args: IntegrationAddArgs) -> anyhow::Result<ExitCode> {
    let app_secret = read_secret(args.app_secret_stdin)?;
    let region = match args.region {
        RegionArg::Lark => Region::Lark,
        RegionArg::Feishu => Region::Feishu,
    };
    let integration = ctx
        .services
        .register
        .execute(NewIntegration {
            label: args.label,
            region,
            base_url: args.base_url,
            app_id: args.app_id,
            app_secret,
            verify: !args.no_verify,
            rate_limits: ctx.services.settings.lark.rate_limits(),
        })
        .await?;
    let view = IntegrationView::from(&integration);
    if ctx.output == OutputFormat::Table {
        eprintln!(
            "registered integration \"{}\"; sync it with: aviary sync {}",
            view.label, view.label
        );
    }
    show(ctx.output, &view)?;
    Ok(ExitCode::SUCCESS)
}

fn rows(views: &[IntegrationView]) -> Vec<Vec<String>> {
    views
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.label.clone(),
                v.region.to_owned(),
                v.app_id.clone(),
                v.status.to_owned(),
                output::opt(v.tenant_name.as_deref()),
                output::opt(v.base_url.as_deref()),
            ]
        })
        .collect()
}

const HEADER: &[&str] = &[
    "ID", "LABEL", "REGION", "APP ID", "STATUS", "TENANT", "BASE URL",
];

fn show(format: OutputFormat, view: &IntegrationView) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => output::json(view),
        _ => output::render(format, std::slice::from_ref(view), HEADER, || {
            rows(std::slice::from_ref(view))
        }),
    }
}

async fn list(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let integrations = ctx.services.integrations.list().await?;
    let views: Vec<IntegrationView> = integrations.iter().map(IntegrationView::from).collect();
    output::render(ctx.output, &views, HEADER, || rows(&views))?;
    Ok(ExitCode::SUCCESS)
}

async fn set(ctx: &Ctx, args: IntegrationSetArgs) -> anyhow::Result<ExitCode> {
    let integration = ctx.integration(&args.integration).await?;
    let sync_interval_minutes = match (args.interval_minutes, args.on_demand) {
        (Some(minutes), _) => Patch::Set(minutes),
        (None, true) => Patch::Clear,
        (None, false) => Patch::Keep,
    };
    let changes = IntegrationChanges {
        label: args.label,
        sync_interval_minutes,
    };
    let updated = ctx
        .services
        .update
        .execute(integration.id, &changes)
        .await?;
    let view = IntegrationView::from(&updated);
    if ctx.output == OutputFormat::Table {
        let schedule = match updated.sync_interval_minutes() {
            Some(minutes) => format!("every {minutes} minutes"),
            None => "on demand only".to_owned(),
        };
        eprintln!("integration \"{}\" syncs {schedule}", view.label);
    }
    show(ctx.output, &view)?;
    Ok(ExitCode::SUCCESS)
}

async fn remove(ctx: &Ctx, key: &str, yes: bool) -> anyhow::Result<ExitCode> {
    let integration = ctx.integration(key).await?;
    if let Some(stop) = confirm(
        yes,
        &format!(
            "Remove integration \"{}\" and all its synced accounts, departments and history?",
            integration.label
        ),
        &format!("refusing to remove \"{}\"", integration.label),
        "nothing removed",
    )? {
        return Ok(stop);
    }
    ctx.services.remove.execute(integration.id).await?;
    eprintln!(
        "removed integration \"{}\" ({})",
        integration.label, integration.id
    );
    Ok(ExitCode::SUCCESS)
}
