//! Fresh user access tokens for an integration. Lark's refresh tokens are single use, so
//! refreshes are serialised per integration in this process (concurrent callers wait and reuse
//! the result), and the new pair is stored — over the generation it replaced — before anyone
//! uses it. If another process refreshed first, its stored pair is used instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Duration;
use futures::lock::Mutex as AsyncMutex;
use secrecy::SecretString;

use crate::model::{Grant, IntegrationStatus, TokenSet};
use crate::ports::{
    Clock, DirectoryConnection, GrantStore, IntegrationRepository, OAuthError, OAuthGateway,
};
use crate::values::IntegrationId;

/// Access tokens with less than this left are refreshed first.
const REFRESH_MARGIN_SECONDS: i64 = 300;

/// Why no user access token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("integration {0} does not exist")]
    UnknownIntegration(IntegrationId),
    /// Never authorised, or the grant can no longer be renewed: an admin must connect again.
    #[error("the integration needs an admin to connect it with Lark again")]
    NeedsAuthorization,
    #[error("{0}")]
    OAuth(OAuthError),
    #[error("{0}")]
    Store(String),
}

/// Hands out user access tokens, refreshing them when needed.
pub struct UserTokens {
    integrations: Arc<dyn IntegrationRepository>,
    grants: Arc<dyn GrantStore>,
    oauth: Arc<dyn OAuthGateway>,
    clock: Arc<dyn Clock>,
    /// One lock per integration: at most one refresh in flight each.
    locks: Mutex<HashMap<IntegrationId, Arc<AsyncMutex<()>>>>,
}

impl std::fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserTokens").finish_non_exhaustive()
    }
}

impl UserTokens {
    pub fn new(
        integrations: Arc<dyn IntegrationRepository>,
        grants: Arc<dyn GrantStore>,
        oauth: Arc<dyn OAuthGateway>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            integrations,
            grants,
            oauth,
            clock,
            locks: Mutex::default(),
        }
    }

    /// A user access token with at least five minutes left.
    ///
    /// # Errors
    /// `NeedsAuthorization` (the integration is then marked `needs_reauthorization`),
    /// `UnknownIntegration`, `OAuth` for other Lark failures, `Store`.
    pub async fn access_token(&self, id: IntegrationId) -> Result<SecretString, TokenError> {
        let lock = self.lock_for(id);
        let _serialised = lock.lock().await;
        let grant = self.stored(id).await?;
        let now = self.clock.now();
        let margin = Duration::seconds(REFRESH_MARGIN_SECONDS);
        if grant.access_fresh_at(now, margin) {
            return Ok(grant.tokens.access_token);
        }
        let Some(refresh_token) = grant.usable_refresh_token(now).cloned() else {
            return Err(self.needs_authorization(id).await);
        };
        let integration = self
            .integrations
            .get(id)
            .await
            .map_err(|err| TokenError::Store(err.to_string()))?
            .ok_or(TokenError::UnknownIntegration(id))?;
        let connection = DirectoryConnection::of(&integration, None);
        match self.oauth.refresh(&connection, &refresh_token).await {
            Ok(issued) => {
                let tokens = TokenSet::issued_at(self.clock.now(), issued);
                let refreshed = Grant { tokens, ..grant };
                match self
                    .grants
                    .replace_refreshed(&refreshed)
                    .await
                    .map_err(|err| TokenError::Store(err.to_string()))?
                {
                    Some(stored) => Ok(stored.tokens.access_token),
                    // Another process stored a pair first; ours is valid too, but theirs is the
                    // one whose refresh token survives, so use what is stored.
                    None => self.fresh_from_store(id, margin).await,
                }
            }
            // Spent or revoked: maybe by another process that stored its new pair.
            Err(OAuthError::RefreshRejected { .. }) => {
                match self.fresh_from_store(id, margin).await {
                    Ok(token) => Ok(token),
                    Err(TokenError::NeedsAuthorization) => Err(self.needs_authorization(id).await),
                    Err(other) => Err(other),
                }
            }
            Err(other) => Err(TokenError::OAuth(other)),
        }
    }

    fn lock_for(&self, id: IntegrationId) -> Arc<AsyncMutex<()>> {
        // A poisoned map still holds valid locks: nothing panics while it is held.
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(id).or_default())
    }

    async fn stored(&self, id: IntegrationId) -> Result<Grant, TokenError> {
        self.grants
            .grant(id)
            .await
            .map_err(|err| TokenError::Store(err.to_string()))?
            .ok_or(TokenError::NeedsAuthorization)
    }

    async fn fresh_from_store(
        &self,
        id: IntegrationId,
        margin: Duration,
    ) -> Result<SecretString, TokenError> {
        let grant = self.stored(id).await?;
        if grant.access_fresh_at(self.clock.now(), margin) {
            Ok(grant.tokens.access_token)
        } else {
            Err(TokenError::NeedsAuthorization)
        }
    }

    async fn needs_authorization(&self, id: IntegrationId) -> TokenError {
        let marked = self
            .integrations
            .set_status(
                id,
                IntegrationStatus::NeedsReauthorization,
                None,
                self.clock.now(),
            )
            .await;
        match marked {
            Ok(()) => TokenError::NeedsAuthorization,
            Err(err) => TokenError::Store(err.to_string()),
        }
    }
}
