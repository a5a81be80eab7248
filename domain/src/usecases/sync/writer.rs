//! Batches rows and change records into fenced transactions, keeps the run's lease alive, and
//! in a dry run keeps a preview instead of writing.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{ChangeKind, ChangeRecord, Subject, SyncCounts};
use crate::ports::{Clock, Lease, SyncStore, SyncStoreError, WriteBatch};

/// How many changes a dry run keeps to show.
pub(super) const PREVIEW_LIMIT: usize = 1000;

pub(super) struct Writer<'a> {
    store: &'a dyn SyncStore,
    clock: &'a dyn Clock,
    /// `None` in a dry run: nothing is written.
    lease: Option<Lease>,
    ttl: Duration,
    batch_size: usize,
    last_renewed: DateTime<Utc>,
    pub(super) batch: WriteBatch,
    pub(super) preview: Vec<ChangeRecord>,
    /// What has been committed (or, in a dry run, would have been): the run's counts even
    /// when it fails half-way.
    pub(super) committed: SyncCounts,
}

fn tally(counts: &mut SyncCounts, changes: &[ChangeRecord]) {
    for change in changes {
        let entity = match change.subject {
            Subject::Account(_) => &mut counts.users,
            Subject::Department(_) => &mut counts.departments,
        };
        match change.kind {
            ChangeKind::Added => entity.added += 1,
            ChangeKind::Changed => entity.changed += 1,
            ChangeKind::Removed => entity.removed += 1,
            ChangeKind::Restored => entity.restored += 1,
        }
    }
}

impl<'a> Writer<'a> {
    pub(super) fn new(
        store: &'a dyn SyncStore,
        clock: &'a dyn Clock,
        lease: Option<Lease>,
        ttl: Duration,
        batch_size: usize,
    ) -> Self {
        Self {
            store,
            clock,
            lease,
            ttl,
            batch_size: batch_size.max(1),
            last_renewed: clock.now(),
            batch: WriteBatch::default(),
            preview: Vec::new(),
            committed: SyncCounts::default(),
        }
    }

    pub(super) fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    fn pending_rows(&self) -> usize {
        self.batch.accounts.len()
            + self.batch.departments.len()
            + self.batch.removed_accounts.len()
            + self.batch.removed_departments.len()
    }

    pub(super) async fn flush_if_full(&mut self) -> Result<(), SyncStoreError> {
        if self.pending_rows() >= self.batch_size {
            self.flush().await?;
        }
        self.keep_alive().await
    }

    /// Writes what is batched in one transaction (or, in a dry run, moves changes to the preview).
    pub(super) async fn flush(&mut self) -> Result<(), SyncStoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        if let Some(lease) = &self.lease {
            self.store
                .write_batch(lease, &batch, self.clock.now())
                .await?;
        }
        tally(&mut self.committed, &batch.changes);
        if self.lease.is_none() {
            let room = PREVIEW_LIMIT.saturating_sub(self.preview.len());
            self.preview.extend(batch.changes.into_iter().take(room));
        }
        Ok(())
    }

    /// Renews the lease once a third of its lifetime has passed, so long listings without
    /// writes (an unchanged tenant) keep it.
    pub(super) async fn keep_alive(&mut self) -> Result<(), SyncStoreError> {
        let now = self.clock.now();
        let third =
            chrono::Duration::from_std(self.ttl / 3).unwrap_or(chrono::Duration::seconds(60));
        if let Some(lease) = &self.lease
            && now - self.last_renewed >= third
        {
            self.lease = Some(self.store.renew_lease(lease, self.ttl, now).await?);
            self.last_renewed = now;
        }
        Ok(())
    }
}
