//! `SyncIntegration`: one run of the sync algorithm (docs/architecture.md) — claim the lease,
//! list the range's departments and members, write only what changed with field-level change
//! records (never overwriting a field Lark withheld), and mark what vanished — removed or out of
//! the contact range, as Lark answers when asked directly — only after a complete listing and
//! under a threshold; above it the run holds until an admin confirms it.

mod accounts;
mod departments;
mod grant_check;
mod holding;
mod inventory;
mod keeper;
mod listing;
mod objects;
mod recheck;
mod settings;
mod tracker;
mod withheld;
mod writer;

#[cfg(test)]
mod tests;

use std::pin::pin;
use std::sync::Arc;

use futures::channel::oneshot;
use futures::future::{Either, select, try_join};
use futures::{FutureExt as _, StreamExt, TryFutureExt as _};

pub use settings::SyncSettings;

use self::accounts::AccountIngest;
use self::departments::DepartmentIngest;
use self::grant_check::GrantCheck;
use self::listing::{Listing, departments_in_scope, member_pages};
use self::tracker::Tracker;
use self::writer::{Committer, Writer};

use self::holding::{Departing, Held, Stored};
use crate::model::{
    ChangeRecord, FieldGroup, HeldSubject, Integration, IntegrationStatus, Presence,
    RUNS_FOR_SCHEDULE, RunHistory, RunStatus, RunTrigger, SyncRun, next_sync_at,
};
use crate::ports::{
    Clock, ContactScope, DirectoryConnection, DirectoryError, DirectoryGateway, DirectorySession,
    IdSource, IntegrationRepository, IntegrationStoreError, Lease, LeaseHolders, NoLeaseHolders,
    RateLimits, RemoteUser, StoredHold, SyncPhase, SyncProgress, SyncStore, SyncStoreError, Timer,
};
use crate::usecases::connect::UserTokens;
use crate::values::{DepartmentId, IntegrationId, OpenId, RunId};

/// What to sync and how.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub integration: IntegrationId,
    pub trigger: RunTrigger,
    /// Compute and report everything, write nothing.
    pub dry_run: bool,
    /// Confirm a held run: apply what it held, and at most that.
    pub confirm: Option<Confirmation>,
    pub rate_limits: Option<RateLimits>,
}

/// An admin's confirmation of a held run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// The held run (the integration's newest).
    pub run: RunId,
    /// Who confirmed it, as the run records it ("Ada <ada@acme.example>", "API key nightly",
    /// "the command line").
    pub by: String,
}

/// The result of a run that got as far as starting (its status says how it ended; a held
/// run's `hold` says what it held).
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub run: SyncRun,
    pub dry_run: bool,
    /// Dry runs: the first changes that would have been recorded.
    pub preview: Vec<ChangeRecord>,
}

/// Why no run could be started or finished.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("integration {0} does not exist")]
    NotFound(IntegrationId),
    #[error("integration \"{0}\" is disabled; enable it before syncing")]
    Disabled(String),
    #[error(
        "a sync of this integration is already running ({owner}, lease until {until}); wait for it to finish"
    )]
    AlreadyRunning {
        owner: String,
        until: chrono::DateTime<chrono::Utc>,
    },
    /// The run to confirm does not exist for this integration, or was not held.
    #[error("run {0} of this integration was not held, so there is nothing to confirm")]
    NotHeld(RunId),
    /// A newer run exists: only the newest held run can be confirmed.
    #[error("run {0} is no longer the integration's newest run; confirm the newest held run")]
    Superseded(RunId),
    /// A scheduled run found, under the lease, that no sync is due (another process has just
    /// run it); the time is when the next one is, if the integration is on a schedule.
    #[error("no scheduled sync of this integration is due{}", match .0 {
        Some(next) => format!(" before {next}"),
        None => String::new(),
    })]
    NotDue(Option<chrono::DateTime<chrono::Utc>>),
    #[error(transparent)]
    Integrations(#[from] IntegrationStoreError),
    #[error(transparent)]
    Store(SyncStoreError),
}

/// Why a started run failed.
#[derive(Debug, thiserror::Error)]
enum RunFailure {
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Store(#[from] SyncStoreError),
    /// What it committed before is kept and counted (removals included, if it got that far).
    #[error("cancelled before it finished")]
    Cancelled,
    /// The admin's Lark sign-in belongs to another user or tenant (see `grant_check`).
    #[error("{0}")]
    Grant(String),
    /// The listing could not be complete (e.g. groups in the range the app may not read).
    #[error("{0}")]
    Incomplete(String),
}

/// Runs syncs.
#[derive(Clone)]
pub struct SyncIntegration {
    integrations: Arc<dyn IntegrationRepository>,
    store: Arc<dyn SyncStore>,
    directory: Arc<dyn DirectoryGateway>,
    /// The process's one `UserTokens`: each run checks the admin's Lark sign-in with it.
    user_tokens: Arc<UserTokens>,
    clock: Arc<dyn Clock>,
    /// Paces the lease keeper.
    timer: Arc<dyn Timer>,
    ids: Arc<dyn IdSource>,
    settings: SyncSettings,
    /// Which lease holders are provably gone (their leases are taken over at once).
    holders: Arc<dyn LeaseHolders>,
}

impl std::fmt::Debug for SyncIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncIntegration")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What a run body produced besides its counts.
struct Outcome {
    held: Option<Held>,
    warnings: Vec<String>,
}

/// Whether departures are too many to apply without confirmation; a single one never is, so
/// a tiny tenant is not held for one departure.
fn exceeds(departures: usize, stored: usize, threshold_percent: f64) -> bool {
    departures > 1 && stored > 0 && departures as f64 * 100.0 > threshold_percent * stored as f64
}

/// What stops a run's work early: `cancel` completing (the run ends `cancelled`), else the
/// lease being lost (the run fails with that). Cancellation is polled first.
async fn interruption(
    cancel: impl Future<Output = ()> + Send,
    lost: impl Future<Output = SyncStoreError> + Send,
) -> RunFailure {
    match select(pin!(cancel), pin!(lost)).await {
        Either::Left(((), _)) => RunFailure::Cancelled,
        Either::Right((error, _)) => RunFailure::Store(error),
    }
}

/// Users fetched per round of `/users/batch` calls before their results are written.
const RECHECK_CHUNK: usize = 500;

/// Everything one run works with, so its steps take few arguments.
struct RunContext<'a> {
    integration: &'a Integration,
    request: &'a SyncRequest,
    confirmed: Option<&'a StoredHold>,
    progress: &'a dyn SyncProgress,
}

/// What a run's work changes as it goes: the run's record, the two ends of the write pipeline
/// and the Lark session once opened.
struct Work<'w, 'a> {
    run: &'w mut SyncRun,
    writer: &'w mut Writer,
    committer: &'w mut Committer<'a>,
    session: &'w mut Option<Arc<dyn DirectorySession>>,
}

/// The run's counts as committed: the committer counts what it wrote, and unchanged records,
/// never written, are counted by the listing. The Lark calls come from the session.
fn settle_counts(
    run: &mut SyncRun,
    committer: &Committer<'_>,
    session: Option<&dyn DirectorySession>,
) {
    let unchanged = run.counts;
    run.counts = committer.committed;
    run.counts.users.unchanged = unchanged.users.unchanged;
    run.counts.departments.unchanged = unchanged.departments.unchanged;
    run.counts.groups.unchanged = unchanged.groups.unchanged;
    run.counts.apps.unchanged = unchanged.apps.unchanged;
    if let Some(session) = session {
        run.api = session.counters();
    }
}

impl SyncIntegration {
    #[allow(clippy::too_many_arguments)] // the use case's ports, each needed; wired once
    pub fn new(
        integrations: Arc<dyn IntegrationRepository>,
        store: Arc<dyn SyncStore>,
        directory: Arc<dyn DirectoryGateway>,
        user_tokens: Arc<UserTokens>,
        clock: Arc<dyn Clock>,
        timer: Arc<dyn Timer>,
        ids: Arc<dyn IdSource>,
        settings: SyncSettings,
    ) -> Self {
        Self {
            integrations,
            store,
            directory,
            user_tokens,
            clock,
            timer,
            ids,
            settings,
            holders: Arc::new(NoLeaseHolders),
        }
    }

    /// Takes over at once the lease of a holder that `holders` finds gone (by default every
    /// lease is waited out until it expires).
    #[must_use]
    pub fn with_lease_holders(mut self, holders: Arc<dyn LeaseHolders>) -> Self {
        self.holders = holders;
        self
    }

    /// Runs one sync of the integration.
    ///
    /// Returns a report for every run that started, whatever its status (`succeeded`, `failed`,
    /// `held`); a failed run has written no removals and left stored data consistent.
    ///
    /// # Errors
    /// [`SyncError`] when no run could be started (unknown or disabled integration, another run
    /// holds the lease, a confirmation of a run that cannot be confirmed) or its final state
    /// could not be stored.
    pub async fn execute(
        &self,
        request: &SyncRequest,
        progress: &dyn SyncProgress,
    ) -> Result<SyncReport, SyncError> {
        self.execute_until(request, progress, std::future::pending())
            .await
    }

    /// Runs one sync like [`SyncIntegration::execute`], ending it `cancelled` as soon as
    /// `cancel` completes (e.g. on Ctrl-C): the batch being written is rolled back, nothing is
    /// removed, the run is recorded and the lease released, so the next sync can start at once.
    ///
    /// # Errors
    /// As [`SyncIntegration::execute`].
    pub async fn execute_until(
        &self,
        request: &SyncRequest,
        progress: &dyn SyncProgress,
        cancel: impl Future<Output = ()> + Send,
    ) -> Result<SyncReport, SyncError> {
        let integration = self.syncable(request.integration).await?;
        let confirmed = self.confirmation(&integration, request).await?;
        let lease = self.lease(&integration, request).await?;
        if let Some(lease) = &lease {
            self.still_due(&integration, request, lease).await?;
        }
        let mut run = self.new_run(&integration, request);
        let (mut writer, mut committer) = writer::pipeline(
            self.store.as_ref(),
            self.clock.as_ref(),
            lease.clone(),
            self.settings.batch_size,
        );
        self.begin(lease.as_ref(), &run).await?;
        progress.started(&run);
        // The keeper renews the lease through every phase; its failure ends the work.
        let (lost, lost_signal) = oneshot::channel();
        let kept = self.keep_lease(lease.clone(), lost);
        let body = async {
            let grant = self.check_grant(&integration, request).await;
            run.warnings.extend(grant.warning());
            let context = RunContext {
                integration: &integration,
                request,
                confirmed: confirmed.as_ref(),
                progress,
            };
            let mut session: Option<Arc<dyn DirectorySession>> = None;
            let mut work = Work {
                run: &mut run,
                writer: &mut writer,
                committer: &mut committer,
                session: &mut session,
            };
            let interrupted = interruption(cancel, keeper::lost(lost_signal));
            let result = self.work(&context, &grant, &mut work, interrupted).await;
            (grant, result, session)
        };
        let (grant, result, session) = match select(pin!(body), pin!(kept)).await {
            Either::Left((done, _)) => done,
            // The lease was lost: the body hears of it and stops at once.
            Either::Right(((), body)) => body.await,
        };
        progress.phase(SyncPhase::Finishing);
        settle_counts(&mut run, &committer, session.as_deref());
        run.finished_at = Some(self.clock.now());
        let held = self.conclude(&mut run, result, &integration);
        let preview = std::mem::take(&mut committer.preview);
        if let Some(lease) = &lease {
            self.record(lease, &run, &held, &grant, &integration)
                .await?;
        }
        Ok(SyncReport {
            run,
            dry_run: request.dry_run,
            preview,
        })
    }

    /// The run's record as it starts, naming the held run it confirms.
    fn new_run(&self, integration: &Integration, request: &SyncRequest) -> SyncRun {
        let mut run = SyncRun::start(
            RunId::from_uuid(self.ids.new_uuid()),
            integration.id,
            request.trigger,
            self.clock.now(),
        );
        if let Some(confirm) = &request.confirm {
            run.confirms = Some(confirm.run);
            run.confirmed_by = Some(confirm.by.clone());
        }
        run
    }

    /// Records the run as started under the lease (a dry run has none and records nothing);
    /// when that fails, the lease is given back.
    async fn begin(&self, lease: Option<&Lease>, run: &SyncRun) -> Result<(), SyncError> {
        let Some(lease) = lease else {
            return Ok(());
        };
        if let Err(e) = self.store.begin_run(lease, run).await {
            let _ = self.store.release_lease(lease).await;
            return Err(SyncError::Store(e));
        }
        Ok(())
    }

    /// The admin's Lark sign-in behind the integration. Not cancellable: a refresh cut off after
    /// Lark spent the old refresh token and before the new pair is stored would lose the grant.
    /// A dry run writes nothing, and a refresh would store a new pair, so it checks nothing.
    async fn check_grant(&self, integration: &Integration, request: &SyncRequest) -> GrantCheck {
        if request.dry_run {
            GrantCheck::NotConnected
        } else {
            grant_check::check(&self.user_tokens, integration).await
        }
    }

    /// Renews `lease` (if any) until a renewal fails, which it sends to `lost`.
    async fn keep_lease(&self, lease: Option<Lease>, lost: oneshot::Sender<SyncStoreError>) {
        match lease {
            Some(lease) => {
                keeper::keep(
                    self.store.as_ref(),
                    self.clock.as_ref(),
                    self.timer.as_ref(),
                    lease,
                    self.settings.lease_ttl,
                    lost,
                )
                .await;
            }
            None => std::future::pending().await,
        }
    }

    /// Lists and writes until done, failed or interrupted (cancelled, or the lease lost): the
    /// listing feeds the writer while the committer writes its batches. The interruption is
    /// polled first, so it wins over work that is also ready.
    async fn work(
        &self,
        context: &RunContext<'_>,
        grant: &GrantCheck,
        work: &mut Work<'_, '_>,
        interrupted: impl Future<Output = RunFailure> + Send,
    ) -> Result<Outcome, RunFailure> {
        let Work {
            run,
            writer,
            committer,
            session,
        } = work;
        let listing = async {
            let result = match grant.failure() {
                Some(error) => Err(RunFailure::Grant(error)),
                None => self.run_body(context, run, writer, session).await,
            };
            writer.finish();
            result
        };
        let both = pin!(async { futures::join!(listing, committer.run()) });
        match select(pin!(interrupted), both).await {
            Either::Left((failure, _)) => Err(failure),
            // A failed write stops the listing too; its error, not the listing's, is the cause.
            Either::Right(((_, Err(error)), _)) => Err(RunFailure::Store(error)),
            Either::Right(((listed, Ok(())), _)) => listed,
        }
    }

    async fn syncable(&self, id: IntegrationId) -> Result<Integration, SyncError> {
        let integration = self
            .integrations
            .get(id)
            .await?
            .ok_or(SyncError::NotFound(id))?;
        if integration.status == IntegrationStatus::Disabled {
            return Err(SyncError::Disabled(integration.label.to_string()));
        }
        Ok(integration)
    }

    /// The held run a confirmation names: it must be the integration's newest run, and held.
    async fn confirmation(
        &self,
        integration: &Integration,
        request: &SyncRequest,
    ) -> Result<Option<StoredHold>, SyncError> {
        let Some(confirm) = &request.confirm else {
            return Ok(None);
        };
        let held = self
            .store
            .held_run(integration.id, confirm.run)
            .await
            .map_err(SyncError::Store)?
            .ok_or(SyncError::NotHeld(confirm.run))?;
        if !held.newest {
            return Err(SyncError::Superseded(confirm.run));
        }
        Ok(Some(held))
    }

    /// The run's lease; a dry run takes none.
    async fn lease(
        &self,
        integration: &Integration,
        request: &SyncRequest,
    ) -> Result<Option<Lease>, SyncError> {
        if request.dry_run {
            return Ok(None);
        }
        let (me, ttl) = (&self.settings.owner, self.settings.lease_ttl);
        let acquired = self
            .store
            .acquire_lease(integration.id, me, ttl, self.clock.now())
            .await;
        let acquired = match acquired {
            // A crashed process's lease need not be waited out: it is taken over (and logged
            // by the store) if its holder is provably gone.
            Err(SyncStoreError::LeaseHeld { owner, .. })
                if owner != *me && self.holders.is_gone(&owner) =>
            {
                self.store
                    .take_over_lease(integration.id, &owner, me, ttl, self.clock.now())
                    .await
            }
            other => other,
        };
        acquired.map(Some).map_err(|e| match e {
            SyncStoreError::LeaseHeld { owner, until } => {
                SyncError::AlreadyRunning { owner, until }
            }
            other => SyncError::Store(other),
        })
    }

    /// A scheduled run checks, under its lease, that its sync is still due: of two schedulers
    /// (processes) that both saw it due, the second finds the first's run and gives the lease
    /// back, so each interval gets one run.
    async fn still_due(
        &self,
        integration: &Integration,
        request: &SyncRequest,
        lease: &Lease,
    ) -> Result<(), SyncError> {
        if request.trigger != RunTrigger::Schedule {
            return Ok(());
        }
        let newest = self
            .store
            .newest_runs(integration.id, RUNS_FOR_SCHEDULE)
            .await;
        let now = self.clock.now();
        // This run holds the lease and has not begun: a run still `running` lost it, its
        // process died, and it is retried now rather than an interval after it started.
        let refused = match newest {
            Ok(newest) => match next_sync_at(integration, &RunHistory::of(&newest, Some(now)), now)
            {
                Some(next) if next <= now => return Ok(()),
                next => SyncError::NotDue(next),
            },
            Err(e) => SyncError::Store(e),
        };
        let _ = self.store.release_lease(lease).await;
        Err(refused)
    }

    /// Sets the run's status, error, warnings and hold from how its body ended; returns what a
    /// held run held.
    fn conclude(
        &self,
        run: &mut SyncRun,
        result: Result<Outcome, RunFailure>,
        integration: &Integration,
    ) -> Vec<HeldSubject> {
        match result {
            Ok(outcome) => {
                run.warnings.extend(outcome.warnings);
                match outcome.held {
                    Some((hold, subjects)) => {
                        run.status = RunStatus::Held;
                        run.error = Some(holding::message(&hold, integration.label.as_str()));
                        run.hold = Some(hold);
                        subjects
                    }
                    None => {
                        run.status = RunStatus::Succeeded;
                        Vec::new()
                    }
                }
            }
            Err(failure) => {
                run.status = if matches!(failure, RunFailure::Cancelled) {
                    RunStatus::Cancelled
                } else {
                    RunStatus::Failed
                };
                run.error = Some(failure.to_string());
                Vec::new()
            }
        }
    }

    /// Stores the run's end, gives the lease up and records the integration's health.
    async fn record(
        &self,
        lease: &Lease,
        run: &SyncRun,
        held: &[HeldSubject],
        grant: &GrantCheck,
        integration: &Integration,
    ) -> Result<(), SyncError> {
        let finished = self.store.finish_run(lease, run, held).await;
        let _ = self.store.release_lease(lease).await;
        if let Err(SyncStoreError::LeaseLost) = finished {
            // Deleted while it synced (its lease went with it), or taken over.
            if self.integrations.get(integration.id).await?.is_none() {
                return Err(SyncError::NotFound(integration.id));
            }
        }
        finished.map_err(SyncError::Store)?;
        let status = grant_check::integration_status(run.status, grant, integration.status);
        if let Some(status) = status {
            self.integrations
                .set_status(integration.id, status, None, self.clock.now())
                .await?;
        }
        Ok(())
    }

    /// Lists, diffs and writes; then rechecks what vanished and marks it, or holds.
    async fn run_body(
        &self,
        context: &RunContext<'_>,
        run: &mut SyncRun,
        writer: &mut Writer,
        session_slot: &mut Option<Arc<dyn DirectorySession>>,
    ) -> Result<Outcome, RunFailure> {
        let progress = context.progress;
        let integration = context.integration.id;
        let mut warnings = Vec::new();
        progress.phase(SyncPhase::Connecting);
        let connection = DirectoryConnection::of(context.integration, context.request.rate_limits);
        let session = self.directory.open(&connection).await?;
        *session_slot = Some(Arc::clone(&session));
        let scope = session.contact_scope().await?;
        let accepted: Vec<FieldGroup> = context
            .confirmed
            .and_then(|held| held.run.hold.as_ref())
            .map(|hold| hold.accepted_groups())
            .unwrap_or_default();
        // Groups first: the range may grant users and departments through them.
        let mut groups = self.list_groups(&session, &scope, &mut warnings).await?;
        let scope = match groups.as_mut() {
            Some(groups) => {
                self.widen_scope(&session, scope, groups, &mut warnings)
                    .await?
            }
            None => scope,
        };

        progress.phase(SyncPhase::Departments);
        // The stored accounts are read while the departments are walked: the member listing,
        // whose first request starts the rate-limit windows, waits for neither longer than it must.
        let ((mut departments, leaders, member_sources), stored_accounts) = try_join(
            self.list_departments(context, &session, &scope, &accepted, run, writer),
            self.store
                .account_hashes(integration)
                .map_err(RunFailure::from),
        )
        .await?;

        progress.phase(SyncPhase::Users);
        let mut accounts = AccountIngest::new(
            integration,
            run.id,
            leaders,
            Tracker::new(stored_accounts),
            &accepted,
        );
        // The installed apps are listed beside the members: another API with its own limits,
        // so the run does not wait for it after the last member page.
        let users = self.list_users(
            &session,
            &scope,
            member_sources,
            &mut accounts,
            run,
            writer,
            progress,
        );
        let ((), listed_apps) = try_join(users, session.apps().map(Ok::<_, RunFailure>)).await?;
        let mut groups = match groups {
            Some(listed) => Some(
                self.ingest_groups(integration, run.id, listed, writer)
                    .await?,
            ),
            None => None,
        };
        let apps = self
            .sync_apps(listed_apps, integration, run.id, writer, &mut warnings)
            .await?;

        // The listing is complete and error-free: what was not seen may have gone. Ask Lark
        // about each one directly before marking anything.
        progress.phase(SyncPhase::Rechecking);
        let mut departing = self
            .recheck(&session, &mut accounts, &mut departments, writer)
            .await?;
        if let Some(groups) = groups.as_mut() {
            departing.groups = self.recheck_groups(&session, groups, writer).await?;
        }
        if let Some(apps) = &apps {
            // An app no longer listed is no longer installed.
            departing.apps = apps
                .tracker
                .unseen_live()
                .into_iter()
                .map(|id| (id, Presence::Removed))
                .collect();
        }
        run.counts.users.unchanged = accounts.unchanged;
        run.counts.departments.unchanged = departments.unchanged;
        run.counts.groups.unchanged = groups.as_ref().map_or(0, |g| g.unchanged);
        run.counts.apps.unchanged = apps.as_ref().map_or(0, |a| a.unchanged);
        let threshold = self.settings.removal_threshold_percent;
        let stored = Stored {
            accounts: accounts.tracker.live_count(),
            departments: departments.tracker.live_count(),
            groups: groups.as_ref().map_or(0, |g| g.tracker.live_count()),
            apps: apps.as_ref().map_or(0, |a| a.tracker.live_count()),
        };
        let mut withheld_groups = accounts.withheld.above(threshold);
        withheld_groups.extend(departments.withheld.above(threshold));
        warnings.extend(accounts.withheld.notes(threshold, "accounts"));
        warnings.extend(departments.withheld.notes(threshold, "departments"));
        let held = holding::judge(
            &departing,
            stored,
            withheld_groups,
            threshold,
            context.confirmed,
        );
        if held.is_none() {
            let now = self.clock.now();
            accounts.depart(departing.accounts, writer, now);
            departments.depart(departing.departments, writer, now);
            if let Some(groups) = groups.as_mut() {
                groups.depart(departing.groups, writer, now);
            }
            if let Some(mut apps) = apps {
                apps.depart(departing.apps, writer, now);
            }
        }
        writer.flush().await?;
        Ok(Outcome { held, warnings })
    }

    /// Lists the range's departments and writes what changed; returns the ingest (for the
    /// recheck), the department leaders and the departments whose members to list.
    async fn list_departments(
        &self,
        context: &RunContext<'_>,
        session: &Arc<dyn DirectorySession>,
        scope: &ContactScope,
        accepted: &[FieldGroup],
        run: &mut SyncRun,
        writer: &mut Writer,
    ) -> Result<
        (
            DepartmentIngest,
            std::collections::HashSet<OpenId>,
            Vec<DepartmentId>,
        ),
        RunFailure,
    > {
        let listed = departments_in_scope(session, scope, self.settings.concurrency).await?;
        context.progress.departments(listed.len() as u64);
        let leaders = departments::leaders(&listed);
        let mut member_sources: Vec<DepartmentId> = vec![DepartmentId::root()];
        member_sources.extend(listed.iter().map(|d| d.state.open_department_id.clone()));
        let stored = self.store.department_hashes(context.integration.id).await?;
        let mut departments = DepartmentIngest::new(
            context.integration.id,
            run.id,
            Tracker::new(stored),
            accepted,
        );
        departments
            .ingest_all(listed, self.store.as_ref(), writer, self.clock.now())
            .await?;
        run.counts.departments.unchanged = departments.unchanged;
        Ok((departments, leaders, member_sources))
    }

    /// Lists the members of every department and the users granted directly, writing as it
    /// goes.
    #[allow(clippy::too_many_arguments)] // the run's moving parts, each used
    async fn list_users(
        &self,
        session: &Arc<dyn DirectorySession>,
        scope: &ContactScope,
        member_sources: Vec<DepartmentId>,
        accounts: &mut AccountIngest,
        run: &mut SyncRun,
        writer: &mut Writer,
        progress: &dyn SyncProgress,
    ) -> Result<(), RunFailure> {
        let total = member_sources.len() as u64;
        let mut done = 0u64;
        let mut pages = pin!(member_pages(
            session,
            member_sources,
            self.settings.concurrency
        ));
        while let Some(item) = pages.next().await {
            match item? {
                Listing::DepartmentDone => done += 1,
                Listing::Page(users) => {
                    self.absorb(users, accounts, writer).await?;
                    run.counts.users.unchanged = accounts.unchanged;
                }
            }
            progress.users(accounts.tracker.seen_count() as u64, done, total);
        }
        let granted: Vec<OpenId> = scope
            .user_ids
            .iter()
            .filter(|id| !accounts.tracker.was_seen(id))
            .cloned()
            .collect();
        self.fetch_and_ingest(session, &granted, accounts, writer)
            .await
    }

    /// Asks Lark about every account and department that vanished: accounts in a batch first
    /// (users still in range come back), then one by one (resigned users come back with their
    /// status; the rest are out of range or gone). What comes back is written; the rest is
    /// returned with why it departed.
    async fn recheck(
        &self,
        session: &Arc<dyn DirectorySession>,
        accounts: &mut AccountIngest,
        departments: &mut DepartmentIngest,
        writer: &mut Writer,
    ) -> Result<Departing, RunFailure> {
        let concurrency = self.settings.concurrency;
        let candidates = accounts.tracker.unseen_live();
        self.fetch_and_ingest(session, &candidates, accounts, writer)
            .await?;
        let mut departing = Departing::default();
        for chunk in accounts.tracker.unseen_live().chunks(RECHECK_CHUNK) {
            let rechecked = recheck::users(session, chunk, concurrency).await?;
            self.absorb(rechecked.found, accounts, writer).await?;
            departing.accounts.extend(rechecked.departed);
        }
        let now = self.clock.now();
        accounts
            .resolve_pending(self.store.as_ref(), writer, now)
            .await?;
        let rechecked =
            recheck::departments(session, &departments.tracker.unseen_live(), concurrency).await?;
        departments
            .ingest_all(rechecked.found, self.store.as_ref(), writer, now)
            .await?;
        departing.departments = rechecked.departed;
        Ok(departing)
    }

    /// Fetches users by id in chunks and ingests them as they come, so memory stays bounded
    /// and the lease stays alive however many there are.
    async fn fetch_and_ingest(
        &self,
        session: &Arc<dyn DirectorySession>,
        ids: &[OpenId],
        accounts: &mut AccountIngest,
        writer: &mut Writer,
    ) -> Result<(), RunFailure> {
        for chunk in ids.chunks(RECHECK_CHUNK) {
            let users = session.users(chunk).await?;
            self.absorb(users, accounts, writer).await?;
        }
        Ok(())
    }

    /// Ingests listed users, diffing pending ones and writing once a batch is full.
    async fn absorb(
        &self,
        users: Vec<RemoteUser>,
        accounts: &mut AccountIngest,
        writer: &mut Writer,
    ) -> Result<(), SyncStoreError> {
        let now = self.clock.now();
        for user in users {
            accounts.ingest(user, writer, now);
        }
        if accounts.pending_len() >= self.settings.batch_size {
            accounts
                .resolve_pending(self.store.as_ref(), writer, now)
                .await?;
        }
        writer.flush_if_full().await
    }
}

/// Why a record departed, as the held-run list shows it.
pub fn departure_words(why: Presence) -> &'static str {
    match why {
        Presence::Removed => "removed",
        Presence::OutOfRange => "left the contact range — check the app's contact range",
        Presence::Present => "present",
    }
}
