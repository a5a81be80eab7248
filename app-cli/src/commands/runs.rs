//! `aviary runs list|show|confirm`.

use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::values::RunId;

use crate::cli::{OutputFormat, RunsCommand};
use crate::commands::Ctx;
use crate::output;
use crate::views::{ChangeView, HeldSubjectView, RunView, RunWithChangesView, describe_fields};

/// The most held records `runs show` lists (the hold's counts cover them all).
const HELD_LISTED: u64 = 1000;

const HEADER: &[&str] = &[
    "id",
    "status",
    "trigger",
    "started_at",
    "duration_ms",
    "users_added",
    "users_changed",
    "users_removed",
    "users_out_of_range",
    "users_unchanged",
    "error",
    "warnings",
];

fn row(v: &RunView) -> Vec<String> {
    let u = &v.counts.users;
    vec![
        v.id.clone(),
        v.status.to_owned(),
        v.trigger.to_owned(),
        v.started_at.to_rfc3339(),
        v.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
        u.added.to_string(),
        u.changed.to_string(),
        u.removed.to_string(),
        u.out_of_range.to_string(),
        u.unchanged.to_string(),
        output::opt(v.error.as_deref()),
        v.warnings.join("; "),
    ]
}

pub async fn run(ctx: &Ctx, command: RunsCommand) -> anyhow::Result<ExitCode> {
    match command {
        RunsCommand::List { selector, limit } => {
            let integration = ctx.integration(&selector.integration).await?;
            let runs = ctx.services.queries.runs(integration.id, limit).await?;
            let views: Vec<RunView> = runs.iter().map(RunView::from).collect();
            output::render(ctx.output, &views, HEADER, || {
                views.iter().map(row).collect()
            })?;
        }
        RunsCommand::Confirm { run_id, dry_run } => {
            return super::sync::confirm(ctx, &run_id, dry_run).await;
        }
        RunsCommand::Show { run_id } => {
            let id: RunId = run_id
                .parse()
                .with_context(|| format!("\"{run_id}\" is not a run id"))?;
            let (run, changes) = ctx.services.queries.run(id).await?;
            let held = if run.hold.is_some() {
                ctx.services.queries.held_subjects(id, HELD_LISTED).await?
            } else {
                Vec::new()
            };
            let view = RunWithChangesView {
                run: RunView::from(&run),
                changes: changes.iter().map(ChangeView::from).collect(),
                held: held.iter().map(HeldSubjectView::from).collect(),
            };
            match ctx.output {
                OutputFormat::Json => output::json(&view)?,
                format => {
                    output::render(format, std::slice::from_ref(&view.run), HEADER, || {
                        vec![row(&view.run)]
                    })?;
                    if format == OutputFormat::Table {
                        for warning in &view.run.warnings {
                            say!("warning: {warning}")?;
                        }
                        if let Some(error) = &view.run.error {
                            say!("{error}")?;
                        }
                        if !view.held.is_empty() {
                            say!("held (confirm with: aviary runs confirm {}):", view.run.id)?;
                            for h in &view.held {
                                say!(
                                    "  {:<10} {:<36} {}",
                                    h.subject_type,
                                    h.subject_id,
                                    h.outcome
                                )?;
                            }
                        }
                        say!("{} changes:", view.changes.len())?;
                        for c in &view.changes {
                            say!(
                                "  {:<10} {:<36} {:<8} {}",
                                c.subject_type,
                                c.subject_id,
                                c.kind,
                                describe_fields(&c.fields)
                            )?;
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
