//! Fresh user access tokens for an integration. Lark's refresh tokens are single use, so
//! refreshes are serialised per integration in this process (concurrent callers wait and reuse
//! the result) and across processes by a claim on the stored grant's generation: only the
//! claimant asks Lark, the others wait for the pair it stores. The new pair is stored — over
//! the generation it replaced, retried while the store fails, since the spent refresh token
//! cannot be asked for again — before anyone uses it. A token Lark rejects before its stored
//! expiry is renewed once however many callers saw the rejection, and `check_sign_in` asks Lark
//! who the grant signs in as today.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Duration;
use futures::lock::Mutex as AsyncMutex;
use secrecy::{ExposeSecret as _, SecretString};

use super::ConnectBackend;
use crate::model::{AuthorizedUser, Grant, Integration, IntegrationStatus, TokenSet};
use crate::ports::{
    Clock, DirectoryConnection, GrantStore, GrantStoreError, IntegrationRepository, IssuedTokens,
    OAuthError, OAuthGateway, Timer,
};
use crate::values::IntegrationId;

/// Access tokens with less than this left are refreshed first.
const REFRESH_MARGIN_SECONDS: i64 = 300;

/// How long a claim to refresh lasts: longer than a refresh and its stored result take (the
/// Lark client's bounded retries, the store's), so that it lapses only when its process died.
const CLAIM_SECONDS: i64 = 90;

/// How often a process waiting for another's refresh looks for the stored pair.
const CLAIM_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// Waits before each new attempt to store a refreshed pair (then it is given up: about 15 s
/// in all, well within the claim).
const STORE_RETRIES: [std::time::Duration; 5] = [
    std::time::Duration::from_millis(250),
    std::time::Duration::from_millis(500),
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(4),
    std::time::Duration::from_secs(8),
];

/// Why no user access token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("integration {0} does not exist")]
    UnknownIntegration(IntegrationId),
    /// Never authorised, or the grant can no longer be renewed (refresh token expired, spent,
    /// revoked, or its user may no longer use the app): an admin must connect again.
    #[error("the integration needs an admin to connect it with Lark again")]
    NeedsAuthorization,
    /// The sign-in was made without `offline_access`, so Lark gave no refresh token, and its
    /// access token has expired. Not a fault: the identity and tenant stay recorded and syncs
    /// use the app's own credentials; there is just no user token to be had.
    #[error(
        "the Lark sign-in was made without offline_access and its access token has expired; \
         Lark gives no way to renew it"
    )]
    NotRenewable,
    #[error("{0}")]
    OAuth(OAuthError),
    #[error("cannot read or store the Lark sign-in")]
    Store(#[source] ConnectBackend),
}

/// Who an integration's grant belongs to, and who its access token signs in as today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInCheck {
    /// The Lark user who approved the login, as stored with the grant.
    pub authorized_by: AuthorizedUser,
    /// What `/authen/v1/user_info` answers now for the grant's access token.
    pub signed_in: AuthorizedUser,
}

/// Hands out user access tokens, refreshing them when needed. One instance per process:
/// its locks are what serialise the refreshes.
pub struct UserTokens {
    integrations: Arc<dyn IntegrationRepository>,
    grants: Arc<dyn GrantStore>,
    oauth: Arc<dyn OAuthGateway>,
    clock: Arc<dyn Clock>,
    /// Paces waiting for another process's refresh and retrying a failed store.
    timer: Arc<dyn Timer>,
    /// This process, as its refresh claims name it.
    owner: String,
    /// One lock per integration: at most one refresh in flight each.
    locks: Mutex<HashMap<IntegrationId, Arc<AsyncMutex<()>>>>,
}

impl std::fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserTokens").finish_non_exhaustive()
    }
}

impl UserTokens {
    /// `owner` names this process in its refresh claims (`host:pid/…`, as its leases do).
    pub fn new(
        integrations: Arc<dyn IntegrationRepository>,
        grants: Arc<dyn GrantStore>,
        oauth: Arc<dyn OAuthGateway>,
        clock: Arc<dyn Clock>,
        timer: Arc<dyn Timer>,
        owner: String,
    ) -> Self {
        Self {
            integrations,
            grants,
            oauth,
            clock,
            timer,
            owner,
            locks: Mutex::default(),
        }
    }

    /// A user access token with at least five minutes left.
    ///
    /// # Errors
    /// `NeedsAuthorization` (the integration is then marked `needs_reauthorization`, unless it
    /// never had a grant), `NotRenewable` for an expired sign-in made without `offline_access`
    /// (nothing is marked), `UnknownIntegration`, `OAuth` for other Lark failures, `Store`.
    pub async fn access_token(&self, id: IntegrationId) -> Result<SecretString, TokenError> {
        let lock = self.lock_for(id);
        let _serialised = lock.lock().await;
        let grant = self.stored(id).await?;
        let margin = Duration::seconds(REFRESH_MARGIN_SECONDS);
        if grant.access_fresh_at(self.clock.now(), margin) {
            return Ok(grant.tokens.access_token);
        }
        self.refresh_locked(id, grant).await
    }

    /// A replacement for `rejected`, an access token Lark refused (99991668, 99991677) although
    /// it had not expired by the stored clock: refreshes only if the stored token is still the
    /// rejected one, else returns the newer stored token — so any number of callers that saw
    /// the same rejection cause one refresh.
    ///
    /// # Errors
    /// As [`UserTokens::access_token`].
    pub async fn renew_rejected(
        &self,
        id: IntegrationId,
        rejected: &SecretString,
    ) -> Result<SecretString, TokenError> {
        let lock = self.lock_for(id);
        let _serialised = lock.lock().await;
        let grant = self.stored(id).await?;
        if grant.tokens.access_token.expose_secret() != rejected.expose_secret() {
            return Ok(grant.tokens.access_token);
        }
        self.refresh_locked(id, grant).await
    }

    /// Asks Lark who the grant's access token signs in as, renewing it once if Lark rejects it.
    ///
    /// # Errors
    /// As [`UserTokens::access_token`]; `OAuth` also when `user_info` fails or rejects even a
    /// renewed token.
    pub async fn check_sign_in(&self, id: IntegrationId) -> Result<SignInCheck, TokenError> {
        let connection = DirectoryConnection::of(&self.integration(id).await?, None);
        let token = self.access_token(id).await?;
        let signed_in = match self.oauth.user_info(&connection, &token).await {
            Ok(user) => user,
            Err(OAuthError::AccessTokenRejected { .. }) => {
                let renewed = self.renew_rejected(id, &token).await?;
                self.oauth
                    .user_info(&connection, &renewed)
                    .await
                    .map_err(TokenError::OAuth)?
            }
            Err(other) => return Err(TokenError::OAuth(other)),
        };
        let grant = self.stored(id).await?;
        Ok(SignInCheck {
            authorized_by: grant.authorized_by,
            signed_in,
        })
    }

    /// Refreshes the grant, holding the integration's lock: claims its generation across
    /// processes and spends the refresh token, or — when another process holds the claim —
    /// waits for the pair it stores.
    async fn refresh_locked(
        &self,
        id: IntegrationId,
        grant: Grant,
    ) -> Result<SecretString, TokenError> {
        if grant.tokens.refresh_token.is_none() {
            return Err(TokenError::NotRenewable);
        }
        let generation = grant.generation;
        let mut waited_since = None;
        // The caller has just read it: the store is read again only after waiting.
        let mut stored = grant;
        loop {
            if stored.generation != generation {
                // Another process refreshed (or an admin signed in again) meanwhile.
                return Ok(stored.tokens.access_token);
            }
            if self.claim(id, generation).await? {
                let spent = self.spend(id, stored).await;
                if spent.is_err() {
                    // Best effort: the claim lapses by itself otherwise.
                    let _ = self.grants.release_refresh(id, &self.owner).await;
                }
                return spent;
            }
            let since = *waited_since.get_or_insert_with(|| self.clock.now());
            if self.clock.now() - since > Duration::seconds(2 * CLAIM_SECONDS) {
                return Err(TokenError::OAuth(OAuthError::Unavailable {
                    detail: "another process's refresh of the Lark sign-in did not finish".into(),
                }));
            }
            self.timer.sleep(CLAIM_POLL).await;
            stored = self.stored(id).await?;
        }
    }

    /// Claims refreshing the grant at `generation` for this process.
    async fn claim(&self, id: IntegrationId, generation: i64) -> Result<bool, TokenError> {
        let now = self.clock.now();
        let until = now + Duration::seconds(CLAIM_SECONDS);
        self.grants
            .claim_refresh(id, generation, &self.owner, until, now)
            .await
            .map_err(|err| TokenError::Store(err.into()))
    }

    /// Spends the grant's refresh token (this process holds the claim) and stores the new
    /// pair. When Lark refuses the token, a newer pair in the store (stored by a process whose
    /// claim lapsed) is used instead.
    async fn spend(&self, id: IntegrationId, grant: Grant) -> Result<SecretString, TokenError> {
        let Some(refresh_token) = grant.usable_refresh_token(self.clock.now()).cloned() else {
            return Err(self.needs_authorization(id).await);
        };
        let connection = DirectoryConnection::of(&self.integration(id).await?, None);
        let generation = grant.generation;
        match self.oauth.refresh(&connection, &refresh_token).await {
            Ok(issued) => match self.store_refreshed(grant, issued).await? {
                Some(stored) => Ok(stored.tokens.access_token),
                // Another process stored a pair first; ours is valid too, but theirs is the
                // one whose refresh token survives, so use what is stored.
                None => self.newer_than(id, generation).await,
            },
            // Spent or revoked — maybe by another process that stored its new pair.
            Err(OAuthError::RefreshRejected { .. } | OAuthError::UserNotAllowed { .. }) => {
                match self.newer_than(id, generation).await {
                    Err(TokenError::NeedsAuthorization) => Err(self.needs_authorization(id).await),
                    other => other,
                }
            }
            Err(
                other @ (OAuthError::InvalidClient { .. }
                | OAuthError::RefreshDisabled { .. }
                | OAuthError::InvalidCode { .. }
                | OAuthError::AccessTokenRejected { .. }
                | OAuthError::Unavailable { .. }
                | OAuthError::BaseUrlRefused(_)
                | OAuthError::Other { .. }),
            ) => Err(TokenError::OAuth(other)),
        }
    }

    /// Stores the pair Lark issued over `grant`'s generation, retrying while the store fails:
    /// the old refresh token is spent, so this pair is the only way on.
    async fn store_refreshed(
        &self,
        grant: Grant,
        issued: IssuedTokens,
    ) -> Result<Option<Grant>, TokenError> {
        let tokens = TokenSet::issued_at(self.clock.now(), issued);
        let refreshed = Grant { tokens, ..grant };
        let mut waits = STORE_RETRIES.iter();
        loop {
            match self.grants.replace_refreshed(&refreshed).await {
                Ok(stored) => return Ok(stored),
                // Only a failing database is worth another try.
                Err(err @ GrantStoreError::Backend(_)) => match waits.next() {
                    Some(wait) => self.timer.sleep(*wait).await,
                    None => return Err(TokenError::Store(err.into())),
                },
                Err(err) => return Err(TokenError::Store(err.into())),
            }
        }
    }

    fn lock_for(&self, id: IntegrationId) -> Arc<AsyncMutex<()>> {
        // A poisoned map still holds valid locks: nothing panics while it is held.
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(id).or_default())
    }

    async fn integration(&self, id: IntegrationId) -> Result<Integration, TokenError> {
        self.integrations
            .get(id)
            .await
            .map_err(|err| TokenError::Store(err.into()))?
            .ok_or(TokenError::UnknownIntegration(id))
    }

    async fn stored(&self, id: IntegrationId) -> Result<Grant, TokenError> {
        self.grants
            .grant(id)
            .await
            .map_err(|err| TokenError::Store(err.into()))?
            .ok_or(TokenError::NeedsAuthorization)
    }

    /// The stored access token if a pair newer than `generation` was stored meanwhile.
    async fn newer_than(
        &self,
        id: IntegrationId,
        generation: i64,
    ) -> Result<SecretString, TokenError> {
        let grant = self.stored(id).await?;
        if grant.generation == generation {
            Err(TokenError::NeedsAuthorization)
        } else {
            Ok(grant.tokens.access_token)
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
            Err(err) => TokenError::Store(err.into()),
        }
    }
}
