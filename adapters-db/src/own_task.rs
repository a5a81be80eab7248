//! Runs a database write on a tokio task of its own — so encoding a batch uses another core
//! while the caller goes on listing — and aborts it if the caller stops waiting (a cancelled
//! sync), which rolls its transaction back.

use aviary_domain::ports::StoreFault;
use std::future::Future;

use aviary_domain::ports::SyncStoreError;
use tokio::task::JoinHandle;

/// Aborts the task when dropped, like the caller's future would have been.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Awaits `work` on its own task.
///
/// # Errors
/// The work's own error, or `Backend` when the task panicked.
pub(crate) async fn run<T: Send + 'static>(
    work: impl Future<Output = Result<T, SyncStoreError>> + Send + 'static,
) -> Result<T, SyncStoreError> {
    let mut task = AbortOnDrop(tokio::spawn(work));
    match (&mut task.0).await {
        Ok(result) => result,
        Err(error) => Err(SyncStoreError::Backend(StoreFault::failed(format!(
            "the database write stopped unexpectedly: {error}"
        )))),
    }
}
