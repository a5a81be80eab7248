//! `PruneHistory`: retention of the run history — runs older than a number of days go, with
//! the changes they recorded, except what the health reports and confirmations still read
//! (each integration's newest run and newest succeeded run). By default nothing is pruned: the
//! operator sets `retention.runs_days` or asks for it (`aviary db prune`).

use std::sync::Arc;

use crate::ports::{Clock, PruneFailed, Pruned, RunHistoryStore};

/// How many days of runs to keep: 1 to 100 years' worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays(u32);

/// Why a number of days was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be from 1 to {max} days", max = RetentionDays::MAX)]
pub struct RetentionDaysError;

impl RetentionDays {
    pub const MAX: u32 = 36_500;

    /// # Errors
    /// [`RetentionDaysError`] outside `1..=MAX`.
    pub fn new(days: i64) -> Result<Self, RetentionDaysError> {
        u32::try_from(days)
            .ok()
            .filter(|d| (1..=Self::MAX).contains(d))
            .map(Self)
            .ok_or(RetentionDaysError)
    }

    pub const fn days(self) -> u32 {
        self.0
    }
}

/// Prunes old runs.
#[derive(Clone)]
pub struct PruneHistory {
    store: Arc<dyn RunHistoryStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PruneHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PruneHistory").finish_non_exhaustive()
    }
}

impl PruneHistory {
    pub fn new(store: Arc<dyn RunHistoryStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Deletes the runs that finished more than `keep` days ago, with their changes (but
    /// never an integration's newest run or newest succeeded run); with `dry_run`, only counts.
    ///
    /// # Errors
    /// [`PruneFailed`] when the store fails.
    pub async fn execute(&self, keep: RetentionDays, dry_run: bool) -> Result<Pruned, PruneFailed> {
        let cutoff = self.clock.now() - chrono::Duration::days(i64::from(keep.days()));
        self.store.prune_runs(cutoff, dry_run).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone as _;

    use super::*;
    use crate::ports::{MockClock, MockRunHistoryStore};

    #[test]
    fn retention_is_one_day_to_a_hundred_years() {
        assert_eq!(RetentionDays::new(1).unwrap().days(), 1);
        assert_eq!(RetentionDays::new(36_500).unwrap().days(), 36_500);
        for bad in [0, -1, 36_501, i64::MAX] {
            assert_eq!(RetentionDays::new(bad), Err(RetentionDaysError), "{bad}");
        }
    }

    #[tokio::test]
    async fn runs_older_than_the_kept_days_are_pruned_from_now() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let mut clock = MockClock::new();
        clock.expect_now().returning(move || now);
        let mut store = MockRunHistoryStore::new();
        store
            .expect_prune_runs()
            .withf(move |cutoff, dry_run| *cutoff == now - chrono::Duration::days(90) && *dry_run)
            .returning(|_, _| {
                Ok(Pruned {
                    runs: 3,
                    changes: 40,
                })
            });
        let pruned = PruneHistory::new(Arc::new(store), Arc::new(clock))
            .execute(RetentionDays::new(90).unwrap(), true)
            .await
            .unwrap();
        assert_eq!(
            pruned,
            Pruned {
                runs: 3,
                changes: 40
            }
        );
    }
}
