//! Password hasher port: one-way hashing of admin passwords (Argon2id in production). It is a
//! port because a memory-hard hash is a crypto library with its own randomness (salts) and
//! costs real CPU time, which the implementation takes off the async executor.

use async_trait::async_trait;
use secrecy::SecretString;

use crate::values::{Password, PasswordHash};

/// Why hashing or verifying failed (never because a password was wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordHashError {
    /// A stored hash is not a PHC string the hasher understands.
    #[error("the stored password hash is not readable: {0}")]
    Malformed(String),
    #[error("cannot hash the password: {0}")]
    Failed(String),
}

/// Hashes and verifies passwords.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A new hash of `password` with a fresh random salt.
    ///
    /// # Errors
    /// `Failed`.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, PasswordHashError>;

    /// Whether `candidate` is the password `hash` was made from. Takes as long as a hash.
    ///
    /// # Errors
    /// `Malformed` when `hash` is not readable, `Failed` otherwise; a wrong password is
    /// `Ok(false)`.
    async fn verify(
        &self,
        candidate: &SecretString,
        hash: &PasswordHash,
    ) -> Result<bool, PasswordHashError>;
}
