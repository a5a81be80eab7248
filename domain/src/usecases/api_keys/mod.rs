//! `ApiKeys`: create (the only moment the plaintext exists), list, revoke, `authenticate` a
//! bearer key for the HTTP API and `authorize` what it asks to do. Malformed, unknown, revoked
//! and expired keys are one and the same error, so callers answer them identically.

mod budget;
#[cfg(test)]
mod tests;

pub use budget::{OverBudget, RequestBudget};

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;

use crate::model::{ApiKey, ApiOperation, KeyCreator, KeyScope, KeyStatus};
use crate::ports::{ApiKeyStore, ApiKeyStoreError, Clock, IdSource};
use crate::values::{ApiKeyId, GeneratedKey, KeyName, KeyNameError, hash_presented_key};

/// `last_used_at` is written at most this often per key, so busy automation does not cost a
/// database write per request.
pub const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

/// The longest lifetime a key may be given, in days (ten years).
pub const MAX_KEY_LIFETIME_DAYS: u32 = 3650;

/// What a key is created with.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub scope: KeyScope,
    /// Days until it stops working (1 to [`MAX_KEY_LIFETIME_DAYS`]); `None`: it does not expire.
    pub expires_in_days: Option<u32>,
    pub created_by: KeyCreator,
}

/// A key just created: the stored record and the plaintext, to be shown once and dropped.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: SecretString,
}

/// Why an API key could not be created, found or revoked. Nothing is changed in these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    // Not a `#[source]`: the message already includes it, and `{:#}` would say it twice.
    #[error("invalid key name: {0}")]
    Name(KeyNameError),
    #[error("a key expires after 1 to {MAX_KEY_LIFETIME_DAYS} days, not {0}")]
    Lifetime(u32),
    #[error("no API key with id {0} (see `aviary key list`)")]
    NotFound(ApiKeyId),
    #[error("API key {0} is already revoked")]
    AlreadyRevoked(ApiKeyId),
    #[error(transparent)]
    Store(ApiKeyStoreError),
}

/// Why a bearer key was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Malformed, unknown, revoked or expired — deliberately indistinguishable.
    #[error("invalid API key")]
    InvalidKey,
    /// The store failed; the key may be fine.
    #[error("cannot check the API key: {0}")]
    Store(ApiKeyStoreError),
}

/// Manages and checks API keys.
#[derive(Clone)]
pub struct ApiKeys {
    store: Arc<dyn ApiKeyStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys").finish_non_exhaustive()
    }
}

impl ApiKeys {
    pub fn new(store: Arc<dyn ApiKeyStore>, clock: Arc<dyn Clock>, ids: Arc<dyn IdSource>) -> Self {
        Self { store, clock, ids }
    }

    /// The time, to the microsecond: what the store keeps, so a key returned here equals the
    /// key read back later.
    fn now(&self) -> DateTime<Utc> {
        let now = self.clock.now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    /// Every problem with `new`, one per field (name, lifetime), without storing anything:
    /// forms show each next to its field.
    pub fn check(new: &NewApiKey) -> Vec<ApiKeyError> {
        [
            KeyName::parse(&new.name).err().map(ApiKeyError::Name),
            lifetime(new.expires_in_days).err(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Creates a key from 256 random bits and stores only its digest.
    ///
    /// # Errors
    /// `Name` for an invalid name, `Lifetime` for an expiry out of range, `Store` when it
    /// cannot be stored (then nothing is).
    pub async fn create(&self, new: NewApiKey) -> Result<CreatedKey, ApiKeyError> {
        let name = KeyName::parse(&new.name).map_err(ApiKeyError::Name)?;
        let lifetime = lifetime(new.expires_in_days)?;
        let generated = GeneratedKey::from_random(self.ids.random_256());
        let created_at = self.now();
        let key = ApiKey {
            id: ApiKeyId::from_uuid(self.ids.new_uuid()),
            name,
            prefix: generated.prefix,
            secret_hash: generated.hash,
            scope: new.scope,
            created_by: new.created_by,
            created_at,
            expires_at: lifetime.map(|days| created_at + days),
            last_used_at: None,
            revoked_at: None,
        };
        self.store.insert(&key).await.map_err(ApiKeyError::Store)?;
        Ok(CreatedKey {
            key,
            secret: generated.secret,
        })
    }

    /// Every key, revoked ones included, oldest first.
    ///
    /// # Errors
    /// `Store` when the store fails.
    pub async fn list(&self) -> Result<Vec<ApiKey>, ApiKeyError> {
        self.store.list().await.map_err(ApiKeyError::Store)
    }

    /// Whether `key` works now.
    pub fn status(&self, key: &ApiKey) -> KeyStatus {
        key.status_at(self.clock.now())
    }

    /// One key.
    ///
    /// # Errors
    /// `NotFound` when no key has this id, `Store` when the store fails.
    pub async fn get(&self, id: ApiKeyId) -> Result<ApiKey, ApiKeyError> {
        self.store
            .get(id)
            .await
            .map_err(ApiKeyError::Store)?
            .ok_or(ApiKeyError::NotFound(id))
    }

    /// Revokes an active key; it stops authenticating at once. Returns the revoked key.
    ///
    /// # Errors
    /// `NotFound` for an unknown id, `AlreadyRevoked` when it was revoked before (also by a
    /// concurrent caller), `Store` when the store fails.
    pub async fn revoke(&self, id: ApiKeyId) -> Result<ApiKey, ApiKeyError> {
        let mut key = self.get(id).await?;
        if !key.is_active() {
            return Err(ApiKeyError::AlreadyRevoked(id));
        }
        let now = self.now();
        match self.store.revoke(id, now).await {
            Ok(true) => {
                key.revoked_at = Some(now);
                Ok(key)
            }
            Ok(false) => Err(ApiKeyError::AlreadyRevoked(id)),
            Err(ApiKeyStoreError::NotFound(_)) => Err(ApiKeyError::NotFound(id)),
            Err(other) => Err(ApiKeyError::Store(other)),
        }
    }

    /// The active key `bearer` (the text after `Authorization: Bearer `) is, with its use
    /// recorded (at most once per [`LAST_USED_RESOLUTION`]).
    ///
    /// # Errors
    /// `InvalidKey` for a malformed, unknown, revoked or expired key — the same for all four —
    /// and `Store` when the store fails.
    pub async fn authenticate(&self, bearer: &str) -> Result<ApiKey, AuthError> {
        let hash = hash_presented_key(bearer).map_err(|_| AuthError::InvalidKey)?;
        let mut key = self
            .store
            .find_by_hash(&hash)
            .await
            .map_err(AuthError::Store)?
            .ok_or(AuthError::InvalidKey)?;
        // `ApiKeyHash` equality is constant-time (subtle). The store already matched on the
        // digest; checking again keeps a lax store (say, a case-insensitive match) harmless.
        let now = self.now();
        if key.secret_hash != hash || !key.is_usable_at(now) {
            return Err(AuthError::InvalidKey);
        }
        let due = key
            .last_used_at
            .is_none_or(|last| now - last >= LAST_USED_RESOLUTION);
        if due {
            match self.store.touch_last_used(key.id, now).await {
                Ok(()) => key.last_used_at = Some(now),
                // Gone between the lookup and the write: it no longer authenticates.
                Err(ApiKeyStoreError::NotFound(_)) => return Err(AuthError::InvalidKey),
                Err(other) => return Err(AuthError::Store(other)),
            }
        }
        Ok(key)
    }
}

/// A key's scope does not permit what it asked to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this API key has the scope `{has}`; {operation} needs `{}`", operation.needs())]
pub struct ScopeError {
    pub has: KeyScope,
    pub operation: ApiOperation,
}

/// Whether a key of `scope` may do `operation`.
///
/// # Errors
/// [`ScopeError`] naming the key's scope and the one needed.
pub fn authorize(scope: KeyScope, operation: ApiOperation) -> Result<(), ScopeError> {
    if scope.permits(operation) {
        Ok(())
    } else {
        Err(ScopeError {
            has: scope,
            operation,
        })
    }
}

/// The lifetime of a new key, checked.
fn lifetime(days: Option<u32>) -> Result<Option<TimeDelta>, ApiKeyError> {
    match days {
        None => Ok(None),
        Some(n @ 1..=MAX_KEY_LIFETIME_DAYS) => Ok(Some(TimeDelta::days(i64::from(n)))),
        Some(other) => Err(ApiKeyError::Lifetime(other)),
    }
}
