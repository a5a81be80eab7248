//! `aviary runs list|show|confirm`; `show` prints a run's changes a bounded page at a time.

use std::process::ExitCode;

use anyhow::Context;
use aviary_domain::model::ChangePosition;
use aviary_domain::values::RunId;

use crate::cli::{DEFAULT_CHANGES, OutputFormat, RunsCommand};
use crate::commands::Ctx;
use crate::output;
use crate::views::{ChangeView, RunView, RunWithChangesView, change_cursor, describe_fields};

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
        RunsCommand::Show {
            run_id,
            limit,
            cursor,
            all,
        } => {
            let id: RunId = run_id
                .parse()
                .with_context(|| format!("\"{run_id}\" is not a run id"))?;
            let pages = Pages {
                id,
                limit,
                after: cursor.as_deref().map(|raw| start(id, raw)).transpose()?,
                all,
            };
            show(ctx, &pages).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `runs show` reads of a run's changes: the page after `after` (from the first when
/// `None`) of `limit` changes, or with `all` every page from there on.
#[derive(Debug)]
struct Pages {
    id: RunId,
    limit: u64,
    after: Option<ChangePosition>,
    all: bool,
}

/// The position `--cursor` continues after.
fn start(id: RunId, raw: &str) -> anyhow::Result<ChangePosition> {
    change_cursor::decode(raw, id).with_context(|| {
        format!(
            "\"{raw}\" is not a cursor of this run's changes: pass the next_cursor that \
             `aviary runs show {id}` printed"
        )
    })
}

/// `runs show`: the run (and, held, what it holds), then its changes a bounded page at a
/// time — one page, or with `--all` each in turn.
async fn show(ctx: &Ctx, pages: &Pages) -> anyhow::Result<()> {
    let queries = &ctx.services.queries;
    let run = queries.run(pages.id).await?;
    let held = if run.hold.is_some() {
        queries.held_subjects(pages.id, HELD_LISTED).await?
    } else {
        Vec::new()
    };
    let first = queries
        .run_changes(pages.id, pages.after, pages.limit)
        .await?;
    let mut view = RunWithChangesView::new(&run, &first, &held);
    match ctx.output {
        OutputFormat::Json => {
            if pages.all {
                // One JSON document: the rest of the pages join the first.
                let mut next = first.next;
                while let Some(after) = next {
                    let page = queries
                        .run_changes(pages.id, Some(after), pages.limit)
                        .await?;
                    view.changes
                        .extend(page.changes.iter().map(ChangeView::from));
                    next = page.next;
                }
                view.next_cursor = None;
            }
            output::json(&view)?;
        }
        format => {
            output::render(format, std::slice::from_ref(&view.run), HEADER, || {
                vec![row(&view.run)]
            })?;
            if format == OutputFormat::Table {
                print_outcome(&view)?;
                if pages.all {
                    print_every_page(ctx, pages, view.changes, first.next).await?;
                } else {
                    print_page(pages, &view)?;
                }
            }
        }
    }
    Ok(())
}

/// The run's warnings, error and held records, under its row.
fn print_outcome(view: &RunWithChangesView) -> anyhow::Result<()> {
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
    Ok(())
}

fn print_changes(changes: &[ChangeView]) -> anyhow::Result<()> {
    for c in changes {
        say!(
            "  {:<10} {:<36} {:<8} {}",
            c.subject_type,
            c.subject_id,
            c.kind,
            describe_fields(&c.fields)
        )?;
    }
    Ok(())
}

/// One page of changes, and the command that shows the next one while more follow.
fn print_page(pages: &Pages, view: &RunWithChangesView) -> anyhow::Result<()> {
    let n = view.changes.len();
    if pages.after.is_none() && view.next_cursor.is_none() {
        say!("{n} changes:")?;
    } else {
        say!("{n} changes on this page:")?;
    }
    print_changes(&view.changes)?;
    if let Some(cursor) = &view.next_cursor {
        let limit = if pages.limit == DEFAULT_CHANGES {
            String::new()
        } else {
            format!(" --limit {}", pages.limit)
        };
        say!(
            "more changes follow: aviary runs show {}{limit} --cursor {cursor} \
             (or --all for every change)",
            view.run.id
        )?;
    }
    Ok(())
}

/// Every page from the first one read on, each printed as it comes: the memory held is one
/// page, however many changes the run recorded.
async fn print_every_page(
    ctx: &Ctx,
    pages: &Pages,
    first: Vec<ChangeView>,
    mut next: Option<ChangePosition>,
) -> anyhow::Result<()> {
    say!("changes:")?;
    let mut total = first.len();
    print_changes(&first)?;
    while let Some(after) = next {
        let page = ctx
            .services
            .queries
            .run_changes(pages.id, Some(after), pages.limit)
            .await?;
        let views: Vec<ChangeView> = page.changes.iter().map(ChangeView::from).collect();
        total += views.len();
        print_changes(&views)?;
        next = page.next;
    }
    say!("{total} changes in all")?;
    Ok(())
}
