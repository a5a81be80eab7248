//! Session store port: server-side admin sessions, keyed by the SHA-256 of their token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fault::StoreFault;
use crate::model::Session;
use crate::values::{AdminId, SessionId};

/// Why a session could not be stored or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionStoreError {
    /// The admin does not exist (any more).
    #[error("admin {0} does not exist")]
    NoAdmin(AdminId),
    #[error("database error")]
    Backend(#[from] StoreFault),
}

/// Stores sessions; a session goes with its admin.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// # Errors
    /// `NoAdmin`, `Backend`.
    async fn create(&self, session: &Session) -> Result<(), SessionStoreError>;

    /// The session with this id, expired or not.
    ///
    /// # Errors
    /// `Backend`.
    async fn find(&self, id: &SessionId) -> Result<Option<Session>, SessionStoreError>;

    /// Records activity: sets `last_seen_at` and `expires_at`. A session deleted meanwhile
    /// stays deleted (no error).
    ///
    /// # Errors
    /// `Backend`.
    async fn touch(
        &self,
        id: &SessionId,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), SessionStoreError>;

    /// Deletes one session; deleting a missing one is not an error.
    ///
    /// # Errors
    /// `Backend`.
    async fn delete(&self, id: &SessionId) -> Result<(), SessionStoreError>;

    /// Deletes every session of an admin (sign out everywhere, a password reset); returns how
    /// many.
    ///
    /// # Errors
    /// `Backend`.
    async fn delete_all_of(&self, admin: AdminId) -> Result<u64, SessionStoreError>;

    /// Deletes sessions that expired at or before `now`; returns how many.
    ///
    /// # Errors
    /// `Backend`.
    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64, SessionStoreError>;
}
