//! `ApiKey`: a credential for automation (sent as `Authorization: Bearer`), as stored — its
//! name, display prefix and digest, never the key itself.

use chrono::{DateTime, Utc};

use crate::values::{ApiKeyHash, ApiKeyId, KeyName, KeyPrefix};

/// A stored API key. The plaintext exists only once, when the key is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: KeyName,
    /// `avk_` and the first 8 characters of the random part; not secret.
    pub prefix: KeyPrefix,
    /// SHA-256 of the whole key.
    pub secret_hash: ApiKeyHash,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute, so it may lag the latest request by that much.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether the key still authenticates (it has not been revoked).
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}
