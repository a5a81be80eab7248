//! `aviary sync <ID|LABEL> [--dry-run] [--confirm-removals]` and `aviary runs confirm <RUN>`.

use std::process::ExitCode;

use anyhow::Context as _;
use aviary_domain::model::{EntityCounts, Integration, RunStatus, RunTrigger};
use aviary_domain::usecases::sync::{Confirmation, SyncReport, SyncRequest};
use aviary_domain::values::RunId;
use aviary_wiring::logging::{RunInSpan, sync_span};
use tracing::Instrument as _;

use crate::cli::{OutputFormat, SyncArgs};
use crate::commands::{Ctx, exit};
use crate::output;
use crate::progress::TerminalProgress;
use crate::views::{SyncView, describe_fields};

fn counts_line(what: &str, c: &EntityCounts) -> String {
    let mut line = format!(
        "{what}: {} added, {} changed, {} removed, {} restored",
        c.added, c.changed, c.removed, c.restored
    );
    if c.out_of_range > 0 {
        line.push_str(&format!(", {} left the contact range", c.out_of_range));
    }
    line.push_str(&format!(", {} unchanged", c.unchanged));
    line
}

/// How runs confirmed from the CLI name who confirmed them.
fn confirmed_by() -> String {
    match std::env::var("USER") {
        Ok(user) if !user.trim().is_empty() => format!("the command line ({})", user.trim()),
        _ => "the command line".to_owned(),
    }
}

/// The confirmation of the integration's newest run, which must be held.
async fn newest_held(ctx: &Ctx, integration: &Integration) -> anyhow::Result<Confirmation> {
    let newest = ctx.services.queries.runs(integration.id, 1).await?;
    match newest.first() {
        Some(run) if run.status == RunStatus::Held => Ok(Confirmation {
            run: run.id,
            by: confirmed_by(),
        }),
        Some(run) => anyhow::bail!(
            "nothing to confirm: the newest run of \"{}\" ({}) is {}, not held",
            integration.label,
            run.id,
            run.status
        ),
        None => anyhow::bail!(
            "nothing to confirm: \"{}\" has no runs yet",
            integration.label
        ),
    }
}

/// Runs one sync and prints its summary; shared with `aviary demo`.
pub async fn sync_and_report(
    ctx: &Ctx,
    key: &str,
    dry_run: bool,
    confirm: Option<Confirmation>,
    pacing: bool,
) -> anyhow::Result<(SyncReport, ExitCode)> {
    let integration = ctx.integration(key).await?;
    let request = SyncRequest {
        integration: integration.id,
        trigger: RunTrigger::Manual,
        dry_run,
        confirm,
        rate_limits: if pacing {
            ctx.services.settings.lark.rate_limits()
        } else {
            None
        },
    };
    let progress = TerminalProgress::for_stderr();
    // SIGINT or SIGTERM cancels the run cleanly (recorded, lease released) instead of killing
    // it mid-write, within shutdown.timeout_secs.
    let stop = aviary_wiring::signals::stop_token();
    let timeout = ctx.services.settings.shutdown.timeout();
    let progress_in_span = RunInSpan(progress.as_ref());
    let run = ctx
        .services
        .sync
        .execute_until(&request, &progress_in_span, stop.clone().cancelled_owned())
        .instrument(sync_span(&request));
    let overdue = async {
        stop.cancelled().await;
        tokio::time::sleep(timeout).await;
    };
    let result = tokio::select! {
        result = run => result,
        () = overdue => {
            progress.finish();
            anyhow::bail!(
                "the sync did not reach a safe point within shutdown.timeout_secs ({}s) and was \
                 abandoned; its lease expires after sync.lease_ttl_secs",
                timeout.as_secs()
            );
        }
    };
    progress.finish();
    let report = result?;
    let run = &report.run;
    // Warnings are messages, not results: stderr, whatever the output format.
    for warning in &run.warnings {
        eprintln!("warning: {warning}");
    }
    if ctx.output == OutputFormat::Json {
        output::json(&SyncView::from(&report))?;
    } else {
        let seconds = run.finished_at.map_or(0.0, |f| {
            (f - run.started_at).num_milliseconds() as f64 / 1000.0
        });
        let prefix = if dry_run {
            "dry run (nothing written)"
        } else {
            "run"
        };
        say!(
            "{prefix} {} of \"{}\": {} in {seconds:.1}s",
            run.id,
            integration.label,
            run.status
        )?;
        say!("  {}", counts_line("users", &run.counts.users))?;
        say!("  {}", counts_line("departments", &run.counts.departments))?;
        say!(
            "  Lark API: {} calls, {} retries, {} rate-limit waits",
            run.api.calls,
            run.api.retries,
            run.api.rate_limit_waits
        )?;
        for change in report.preview.iter().take(20) {
            say!(
                "  would record: {:?} {} {}",
                change.subject,
                change.kind,
                describe_fields(&change.fields)
            )?;
        }
    }
    let code = match run.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::Held => {
            eprintln!(
                "error: sync {} (to apply it: aviary runs confirm {})",
                run.error.as_deref().unwrap_or("held"),
                run.id
            );
            ExitCode::from(exit::RUN_HELD)
        }
        RunStatus::Cancelled => {
            eprintln!(
                "error: sync cancelled: {}, and it is safe to sync again",
                removals(run)
            );
            ExitCode::from(exit::RUN_CANCELLED)
        }
        RunStatus::Failed | RunStatus::Running => {
            eprintln!(
                "error: sync failed: {}; {}, and it is safe to sync again",
                run.error.as_deref().unwrap_or("unknown error"),
                removals(run)
            );
            ExitCode::from(exit::RUN_FAILED)
        }
    };
    Ok((report, code))
}

/// What a run that stopped early removed: its counts are what it committed, so a run stopped
/// during its removals says how many it made.
fn removals(run: &aviary_domain::model::SyncRun) -> String {
    let counts = &run.counts;
    let removed = counts.users.removed
        + counts.departments.removed
        + counts.groups.removed
        + counts.apps.removed;
    if removed == 0 {
        "nothing was removed".to_owned()
    } else {
        format!(
            "{removed} removals were committed before it stopped (see `aviary runs show {}`)",
            run.id
        )
    }
}

pub async fn run(ctx: &Ctx, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let confirm = if args.confirm_removals {
        let integration = ctx.integration(&args.integration).await?;
        Some(newest_held(ctx, &integration).await?)
    } else {
        None
    };
    let (_, code) = sync_and_report(
        ctx,
        &args.integration,
        args.dry_run,
        confirm,
        !args.no_pacing,
    )
    .await?;
    Ok(code)
}

/// `aviary runs confirm <RUN>`: a sync that applies what the held run held, and at most that.
pub async fn confirm(ctx: &Ctx, run: &str, dry_run: bool) -> anyhow::Result<ExitCode> {
    let id: RunId = run
        .parse()
        .with_context(|| format!("\"{run}\" is not a run id"))?;
    let held = ctx.services.queries.run(id).await?;
    let confirm = Confirmation {
        run: id,
        by: confirmed_by(),
    };
    let key = held.integration_id.to_string();
    let (_, code) = sync_and_report(ctx, &key, dry_run, Some(confirm), true).await?;
    Ok(code)
}
