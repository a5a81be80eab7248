//! `SyncIntegration`: one run of the sync algorithm (DESIGN §5) — claim the lease, list the
//! scope's departments and members, write only what changed with field-level change records,
//! and remove what vanished only after a complete listing, re-checked, under a threshold.

mod accounts;
mod departments;
mod grant_check;
mod listing;
mod settings;
mod tracker;
mod writer;

#[cfg(test)]
mod tests;

use std::pin::pin;
use std::sync::Arc;

use futures::StreamExt;
use futures::future::Either;

pub use settings::SyncSettings;

use self::accounts::AccountIngest;
use self::departments::DepartmentIngest;
use self::grant_check::GrantCheck;
use self::listing::{Listing, departments_in_scope, member_pages};
use self::tracker::Tracker;
use self::writer::Writer;

use crate::model::{ChangeRecord, Integration, IntegrationStatus, RunStatus, RunTrigger, SyncRun};
use crate::ports::{
    Clock, DirectoryConnection, DirectoryError, DirectoryGateway, DirectorySession, IdSource,
    IntegrationRepository, IntegrationStoreError, RateLimits, RemoteUser, SyncPhase, SyncProgress,
    SyncStore, SyncStoreError,
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
    /// Apply removals even above the threshold (an admin confirmed the tenant shrank).
    pub confirm_removals: bool,
    pub rate_limits: Option<RateLimits>,
}

/// Removals a run refused to apply because they exceeded the threshold.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HeldRemovals {
    pub accounts: u64,
    pub accounts_stored: u64,
    pub departments: u64,
    pub departments_stored: u64,
    pub threshold_percent: f64,
}

/// The result of a run that got as far as starting (its status says how it ended).
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub run: SyncRun,
    pub dry_run: bool,
    pub held: Option<HeldRemovals>,
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
    #[error("cancelled before it finished; nothing was removed")]
    Cancelled,
    /// The admin's Lark sign-in belongs to another user or tenant (see `grant_check`).
    #[error("{0}")]
    Grant(String),
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
    ids: Arc<dyn IdSource>,
    settings: SyncSettings,
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
    held: Option<HeldRemovals>,
}

/// Whether removals are too many to apply without confirmation; a single removal never is, so
/// a tiny tenant is not held for one departure.
fn exceeds(removals: usize, stored: usize, threshold_percent: f64) -> bool {
    removals > 1 && stored > 0 && removals as f64 * 100.0 > threshold_percent * stored as f64
}

/// Users fetched per round of `/users/batch` calls before their results are written.
const RECHECK_CHUNK: usize = 500;

impl SyncIntegration {
    pub fn new(
        integrations: Arc<dyn IntegrationRepository>,
        store: Arc<dyn SyncStore>,
        directory: Arc<dyn DirectoryGateway>,
        user_tokens: Arc<UserTokens>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        settings: SyncSettings,
    ) -> Self {
        Self {
            integrations,
            store,
            directory,
            user_tokens,
            clock,
            ids,
            settings,
        }
    }

    /// Runs one sync of the integration.
    ///
    /// Returns a report for every run that started, whatever its status (`succeeded`, `failed`,
    /// `held`); a failed run has written no removals and left stored data consistent.
    ///
    /// # Errors
    /// [`SyncError`] when no run could be started (unknown or disabled integration, another run
    /// holds the lease) or its final state could not be stored.
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
        let integration = self
            .integrations
            .get(request.integration)
            .await?
            .ok_or(SyncError::NotFound(request.integration))?;
        if integration.status == IntegrationStatus::Disabled {
            return Err(SyncError::Disabled(integration.label.to_string()));
        }
        let lease = if request.dry_run {
            None
        } else {
            let lease = self
                .store
                .acquire_lease(
                    integration.id,
                    &self.settings.owner,
                    self.settings.lease_ttl,
                    self.clock.now(),
                )
                .await
                .map_err(|e| match e {
                    SyncStoreError::LeaseHeld { owner, until } => {
                        SyncError::AlreadyRunning { owner, until }
                    }
                    other => SyncError::Store(other),
                })?;
            Some(lease)
        };
        let mut run = SyncRun::start(
            RunId::from_uuid(self.ids.new_uuid()),
            integration.id,
            request.trigger,
            self.clock.now(),
        );
        let (mut writer, mut committer) = writer::pipeline(
            self.store.as_ref(),
            self.clock.as_ref(),
            lease,
            self.settings.lease_ttl,
            self.settings.batch_size,
        );
        if let Some(lease) = writer.lease()
            && let Err(e) = self.store.begin_run(lease, &run).await
        {
            let _ = self.store.release_lease(lease).await;
            return Err(SyncError::Store(e));
        }
        progress.started(&run);

        // Not cancellable: a refresh cut off after Lark spent the old refresh token and before
        // the new pair is stored would lose the grant. A dry run writes nothing, and a refresh
        // would store a new pair, so it checks nothing.
        let grant = if request.dry_run {
            GrantCheck::NotConnected
        } else {
            grant_check::check(&self.user_tokens, &integration).await
        };
        run.warnings.extend(grant.warning());

        let mut session: Option<Arc<dyn DirectorySession>> = None;
        let result = {
            let listing = async {
                let result = match grant.failure() {
                    Some(error) => Err(RunFailure::Grant(error)),
                    None => {
                        self.run_body(
                            &integration,
                            request,
                            &mut run,
                            &mut writer,
                            &mut session,
                            progress,
                        )
                        .await
                    }
                };
                writer.finish();
                result
            };
            let work = pin!(async { futures::join!(listing, committer.run()) });
            // Cancellation is polled first, so it wins over work that is also ready.
            match futures::future::select(pin!(cancel), work).await {
                Either::Left(((), _)) => Err(RunFailure::Cancelled),
                // A failed write stops the listing too; its error, not the listing's, is the cause.
                Either::Right(((_, Err(error)), _)) => Err(RunFailure::Store(error)),
                Either::Right(((listed, Ok(())), _)) => listed,
            }
        };
        progress.phase(SyncPhase::Finishing);
        let unchanged = (run.counts.users.unchanged, run.counts.departments.unchanged);
        run.counts = committer.committed;
        (run.counts.users.unchanged, run.counts.departments.unchanged) = unchanged;
        if let Some(session) = &session {
            run.api = session.counters();
        }
        run.finished_at = Some(self.clock.now());
        let held = match result {
            Ok(outcome) => {
                run.status = if outcome.held.is_some() {
                    RunStatus::Held
                } else {
                    RunStatus::Succeeded
                };
                run.error = outcome.held.as_ref().map(held_message);
                outcome.held
            }
            Err(failure) => {
                run.status = if matches!(failure, RunFailure::Cancelled) {
                    RunStatus::Cancelled
                } else {
                    RunStatus::Failed
                };
                run.error = Some(failure.to_string());
                None
            }
        };
        let preview = std::mem::take(&mut committer.preview);
        if let Some(lease) = writer.lease().cloned() {
            let finished = self.store.finish_run(&lease, &run).await;
            let _ = self.store.release_lease(&lease).await;
            finished.map_err(SyncError::Store)?;
            let status = grant_check::integration_status(run.status, &grant, integration.status);
            if let Some(status) = status {
                self.integrations
                    .set_status(integration.id, status, None, self.clock.now())
                    .await?;
            }
        }
        Ok(SyncReport {
            run,
            dry_run: request.dry_run,
            held,
            preview,
        })
    }

    async fn run_body(
        &self,
        integration: &Integration,
        request: &SyncRequest,
        run: &mut SyncRun,
        writer: &mut Writer<'_>,
        session_slot: &mut Option<Arc<dyn DirectorySession>>,
        progress: &dyn SyncProgress,
    ) -> Result<Outcome, RunFailure> {
        progress.phase(SyncPhase::Connecting);
        let connection = DirectoryConnection::of(integration, request.rate_limits);
        let session = self.directory.open(&connection).await?;
        *session_slot = Some(Arc::clone(&session));
        let scope = session.contact_scope().await?;

        progress.phase(SyncPhase::Departments);
        let listed = departments_in_scope(&session, &scope, self.settings.concurrency).await?;
        progress.departments(listed.len() as u64);
        writer.keep_alive().await?;
        let leaders = departments::leaders(&listed);
        let mut member_sources: Vec<DepartmentId> = vec![DepartmentId::root()];
        member_sources.extend(listed.iter().map(|d| d.state.open_department_id.clone()));
        let stored_departments = self.store.department_hashes(integration.id).await?;
        let mut departments =
            DepartmentIngest::new(integration.id, run.id, Tracker::new(stored_departments));
        departments
            .ingest_all(listed, self.store.as_ref(), writer, self.clock.now())
            .await?;
        run.counts.departments.unchanged = departments.unchanged;

        progress.phase(SyncPhase::Users);
        let stored_accounts = self.store.account_hashes(integration.id).await?;
        let mut accounts = AccountIngest::new(
            integration.id,
            run.id,
            leaders,
            Tracker::new(stored_accounts),
        );
        let total = member_sources.len() as u64;
        let mut done = 0u64;
        let mut pages = pin!(member_pages(
            &session,
            member_sources,
            self.settings.concurrency
        ));
        while let Some(item) = pages.next().await {
            match item? {
                Listing::DepartmentDone => done += 1,
                Listing::Page(users) => {
                    self.absorb(users, &mut accounts, writer).await?;
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
        self.fetch_and_ingest(&session, &granted, &mut accounts, writer)
            .await?;

        // The listing is complete and error-free: what was not seen may have gone. Ask Lark
        // about each candidate directly — resigned users come back flagged, not absent.
        progress.phase(SyncPhase::Rechecking);
        let candidates = accounts.tracker.unseen_live();
        self.fetch_and_ingest(&session, &candidates, &mut accounts, writer)
            .await?;
        let now = self.clock.now();
        accounts
            .resolve_pending(self.store.as_ref(), writer, now)
            .await?;
        run.counts.users.unchanged = accounts.unchanged;
        let vanished_accounts = accounts.tracker.unseen_live();
        let vanished_departments = departments.tracker.unseen_live();
        let threshold = self.settings.removal_threshold_percent;
        let accounts_stored = accounts.tracker.live_count();
        let departments_stored = departments.tracker.live_count();
        let too_many = exceeds(vanished_accounts.len(), accounts_stored, threshold)
            || exceeds(vanished_departments.len(), departments_stored, threshold);
        let held = if too_many && !request.confirm_removals {
            Some(HeldRemovals {
                accounts: vanished_accounts.len() as u64,
                accounts_stored: accounts_stored as u64,
                departments: vanished_departments.len() as u64,
                departments_stored: departments_stored as u64,
                threshold_percent: threshold,
            })
        } else {
            accounts.remove(vanished_accounts, writer, now);
            departments.remove(vanished_departments, writer, now);
            None
        };
        writer.flush().await?;
        Ok(Outcome { held })
    }

    /// Fetches users by id in chunks and ingests them as they come, so memory stays bounded
    /// and the lease stays alive however many there are.
    async fn fetch_and_ingest(
        &self,
        session: &Arc<dyn DirectorySession>,
        ids: &[OpenId],
        accounts: &mut AccountIngest,
        writer: &mut Writer<'_>,
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
        writer: &mut Writer<'_>,
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

/// The plain-words reason a run was held.
fn held_message(held: &HeldRemovals) -> String {
    format!(
        "held: {} of {} accounts and {} of {} departments would be removed, above the {}% removal threshold; \
         nothing was removed. If the app's contact scope was narrowed by mistake, restore it in the Lark \
         developer console; if the tenant really shrank, confirm the removals",
        held.accounts,
        held.accounts_stored,
        held.departments,
        held.departments_stored,
        held.threshold_percent
    )
}
