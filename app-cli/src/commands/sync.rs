//! `aviary sync <ID|LABEL> [--dry-run] [--confirm-removals]`.

use std::process::ExitCode;

use aviary_domain::model::{EntityCounts, RunStatus, RunTrigger};
use aviary_domain::usecases::sync::{SyncReport, SyncRequest};

use crate::cli::{OutputFormat, SyncArgs};
use crate::commands::{Ctx, exit};
use crate::output;
use crate::progress::TerminalProgress;
use crate::views::{SyncView, describe_fields};

fn counts_line(what: &str, c: &EntityCounts) -> String {
    format!(
        "{what}: {} added, {} changed, {} removed, {} restored, {} unchanged",
        c.added, c.changed, c.removed, c.restored, c.unchanged
    )
}

/// Runs one sync and prints its summary; shared with `aviary demo`.
pub async fn sync_and_report(
    ctx: &Ctx,
    key: &str,
    dry_run: bool,
    confirm_removals: bool,
    pacing: bool,
) -> anyhow::Result<(SyncReport, ExitCode)> {
    let integration = ctx.integration(key).await?;
    let request = SyncRequest {
        integration: integration.id,
        trigger: RunTrigger::Manual,
        dry_run,
        confirm_removals,
        rate_limits: if pacing {
            ctx.services.settings.lark.rate_limits()
        } else {
            None
        },
    };
    let progress = TerminalProgress::for_stderr();
    // Ctrl-C cancels the run cleanly (recorded, lease released) instead of killing it mid-write.
    let interrupted = aviary_app_http::server::ctrl_c();
    let result = ctx
        .services
        .sync
        .execute_until(&request, progress.as_ref(), interrupted)
        .await;
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
                "error: sync {} (to apply them: aviary sync {} --confirm-removals)",
                run.error.as_deref().unwrap_or("held"),
                integration.label
            );
            ExitCode::from(exit::RUN_HELD)
        }
        RunStatus::Cancelled => {
            eprintln!("error: sync cancelled: nothing was removed, and it is safe to sync again");
            ExitCode::from(exit::RUN_CANCELLED)
        }
        RunStatus::Failed | RunStatus::Running => {
            eprintln!(
                "error: sync failed: {}; nothing was removed, and it is safe to sync again",
                run.error.as_deref().unwrap_or("unknown error")
            );
            ExitCode::from(exit::RUN_FAILED)
        }
    };
    Ok((report, code))
}

pub async fn run(ctx: &Ctx, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let (_, code) = sync_and_report(
        ctx,
        &args.integration,
        args.dry_run,
        args.confirm_removals,
        !args.no_pacing,
    )
    .await?;
    Ok(code)
}
