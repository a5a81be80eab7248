//! Background sync runs for the server: started on request (API, web UI, after a Lark login)
//! or by each integration's schedule, answered with the run as soon as it is recorded, and
//! tracked so that shutting down ends them `cancelled` (lease released, nothing removed)
//! instead of abandoning them mid-write.

use std::sync::Arc;
use std::time::Duration;

use aviary_domain::model::{Integration, IntegrationStatus, RunTrigger, SyncRun};
use aviary_domain::ports::{
    Clock, IntegrationRepository, RateLimits, SyncPhase, SyncProgress, SyncStoreError,
};
use aviary_domain::usecases::Queries;
use aviary_domain::usecases::sync::{Confirmation, SyncError, SyncIntegration, SyncRequest};
use aviary_domain::values::IntegrationId;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How often the scheduler looks for integrations whose next sync is due.
const SCHEDULER_TICK: Duration = Duration::from_secs(30);

/// Starts syncs in the background and remembers them until they end.
#[derive(Clone)]
pub struct SyncRunner {
    sync: SyncIntegration,
    rate_limits: Option<RateLimits>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for SyncRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRunner")
            .field("tasks", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

/// Hands the recorded run to whoever started the sync; ignores the rest of the progress.
struct StartedSignal(std::sync::Mutex<Option<oneshot::Sender<SyncRun>>>);

impl SyncProgress for StartedSignal {
    fn started(&self, run: &SyncRun) {
        let sender = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            // The caller may have stopped waiting (its request was dropped): the run goes on.
            let _ = sender.send(run.clone());
        }
    }
    fn phase(&self, _phase: SyncPhase) {}
    fn departments(&self, _listed: u64) {}
    fn users(&self, _seen: u64, _departments_done: u64, _departments_total: u64) {}
}

/// When an integration on a schedule syncs next: its interval after the newest run started,
/// or now when it never ran. `None` when it syncs on demand only, is disabled, or still waits
/// for an admin's Lark login (its first sync starts when the login completes).
pub fn next_sync_at(
    integration: &Integration,
    latest_start: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let minutes = integration.sync_interval_minutes?;
    if matches!(
        integration.status,
        IntegrationStatus::Disabled | IntegrationStatus::PendingAuthorization
    ) {
        return None;
    }
    Some(match latest_start {
        Some(started) => started + chrono::Duration::minutes(i64::from(minutes)),
        None => now,
    })
}

impl SyncRunner {
    pub fn new(sync: SyncIntegration, rate_limits: Option<RateLimits>) -> Self {
        Self {
            sync,
            rate_limits,
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
        }
    }

    /// Starts a sync of the integration in the background and returns its run once recorded
    /// (status `running`); the run goes on after the caller has its answer.
    ///
    /// # Errors
    /// As [`SyncIntegration::execute`] when no run could be started: unknown or disabled
    /// integration, another run holds the lease, the store failed.
    pub async fn start(
        &self,
        integration: IntegrationId,
        trigger: RunTrigger,
    ) -> Result<SyncRun, SyncError> {
        self.start_confirming(integration, trigger, None).await
    }

    /// Like [`SyncRunner::start`], confirming a held run when `confirm` names one: the run
    /// applies what that run held, at most.
    ///
    /// # Errors
    /// As [`SyncRunner::start`], and `NotHeld` / `Superseded` for a run that cannot be
    /// confirmed.
    pub async fn start_confirming(
        &self,
        integration: IntegrationId,
        trigger: RunTrigger,
        confirm: Option<Confirmation>,
    ) -> Result<SyncRun, SyncError> {
        let (sender, started) = oneshot::channel();
        let request = SyncRequest {
            integration,
            trigger,
            dry_run: false,
            confirm,
            rate_limits: self.rate_limits,
        };
        let sync = self.sync.clone();
        let shutdown = self.shutdown.clone();
        let finished = self.tasks.spawn(async move {
            let signal = StartedSignal(std::sync::Mutex::new(Some(sender)));
            let result = sync
                .execute_until(&request, &signal, shutdown.cancelled_owned())
                .await;
            match &result {
                Ok(report) => tracing::info!(
                    %integration,
                    run = %report.run.id,
                    trigger = trigger.as_str(),
                    status = report.run.status.as_str(),
                    "background sync finished"
                ),
                Err(err) => tracing::warn!(
                    %integration,
                    trigger = trigger.as_str(),
                    error = %err,
                    "background sync could not run"
                ),
            }
            result
        });
        match started.await {
            Ok(run) => Ok(run),
            // The sender was dropped without a run: the sync ended before recording one.
            Err(_) => match finished.await {
                Ok(Err(err)) => Err(err),
                Ok(Ok(report)) => Ok(report.run),
                Err(join) => Err(SyncError::Store(SyncStoreError::Backend(format!(
                    "the sync task ended abnormally: {join}"
                )))),
            },
        }
    }

    /// Starts, every [`SCHEDULER_TICK`], a sync of each integration whose
    /// [`next_sync_at`] has come, until [`SyncRunner::shutdown`].
    pub fn spawn_scheduler(
        &self,
        integrations: Arc<dyn IntegrationRepository>,
        queries: Queries,
        clock: Arc<dyn Clock>,
    ) {
        let runner = self.clone();
        self.tasks.spawn(async move {
            let mut ticks = tokio::time::interval(SCHEDULER_TICK);
            loop {
                tokio::select! {
                    () = runner.shutdown.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                runner
                    .start_due(integrations.as_ref(), &queries, clock.now())
                    .await;
            }
        });
    }

    /// One scheduler pass; failures are logged and retried at the next tick.
    async fn start_due(
        &self,
        integrations: &dyn IntegrationRepository,
        queries: &Queries,
        now: DateTime<Utc>,
    ) {
        let all = match integrations.list().await {
            Ok(all) => all,
            Err(err) => {
                tracing::warn!(error = %err, "scheduler cannot list the integrations");
                return;
            }
        };
        for integration in all.iter().filter(|i| i.sync_interval_minutes.is_some()) {
            let latest = match queries.runs(integration.id, 1).await {
                Ok(runs) => runs.first().map(|run| run.started_at),
                Err(err) => {
                    tracing::warn!(integration = %integration.id, error = %err, "scheduler cannot read the runs");
                    continue;
                }
            };
            let due = next_sync_at(integration, latest, now).is_some_and(|next| next <= now);
            // A run started while shutting down would only be recorded as cancelled.
            if !due || self.shutdown.is_cancelled() {
                continue;
            }
            match self.start(integration.id, RunTrigger::Schedule).await {
                Ok(run) => {
                    tracing::info!(integration = %integration.id, run = %run.id, "scheduled sync started");
                }
                // Running elsewhere (CLI, another server): its run counts as this one.
                Err(SyncError::AlreadyRunning { .. }) => {}
                Err(err) => {
                    tracing::warn!(integration = %integration.id, error = %err, "scheduled sync not started");
                }
            }
        }
    }

    /// Cancels the running syncs (each ends `cancelled`, its lease released) and the
    /// scheduler, and waits for them to finish.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aviary_domain::model::Region;
    use aviary_domain::values::{AppId, IntegrationLabel};
    use chrono::TimeZone;
    use secrecy::SecretString;

    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, minute, 0).unwrap()
    }

    fn integration(status: IntegrationStatus, interval: Option<u32>) -> Integration {
        Integration {
            id: IntegrationId::from_uuid(uuid::Uuid::nil()),
            label: IntegrationLabel::parse("acme").unwrap(),
            region: Region::Lark,
            base_url: None,
            app_id: AppId::parse("cli_0123456789abcdef").unwrap(),
            app_secret: SecretString::from("unused"),
            status,
            tenant: None,
            authorized_by: None,
            sync_interval_minutes: interval,
            created_at: at(8, 0),
            updated_at: at(8, 0),
        }
    }

    #[test]
    fn the_next_sync_is_the_interval_after_the_newest_run_started() {
        let active = integration(IntegrationStatus::Active, Some(30));
        assert_eq!(
            next_sync_at(&active, Some(at(9, 10)), at(9, 20)),
            Some(at(9, 40))
        );
        // Overdue stays overdue: the scheduler starts it at its next tick.
        assert_eq!(
            next_sync_at(&active, Some(at(7, 0)), at(9, 20)),
            Some(at(7, 30))
        );
        assert_eq!(next_sync_at(&active, None, at(9, 20)), Some(at(9, 20)));
        let failing = integration(IntegrationStatus::Failing, Some(30));
        assert_eq!(
            next_sync_at(&failing, Some(at(9, 10)), at(9, 20)),
            Some(at(9, 40))
        );
    }

    #[test]
    fn on_demand_disabled_and_unconnected_integrations_have_no_next_sync() {
        let now = at(9, 20);
        for (status, interval) in [
            (IntegrationStatus::Active, None),
            (IntegrationStatus::Disabled, Some(30)),
            (IntegrationStatus::PendingAuthorization, Some(30)),
        ] {
            assert_eq!(
                next_sync_at(&integration(status, interval), None, now),
                None,
                "{status:?}"
            );
        }
    }
}
