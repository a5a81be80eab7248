//! Completing a login from Lark's callback. The `state` is spent first (single use), then every
//! check runs before anything is stored: same session, not expired, the callback path of the
//! integration's region, consent given, code exchanged, the signer-in belongs to the app's
//! tenant. Only then are the grant and the integration's new status written.

use super::ConnectBackend;
use chrono::{DateTime, Utc};

use crate::model::{
    AuthorizedUser, Grant, Integration, PendingLogin, Region, TenantInfo, TokenSet,
};
use crate::ports::{DirectoryConnection, DirectoryError, IntegrationStoreError, OAuthError};
use crate::values::{IntegrationId, OAuthState};

use super::Connect;

/// What came back on the callback URL.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    /// The region whose callback path was hit.
    pub region: Option<Region>,
    pub state: Option<String>,
    pub code: Option<String>,
    /// Lark's `error` parameter (`access_denied` when the admin declined).
    pub error: Option<String>,
}

/// A completed login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    pub integration_id: IntegrationId,
    pub tenant: TenantInfo,
    pub authorized_by: AuthorizedUser,
}

/// Why a callback was refused; in every case nothing was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// Missing, malformed, unknown or already used `state`.
    #[error("this sign-in link is not valid or was already used; start the connection again")]
    InvalidState,
    #[error("this sign-in took longer than 10 minutes; start the connection again")]
    ExpiredState,
    /// The callback reached a different browser session than the one that started it.
    #[error("this sign-in was started from another session; start the connection again here")]
    ForeignSession,
    /// A Lark callback arrived on the Feishu path or the other way round (mix-up defence).
    #[error("this sign-in came back on the {got} callback, but the integration is on {expected}")]
    WrongRegion { expected: Region, got: Region },
    #[error("the sign-in was declined on Lark's page; nothing was connected")]
    Denied,
    #[error("Lark reported an error instead of a sign-in: {0}")]
    Lark(String),
    #[error("Lark's callback carried no authorization code")]
    MissingCode,
    #[error("the integration no longer exists")]
    UnknownIntegration(IntegrationId),
    #[error("{0}")]
    OAuth(OAuthError),
    #[error("cannot read the tenant with the app's credentials: {0}")]
    Tenant(DirectoryError),
    /// The person who signed in belongs to another tenant than the app.
    #[error("the Lark user who signed in belongs to another tenant than this app's")]
    TenantMismatch,
    #[error("cannot read or store the Lark sign-in")]
    Store(#[source] ConnectBackend),
}

impl Connect {
    /// Handles the callback for the admin session `started_by`: the login must have been
    /// started by that session.
    ///
    /// # Errors
    /// [`CallbackError`]; nothing is stored on any error (the `state` is spent regardless).
    pub async fn complete(
        &self,
        callback: &Callback,
        started_by: &str,
    ) -> Result<Connected, CallbackError> {
        let now = self.clock.now();
        let login = self.claim_login(callback, started_by, now).await?;
        let integration = self.login_integration(&login, callback).await?;
        let code = callback_code(callback)?;
        let connection = DirectoryConnection::of(&integration, None);
        let (tokens, user) = self.exchange(&connection, &login, code, now).await?;
        let tenant = self.matching_tenant(&connection, &user).await?;
        let grant = Grant {
            integration_id: integration.id,
            tokens,
            authorized_by: user.clone(),
            granted_at: now,
            generation: 0,
        };
        self.grants
            .save_grant(&grant)
            .await
            .map_err(|err| CallbackError::Store(err.into()))?;
        self.integrations
            .record_authorization(integration.id, tenant.clone(), user.display(), now)
            .await
            .map_err(|err| CallbackError::Store(err.into()))?;
        Ok(Connected {
            integration_id: integration.id,
            tenant,
            authorized_by: user,
        })
    }

    /// The login the callback's `state` names, taken (single use), started by this very
    /// session and not expired.
    async fn claim_login(
        &self,
        callback: &Callback,
        started_by: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingLogin, CallbackError> {
        let state = callback
            .state
            .as_deref()
            .and_then(|raw| OAuthState::parse(raw).ok())
            .ok_or(CallbackError::InvalidState)?;
        let login = self
            .grants
            .take_login(&state)
            .await
            .map_err(|err| CallbackError::Store(err.into()))?
            .ok_or(CallbackError::InvalidState)?;
        if login.started_by != started_by {
            return Err(CallbackError::ForeignSession);
        }
        if login.expires_at <= now {
            return Err(CallbackError::ExpiredState);
        }
        Ok(login)
    }

    /// The integration the login is for, reached through its own region's callback.
    async fn login_integration(
        &self,
        login: &PendingLogin,
        callback: &Callback,
    ) -> Result<Integration, CallbackError> {
        let integration = self
            .integrations
            .get(login.integration_id)
            .await
            .map_err(|err| match err {
                IntegrationStoreError::NotFound(id) => CallbackError::UnknownIntegration(id),
                other => CallbackError::Store(other.into()),
            })?
            .ok_or(CallbackError::UnknownIntegration(login.integration_id))?;
        match callback.region {
            Some(got) if got == integration.region => Ok(integration),
            got => Err(CallbackError::WrongRegion {
                expected: integration.region,
                got: got.unwrap_or(integration.region),
            }),
        }
    }

    /// The code exchanged (with the login's PKCE verifier and redirect URI) for the admin's
    /// tokens, and who they belong to.
    async fn exchange(
        &self,
        connection: &DirectoryConnection,
        login: &PendingLogin,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(TokenSet, AuthorizedUser), CallbackError> {
        let issued = self
            .oauth
            .exchange_code(connection, code, &login.redirect_uri, &login.verifier)
            .await
            .map_err(CallbackError::OAuth)?;
        let tokens = TokenSet::issued_at(now, issued);
        let user = self
            .oauth
            .user_info(connection, &tokens.access_token)
            .await
            .map_err(CallbackError::OAuth)?;
        Ok((tokens, user))
    }

    /// The app's tenant, read with its own credentials, which must be the signed-in user's.
    async fn matching_tenant(
        &self,
        connection: &DirectoryConnection,
        user: &AuthorizedUser,
    ) -> Result<TenantInfo, CallbackError> {
        let session = self
            .directory
            .open(connection)
            .await
            .map_err(CallbackError::Tenant)?;
        let tenant = session.tenant().await.map_err(CallbackError::Tenant)?;
        if tenant.tenant_key != user.tenant_key {
            return Err(CallbackError::TenantMismatch);
        }
        Ok(tenant)
    }
}

/// Characters of a callback's `error` kept for the page and the log at most.
const REPORTED_ERROR_CHARS: usize = 64;

/// A callback's `error` as it may be shown and logged. Anyone can open the callback URL with
/// any text in it, so only what an OAuth error code is made of stays (RFC 6749 §4.1.2.1: ASCII
/// letters, digits and `_-.`; anything else becomes `?`), and at most
/// [`REPORTED_ERROR_CHARS`] of it.
fn reported_error(raw: &str) -> String {
    let mut kept: String = raw
        .chars()
        .take(REPORTED_ERROR_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '?'
            }
        })
        .collect();
    if raw.chars().count() > REPORTED_ERROR_CHARS {
        kept.push('…');
    }
    kept
}

/// The callback's `code`, unless Lark sent an error instead.
fn callback_code(callback: &Callback) -> Result<&str, CallbackError> {
    match callback.error.as_deref() {
        Some("access_denied") => return Err(CallbackError::Denied),
        Some(other) => return Err(CallbackError::Lark(reported_error(other))),
        None => {}
    }
    callback
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::MissingCode)
}
