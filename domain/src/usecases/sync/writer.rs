//! Writing a run's results: the `Writer` batches rows and change records (the lease is kept
//! alive by `keeper.rs`, in every phase); full batches go through a bounded queue to the
//! `Committer`, which writes them in fenced transactions — as many at once as the store can
//! usefully take — so listing and writing overlap and few batches wait in memory. In a dry run
//! the committer keeps a preview instead.

use chrono::{DateTime, Utc};
use futures::channel::mpsc;
use futures::future::{self, Either};
use futures::stream::{FuturesUnordered, StreamExt};

use crate::model::{ChangeRecord, Subject, SyncCounts};
use crate::ports::{Clock, Lease, StoreFault, SyncStore, SyncStoreError, WriteBatch};

/// How many changes a dry run keeps to show.
pub(super) const PREVIEW_LIMIT: usize = 1000;

/// Batches waiting for the committer besides the one it is writing.
const QUEUED_BATCHES: usize = 1;

/// The listing side: collects rows into batches and hands full ones to the committer.
pub(super) struct Writer {
    batch_size: usize,
    pub(super) batch: WriteBatch,
    queue: mpsc::Sender<WriteBatch>,
}

/// The writing side: commits batches and counts what was committed.
pub(super) struct Committer<'a> {
    store: &'a dyn SyncStore,
    clock: &'a dyn Clock,
    lease: Option<Lease>,
    queue: mpsc::Receiver<WriteBatch>,
    /// Batches written at once. Their rows are disjoint (each account and department is
    /// resolved once per run), so the order in which they commit does not matter.
    parallel: usize,
    /// What has been committed (or, in a dry run, would have been): the run's counts even
    /// when it fails half-way.
    pub(super) committed: SyncCounts,
    pub(super) preview: Vec<ChangeRecord>,
}

/// A writer and its committer, sharing one queue.
pub(super) fn pipeline<'a>(
    store: &'a dyn SyncStore,
    clock: &'a dyn Clock,
    lease: Option<Lease>,
    batch_size: usize,
) -> (Writer, Committer<'a>) {
    let (sender, receiver) = mpsc::channel(QUEUED_BATCHES);
    let writer = Writer {
        batch_size: batch_size.max(1),
        batch: WriteBatch::default(),
        queue: sender,
    };
    // A dry run writes nothing, and keeps its preview in listing order.
    let parallel = if lease.is_some() {
        store.parallel_writes().max(1)
    } else {
        1
    };
    let committer = Committer {
        store,
        clock,
        lease,
        queue: receiver,
        parallel,
        committed: SyncCounts::default(),
        preview: Vec::new(),
    };
    (writer, committer)
}

fn tally(counts: &mut SyncCounts, changes: &[ChangeRecord]) {
    for change in changes {
        let entity = match change.subject {
            Subject::Account(_) => &mut counts.users,
            Subject::Department(_) => &mut counts.departments,
            Subject::Group(_) => &mut counts.groups,
            Subject::App(_) => &mut counts.apps,
        };
        entity.count(change.kind);
    }
}

impl Writer {
    fn pending_rows(&self) -> usize {
        self.batch.rows()
    }

    /// Hands the batch over once it holds `batch_size` rows.
    ///
    /// # Errors
    /// As [`Writer::flush`].
    pub(super) async fn flush_if_full(&mut self) -> Result<(), SyncStoreError> {
        if self.pending_rows() >= self.batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands what is batched to the committer, waiting while its queue is full.
    ///
    /// # Errors
    /// When the committer has stopped after a failed write (its error is the run's error).
    pub(super) async fn flush(&mut self) -> Result<(), SyncStoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        futures::SinkExt::send(&mut self.queue, batch)
            .await
            .map_err(|_| SyncStoreError::Backend(StoreFault::failed("the batch writer stopped")))
    }

    /// Tells the committer that no more batches come.
    pub(super) fn finish(&mut self) {
        self.queue.close_channel();
    }
}

impl Committer<'_> {
    /// Commits batches until the writer finishes. After the first failed write it takes no
    /// more batches (the writer's next hand-over fails) but lets the writes already under way
    /// finish, so the counts are exactly what was committed; the first error is returned.
    pub(super) async fn run(&mut self) -> Result<(), SyncStoreError> {
        let mut writing = FuturesUnordered::new();
        let mut failure = None;
        let mut open = true;
        loop {
            let take_more = open && failure.is_none() && writing.len() < self.parallel;
            let event = if take_more && writing.is_empty() {
                Either::Left(self.queue.next().await)
            } else if take_more {
                match future::select(self.queue.next(), writing.next()).await {
                    Either::Left((batch, _)) => Either::Left(batch),
                    Either::Right((Some(written), _)) => Either::Right(written),
                    // `writing` is not empty, so it always yields a write.
                    Either::Right((None, _)) => continue,
                }
            } else {
                match writing.next().await {
                    Some(written) => Either::Right(written),
                    None => break,
                }
            };
            match event {
                Either::Left(Some(batch)) => writing.push(commit(
                    self.store,
                    self.lease.clone(),
                    self.clock.now(),
                    batch,
                )),
                Either::Left(None) => open = false,
                Either::Right(Ok(committed)) => self.record(committed),
                Either::Right(Err(error)) => {
                    self.queue.close();
                    failure.get_or_insert(error);
                }
            }
        }
        failure.map_or(Ok(()), Err)
    }

    fn record(&mut self, committed: Committed) {
        self.committed += committed.counts;
        let room = PREVIEW_LIMIT.saturating_sub(self.preview.len());
        self.preview
            .extend(committed.preview.into_iter().take(room));
    }
}

/// What one batch added to the counts, and in a dry run its changes for the preview.
struct Committed {
    counts: SyncCounts,
    preview: Vec<ChangeRecord>,
}

/// Writes one batch (nothing in a dry run) and reports what it counted.
async fn commit(
    store: &dyn SyncStore,
    lease: Option<Lease>,
    now: DateTime<Utc>,
    batch: WriteBatch,
) -> Result<Committed, SyncStoreError> {
    let mut counts = SyncCounts::default();
    tally(&mut counts, &batch.changes);
    let preview = match &lease {
        Some(lease) => {
            store.write_batch(lease, batch, now).await?;
            Vec::new()
        }
        None => batch.changes,
    };
    Ok(Committed { counts, preview })
}
