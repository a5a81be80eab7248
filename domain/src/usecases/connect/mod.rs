//! Connecting an integration through the admin's Lark login: `start` makes the authorize URL
//! (single-use `state`, PKCE S256) and `complete` handles the callback — exchange the code,
//! read who signed in and the tenant, store the grant, mark the integration active. Nothing is
//! stored unless every check passes. `UserTokens` hands out fresh user access tokens and checks
//! who the grant signs in as (every sync run does).

mod complete;
mod start;
mod tokens;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::model::{IntegrationSummary, Region};
use crate::ports::{
    Clock, DirectoryGateway, GrantStore, GrantStoreError, IdSource, IntegrationRepository,
    IntegrationStoreError, OAuthGateway,
};

pub use complete::{Callback, CallbackError, Connected};
pub use tokens::{SignInCheck, TokenError, UserTokens};

/// Where Lark sends the admin back, per region: distinct paths defend against mix-ups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUris {
    pub lark: String,
    pub feishu: String,
}

impl RedirectUris {
    /// `{public_base_url}/admin/integrations/callback/{lark|feishu}`.
    pub fn under(public_base_url: &str) -> Self {
        let base = public_base_url.trim_end_matches('/');
        Self {
            lark: format!("{base}/admin/integrations/callback/lark"),
            feishu: format!("{base}/admin/integrations/callback/feishu"),
        }
    }

    pub fn for_region(&self, region: Region) -> &str {
        match region {
            Region::Lark => &self.lark,
            Region::Feishu => &self.feishu,
        }
    }
}

/// The permission that makes Lark issue a refresh token with the user's access token.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// How logins are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    pub redirect_uris: RedirectUris,
    /// Requested in every authorize URL (none by default). Lark stops the admin on its own page
    /// (20027) when one of them is not enabled for the app, so only scopes every app is
    /// known to have belong here.
    pub scopes: Vec<String>,
}

/// What one login asks Lark for besides the settings' scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginOptions {
    /// Ask for `offline_access`, so that Lark issues a refresh token and Aviary can keep the
    /// sign-in renewed. Only for an app whose developer console enables `offline_access`:
    /// asking an app without it makes Lark refuse the sign-in (20027).
    pub offline_access: bool,
}

impl ConnectSettings {
    fn requested_scopes(&self, options: LoginOptions) -> Vec<String> {
        let mut scopes = self.scopes.clone();
        if options.offline_access && !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
            scopes.push(OFFLINE_ACCESS.to_owned());
        }
        scopes
    }
}

/// Why a login could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("integration {0} does not exist")]
    UnknownIntegration(crate::values::IntegrationId),
    #[error("cannot start the login")]
    Store(#[source] ConnectBackend),
}

/// The store that failed under a login use case, kept whole so that the apps map each fault
/// once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectBackend {
    #[error(transparent)]
    Integrations(#[from] IntegrationStoreError),
    #[error(transparent)]
    Grants(#[from] GrantStoreError),
}

/// The login use cases over their ports.
pub struct Connect {
    integrations: Arc<dyn IntegrationRepository>,
    grants: Arc<dyn GrantStore>,
    oauth: Arc<dyn OAuthGateway>,
    directory: Arc<dyn DirectoryGateway>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    settings: ConnectSettings,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Connect {
    pub fn new(
        integrations: Arc<dyn IntegrationRepository>,
        grants: Arc<dyn GrantStore>,
        oauth: Arc<dyn OAuthGateway>,
        directory: Arc<dyn DirectoryGateway>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        settings: ConnectSettings,
    ) -> Self {
        Self {
            integrations,
            grants,
            oauth,
            directory,
            clock,
            ids,
            settings,
        }
    }

    /// Where the admin's browser goes to sign in for `integration`: its accounts host (the web
    /// UI lets its connect forms reach it).
    pub fn accounts_base(&self, integration: &IntegrationSummary) -> String {
        self.oauth.accounts_base(integration)
    }
}
