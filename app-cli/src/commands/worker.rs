//! `aviary worker [--metrics-port P]`: the scheduler without the web UI or the API — starts each
//! integration's due syncs (at most `scheduler.max_concurrent_syncs` at once) until SIGTERM or
//! Ctrl-C, then brings the running ones to a safe point within `shutdown.timeout_secs`; with
//! `--metrics-port`, it also answers `/healthz`, `/readyz` and `/metrics` for probes and
//! Prometheus. Several workers and servers may share one PostgreSQL: each sync's lease, and its
//! due check under the lease, make every due sync run once.

use std::process::ExitCode;

use anyhow::Context as _;
use aviary_app_http::server;
use aviary_wiring::signals::stop_requested;

use crate::cli::WorkerArgs;
use crate::commands::Ctx;

pub async fn run(ctx: Ctx, args: &WorkerArgs) -> anyhow::Result<ExitCode> {
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
    match args.metrics_port {
        Some(port) => with_probes(ctx, port).await?,
        // Warns itself when a sync does not reach a safe point in time.
        None => {
            ctx.services
                .runner
                .schedule_until(stop_requested(), settings.shutdown.timeout())
                .await;
        }
    }
    tracing::info!("Aviary worker stopped");
    Ok(ExitCode::SUCCESS)
}

/// The scheduler with `/healthz`, `/readyz` and `/metrics` on `port` of `http.host`, stopped
/// together within `shutdown.timeout_secs`.
async fn with_probes(ctx: Ctx, port: u16) -> anyhow::Result<()> {
    let host = ctx.services.settings.http.host.clone();
    let bound = server::bind_probes(ctx.services, &host, port)
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    for addr in bound.addrs() {
        tracing::info!(%addr, "answering /healthz, /readyz and /metrics");
    }
    bound
        .run_until(stop_requested())
        .await
        .context("the probe server failed")
}
