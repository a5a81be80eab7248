//! `IntegrationHealth`: where an integration stands — its latest and last good run, its
//! accounts per status, and its problems in plain words.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::run_cache::{RunCache, settled};
use super::schedule::run_history;
use crate::model::{
    AccountStatus, IntegrationStatus, IntegrationSummary, RunStatus, SyncRun, next_sync_at,
};
use crate::ports::{Clock, LeaseHolders, QueryError, ReadModel};

/// Something an admin should know or do about an integration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error(
        "No Lark admin has authorised this integration yet: connect it with Lark to bind it to its tenant."
    )]
    NotAuthorized,
    #[error(
        "The Lark login that authorised this integration has expired or was revoked: connect it with Lark again."
    )]
    NeedsReauthorization,
    #[error("The integration works with problems: see its latest runs.")]
    Degraded,
    #[error("Syncs of this integration are failing.")]
    Failing,
    #[error("The integration is disabled: it is not synced.")]
    Disabled,
    #[error("It has never been synced.")]
    NeverSynced,
    #[error("The last sync failed{}", reason(.0))]
    LastRunFailed(Option<String>),
    #[error("The last sync is on hold{}", reason(.0))]
    LastRunHeld(Option<String>),
    #[error("The last sync was cancelled before it finished.")]
    LastRunCancelled,
    /// The newest run is still recorded `running`, but its process died: nothing has renewed
    /// its lease since.
    #[error(
        "The last sync stopped without finishing: its process ended (killed or crashed) and no \
         longer holds its lease (lapsed by {0}). The next sync takes over and records what it \
         had committed."
    )]
    LastRunAbandoned(DateTime<Utc>),
    /// The last run succeeded but had something to say (e.g. the Lark login needs renewing).
    #[error("The last sync finished with a warning: {}", .0.join(" "))]
    LastRunWarned(Vec<String>),
    /// A scheduled sync has not started long after it was due: no process runs the schedule,
    /// or every attempt fails before it records a run.
    #[error(
        "The scheduled sync is overdue: it was due at {0} and no process has started it (is a \
         server or worker running? see its log)."
    )]
    Overdue(DateTime<Utc>),
}

/// A due sync not started this long after it was due is overdue: the scheduler looks every
/// 30 seconds, so by then something keeps it from starting.
const OVERDUE_AFTER_MINUTES: i64 = 10;

/// When a sync overdue for long was due; a live running sync is never overdue, one whose
/// process died is.
fn overdue(
    next_sync_at: Option<DateTime<Utc>>,
    running: bool,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    next_sync_at
        .filter(|due| !running && now - *due > chrono::Duration::minutes(OVERDUE_AFTER_MINUTES))
}

fn reason(error: &Option<String>) -> String {
    match error {
        Some(reason) => format!(": {reason}"),
        None => ".".to_owned(),
    }
}

/// An integration's health, as `report` found it.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    pub latest_run: Option<SyncRun>,
    pub last_succeeded_run: Option<SyncRun>,
    /// Current accounts per status; statuses without accounts are left out.
    pub account_counts: Vec<(AccountStatus, u64)>,
    /// When the scheduler starts the next sync ([`next_sync_at`]); `None` when the
    /// integration syncs on demand only, is disabled or waits for its first login.
    pub next_sync_at: Option<DateTime<Utc>>,
    /// The next sync's time has come: the scheduler starts it at its next pass.
    pub sync_due: bool,
    /// How long ago the last succeeded run finished; `None` when none did.
    pub since_good_sync: Option<chrono::Duration>,
    /// Most pressing first; empty when all is well.
    pub problems: Vec<Problem>,
}

/// The health report could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    #[error(transparent)]
    Store(QueryError),
}

/// Reports on integrations' health.
#[derive(Clone)]
pub struct IntegrationHealth {
    read: Arc<dyn ReadModel>,
    holders: Arc<dyn LeaseHolders>,
    clock: Arc<dyn Clock>,
    /// Accounts per status, read once per finished run.
    counts: RunCache<Vec<(AccountStatus, u64)>>,
}

impl std::fmt::Debug for IntegrationHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationHealth").finish_non_exhaustive()
    }
}

fn problems(
    integration: &IntegrationSummary,
    latest_run: Option<&SyncRun>,
    abandoned_at: Option<DateTime<Utc>>,
) -> Vec<Problem> {
    let status = match integration.status {
        IntegrationStatus::Active => None,
        IntegrationStatus::PendingAuthorization => Some(Problem::NotAuthorized),
        IntegrationStatus::NeedsReauthorization => Some(Problem::NeedsReauthorization),
        IntegrationStatus::Degraded => Some(Problem::Degraded),
        IntegrationStatus::Failing => Some(Problem::Failing),
        IntegrationStatus::Disabled => Some(Problem::Disabled),
    };
    let run = match latest_run {
        None => Some(Problem::NeverSynced),
        Some(run) => match run.status {
            RunStatus::Succeeded if !run.warnings.is_empty() => {
                Some(Problem::LastRunWarned(run.warnings.clone()))
            }
            RunStatus::Running => abandoned_at.map(Problem::LastRunAbandoned),
            RunStatus::Succeeded => None,
            RunStatus::Failed => Some(Problem::LastRunFailed(run.error.clone())),
            RunStatus::Held => Some(Problem::LastRunHeld(run.error.clone())),
            RunStatus::Cancelled => Some(Problem::LastRunCancelled),
        },
    };
    // A failed or held run explains a failing or degraded status better than the status.
    match (status, run) {
        (Some(Problem::Failing | Problem::Degraded), Some(run)) => vec![run],
        (status, run) => status.into_iter().chain(run).collect(),
    }
}

impl IntegrationHealth {
    pub fn new(
        read: Arc<dyn ReadModel>,
        holders: Arc<dyn LeaseHolders>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            read,
            holders,
            clock,
            counts: RunCache::default(),
        }
    }

    /// The integration's health now.
    ///
    /// # Errors
    /// `Store` when the read model fails.
    pub async fn report(
        &self,
        integration: &IntegrationSummary,
    ) -> Result<HealthReport, HealthError> {
        let id = integration.id;
        let now = self.clock.now();
        let (newest, history) = run_history(self.read.as_ref(), self.holders.as_ref(), id, now)
            .await
            .map_err(HealthError::Store)?;
        // Among the newest runs already read, or else read from the store.
        let last_succeeded_run = match newest.iter().find(|r| r.status == RunStatus::Succeeded) {
            Some(run) => Some(run.clone()),
            None => self
                .read
                .last_succeeded_run(id)
                .await
                .map_err(HealthError::Store)?,
        };
        let latest_run = newest.into_iter().next();
        let settled = settled(latest_run.as_ref());
        let account_counts = match settled.and_then(|run| self.counts.get(id, run)) {
            Some(kept) => kept.as_ref().clone(),
            None => {
                let counts = self
                    .read
                    .account_status_counts(id)
                    .await
                    .map_err(HealthError::Store)?;
                if let Some(run) = settled {
                    self.counts.put(id, run, Arc::new(counts.clone()));
                }
                counts
            }
        };
        let next_sync_at = next_sync_at(integration, &history, now);
        let mut problems = problems(integration, latest_run.as_ref(), history.abandoned_at);
        // Never synced: due since it last changed (registered, connected or rescheduled) — a
        // later time than it may really have been due, so never a false alarm.
        let due = match latest_run {
            Some(_) => next_sync_at,
            None => next_sync_at.map(|_| integration.updated_at),
        };
        let alive = latest_run
            .as_ref()
            .is_some_and(|run| run.status == RunStatus::Running && history.abandoned_at.is_none());
        problems.extend(overdue(due, alive, now).map(Problem::Overdue));
        Ok(HealthReport {
            problems,
            next_sync_at,
            sync_due: next_sync_at.is_some_and(|next| next <= now),
            since_good_sync: last_succeeded_run
                .as_ref()
                .map(|run| now - run.finished_at.unwrap_or(run.started_at)),
            latest_run,
            last_succeeded_run,
            account_counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Integration, RunTrigger};
    use crate::model::{LeaseView, RUNS_FOR_SCHEDULE};
    use crate::ports::{MockReadModel, NoLeaseHolders};
    use crate::testing;
    use crate::values::{IntegrationId, RunId};
    use chrono::{DateTime, Duration, TimeZone as _, Utc};

    fn clock_at(minute: i64) -> Arc<dyn Clock> {
        let mut clock = crate::ports::MockClock::new();
        clock.expect_now().return_const(at(minute));
        Arc::new(clock)
    }

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn integration(status: IntegrationStatus, interval: Option<u32>) -> Integration {
        let built = testing::integration()
            .app_id("cli_acme")
            .status(status)
            .created_at(at(-600));
        match interval {
            Some(minutes) => built.every(minutes).build(),
            None => built.build(),
        }
    }

    fn run(status: RunStatus, started: i64, error: Option<&str>) -> SyncRun {
        let run = testing::run(IntegrationId::from_uuid(uuid::Uuid::from_u128(1)))
            .trigger(RunTrigger::Schedule)
            .started_at(at(started));
        if status == RunStatus::Running {
            return run.build();
        }
        run.ended(status, at(started + 1), error).build()
    }

    #[test]
    fn problems_come_from_the_status_and_the_latest_run() {
        let ok = run(RunStatus::Succeeded, -5, None);
        assert!(
            problems(
                &integration(IntegrationStatus::Active, None),
                Some(&ok),
                None
            )
            .is_empty()
        );
        assert_eq!(
            problems(
                &integration(IntegrationStatus::PendingAuthorization, None),
                None,
                None
            ),
            vec![Problem::NotAuthorized, Problem::NeverSynced]
        );
        let failed = run(RunStatus::Failed, -5, Some("Lark is unavailable: timeout"));
        let only_the_run = problems(
            &integration(IntegrationStatus::Failing, None),
            Some(&failed),
            None,
        );
        assert_eq!(
            only_the_run,
            vec![Problem::LastRunFailed(Some(
                "Lark is unavailable: timeout".into()
            ))]
        );
        assert_eq!(
            only_the_run[0].to_string(),
            "The last sync failed: Lark is unavailable: timeout"
        );
        let held = run(RunStatus::Held, -5, Some("removals above 20%"));
        assert_eq!(
            problems(
                &integration(IntegrationStatus::Degraded, None),
                Some(&held),
                None
            ),
            vec![Problem::LastRunHeld(Some("removals above 20%".into()))]
        );
        let held = run(RunStatus::Held, -5, None);
        let words: Vec<String> = problems(
            &integration(IntegrationStatus::NeedsReauthorization, None),
            Some(&held),
            None,
        )
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(words.len(), 2);
        assert!(words[0].contains("connect it with Lark again"), "{words:?}");
        assert_eq!(words[1], "The last sync is on hold.");
        let mut warned = run(RunStatus::Succeeded, -5, None);
        warned.warnings = vec!["The Lark login has expired.".into()];
        let words: Vec<String> = problems(
            &integration(IntegrationStatus::NeedsReauthorization, None),
            Some(&warned),
            None,
        )
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            words[1],
            "The last sync finished with a warning: The Lark login has expired."
        );
        let running = run(RunStatus::Running, -1, None);
        let active = integration(IntegrationStatus::Active, None);
        assert!(problems(&active, Some(&running), None).is_empty());
        let dead = problems(&active, Some(&running), Some(at(2)));
        assert_eq!(dead, vec![Problem::LastRunAbandoned(at(2))]);
        assert!(
            dead[0].to_string().starts_with(
                "The last sync stopped without finishing: its process ended (killed or crashed) \
                 and no longer holds its lease (lapsed by 2026-11-25 12:02:00 UTC)."
            ),
            "{}",
            dead[0]
        );
    }

    #[test]
    fn a_scheduled_sync_not_started_ten_minutes_after_it_was_due_is_overdue() {
        let due = Some(at(60));
        assert_eq!(overdue(due, false, at(70)), None, "ten minutes: not yet");
        assert_eq!(overdue(due, false, at(71)), Some(at(60)));
        assert_eq!(overdue(due, true, at(90)), None, "it is running");
        assert_eq!(overdue(None, false, at(900)), None, "on demand only");
        let words = Problem::Overdue(at(60)).to_string();
        assert!(
            words.starts_with(
                "The scheduled sync is overdue: it was due at 2026-11-25 13:00:00 UTC"
            ),
            "{words}"
        );
    }

    #[tokio::test]
    async fn the_report_reads_runs_and_counts_from_the_read_model() {
        let mut read = MockReadModel::new();
        read.expect_runs()
            .withf(|_, limit| *limit == RUNS_FOR_SCHEDULE)
            .returning(|_, _| Ok(vec![run(RunStatus::Cancelled, -20, None)]));
        read.expect_last_succeeded_run()
            .returning(|_| Ok(Some(run(RunStatus::Succeeded, -80, None))));
        read.expect_account_status_counts().returning(|_| {
            Ok(vec![
                (AccountStatus::Active, 38),
                (AccountStatus::Suspended, 1),
            ])
        });
        let report = IntegrationHealth::new(Arc::new(read), Arc::new(NoLeaseHolders), clock_at(0))
            .report(&integration(IntegrationStatus::Active, Some(30)))
            .await
            .unwrap();
        // Every 30 minutes from the newest start, 20 minutes ago: 10 minutes from now.
        assert_eq!(report.next_sync_at, Some(at(10)));
        assert!(!report.sync_due);
        assert_eq!(report.latest_run.unwrap().status, RunStatus::Cancelled);
        assert_eq!(report.last_succeeded_run.unwrap().started_at, at(-80));
        // It finished a minute after it started, 79 minutes ago.
        assert_eq!(report.since_good_sync, Some(chrono::Duration::minutes(79)));
        assert_eq!(report.account_counts.len(), 2);
        assert_eq!(report.problems, vec![Problem::LastRunCancelled]);

        let mut broken = MockReadModel::new();
        broken.expect_runs().returning(|_, _| {
            Err(QueryError::Backend(crate::ports::StoreFault::failed(
                "gone",
            )))
        });
        let err = IntegrationHealth::new(Arc::new(broken), Arc::new(NoLeaseHolders), clock_at(0))
            .report(&integration(IntegrationStatus::Active, None))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            HealthError::Store(QueryError::Backend(crate::ports::StoreFault::failed(
                "gone"
            )))
        );
    }

    #[tokio::test]
    async fn a_scheduled_integration_never_synced_long_after_it_changed_is_overdue() {
        let mut read = MockReadModel::new();
        read.expect_runs().returning(|_, _| Ok(Vec::new()));
        read.expect_last_succeeded_run().returning(|_| Ok(None));
        read.expect_account_status_counts()
            .returning(|_| Ok(Vec::new()));
        let health = IntegrationHealth::new(Arc::new(read), Arc::new(NoLeaseHolders), clock_at(0));
        // Created (and last changed) at -600: due since then.
        let scheduled = health
            .report(&integration(IntegrationStatus::Active, Some(30)))
            .await
            .unwrap();
        assert_eq!(
            scheduled.problems,
            vec![Problem::NeverSynced, Problem::Overdue(at(-600))]
        );
        let on_demand = health
            .report(&integration(IntegrationStatus::Active, None))
            .await
            .unwrap();
        assert_eq!(on_demand.problems, vec![Problem::NeverSynced]);
    }

    #[tokio::test]
    async fn account_counts_are_read_once_per_finished_run() {
        let newest = Arc::new(std::sync::Mutex::new(run(RunStatus::Succeeded, -20, None)));
        let mut read = MockReadModel::new();
        let shown = Arc::clone(&newest);
        read.expect_runs()
            .returning(move |_, _| Ok(vec![shown.lock().unwrap().clone()]));
        read.expect_last_succeeded_run().returning(|_| Ok(None));
        read.expect_account_status_counts()
            .times(3)
            .returning(|_| Ok(vec![(AccountStatus::Active, 3)]));
        read.expect_lease().returning(|_| {
            Ok(Some(LeaseView {
                owner: "host:1".into(),
                expires_at: at(1),
            }))
        });
        let health = IntegrationHealth::new(Arc::new(read), Arc::new(NoLeaseHolders), clock_at(0));
        let summary = integration(IntegrationStatus::Active, None);
        // Read after the finished run, then kept.
        health.report(&summary).await.unwrap();
        assert_eq!(
            health.report(&summary).await.unwrap().account_counts,
            vec![(AccountStatus::Active, 3)]
        );
        // A run going: read every time.
        let mut going = run(RunStatus::Running, -1, None);
        going.id = RunId::from_uuid(uuid::Uuid::from_u128(10));
        *newest.lock().unwrap() = going.clone();
        health.report(&summary).await.unwrap();
        // It finished: read once more, then kept.
        going.finished_at = Some(at(0));
        going.status = RunStatus::Succeeded;
        *newest.lock().unwrap() = going;
        health.report(&summary).await.unwrap();
        health.report(&summary).await.unwrap();
    }

    #[tokio::test]
    async fn a_run_whose_process_died_is_a_problem_and_no_longer_hides_an_overdue_sync() {
        let mut read = MockReadModel::new();
        // Started 60 minutes ago, its lease lapsed 58 minutes ago: nobody has taken over.
        read.expect_runs()
            .returning(|_, _| Ok(vec![run(RunStatus::Running, -60, None)]));
        read.expect_lease().returning(|_| {
            Ok(Some(LeaseView {
                owner: "gone-host:1".into(),
                expires_at: at(-58),
            }))
        });
        read.expect_last_succeeded_run().returning(|_| Ok(None));
        read.expect_account_status_counts()
            .returning(|_| Ok(Vec::new()));
        let report = IntegrationHealth::new(Arc::new(read), Arc::new(NoLeaseHolders), clock_at(0))
            .report(&integration(IntegrationStatus::Active, Some(30)))
            .await
            .unwrap();
        assert_eq!(
            report.next_sync_at,
            Some(at(-58)),
            "due once the lease lapsed"
        );
        assert!(report.sync_due);
        assert_eq!(
            report.problems,
            vec![
                Problem::LastRunAbandoned(at(-58)),
                Problem::Overdue(at(-58))
            ]
        );
    }
}
