//! `aviary worker`: the scheduler without the HTTP server — starts each integration's due syncs
//! (at most `scheduler.max_concurrent_syncs` at once) until SIGTERM or Ctrl-C, then brings the
//! running ones to a safe point within `shutdown.timeout_secs`. Several workers and servers may
//! share one PostgreSQL: each sync's lease, and its due check under the lease, make every due
//! sync run once.

use std::process::ExitCode;

use aviary_wiring::signals::stop_requested;

use crate::commands::Ctx;

pub async fn run(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let settings = &ctx.services.settings;
    anyhow::ensure!(
        settings.scheduler.enabled,
        "scheduler.enabled is false, so this worker would start no sync; unset \
         AVIARY_SCHEDULER__ENABLED (or set it to true) for the worker"
    );
    // A daemon: what it says goes to the log (JSON with AVIARY_LOG_FORMAT=json), not stdout.
    tracing::info!(
        max_concurrent_syncs = settings.scheduler.max_concurrent_syncs,
        tick_secs = settings.scheduler.tick_secs,
        "Aviary worker: starting due syncs until SIGTERM or Ctrl-C"
    );
    let stopped = ctx
        .services
        .runner
        .schedule_until(stop_requested(), settings.shutdown.timeout())
        .await;
    if stopped {
        tracing::info!("Aviary worker stopped");
    } else {
        tracing::warn!(
            "Aviary worker stopped; a sync did not reach a safe point within shutdown.timeout_secs \
             (its lease expires after sync.lease_ttl_secs)"
        );
    }
    Ok(ExitCode::SUCCESS)
}
