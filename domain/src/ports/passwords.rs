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
    /// As many hashes as the hasher allows at once are running; nothing was checked. Each takes
    /// tens of MiB, so a flood of sign-ins must not start them all.
    #[error("too many passwords are being checked at once")]
    Busy,
}

/// Hashes and verifies passwords.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A new hash of `password` with a fresh random salt.
    ///
    /// # Errors
    /// `Busy` when the hasher is at its limit of concurrent hashes, `Failed` otherwise.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, PasswordHashError>;

    /// Whether `candidate` is the password `hash` was made from. Takes as long as a hash.
    ///
    /// # Errors
    /// `Malformed` when `hash` is not readable, `Busy` when the hasher is at its limit of
    /// concurrent hashes (nothing was checked), `Failed` otherwise; a wrong password is
    /// `Ok(false)`.
    async fn verify(
        &self,
        candidate: &SecretString,
        hash: &PasswordHash,
    ) -> Result<bool, PasswordHashError>;
}
