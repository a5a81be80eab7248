//! `Schedule`: which integrations' scheduled syncs are due now, most overdue first, so that a
//! scheduler capped at a few syncs at once starts the ones waiting longest and spreads the
//! rest over its next passes (after a restart, say, when many are overdue at once).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::{RUNS_FOR_SCHEDULE, RunHistory, is_scheduled, next_sync_at};
use crate::ports::{Clock, IntegrationRepository, IntegrationStoreError, QueryError, ReadModel};
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
    #[error("cannot read the runs of integration {0}")]
    Runs(IntegrationId, #[source] QueryError),
}

/// Reads the schedule.
#[derive(Clone)]
pub struct Schedule {
    integrations: Arc<dyn IntegrationRepository>,
    read: Arc<dyn ReadModel>,
    clock: Arc<dyn Clock>,
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
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            integrations,
            read,
            clock,
        }
    }

    /// The integrations whose next scheduled sync ([`next_sync_at`], with its backoff after
    /// failures) has come, most overdue first.
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
            let newest = self
                .read
                .runs(integration.id, RUNS_FOR_SCHEDULE)
                .await
                .map_err(|e| ScheduleError::Runs(integration.id, e))?;
            let next = next_sync_at(integration, &RunHistory::of(&newest), now);
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
    use crate::ports::{MockClock, MockIntegrationRepository, MockReadModel, StoreFault};
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
        Schedule::new(Arc::new(integrations), Arc::new(read), Arc::new(clock))
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
}
