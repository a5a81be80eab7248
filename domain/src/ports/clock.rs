//! Time and randomness ports, so the domain stays deterministic under test.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The current time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Fresh random identifiers and secrets.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdSource: Send + Sync {
    fn new_uuid(&self) -> Uuid;

    /// 256 bits from a cryptographically secure generator (OAuth `state`, PKCE verifiers).
    fn random_256(&self) -> [u8; 32];
}
