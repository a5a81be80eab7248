//! `aviary-server`: the HTTP server alone (web UI, JSON API, health checks, scheduled syncs) on
//! the embedded default or whatever database is configured — what `aviary serve` runs, for
//! deployments that want no CLI in the image. Configuration as for `aviary` (`./aviary.toml`,
//! `AVIARY_*` variables); it takes no arguments.

use std::process::ExitCode;

use anyhow::Context;
use aviary_app_http::{Services, Settings, logging, server};

const USAGE: &str = "usage: aviary-server [--help]\n\nServes Aviary's web UI and JSON API until Ctrl-C. \
Configure it with ./aviary.toml or AVIARY_* variables (docs/configuration.md), e.g. \
AVIARY_HTTP__PORT=8080.";

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::load(None).context("cannot load the settings")?;
    let (host, port) = (settings.http.host.clone(), settings.http.port);
    let services = Services::build(settings).await?;
    server::prepare(&services).await?;
    let bound = server::bind(services, &host, port)
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    for addr in bound.addrs() {
        tracing::info!(%addr, "Aviary is serving (web UI at /, API under /api/v1)");
    }
    bound
        .run_until(server::ctrl_c())
        .await
        .context("the server failed")
}

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(_) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    logging::init("info");
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
