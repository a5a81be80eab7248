//! `AdminAccounts::reset_password`: an operator with access to the server sets a new password
//! for an admin. A reset is what one does when a password may be known to someone else, so it
//! also ends every session of that admin and clears the sign-in lock.

use secrecy::SecretString;

use super::{AccessBackend, AdminAccounts};
use crate::model::Admin;
use crate::ports::{AdminStoreError, SessionStoreError};
use crate::values::{EmailAddress, EmailError, Password, PasswordError};

/// Why a password could not be reset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResetPasswordError {
    /// Nothing changed.
    #[error("invalid email: {0}")]
    Email(EmailError),
    /// Nothing changed.
    #[error("password refused: {0}")]
    Password(PasswordError),
    /// Nothing changed.
    #[error("there is no admin with email {0}")]
    UnknownEmail(EmailAddress),
    /// The store or the hasher failed before the new password was stored: nothing changed.
    #[error("cannot reset the password")]
    Unavailable(#[source] AccessBackend),
    /// The new password is in force, but sessions signed in before the reset may still work.
    #[error(
        "the password was changed, but the admin's sessions could not be ended; reset it again"
    )]
    SessionsNotEnded(#[source] SessionStoreError),
}

/// A completed reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The admin as stored now: the new hash, no failed attempts, no lock.
    pub admin: Admin,
    /// How many sessions the reset ended.
    pub sessions_ended: u64,
}

fn unavailable(err: impl Into<AccessBackend>) -> ResetPasswordError {
    ResetPasswordError::Unavailable(err.into())
}

impl AdminAccounts {
    /// Validates the new password like [`AdminAccounts::create`], stores its hash in place of
    /// the old one, clears failed sign-ins and any lock, then ends every session of the admin.
    ///
    /// # Errors
    /// `Email`, `Password`, `UnknownEmail` or `Unavailable` with nothing changed;
    /// `SessionsNotEnded` when only the last step failed.
    pub async fn reset_password(
        &self,
        email: &str,
        new_password: SecretString,
    ) -> Result<PasswordReset, ResetPasswordError> {
        let email = EmailAddress::parse(email).map_err(ResetPasswordError::Email)?;
        let password = Password::parse(new_password).map_err(ResetPasswordError::Password)?;
        let Some(admin) = self
            .admins
            .find_by_email(&email)
            .await
            .map_err(unavailable)?
        else {
            return Err(ResetPasswordError::UnknownEmail(email));
        };
        let hash = self.hasher.hash(&password).await.map_err(unavailable)?;
        self.admins
            .set_password_hash(admin.id, &hash)
            .await
            .map_err(|err| match err {
                // Deleted since it was found.
                AdminStoreError::NotFound(_) => ResetPasswordError::UnknownEmail(email.clone()),
                AdminStoreError::EmailTaken(_) | AdminStoreError::Backend(_) => unavailable(err),
            })?;
        // After the new hash is in place, so that a session started with the old password
        // while the hash was being made is ended too.
        let sessions_ended =
            self.sessions
                .delete_all_of(admin.id)
                .await
                .map_err(|err| match err {
                    SessionStoreError::NoAdmin(_) | SessionStoreError::Backend(_) => {
                        ResetPasswordError::SessionsNotEnded(err)
                    }
                })?;
        Ok(PasswordReset {
            admin: Admin {
                password_hash: hash,
                failed_attempts: 0,
                locked_until: None,
                ..admin
            },
            sessions_ended,
        })
    }
}
