//! API key store port: the stored keys (digests only), looked up by id or by digest.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fault::StoreFault;
use crate::model::ApiKey;
use crate::values::{ApiKeyHash, ApiKeyId};

/// Why an API key could not be stored or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyStoreError {
    /// A key with this id or digest is already stored.
    #[error("an API key with id {0} or the same secret already exists")]
    Duplicate(ApiKeyId),
    #[error("API key {0} does not exist")]
    NotFound(ApiKeyId),
    #[error("database error")]
    Backend(#[from] StoreFault),
}

/// Stores API keys. Implementations never see a plaintext key, only its digest.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// # Errors
    /// `Duplicate` when the id or digest is taken, `Backend` otherwise.
    async fn insert(&self, key: &ApiKey) -> Result<(), ApiKeyStoreError>;

    /// Every key, revoked ones included, oldest first.
    ///
    /// # Errors
    /// `Backend` when the store fails.
    async fn list(&self) -> Result<Vec<ApiKey>, ApiKeyStoreError>;

    /// # Errors
    /// `Backend` when the store fails.
    async fn get(&self, id: ApiKeyId) -> Result<Option<ApiKey>, ApiKeyStoreError>;

    /// The key whose digest is `hash`, revoked or not.
    ///
    /// # Errors
    /// `Backend` when the store fails.
    async fn find_by_hash(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, ApiKeyStoreError>;

    /// Marks the key revoked at `now`. Returns whether it was active: `false` when it had
    /// already been revoked (its `revoked_at` is left as it was).
    ///
    /// # Errors
    /// `NotFound` when no key has this id, `Backend` otherwise.
    async fn revoke(&self, id: ApiKeyId, now: DateTime<Utc>) -> Result<bool, ApiKeyStoreError>;

    /// Records that the key was used at `now`; never moves `last_used_at` backwards.
    ///
    /// # Errors
    /// `NotFound` when no key has this id, `Backend` otherwise.
    async fn touch_last_used(
        &self,
        id: ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<(), ApiKeyStoreError>;
}
