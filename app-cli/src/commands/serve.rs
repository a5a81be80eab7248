//! `aviary serve [--host H] [--port P]`: the HTTP server (web UI, JSON API, health checks) until
//! SIGTERM or Ctrl-C, on the embedded default or whatever database is configured.

use std::process::ExitCode;

use anyhow::Context;
use aviary_app_http::server;
use aviary_wiring::Settings;

use crate::cli::ServeArgs;
use crate::commands::Ctx;

/// `--host`/`--port` take precedence over the `[http]` settings.
pub fn override_address(settings: &mut Settings, args: &ServeArgs) {
    if let Some(host) = &args.host {
        settings.http.host.clone_from(host);
    }
    if let Some(port) = args.port {
        settings.http.port = port;
    }
}

pub async fn run(ctx: Ctx) -> anyhow::Result<ExitCode> {
    let host = ctx.services.settings.http.host.clone();
    let port = ctx.services.settings.http.port;
    server::prepare(&ctx.services).await?;
    let bound = server::bind(ctx.services, &host, port)
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    for addr in bound.addrs() {
        eprintln!(
            "Aviary is serving on http://{addr} (web UI at /, API under /api/v1). Press Ctrl-C to stop."
        );
    }
    bound
        .run_until(server::stop_requested())
        .await
        .context("the server failed")?;
    eprintln!("Aviary stopped.");
    Ok(ExitCode::SUCCESS)
}
