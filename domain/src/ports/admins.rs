//! Admin store port: admin accounts and their sign-in throttling state.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fault::StoreFault;
use crate::model::Admin;
use crate::values::{AdminId, EmailAddress, PasswordHash};

/// Why an admin could not be stored or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminStoreError {
    #[error("an admin with email {0} already exists")]
    EmailTaken(EmailAddress),
    #[error("admin {0} does not exist")]
    NotFound(AdminId),
    #[error("database error")]
    Backend(#[from] StoreFault),
}

/// Stores admin accounts (password hashes only, never passwords).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// # Errors
    /// `EmailTaken` when the email is in use, `Backend` otherwise.
    async fn insert(&self, admin: &Admin) -> Result<(), AdminStoreError>;

    /// # Errors
    /// `Backend`.
    async fn find_by_email(&self, email: &EmailAddress) -> Result<Option<Admin>, AdminStoreError>;

    /// # Errors
    /// `Backend`.
    async fn get(&self, id: AdminId) -> Result<Option<Admin>, AdminStoreError>;

    /// All admins, ordered by email.
    ///
    /// # Errors
    /// `Backend`.
    async fn list(&self) -> Result<Vec<Admin>, AdminStoreError>;

    /// Adds one failed sign-in atomically and returns how many there now are in a row.
    ///
    /// # Errors
    /// `NotFound`, `Backend`.
    async fn record_failed_attempt(&self, id: AdminId) -> Result<u32, AdminStoreError>;

    /// Locks sign-ins until `until` and starts counting failures afresh.
    ///
    /// # Errors
    /// `NotFound`, `Backend`.
    async fn lock_until(&self, id: AdminId, until: DateTime<Utc>) -> Result<(), AdminStoreError>;

    /// Clears failed attempts and any lock (an operator unlocking an account).
    ///
    /// # Errors
    /// `NotFound`, `Backend`.
    async fn reset_failed_attempts(&self, id: AdminId) -> Result<(), AdminStoreError>;

    /// Replaces the password hash (a password reset) and, in the same write, clears failed
    /// attempts and any lock: whoever resets a password has proved control of the server.
    ///
    /// # Errors
    /// `NotFound`, `Backend`.
    async fn set_password_hash(
        &self,
        id: AdminId,
        hash: &PasswordHash,
    ) -> Result<(), AdminStoreError>;

    /// Records a successful sign-in at `at` (clearing failed attempts and an ended lock), in one
    /// statement and only if the account is not locked at `at`: a lock set by a concurrent
    /// failure after the password was read cannot be undone by a success. Returns whether it
    /// was recorded (`false`: locked, or no such admin).
    ///
    /// # Errors
    /// `Backend`.
    async fn record_sign_in(&self, id: AdminId, at: DateTime<Utc>)
    -> Result<bool, AdminStoreError>;
}
