//! `Admin`: a person who may sign in to the web UI, with the state that throttles password
//! guessing (failed attempts in a row, a temporary lock).

use chrono::{DateTime, Duration, Utc};

use crate::values::{AdminId, EmailAddress, PasswordHash};

/// Failed sign-ins in a row after which an account is locked.
pub const MAX_FAILED_SIGN_INS: u32 = 5;
/// How long a lock lasts.
pub const SIGN_IN_LOCK_MINUTES: i64 = 15;

/// An admin account. There are no default accounts: the first is created with the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub id: AdminId,
    /// The sign-in name, unique (normalised: trimmed, lowercase).
    pub email: EmailAddress,
    /// Never shown, never leaves the server.
    pub password_hash: PasswordHash,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Failed sign-ins since the last success or lock.
    pub failed_attempts: u32,
    /// Sign-ins are refused until then.
    pub locked_until: Option<DateTime<Utc>>,
}

impl Admin {
    /// A new account that has never signed in.
    pub fn new(
        id: AdminId,
        email: EmailAddress,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            email,
            password_hash,
            created_at: now,
            last_sign_in_at: None,
            failed_attempts: 0,
            locked_until: None,
        }
    }

    /// Whether sign-ins are refused at `now`.
    pub fn is_locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// When a lock that starts at `now` ends.
    pub fn lock_ends(now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::minutes(SIGN_IN_LOCK_MINUTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn a_lock_holds_until_its_end() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let mut admin = Admin::new(
            AdminId::from_uuid(uuid::Uuid::nil()),
            EmailAddress::parse("ada@example.com").unwrap(),
            PasswordHash::from_phc("$argon2id$x".into()),
            now,
        );
        assert!(!admin.is_locked_at(now));
        admin.locked_until = Some(Admin::lock_ends(now));
        assert!(admin.is_locked_at(now + Duration::minutes(14)));
        assert!(!admin.is_locked_at(now + Duration::minutes(15)));
    }
}
