//! Log set-up shared by the `aviary` CLI and the `aviary-server` binary: to stderr (stdout stays
//! clean for `--output json|csv`), level from `AVIARY_LOG` (a tracing `EnvFilter`), as text —
//! colours only on a terminal, so that log files and pipes carry plain text — or, with
//! `AVIARY_LOG_FORMAT=json`, one JSON object per line with the fields of the spans it happened
//! in (a sync's `integration`, `trigger` and `run`), for log collectors.

use std::io::IsTerminal;

use aviary_domain::model::SyncRun;
use aviary_domain::ports::{SyncPhase, SyncProgress};
use aviary_domain::usecases::sync::SyncRequest;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// The format `AVIARY_LOG_FORMAT` names (`text`, the default, or `json`), or why it names
    /// none.
    ///
    /// # Errors
    /// The refused value, for a warning.
    pub fn from_env(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim) {
            None | Some("" | "text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(other.to_owned()),
        }
    }
}

/// Installs the global subscriber; `default` is the filter when `AVIARY_LOG` is unset or invalid.
pub fn init(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AVIARY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let (format, refused) =
        match LogFormat::from_env(std::env::var("AVIARY_LOG_FORMAT").ok().as_deref()) {
            Ok(format) => (format, None),
            Err(refused) => (LogFormat::Text, Some(refused)),
        };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    if let Some(value) = refused {
        tracing::warn!(
            value,
            "AVIARY_LOG_FORMAT is neither text nor json; logging as text"
        );
    }
}

/// The span a sync runs in, carrying its integration and trigger, and its run id once
/// recorded (by [`RunInSpan`]): every line logged during the sync — by the sync itself, the
/// Lark client, the database — names them.
pub fn sync_span(request: &SyncRequest) -> tracing::Span {
    tracing::info_span!(
        "sync",
        integration = %request.integration,
        trigger = request.trigger.as_str(),
        run = tracing::field::Empty,
    )
}

/// A sync's progress sink that also records the run's id in the current [`sync_span`] once
/// the run is recorded and logs each phase at debug, then passes everything on.
pub struct RunInSpan<'a>(pub &'a dyn SyncProgress);

impl std::fmt::Debug for RunInSpan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunInSpan").finish_non_exhaustive()
    }
}

impl SyncProgress for RunInSpan<'_> {
    fn started(&self, run: &SyncRun) {
        tracing::Span::current().record("run", tracing::field::display(run.id));
        self.0.started(run);
    }
    fn phase(&self, phase: SyncPhase) {
        // At debug: with the Lark client's trace lines, where a slow run spent its time.
        tracing::debug!(?phase, "sync phase");
        self.0.phase(phase);
    }
    fn departments(&self, listed: u64) {
        self.0.departments(listed);
    }
    fn users(&self, seen: u64, departments_done: u64, departments_total: u64) {
        self.0.users(seen, departments_done, departments_total);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_text_unless_json_is_asked_for_and_other_values_are_refused() {
        assert_eq!(LogFormat::from_env(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env(Some("text")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env(Some(" json ")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::from_env(Some("xml")), Err("xml".to_owned()));
    }
}
