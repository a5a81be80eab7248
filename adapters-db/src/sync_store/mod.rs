//! `SyncStore`: leases with fencing tokens, run records, stored hashes, and fenced batched
//! writes (one transaction per batch, multi-row upserts).

mod interrupted;
mod leases;
mod objects;
mod reads;
mod runs;
mod writes;

use aviary_domain::ports::StoreFault;
use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aviary_domain::model::{App, Department, Group, HeldSubject, SyncRun, UserAccount};
use aviary_domain::ports::{Lease, StoredHash, StoredHold, SyncStore, SyncStoreError, WriteBatch};
use aviary_domain::values::{DepartmentId, GroupId, InstalledAppId, IntegrationId, OpenId, RunId};
use chrono::{DateTime, Utc};

pub use interrupted::INTERRUPTED_RUN_ERROR;
pub(crate) use leases::stored as stored_lease;
pub(crate) use runs::{newest_first, newest_rows};

use crate::batch::BatchError;
use crate::connect::{Backend, Shared};
use crate::error::fault;
use crate::own_task;

/// SQL implementation of [`SyncStore`].
#[derive(Debug, Clone)]
pub(crate) struct SqlSyncStore {
    shared: Shared,
}

impl SqlSyncStore {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

fn batch_err(context: &'static str) -> impl Fn(BatchError) -> SyncStoreError {
    move |err| match err {
        BatchError::Mapping(err) => {
            SyncStoreError::Backend(StoreFault::failed(format!("{context}: {err}")))
        }
        BatchError::Db(err) => SyncStoreError::Backend(fault(context, &err)),
    }
}

/// Batches written at once on PostgreSQL (its pool has room for them besides the readers).
const POSTGRES_PARALLEL_WRITES: usize = 4;

fn foreign_integration(what: &str, lease: &Lease) -> SyncStoreError {
    SyncStoreError::Backend(StoreFault::failed(format!(
        "the batch contains {what} of another integration than the lease's ({})",
        lease.integration_id
    )))
}

#[async_trait]
impl SyncStore for SqlSyncStore {
    async fn acquire_lease(
        &self,
        integration: IntegrationId,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Lease, SyncStoreError> {
        leases::acquire(&self.shared, integration, owner, ttl, now).await
    }

    async fn take_over_lease(
        &self,
        integration: IntegrationId,
        holder: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Lease, SyncStoreError> {
        leases::take_over(&self.shared, integration, holder, owner, ttl, now).await
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Lease, SyncStoreError> {
        leases::renew(&self.shared, lease, ttl, now).await
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), SyncStoreError> {
        leases::release(&self.shared, lease).await
    }

    async fn begin_run(&self, lease: &Lease, run: &SyncRun) -> Result<(), SyncStoreError> {
        runs::begin(&self.shared, lease, run).await
    }

    async fn finish_run(
        &self,
        lease: &Lease,
        run: &SyncRun,
        held: &[HeldSubject],
    ) -> Result<(), SyncStoreError> {
        runs::finish(&self.shared, lease, run, held).await
    }

    async fn held_run(
        &self,
        integration: IntegrationId,
        run: RunId,
    ) -> Result<Option<StoredHold>, SyncStoreError> {
        runs::held(&self.shared, integration, run).await
    }

    async fn newest_runs(
        &self,
        integration: IntegrationId,
        limit: u64,
    ) -> Result<Vec<SyncRun>, SyncStoreError> {
        runs::newest(&self.shared, integration, limit).await
    }

    async fn account_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<OpenId, StoredHash>, SyncStoreError> {
        reads::account_hashes(&self.shared, integration).await
    }

    async fn department_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<DepartmentId, StoredHash>, SyncStoreError> {
        reads::department_hashes(&self.shared, integration).await
    }

    async fn load_accounts(
        &self,
        integration: IntegrationId,
        ids: &[OpenId],
    ) -> Result<Vec<UserAccount>, SyncStoreError> {
        reads::load_accounts(&self.shared, integration, ids).await
    }

    async fn load_departments(
        &self,
        integration: IntegrationId,
        ids: &[DepartmentId],
    ) -> Result<Vec<Department>, SyncStoreError> {
        reads::load_departments(&self.shared, integration, ids).await
    }

    async fn group_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<GroupId, StoredHash>, SyncStoreError> {
        objects::group_hashes(&self.shared, integration).await
    }

    async fn app_hashes(
        &self,
        integration: IntegrationId,
    ) -> Result<HashMap<InstalledAppId, StoredHash>, SyncStoreError> {
        objects::app_hashes(&self.shared, integration).await
    }

    async fn load_groups(
        &self,
        integration: IntegrationId,
        ids: &[GroupId],
    ) -> Result<Vec<Group>, SyncStoreError> {
        objects::load_groups(&self.shared, integration, ids).await
    }

    async fn load_apps(
        &self,
        integration: IntegrationId,
        ids: &[InstalledAppId],
    ) -> Result<Vec<App>, SyncStoreError> {
        objects::load_apps(&self.shared, integration, ids).await
    }

    fn parallel_writes(&self) -> usize {
        match self.shared.backend {
            // One writer at a time: a second transaction would only wait for the lock.
            Backend::Sqlite => 1,
            // Each batch spends about half its time in Aviary (encoding) and half in the
            // server; four overlapping batches keep both busy (docs/benchmarks.md).
            Backend::Postgres => POSTGRES_PARALLEL_WRITES,
        }
    }

    async fn write_batch(
        &self,
        lease: &Lease,
        batch: WriteBatch,
        now: DateTime<Utc>,
    ) -> Result<(), SyncStoreError> {
        let (shared, lease) = (self.shared.clone(), lease.clone());
        own_task::run(async move { writes::write(&shared, &lease, &batch, now).await }).await
    }
}
