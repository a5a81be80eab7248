//! Timer port: waiting, so that the domain can act on a schedule (renew a lease while a run
//! works) without a runtime of its own.

use std::time::Duration;

use async_trait::async_trait;

/// Waits.
#[async_trait]
pub trait Timer: Send + Sync {
    /// Completes once `duration` has passed (or later; never much earlier).
    async fn sleep(&self, duration: Duration);
}
