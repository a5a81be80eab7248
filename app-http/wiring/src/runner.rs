//! Background sync runs for the server and the worker: started on request (API, web UI, after a
//! Lark login) or by the scheduler when an integration's sync is due, answered with the run as
//! soon as it is recorded, and tracked so that shutting down ends them `cancelled` (lease
//! released, nothing removed) instead of abandoning them mid-write. The scheduler starts due
//! syncs side by side, most overdue first, at most `scheduler.max_concurrent_syncs` at once; the
//! rest wait for a free slot.

use std::sync::Arc;
use std::time::Duration;

use aviary_domain::model::{RunTrigger, SyncRun};
use aviary_domain::ports::{
    FaultKind, RateLimits, StoreFault, SyncPhase, SyncProgress, SyncStoreError,
};
use aviary_domain::usecases::sync::{
    Confirmation, SyncError, SyncIntegration, SyncReport, SyncRequest,
};
use aviary_domain::usecases::{DueSync, PruneHistory, RetentionDays, Schedule};
use aviary_domain::values::IntegrationId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use tracing::Instrument as _;

use crate::logging::{RunInSpan, chain, sync_span};
use crate::metrics::Metrics;
use crate::settings::Settings;

/// How often a scheduler prunes the run history (when `retention.runs_days` is set).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Starts syncs in the background and remembers them until they end.
#[derive(Clone)]
pub struct SyncRunner {
    sync: SyncIntegration,
    rate_limits: Option<RateLimits>,
    schedule: Schedule,
    /// Counts the runs that end here.
    metrics: Arc<Metrics>,
    /// Prunes the run history hourly when `retention.runs_days` is set.
    prune: PruneHistory,
    retention: Option<RetentionDays>,
    /// Whether this process runs the scheduler at all (`scheduler.enabled`).
    scheduling: bool,
    /// How often the scheduler looks for due syncs.
    tick: Duration,
    /// One permit per scheduled sync running in this process.
    slots: Arc<Semaphore>,
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
            .field("free_slots", &self.slots.available_permits())
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
    slot: Option<OwnedSemaphorePermit>,
    metrics: Arc<Metrics>,
) -> Result<SyncReport, SyncError> {
    let trigger = request.trigger;
    let signal = StartedSignal(std::sync::Mutex::new(Some(started)));
    let result = sync
        .execute_until(&request, &RunInSpan(&signal), shutdown.cancelled_owned())
        .await;
    if let Ok(report) = &result {
        let run = &report.run;
        let took = run.finished_at.unwrap_or(run.started_at) - run.started_at;
        metrics.run_finished(trigger, run.status, took.to_std().unwrap_or_default());
    }
    // The caller's `sync_span` names the integration, the trigger and the run.
    match &result {
        Ok(report) => tracing::info!(
            status = report.run.status.as_str(),
            "background sync finished"
        ),
        // Another process runs it, or has just run it: its run counts as this one.
        Err(SyncError::AlreadyRunning { .. } | SyncError::NotDue(_))
            if trigger == RunTrigger::Schedule =>
        {
            tracing::debug!("scheduled sync left to the process that ran it");
        }
        Err(err) => tracing::warn!(error = %chain(err), "background sync could not run"),
    }
    // The scheduler may start another sync once this one has ended.
    drop(slot);
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
        schedule: Schedule,
        settings: &Settings,
        metrics: Arc<Metrics>,
        prune: PruneHistory,
    ) -> Self {
        let scheduler = &settings.scheduler;
        Self {
            sync,
            rate_limits,
            schedule,
            metrics,
            prune,
            retention: settings.retention.runs(),
            scheduling: scheduler.enabled,
            tick: Duration::from_secs(scheduler.tick_secs),
            slots: Arc::new(Semaphore::new(scheduler.max_concurrent_syncs)),
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
        self.spawn(self.request(integration, trigger, confirm), None)
            .await
    }

    /// A run of `integration` that writes, paced by this process's rate limits.
    fn request(
        &self,
        integration: IntegrationId,
        trigger: RunTrigger,
        confirm: Option<Confirmation>,
    ) -> SyncRequest {
        SyncRequest {
            integration,
            trigger,
            dry_run: false,
            confirm,
            rate_limits: self.rate_limits,
        }
    }

    /// Runs `request` in the background, holding `slot` (if any) until it ends; returns the
    /// run once recorded.
    async fn spawn(
        &self,
        request: SyncRequest,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Result<SyncRun, SyncError> {
        let (sender, started) = oneshot::channel();
        let span = sync_span(&request);
        let task = background_sync(
            self.sync.clone(),
            request,
            sender,
            self.shutdown.clone(),
            slot,
            Arc::clone(&self.metrics),
        )
        .instrument(span);
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

    /// Starts, every `scheduler.tick_secs`, the syncs that are due, until
    /// [`SyncRunner::shutdown`] — unless `scheduler.enabled` is false.
    pub fn spawn_scheduler(&self) {
        if !self.scheduling {
            tracing::info!("scheduler.enabled is false: this process starts no scheduled sync");
            return;
        }
        let runner = self.clone();
        let scheduler = async move {
            let mut ticks = tokio::time::interval(runner.tick);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut pruned_at: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    () = runner.shutdown.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                runner.start_due().await;
                if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                    pruned_at = Some(tokio::time::Instant::now());
                    runner.prune_history().await;
                }
            }
        };
        self.tasks.spawn_on(scheduler, &self.runtime);
    }

    /// Deletes the runs older than `retention.runs_days`, if set; failures are logged and
    /// retried at the next pruning.
    async fn prune_history(&self) {
        let Some(keep) = self.retention else {
            return;
        };
        match self.prune.execute(keep, false).await {
            Ok(pruned) if pruned.runs > 0 => tracing::info!(
                runs = pruned.runs,
                changes = pruned.changes,
                days = keep.days(),
                "pruned the run history"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %chain(&err), "cannot prune the run history"),
        }
    }

    /// One scheduler pass: starts the due syncs, most overdue first, each as soon as a slot is
    /// free. Failures are logged and retried at the next pass.
    async fn start_due(&self) {
        let due = match self.schedule.due().await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %chain(&err), "the scheduler cannot read the schedule");
                return;
            }
        };
        for DueSync {
            integration,
            due_since,
        } in due
        {
            // Waits for a free slot; by then another process may have run the sync, which the
            // run's due check under its lease finds. A run started while shutting down would
            // only be recorded as cancelled.
            let slot = tokio::select! {
                () = self.shutdown.cancelled() => return,
                slot = Arc::clone(&self.slots).acquire_owned() => slot,
            };
            // The semaphore is never closed.
            let Ok(slot) = slot else { return };
            let request = self.request(integration, RunTrigger::Schedule, None);
            // A sync that could not start was logged by its task, which gave its slot back.
            if let Ok(run) = self.spawn(request, Some(slot)).await {
                tracing::info!(%integration, run = %run.id, %due_since, "scheduled sync started");
            }
        }
    }

    /// Runs the scheduler, and nothing else, until `stop` completes (`aviary worker`); then
    /// brings the running syncs to a safe point within `timeout` (what is unfinished by then is
    /// abandoned, with a warning, and its lease expires after `sync.lease_ttl_secs`).
    pub async fn schedule_until(&self, stop: impl Future<Output = ()> + Send, timeout: Duration) {
        self.spawn_scheduler();
        stop.await;
        tracing::info!(
            timeout_secs = timeout.as_secs(),
            "stopping: bringing running syncs to a safe point"
        );
        if tokio::time::timeout(timeout, self.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                timeout_secs = timeout.as_secs(),
                "did not stop within shutdown.timeout_secs; leaving what is unfinished (a sync's lease expires after sync.lease_ttl_secs)"
            );
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
