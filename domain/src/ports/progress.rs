//! Progress reporting port: long syncs tell a UI what they are doing.

use crate::model::SyncRun;

/// Stage of a sync run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPhase {
    Connecting,
    Departments,
    Users,
    Rechecking,
    Finishing,
}

/// Receives progress from a running sync. Must be cheap: it is called once per page.
pub trait SyncProgress: Send + Sync {
    /// The run is recorded and holds the lease; called once, before any listing. Lets a caller
    /// that runs the sync in the background answer with the run while it goes on.
    fn started(&self, _run: &SyncRun) {}
    fn phase(&self, phase: SyncPhase);
    /// Departments listed so far.
    fn departments(&self, listed: u64);
    /// Distinct users seen so far, and how many departments are left to list.
    fn users(&self, seen: u64, departments_done: u64, departments_total: u64);
}

/// A progress sink that ignores everything (scripts, tests, background runs).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl SyncProgress for NoProgress {
    fn phase(&self, _phase: SyncPhase) {}
    fn departments(&self, _listed: u64) {}
    fn users(&self, _seen: u64, _departments_done: u64, _departments_total: u64) {}
}
