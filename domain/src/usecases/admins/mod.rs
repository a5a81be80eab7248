//! Admin access: `AdminAccounts` creates and lists admin users and resets their passwords (the
//! CLI; there are no default credentials), `SignIn` turns an email and password into a server-side session, checks
//! session tokens and CSRF tokens, and signs out.
//!
//! Enumeration and throttling: an unknown email, a wrong password and a locked account all
//! give the same [`SignInError::InvalidCredentials`], and each costs one password
//! verification, so neither the answer nor its timing tells which emails exist or whether a
//! lock is on. Telling a caller "locked" only when the password was right would let a guesser
//! go on guessing through the lock and learn the password from the different answer, so a
//! lock is never revealed; the error's message says that repeated failures lock an account.

mod reset_password;
mod sign_in;
pub mod throttle;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use secrecy::SecretString;

use crate::model::Admin;
use crate::ports::{
    AdminStore, AdminStoreError, Clock, IdSource, PasswordHashError, PasswordHasher, SessionStore,
    SessionStoreError,
};
use crate::values::{AdminId, EmailAddress, EmailError, Password, PasswordError};

pub use reset_password::{PasswordReset, ResetPasswordError};
pub use sign_in::{CsrfMismatch, SessionError, SignIn, SignInError};
pub use throttle::Throttled;

/// Why an admin could not be created or listed. Nothing is stored in any of these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    // Not `#[from]`: a source would be printed a second time in error chains.
    #[error("invalid email: {0}")]
    Email(EmailError),
    #[error("password refused: {0}")]
    Password(PasswordError),
    #[error("an admin with email {0} already exists")]
    EmailTaken(EmailAddress),
    /// The store or the hasher failed.
    #[error("cannot reach the admin store")]
    Unavailable(#[source] AccessBackend),
}

/// What failed under an admin use case: one of its stores or the password hasher, kept whole
/// so that the apps map each fault once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessBackend {
    #[error(transparent)]
    Admins(#[from] AdminStoreError),
    #[error(transparent)]
    Sessions(#[from] SessionStoreError),
    #[error(transparent)]
    Hasher(#[from] PasswordHashError),
}

fn unavailable(err: impl Into<AccessBackend>) -> AdminError {
    AdminError::Unavailable(err.into())
}

/// Creates and lists admin users and resets their passwords.
#[derive(Clone)]
pub struct AdminAccounts {
    admins: Arc<dyn AdminStore>,
    /// A password reset ends the admin's sessions.
    sessions: Arc<dyn SessionStore>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
}

impl std::fmt::Debug for AdminAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAccounts").finish_non_exhaustive()
    }
}

impl AdminAccounts {
    pub fn new(
        admins: Arc<dyn AdminStore>,
        sessions: Arc<dyn SessionStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Self {
        Self {
            admins,
            sessions,
            hasher,
            clock,
            ids,
        }
    }

    /// Validates the email and the password policy, then stores the admin with the password's
    /// hash (the password itself is not kept).
    ///
    /// # Errors
    /// `Email`, `Password`, `EmailTaken`, or `Unavailable`; nothing is stored then.
    pub async fn create(&self, email: &str, password: SecretString) -> Result<Admin, AdminError> {
        let email = EmailAddress::parse(email).map_err(AdminError::Email)?;
        let password = Password::parse(password).map_err(AdminError::Password)?;
        // Checked before hashing (which is slow on purpose); the unique index decides races.
        if self
            .admins
            .find_by_email(&email)
            .await
            .map_err(unavailable)?
            .is_some()
        {
            return Err(AdminError::EmailTaken(email));
        }
        let hash = self.hasher.hash(&password).await.map_err(unavailable)?;
        let admin = Admin::new(
            AdminId::from_uuid(self.ids.new_uuid()),
            email,
            hash,
            self.clock.now(),
        );
        self.admins.insert(&admin).await.map_err(|err| match err {
            AdminStoreError::EmailTaken(email) => AdminError::EmailTaken(email),
            other => unavailable(other),
        })?;
        Ok(admin)
    }

    /// Every admin, ordered by email.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    pub async fn list(&self) -> Result<Vec<Admin>, AdminError> {
        self.admins.list().await.map_err(unavailable)
    }
}
