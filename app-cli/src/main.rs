//! The `aviary` command-line tool: ops commands over the same services as the server.

/// Writes one line to stdout, returning an error (e.g. a closed pipe) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

mod cli;
mod commands;
mod output;
mod progress;

use aviary_views as views;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line; usage errors are one line (clap's first) plus a hint, exit 2.
fn parse() -> Result<cli::Cli, ExitCode> {
    use clap::error::ErrorKind;
    match cli::Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            let _ = err.print();
            Err(ExitCode::SUCCESS)
        }
        Err(err) => {
            let rendered = err.render().to_string();
            // clap explains over several lines and then prints usage; keep the explanation.
            let message: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|line| !line.starts_with("Usage:"))
                .filter(|line| !line.is_empty())
                .collect();
            eprintln!("{} (see --help)", message.join(" "));
            Err(ExitCode::from(2))
        }
    }
}

/// Whether the error is stdout closing under us (`aviary … | head`), which is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
            || cause.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    // By default only errors, so a failing command prints its one `error:` line and nothing else;
    // the worker is a daemon, whose log is all it says.
    let default_level = if matches!(cli.command, cli::Command::Worker(_)) {
        "info"
    } else {
        "error"
    };
    aviary_wiring::logging::init(default_level);
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
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
