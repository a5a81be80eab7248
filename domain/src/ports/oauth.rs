//! OAuth port: the admin's login with Lark (authorize URL on the accounts host, code exchange
//! and refresh at `/open-apis/authen/v2/oauth/token`, `/authen/v1/user_info`).

use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::model::{AuthorizedUser, IntegrationSummary};
use crate::ports::DirectoryConnection;
use crate::values::{BaseUrlRefusal, OAuthState, PkceVerifier};

/// What goes into the authorize URL.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub redirect_uri: String,
    pub state: OAuthState,
    /// S256 challenge of the login's PKCE verifier.
    pub code_challenge: String,
    /// Space-joined into `scope` (left out when empty); `offline_access` gets a refresh token.
    pub scopes: Vec<String>,
}

/// Tokens as a token endpoint issues them: lifetimes in seconds from now (the use case turns
/// them into instants with its clock).
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: SecretString,
    pub expires_in: Duration,
    /// Only when `offline_access` was granted.
    pub refresh_token: Option<SecretString>,
    pub refresh_expires_in: Option<Duration>,
    pub scopes: Vec<String>,
}

/// Why Lark refused or failed a token or user-info request. As with `DirectoryError`, the text
/// never carries what the upstream said; `detail` keeps it for the adapter's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The app's ID or secret was rejected (20002, 20024, 20048, …).
    #[error("Lark rejected the app credentials")]
    InvalidClient { detail: String },
    /// The authorization code is unknown, used, expired or failed the PKCE or redirect check
    /// (20003, 20004, 20049, 20065, 20071): the admin must sign in again.
    #[error("Lark refused the sign-in code")]
    InvalidCode { detail: String },
    /// The refresh token is expired, revoked or already used (20026, 20037, 20064, 20073):
    /// the admin must authorise again.
    #[error("Lark refused to renew the sign-in")]
    RefreshRejected { detail: String },
    /// The app may not refresh user tokens (20074): the developer console's switch for
    /// refreshing user_access_token is off. Signing in again does not help until it is on.
    #[error(
        "Lark does not let this app renew sign-ins (the refresh switch under Security Settings is off)"
    )]
    RefreshDisabled { detail: String },
    /// The user token was refused by an API (99991668, 99991677).
    #[error("Lark refused the user's access token")]
    AccessTokenRejected { detail: String },
    /// The user may not use the app (20010) or is blocked (20008, 20066).
    #[error("the Lark user may not use this app")]
    UserNotAllowed { detail: String },
    /// Lark or the network kept failing after bounded retries.
    #[error("Lark could not be reached or kept failing")]
    Unavailable { detail: String },
    /// The integration's custom base URL is one this installation does not send requests to;
    /// nothing was sent.
    #[error(transparent)]
    BaseUrlRefused(BaseUrlRefusal),
    /// Anything else, with Lark's code and description.
    #[error("Lark answered the sign-in with error code {code}")]
    Other { code: i64, detail: String },
}

/// Talks OAuth with one integration's app.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OAuthGateway: Send + Sync {
    /// The accounts host (`scheme://host[:port]`, maybe with a path) that an integration's
    /// login pages live on: the page the admin is sent to is under it.
    fn accounts_base(&self, integration: &IntegrationSummary) -> String;

    /// The accounts-host URL to send the admin's browser to.
    fn authorize_url(&self, connection: &DirectoryConnection, request: &AuthorizeRequest)
    -> String;

    /// Exchanges the callback's code (with the PKCE verifier and the same redirect URI).
    ///
    /// # Errors
    /// `InvalidCode`, `InvalidClient`, `UserNotAllowed`, `Unavailable`, `Other`;
    /// `BaseUrlRefused` (nothing sent) for a custom base URL the installation does not allow.
    async fn exchange_code(
        &self,
        connection: &DirectoryConnection,
        code: &str,
        redirect_uri: &str,
        verifier: &PkceVerifier,
    ) -> Result<IssuedTokens, OAuthError>;

    /// Spends the (single-use) refresh token for a new pair.
    ///
    /// # Errors
    /// `RefreshRejected`, `RefreshDisabled`, `InvalidClient`, `Unavailable`, `Other`;
    /// `BaseUrlRefused` as for `exchange_code`.
    async fn refresh(
        &self,
        connection: &DirectoryConnection,
        refresh_token: &SecretString,
    ) -> Result<IssuedTokens, OAuthError>;

    /// Who the access token belongs to.
    ///
    /// # Errors
    /// `AccessTokenRejected`, `Unavailable`, `Other`; `BaseUrlRefused` as for `exchange_code`.
    async fn user_info(
        &self,
        connection: &DirectoryConnection,
        access_token: &SecretString,
    ) -> Result<AuthorizedUser, OAuthError>;
}
