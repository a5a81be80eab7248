//! Grant store port: logins in progress (single-use `state`) and each integration's OAuth
//! grant, its tokens encrypted at rest by the implementation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fault::StoreFault;
use crate::model::{Grant, PendingLogin};
use crate::values::{IntegrationId, OAuthState};

/// Why a login or grant could not be stored or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantStoreError {
    /// The integration does not exist (any more).
    #[error("integration {0} does not exist")]
    NoIntegration(IntegrationId),
    /// A stored token could not be decrypted (wrong or missing master key).
    #[error("cannot decrypt the stored sign-in: {0}")]
    Undecryptable(String),
    #[error("database error")]
    Backend(#[from] StoreFault),
}

/// Stores logins in progress and grants.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Remembers a login until it completes or expires.
    ///
    /// # Errors
    /// `NoIntegration`, `Backend`.
    async fn save_login(&self, login: &PendingLogin) -> Result<(), GrantStoreError>;

    /// Removes and returns the login with this state, expired or not; a second call for the
    /// same state returns `None` (single use, also across processes).
    ///
    /// # Errors
    /// `Undecryptable`, `Backend`.
    async fn take_login(&self, state: &OAuthState)
    -> Result<Option<PendingLogin>, GrantStoreError>;

    /// The integration's grant, if it was ever authorised.
    ///
    /// # Errors
    /// `Undecryptable`, `Backend`.
    async fn grant(&self, integration: IntegrationId) -> Result<Option<Grant>, GrantStoreError>;

    /// Stores a grant from a completed login, replacing any earlier one; returns it with its
    /// new generation.
    ///
    /// # Errors
    /// `NoIntegration`, `Backend`.
    async fn save_grant(&self, grant: &Grant) -> Result<Grant, GrantStoreError>;

    /// Stores a refreshed grant only if the stored one is still at `grant.generation` (nobody
    /// refreshed meanwhile); returns the stored grant with its new generation, or `None` when
    /// another refresh won.
    ///
    /// # Errors
    /// `NoIntegration`, `Backend`.
    async fn replace_refreshed(&self, grant: &Grant) -> Result<Option<Grant>, GrantStoreError>;

    /// Claims, for `owner` until `until`, the right to refresh the integration's grant at
    /// `generation` — Lark's refresh tokens are single use, so of several processes needing a
    /// fresh token at once only the claimant asks Lark, and the others wait for the pair it
    /// stores. `false` when another owner's claim on that generation holds at `now`, or the
    /// grant has moved past `generation` (then re-read it). Storing the refreshed grant, or a new
    /// login, ends the claim.
    ///
    /// # Errors
    /// `Backend`.
    async fn claim_refresh(
        &self,
        integration: IntegrationId,
        generation: i64,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, GrantStoreError>;

    /// Gives up `owner`'s claim (a refresh that failed or was not needed); no error when it
    /// holds none.
    ///
    /// # Errors
    /// `Backend`.
    async fn release_refresh(
        &self,
        integration: IntegrationId,
        owner: &str,
    ) -> Result<(), GrantStoreError>;
}
