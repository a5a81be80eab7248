//! Sync progress on stderr (a spinner with counts) when stderr is a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use aviary_domain::ports::{NoProgress, SyncPhase, SyncProgress};
use indicatif::{ProgressBar, ProgressStyle};

/// Shows a sync's progress with indicatif.
#[derive(Debug)]
pub struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    /// A progress display on stderr, or a silent sink when stderr is not a terminal.
    pub fn for_stderr() -> Box<dyn SyncProgressFinish> {
        if !std::io::stderr().is_terminal() {
            return Box::new(NoProgress);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Box::new(Self { bar })
    }
}

/// A progress sink that can be cleared before the summary is printed.
pub trait SyncProgressFinish: SyncProgress {
    fn finish(&self) {}
}

impl SyncProgressFinish for NoProgress {}

impl SyncProgressFinish for TerminalProgress {
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl SyncProgress for TerminalProgress {
    fn phase(&self, phase: SyncPhase) {
        let text = match phase {
            SyncPhase::Connecting => "connecting to Lark…",
            SyncPhase::Departments => "listing departments…",
            SyncPhase::Users => "listing users…",
            SyncPhase::Rechecking => "re-checking users not listed…",
            SyncPhase::Finishing => "finishing…",
        };
        self.bar.set_message(text);
    }

    fn departments(&self, listed: u64) {
        self.bar.set_message(format!("{listed} departments listed"));
    }

    fn users(&self, seen: u64, departments_done: u64, departments_total: u64) {
        self.bar.set_message(format!(
            "{seen} users seen, {departments_done}/{departments_total} departments listed"
        ));
    }
}
