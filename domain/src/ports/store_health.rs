//! Store health port: whether the database answers (readiness probes).

use async_trait::async_trait;

/// The database did not answer, or its schema is behind this version; the cause is kept for
/// the log.
#[derive(Debug, thiserror::Error)]
#[error("the database does not answer or is not migrated")]
pub struct StoreUnavailable(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Checks that the store can serve requests.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// Answers when the database answers a trivial query and has every migration this
    /// version knows applied.
    ///
    /// # Errors
    /// [`StoreUnavailable`] when it does not.
    async fn ping(&self) -> Result<(), StoreUnavailable>;
}
