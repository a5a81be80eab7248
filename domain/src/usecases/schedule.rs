//! `Schedule`: which integrations' scheduled syncs are due now, most overdue first, so that a
//! scheduler capped at a few syncs at once starts the ones waiting longest and spreads the
//! rest over its next passes (after a restart, say, when many are overdue at once).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{RUNS_FOR_SCHEDULE, RunHistory, RunStatus, SyncRun, is_scheduled, next_sync_at};
use crate::ports::{
    Clock, IntegrationRepository, IntegrationStoreError, LeaseHolders, QueryError, ReadModel,
};
use crate::values::IntegrationId;

/// An integration whose scheduled sync is due, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueSync {
    pub integration: IntegrationId,
    pub due_since: DateTime<Utc>,
}

/// Why the due syncs could not be worked out (the scheduler tries again at its next pass).
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("cannot list the integrations")]
    Integrations(#[source] IntegrationStoreError),
    #[error("cannot read the runs or the sync lease of integration {0}")]
    Runs(IntegrationId, #[source] QueryError),
}

/// Reads the schedule.
#[derive(Clone)]
pub struct Schedule {
    integrations: Arc<dyn IntegrationRepository>,
    read: Arc<dyn ReadModel>,
    holders: Arc<dyn LeaseHolders>,
    clock: Arc<dyn Clock>,
}

/// An integration's newest runs (at most [`RUNS_FOR_SCHEDULE`]), newest first, and the history
/// the schedule reads from them. The lease is read only when the newest run is `running`, to
/// tell whether its process still renews it.
///
/// # Errors
/// `Backend` when the runs or the lease cannot be read.
pub(crate) async fn run_history(
    read: &dyn ReadModel,
    holders: &dyn LeaseHolders,
    integration: IntegrationId,
    now: DateTime<Utc>,
) -> Result<(Vec<SyncRun>, RunHistory), QueryError> {
    let mut newest = read.runs(integration, RUNS_FOR_SCHEDULE).await?;
    let mut lapsed = None;
    let running = newest
        .first()
        .filter(|run| run.status == RunStatus::Running);
    if let Some(running) = running.map(|run| run.id) {
        lapsed = match read.lease(integration).await? {
            Some(lease) => lease.lapsed_at(holders.is_gone(&lease.owner), now),
            // Every recorded run began under a lease: without one, nothing guards it.
            None => Some(now),
        };
        if lapsed.is_some() {
            // A run finishes, then releases its lease: read between the two, it would look
            // abandoned. Read again: only a run still `running` after its lease lapsed is.
            newest = read.runs(integration, RUNS_FOR_SCHEDULE).await?;
            let still = newest
                .first()
                .is_some_and(|run| run.id == running && run.status == RunStatus::Running);
            lapsed = lapsed.filter(|_| still);
        }
    }
    let history = RunHistory::of(&newest, lapsed);
    Ok((newest, history))
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule").finish_non_exhaustive()
    }
}

impl Schedule {
    pub fn new(
        integrations: Arc<dyn IntegrationRepository>,
        read: Arc<dyn ReadModel>,
        holders: Arc<dyn LeaseHolders>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            integrations,
            read,
            holders,
            clock,
        }
    }

    /// The integrations whose next scheduled sync ([`next_sync_at`], with its backoff after
    /// failures, and at once for a run whose process died) has come, most overdue first.
    ///
    /// # Errors
    /// [`ScheduleError`] when the integrations or a scheduled integration's runs cannot be read.
    pub async fn due(&self) -> Result<Vec<DueSync>, ScheduleError> {
        let now = self.clock.now();
        let all = self
            .integrations
            .list()
            .await
            .map_err(ScheduleError::Integrations)?;
        let mut due = Vec::new();
        for integration in all.iter().filter(|i| is_scheduled(i)) {
            let (_, history) = run_history(
                self.read.as_ref(),
                self.holders.as_ref(),
                integration.id,
                now,
            )
            .await
            .map_err(|e| ScheduleError::Runs(integration.id, e))?;
            let next = next_sync_at(integration, &history, now);
            if let Some(next) = next.filter(|next| *next <= now) {
                due.push(DueSync {
                    integration: integration.id,
                    due_since: next,
                });
            }
        }
        due.sort_by_key(|d| d.due_since);
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone as _;
    use uuid::Uuid;

    use super::*;
    use crate::model::{IntegrationStatus, RunStatus};
    use crate::ports::{
        MockClock, MockIntegrationRepository, MockLeaseHolders, MockReadModel, NoLeaseHolders,
        StoreFault,
    };
    use crate::testing;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(minute)
    }

    fn id(n: u128) -> IntegrationId {
        IntegrationId::from_uuid(Uuid::from_u128(n))
    }

    fn schedule(read: MockReadModel) -> Schedule {
        let mut integrations = MockIntegrationRepository::new();
        integrations.expect_list().returning(|| {
            Ok(vec![
                testing::integration().id(id(1)).every(30).build().summary,
                testing::integration().id(id(2)).every(30).build().summary,
                testing::integration().id(id(3)).build().summary,
                testing::integration()
                    .id(id(4))
                    .every(30)
                    .status(IntegrationStatus::Disabled)
                    .build()
                    .summary,
                testing::integration().id(id(5)).every(60).build().summary,
            ])
        });
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| at(0));
        Schedule::new(
            Arc::new(integrations),
            Arc::new(read),
            Arc::new(NoLeaseHolders),
            Arc::new(clock),
        )
    }

    fn started(
        integration: IntegrationId,
        minute: i64,
        status: RunStatus,
    ) -> crate::model::SyncRun {
        testing::run(integration)
            .started_at(at(minute))
            .ended(status, at(minute + 1), None)
            .build()
    }

    #[tokio::test]
    async fn due_integrations_come_most_overdue_first_and_the_rest_are_left_out() {
        let mut read = MockReadModel::new();
        read.expect_runs()
            .withf(|_, limit| *limit == RUNS_FOR_SCHEDULE)
            .returning(|integration, _| {
                Ok(match integration.as_uuid().as_u128() {
                    // Due 10 minutes ago.
                    1 => vec![started(integration, -40, RunStatus::Succeeded)],
                    // Due 50 minutes ago: comes first.
                    2 => vec![started(integration, -80, RunStatus::Succeeded)],
                    // Not due for 30 more minutes.
                    5 => vec![started(integration, -30, RunStatus::Succeeded)],
                    _ => panic!("runs read for an unscheduled or disabled integration"),
                })
            });
        let due = schedule(read).due().await.unwrap();
        assert_eq!(
            due,
            vec![
                DueSync {
                    integration: id(2),
                    due_since: at(-50)
                },
                DueSync {
                    integration: id(1),
                    due_since: at(-10)
                },
            ]
        );
    }

    #[tokio::test]
    async fn an_integration_whose_runs_keep_failing_is_due_later() {
        let mut read = MockReadModel::new();
        read.expect_runs().returning(|integration, _| {
            Ok(match integration.as_uuid().as_u128() {
                // Two failures in a row: due 60 (+ jitter) minutes after -40, not yet.
                1 => vec![
                    started(integration, -40, RunStatus::Failed),
                    started(integration, -80, RunStatus::Failed),
                ],
                _ => Vec::new(),
            })
        });
        let due: Vec<_> = schedule(read)
            .due()
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.integration)
            .collect();
        // Never synced: due now.
        assert_eq!(due, vec![id(2), id(5)]);
    }

    #[tokio::test]
    async fn a_failed_read_is_an_error_naming_the_integration() {
        let mut read = MockReadModel::new();
        read.expect_runs()
            .returning(|_, _| Err(QueryError::Backend(StoreFault::failed("gone"))));
        let err = schedule(read).due().await.unwrap_err();
        assert!(
            matches!(err, ScheduleError::Runs(i, _) if i == id(1)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_running_sync_is_due_again_once_its_process_is_dead_or_its_lease_lapsed() {
        let running = |integration| testing::run(integration).started_at(at(-5)).build();
        let mut read = MockReadModel::new();
        read.expect_runs().returning(move |integration, _| {
            Ok(match integration.as_uuid().as_u128() {
                1 | 2 | 5 => vec![running(integration)],
                _ => Vec::new(),
            })
        });
        read.expect_lease().returning(|integration| {
            let (owner, expires_at) = match integration.as_uuid().as_u128() {
                // Expired a minute ago: nobody renewed it.
                1 => ("far-host:7", at(-1)),
                // Live, but held by a process of this host that is gone.
                2 => ("this-host:9", at(1)),
                // Live, and its holder may well be alive.
                _ => ("far-host:8", at(1)),
            };
            Ok(Some(crate::model::LeaseView {
                owner: owner.to_owned(),
                expires_at,
            }))
        });
        let mut holders = MockLeaseHolders::new();
        holders
            .expect_is_gone()
            .returning(|owner| owner == "this-host:9");
        let mut integrations = MockIntegrationRepository::new();
        integrations.expect_list().returning(|| {
            Ok([1, 2, 5]
                .into_iter()
                .map(|n| testing::integration().id(id(n)).every(30).build().summary)
                .collect())
        });
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| at(0));
        let schedule = Schedule::new(
            Arc::new(integrations),
            Arc::new(read),
            Arc::new(holders),
            Arc::new(clock),
        );
        assert_eq!(
            schedule.due().await.unwrap(),
            vec![
                DueSync {
                    integration: id(1),
                    due_since: at(-1)
                },
                DueSync {
                    integration: id(2),
                    due_since: at(0)
                },
            ]
        );
    }

    #[tokio::test]
    async fn a_run_that_finished_between_reading_it_and_its_released_lease_is_not_abandoned() {
        let integration = id(1);
        let running = testing::run(integration).started_at(at(-40)).build();
        let mut finished = running.clone();
        finished.status = RunStatus::Succeeded;
        finished.finished_at = Some(at(0));
        let mut read = MockReadModel::new();
        let mut reads = 0;
        read.expect_runs().returning(move |_, _| {
            reads += 1;
            // Read first while it runs; it finishes and releases its lease before the lease
            // is read.
            Ok(vec![if reads == 1 {
                running.clone()
            } else {
                finished.clone()
            }])
        });
        read.expect_lease().returning(|_| {
            Ok(Some(crate::model::LeaseView {
                owner: "far-host:7".to_owned(),
                expires_at: DateTime::UNIX_EPOCH,
            }))
        });
        let (newest, history) = run_history(&read, &NoLeaseHolders, integration, at(0))
            .await
            .unwrap();
        assert_eq!(newest[0].status, RunStatus::Succeeded);
        assert_eq!(history.abandoned_at, None);
        assert_eq!(history.failures_in_a_row, 0);
    }
}
