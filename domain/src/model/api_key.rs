//! `ApiKey`: a credential for automation (sent as `Authorization: Bearer`), as stored — its
//! name, display prefix and digest, never the key itself — with what it may do (`KeyScope`),
//! until when, and who created it.

use chrono::{DateTime, Utc};

use super::text_enum;
use crate::values::{ApiKeyHash, ApiKeyId, EmailAddress, KeyName, KeyPrefix};

text_enum!(
    /// What a key may do. Each scope includes the ones before it: `sync` can read, `manage`
    /// can do everything a key can.
    KeyScope, "key scope" {
        /// Read integrations, the directory, runs, status and the permission check.
        Read => "read",
        /// Also start syncs and confirm held runs.
        Sync => "sync",
        /// Also register, change, connect and delete integrations.
        Manage => "manage",
    }
);

text_enum!(
    /// Something a caller of the API asks to do, by the scope it needs.
    ApiOperation, "API operation" {
        Read => "read",
        StartSync => "start_sync",
        ConfirmRun => "confirm_run",
        Register => "register",
        Change => "change",
        Connect => "connect",
        Remove => "remove",
    }
);

impl ApiOperation {
    /// The narrowest scope that permits it.
    pub const fn needs(self) -> KeyScope {
        match self {
            ApiOperation::Read => KeyScope::Read,
            ApiOperation::StartSync | ApiOperation::ConfirmRun => KeyScope::Sync,
            ApiOperation::Register
            | ApiOperation::Change
            | ApiOperation::Connect
            | ApiOperation::Remove => KeyScope::Manage,
        }
    }
}

impl KeyScope {
    /// Whether a key of this scope may do `operation`.
    pub fn permits(self, operation: ApiOperation) -> bool {
        self >= operation.needs()
    }
}

/// Who created a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCreator {
    /// A signed-in admin, in the web UI.
    Admin(EmailAddress),
    /// Someone with access to the server's command line (`aviary key create`).
    CommandLine,
    /// Created before Aviary recorded creators.
    Unrecorded,
}

impl std::fmt::Display for KeyCreator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyCreator::Admin(email) => write!(f, "{email}"),
            KeyCreator::CommandLine => f.write_str("command line"),
            KeyCreator::Unrecorded => f.write_str("not recorded"),
        }
    }
}

/// A stored API key. The plaintext exists only once, when the key is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: KeyName,
    /// `avk_` and the first 8 characters of the random part; not secret.
    pub prefix: KeyPrefix,
    /// SHA-256 of the whole key.
    pub secret_hash: ApiKeyHash,
    pub scope: KeyScope,
    pub created_by: KeyCreator,
    pub created_at: DateTime<Utc>,
    /// The key stops authenticating at this instant; `None`: it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// Updated at most once a minute, so it may lag the latest request by that much.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Whether a key works, as lists show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    /// Past its expiry, not revoked.
    Expired,
    Revoked,
}

impl ApiKey {
    /// Its status at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> KeyStatus {
        if !self.is_active() {
            KeyStatus::Revoked
        } else if self.is_usable_at(now) {
            KeyStatus::Active
        } else {
            KeyStatus::Expired
        }
    }

    /// Whether the key still authenticates (it has not been revoked).
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Whether the key authenticates at `now`: not revoked and not expired.
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.is_active() && self.expires_at.is_none_or(|end| now < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scope_permits_what_it_names_and_everything_below_it() {
        use ApiOperation::*;
        let allowed = |scope: KeyScope| -> Vec<ApiOperation> {
            ApiOperation::ALL
                .iter()
                .copied()
                .filter(|op| scope.permits(*op))
                .collect()
        };
        assert_eq!(allowed(KeyScope::Read), vec![Read]);
        assert_eq!(allowed(KeyScope::Sync), vec![Read, StartSync, ConfirmRun]);
        assert_eq!(allowed(KeyScope::Manage), ApiOperation::ALL.to_vec());
    }

    #[test]
    fn scopes_are_spelled_read_sync_and_manage() {
        for (text, scope) in [
            ("read", KeyScope::Read),
            ("sync", KeyScope::Sync),
            ("manage", KeyScope::Manage),
        ] {
            assert_eq!(text.parse::<KeyScope>().unwrap(), scope);
            assert_eq!(scope.as_str(), text);
        }
        assert!("admin".parse::<KeyScope>().is_err());
    }
}
