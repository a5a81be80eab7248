//! Sync store port: what a sync run reads and writes — the run lease, stored hashes, old rows
//! for diffs, fenced batched writes and the run record.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fault::StoreFault;
use crate::model::{
    App, ChangeRecord, Department, Group, HeldSubject, Presence, SyncRun, UserAccount,
};
use crate::values::{
    ContentHash, DepartmentId, GroupId, InstalledAppId, IntegrationId, OpenId, RunId,
};

/// Exclusive right to sync one integration until `expires_at`. `token` increases with every
/// grant, so a writer holding an older lease is fenced off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub integration_id: IntegrationId,
    pub owner: String,
    pub token: i64,
    pub expires_at: DateTime<Utc>,
}

/// What is stored about a record, enough to decide whether an incoming version is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHash {
    pub hash: ContentHash,
    /// Not present (removed or out of the contact range).
    pub removed: bool,
}

/// A held run, as a confirmation needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredHold {
    /// The run (its `hold` is set).
    pub run: SyncRun,
    /// Every record it would have marked.
    pub subjects: Vec<HeldSubject>,
    /// Whether it is the integration's newest run.
    pub newest: bool,
}

/// Rows and change records to write together, atomically.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    /// Inserted or replaced whole (including `removed_at`, cleared on restore).
    pub accounts: Vec<UserAccount>,
    pub departments: Vec<Department>,
    /// Marked `removed_at = now` with the given presence, `Removed` or `OutOfRange` (soft
    /// delete).
    pub removed_accounts: Vec<(OpenId, Presence)>,
    pub removed_departments: Vec<(DepartmentId, Presence)>,
    /// Inserted or replaced whole, like accounts.
    pub groups: Vec<Group>,
    pub apps: Vec<App>,
    pub removed_groups: Vec<(GroupId, Presence)>,
    pub removed_apps: Vec<(InstalledAppId, Presence)>,
    pub changes: Vec<ChangeRecord>,
}

impl WriteBatch {
    /// Rows the batch writes or marks (its change records aside).
    pub fn rows(&self) -> usize {
        self.accounts.len()
            + self.departments.len()
            + self.removed_accounts.len()
            + self.removed_departments.len()
            + self.groups.len()
            + self.apps.len()
            + self.removed_groups.len()
            + self.removed_apps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows() == 0 && self.changes.is_empty()
    }
}

/// Why the sync store refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncStoreError {
    #[error("another sync of this integration is running ({owner}, lease until {until})")]
    LeaseHeld { owner: String, until: DateTime<Utc> },
    #[error("this sync lost its lease (another process took over); nothing more was written")]
    LeaseLost,
    #[error("database error")]
    Backend(#[from] StoreFault),
}

/// Persistence for sync runs. Every write takes the caller's [`Lease`] and fails with
/// `LeaseLost` unless it is still the current, unexpired lease of the integration.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// Takes the integration's lease if it is free or expired.
    ///
    /// # Errors
    /// `LeaseHeld` when another owner holds an unexpired lease, `Backend` otherwise.
    async fn acquire_lease(
        &self,
        integration: IntegrationId,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Lease, SyncStoreError>;

    /// Takes the integration's lease from `holder` — whose process is provably gone — even
    /// though it has not expired: only if `holder` still holds it, with the next fencing token
    /// (so anything the old holder might still write is refused).
    ///
    /// # Errors
    /// `LeaseHeld` when someone else holds it now, `Backend` otherwise.
    async fn take_over_lease(
        &self,
        integration: IntegrationId,
        holder: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Lease, SyncStoreError>;

    /// Extends the lease to `now + ttl`, returning the renewed lease.
    ///
    /// # Errors
    /// `LeaseLost` when it is no longer ours or has already expired (even if nobody took it
    /// over: another process may have started in between), `Backend` otherwise.
    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Lease, SyncStoreError>;

    /// Gives the lease up (no error if it was already taken over).
    ///
    /// # Errors
    /// `Backend` on database failure.
    async fn release_lease(&self, lease: &Lease) -> Result<(), SyncStoreError>;

    /// Records a new running run; runs of the integration still marked `running` (interrupted
    /// processes) are marked `failed` as interrupted.
    ///
    /// # Errors
    /// `LeaseLost`, `Backend`.
    async fn begin_run(&self, lease: &Lease, run: &SyncRun) -> Result<(), SyncStoreError>;

    /// Stores the final state of a run — with, for a held run, every record it would have
    /// marked — in one transaction; `run.finished_at` is the time the lease is checked against.
    ///
    /// # Errors
    /// `LeaseLost`, `Backend`.
    async fn finish_run(
        &self,
        lease: &Lease,
        run: &SyncRun,
        held: &[HeldSubject],
    ) -> Result<(), SyncStoreError>;

    /// A held run of the integration with what it held; `None` when there is no such run or
    /// it was not held.
    ///
    /// # Errors
    /// `Backend`.
    async fn held_run(
        &self,
        integration: IntegrationId,
        run: RunId,
    ) -> Result<Option<StoredHold>, SyncStoreError>;

    /// The integration's newest runs, newest first, at most `limit` (a scheduled run reads
    /// them under its lease to check that it is still due).
    ///
    /// # Errors
    /// `Backend`.
    async fn newest_runs(
        &self,
        integration: IntegrationId,
        limit: u64,
    ) -> Result<Vec<SyncRun>, SyncStoreError>;

    /// `open_id → stored hash` of every account of the integration, removed ones included.
    ///
    /// # Errors
    /// `Backend`.
    async fn account_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<OpenId, StoredHash>, SyncStoreError>;

    /// `open_department_id → stored hash` of every department, removed ones included.
    ///
    /// # Errors
    /// `Backend`.
    async fn department_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<DepartmentId, StoredHash>, SyncStoreError>;

    /// `id → stored hash` of every user group, removed ones included.
    ///
    /// # Errors
    /// `Backend`.
    async fn group_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<GroupId, StoredHash>, SyncStoreError>;

    /// `app_id → stored hash` of every installed app, removed ones included.
    ///
    /// # Errors
    /// `Backend`.
    async fn app_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<InstalledAppId, StoredHash>, SyncStoreError>;

    /// The stored groups with the given ids (missing ids are skipped).
    ///
    /// # Errors
    /// `Backend`.
    async fn load_groups(
        &self,
        integration: IntegrationId,
        ids: &[GroupId],
    ) -> Result<Vec<Group>, SyncStoreError>;

    /// The stored apps with the given ids (missing ids are skipped).
    ///
    /// # Errors
    /// `Backend`.
    async fn load_apps(
        &self,
        integration: IntegrationId,
        ids: &[InstalledAppId],
    ) -> Result<Vec<App>, SyncStoreError>;

    /// The stored accounts with the given ids (missing ids are skipped).
    ///
    /// # Errors
    /// `Backend`.
    async fn load_accounts(
        &self,
        integration: IntegrationId,
        ids: &[OpenId],
    ) -> Result<Vec<UserAccount>, SyncStoreError>;

    /// The stored departments with the given ids (missing ids are skipped).
    ///
    /// # Errors
    /// `Backend`.
    async fn load_departments(
        &self,
        integration: IntegrationId,
        ids: &[DepartmentId],
    ) -> Result<Vec<Department>, SyncStoreError>;

    /// How many [`write_batch`](Self::write_batch) calls may usefully run at once, each in its
    /// own transaction: 1 where the database takes one writer at a time.
    fn parallel_writes(&self) -> usize;

    /// Writes the batch in one transaction after checking the lease; `now` stamps removals.
    /// The batch is handed over, so a store may encode and write it off the caller's thread.
    ///
    /// # Errors
    /// `LeaseLost` (nothing written), `Backend` (nothing written).
    async fn write_batch(
        &self,
        lease: &Lease,
        batch: WriteBatch,
        now: DateTime<Utc>,
    ) -> Result<(), SyncStoreError>;
}
