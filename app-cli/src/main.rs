//! The `aviary` command-line tool: ops commands over the same services as the server.

mod cli;
mod commands;
mod output;
mod progress;
mod views;

use std::process::ExitCode;

use clap::Parser;

fn init_logging() {
    // Logs go to stderr so stdout stays clean for `--output json|csv`.
    let filter = tracing_subscriber::EnvFilter::try_from_env("AVIARY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
