//! Log set-up shared by the `aviary` CLI and the `aviary-server` binary: to stderr (stdout stays
//! clean for `--output json|csv`), level from `AVIARY_LOG` (a tracing `EnvFilter`), colours only
//! on a terminal so that log files and pipes carry plain text.

use std::io::IsTerminal;

/// Installs the global subscriber; `default` is the filter when `AVIARY_LOG` is unset or invalid.
pub fn init(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AVIARY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

/// An error and its causes, `: `-joined, for one log field (`%err` shows the outermost only).
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut words = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        words.push_str(": ");
        words.push_str(&inner.to_string());
        cause = inner.source();
    }
    words
}
