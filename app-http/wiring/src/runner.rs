//! Background sync runs for the server: started on request (API, web UI, after a Lark login)
//! or by each integration's schedule, answered with the run as soon as it is recorded, and
//! tracked so that shutting down ends them `cancelled` (lease released, nothing removed)
//! instead of abandoning them mid-write.

use std::sync::Arc;
use std::time::Duration;

use aviary_domain::model::{RunTrigger, SyncRun, next_sync_at};
use aviary_domain::ports::{
    Clock, FaultKind, RateLimits, StoreFault, SyncPhase, SyncProgress, SyncStoreError,
};
use aviary_domain::usecases::sync::{
    Confirmation, SyncError, SyncIntegration, SyncReport, SyncRequest,
};
use aviary_domain::usecases::{Integrations, Queries};
use aviary_domain::values::IntegrationId;
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
    integrations: Integrations,
    queries: Queries,
    clock: Arc<dyn Clock>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    /// The runtime the services were built on. Syncs run there, not on the runtime of the
    /// HTTP worker whose request started them: a worker's runtime ends with the server, and a
    /// sync dropped with it would never record its end nor release its lease.
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for SyncRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRunner")
            .field("tasks", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

/// One sync in the background, until it ends or `shutdown` cancels it (it then ends
/// `cancelled` at a safe point); its recorded run is sent to `started`.
async fn background_sync(
    sync: SyncIntegration,
    request: SyncRequest,
    started: oneshot::Sender<SyncRun>,
    shutdown: CancellationToken,
) -> Result<SyncReport, SyncError> {
    let (integration, trigger) = (request.integration, request.trigger);
    let signal = StartedSignal(std::sync::Mutex::new(Some(started)));
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

impl SyncRunner {
    pub fn new(
        sync: SyncIntegration,
        rate_limits: Option<RateLimits>,
        integrations: Integrations,
        queries: Queries,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            sync,
            rate_limits,
            integrations,
            queries,
            clock,
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            // `Services::build`, the one caller, is async: it runs inside the runtime.
            runtime: tokio::runtime::Handle::current(),
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
        let task = background_sync(self.sync.clone(), request, sender, self.shutdown.clone());
        let finished = self.tasks.spawn_on(task, &self.runtime);
        match started.await {
            Ok(run) => Ok(run),
            // The sender was dropped without a run: the sync ended before recording one.
            Err(_) => match finished.await {
                Ok(Err(err)) => Err(err),
                Ok(Ok(report)) => Ok(report.run),
                Err(join) => Err(SyncError::Store(SyncStoreError::Backend(StoreFault::new(
                    FaultKind::Failed,
                    "the sync task ended abnormally",
                    join,
                )))),
            },
        }
    }

    /// Starts, every [`SCHEDULER_TICK`], a sync of each integration whose
    /// [`next_sync_at`] has come, until [`SyncRunner::shutdown`].
    pub fn spawn_scheduler(&self) {
        let runner = self.clone();
        let scheduler = async move {
            let mut ticks = tokio::time::interval(SCHEDULER_TICK);
            loop {
                tokio::select! {
                    () = runner.shutdown.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                runner.start_due().await;
            }
        };
        self.tasks.spawn_on(scheduler, &self.runtime);
    }

    /// One scheduler pass; failures are logged and retried at the next tick.
    async fn start_due(&self) {
        let now = self.clock.now();
        let all = match self.integrations.list().await {
            Ok(all) => all,
            Err(err) => {
                tracing::warn!(error = %err, "scheduler cannot list the integrations");
                return;
            }
        };
        for integration in all.iter().filter(|i| i.sync_interval.is_some()) {
            let latest = match self.queries.runs(integration.id, 1).await {
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
