//! Run history port: deleting old runs with their recorded changes (retention).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fault::StoreFault;

/// What a pruning deleted (or, in a dry run, would delete).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub runs: u64,
    pub changes: u64,
}

/// Why old runs could not be pruned (what was deleted before the failure stays deleted; the
/// rest is left for the next pruning).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot prune the run history")]
pub struct PruneFailed(#[source] pub StoreFault);

/// Deletes old runs.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RunHistoryStore: Send + Sync {
    /// Deletes every run that finished before `cutoff`, with its recorded changes and what it
    /// held — except, for each integration, its newest run and its newest succeeded run, which
    /// health reports and confirmations read. Runs still running are never deleted. Deletes in
    /// bounded batches, each in its own transaction; with `dry_run`, deletes nothing and counts
    /// what would go.
    ///
    /// # Errors
    /// [`PruneFailed`] when the database fails.
    async fn prune_runs(&self, cutoff: DateTime<Utc>, dry_run: bool)
    -> Result<Pruned, PruneFailed>;
}
