//! `aviary-server`: the HTTP server alone (web UI, JSON API, health checks, scheduled syncs) on
//! the embedded default or whatever database is configured — what `aviary serve` runs, for
//! deployments that want no CLI in the image. Configuration as for `aviary`: `--config FILE`
//! (else `./aviary.toml` when present) and `AVIARY_*` variables.

use std::path::PathBuf;
use std::process::ExitCode;

mod health_check;

use anyhow::Context;
use aviary_app_http::server;
use aviary_wiring::{Services, Settings, logging};

const USAGE: &str = "usage: aviary-server [--config FILE] [--strict] [--check-health] [--help]\n\nServes Aviary's web UI and JSON API until SIGTERM or Ctrl-C. \
Configure it with --config FILE (else ./aviary.toml when present) and AVIARY_* variables \
(docs/configuration.md), e.g. AVIARY_HTTP__PORT=8080. Unknown settings are reported and ignored, \
or refused with --strict. With --check-health it asks the server running with these settings \
for /readyz instead and exits 0 when it is ready, 1 otherwise (a container health check).";

/// What the command line asked for.
enum Invocation {
    Serve {
        config: Option<PathBuf>,
        strict: bool,
        check_health: bool,
    },
    Help,
}

/// Parses `[--config FILE | --config=FILE] [--strict] [--check-health] [--help]`; `Err`
/// carries the usage problem.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Invocation, String> {
    let (mut config, mut strict, mut check_health) = (None, false, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Invocation::Help),
            "--strict" => strict = true,
            "--check-health" => check_health = true,
            "--config" => match args.next() {
                Some(file) => config = Some(PathBuf::from(file)),
                None => return Err("--config needs a FILE".to_owned()),
            },
            other => match other.strip_prefix("--config=") {
                Some(file) => config = Some(PathBuf::from(file)),
                None => return Err(format!("unexpected argument '{other}'")),
            },
        }
    }
    Ok(Invocation::Serve {
        config,
        strict,
        check_health,
    })
}

fn settings(config: Option<PathBuf>, strict: bool) -> anyhow::Result<Settings> {
    let loaded = Settings::load(config.as_deref()).context("cannot load the settings")?;
    // With --strict the refusal names them; warning first would say it twice.
    if !strict {
        for unknown in &loaded.unknown {
            tracing::warn!("{unknown} (ignored)");
        }
    }
    Ok(loaded.strict(strict)?)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let (host, port) = (settings.http.host.clone(), settings.http.port);
    let services = Services::build(settings).await?;
    server::prepare(&services).await?;
    let bound = server::bind(services, &host, port)
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    for addr in bound.addrs() {
        tracing::info!(%addr, "Aviary is serving (web UI at /, API under /api/v1)");
    }
    bound
        .run_until(server::stop_requested())
        .await
        .context("the server failed")
}

#[tokio::main]
async fn main() -> ExitCode {
    let (config, strict, check_health) = match parse(std::env::args().skip(1)) {
        Ok(Invocation::Serve {
            config,
            strict,
            check_health,
        }) => (config, strict, check_health),
        Ok(Invocation::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("error: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    logging::init("info");
    let outcome = match settings(config, strict) {
        Ok(settings) if check_health => health_check::ready(&settings.http).await,
        Ok(settings) => serve(settings).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
