//! Starting a login: a fresh `state` and PKCE verifier, remembered for ten minutes, and the
//! authorize URL that carries them.

use chrono::Duration;

use super::{Connect, LoginOptions, StartError};
use crate::model::{LOGIN_TIMEOUT_MINUTES, PendingLogin};
use crate::ports::{AuthorizeRequest, DirectoryConnection, IntegrationStoreError};
use crate::values::{ApiKeyId, IntegrationId, OAuthState, PkceVerifier};

/// How a login started through the JSON API records its starter: `api-key:<key id>`.
const API_KEY_STARTER: &str = "api-key:";

/// The `started_by` of a login started through the JSON API with the key `key`.
///
/// An API client has no browser session to bind the login to, and its admin opens the
/// authorize URL in a browser where they are signed in to the web UI; so such a login is
/// bound to the key that started it (recorded for the audit trail) and any signed-in admin
/// session may complete it (see [`Connect::complete`]). Session ids are hex digests, so the
/// two kinds of starter can never be mistaken for one another.
pub fn started_by_api_key(key: ApiKeyId) -> String {
    format!("{API_KEY_STARTER}{key}")
}

/// Whether a login was started through the JSON API rather than from a browser session.
pub(super) fn started_by_an_api_key(started_by: &str) -> bool {
    started_by.starts_with(API_KEY_STARTER)
}

impl Connect {
    /// Begins a login for the integration on behalf of `started_by` (the admin's session, or
    /// [`started_by_api_key`]) and returns the URL to send their browser to.
    ///
    /// # Errors
    /// `UnknownIntegration`, or `Store` when the login cannot be remembered.
    pub async fn start(
        &self,
        integration: IntegrationId,
        started_by: &str,
        options: LoginOptions,
    ) -> Result<String, StartError> {
        let found = self
            .integrations
            .get(integration)
            .await
            .map_err(|err| match err {
                IntegrationStoreError::NotFound(id) => StartError::UnknownIntegration(id),
                other => StartError::Store(other.into()),
            })?
            .ok_or(StartError::UnknownIntegration(integration))?;
        let login = PendingLogin {
            state: OAuthState::from_random(self.ids.random_256()),
            integration_id: found.id,
            started_by: started_by.to_owned(),
            verifier: PkceVerifier::from_random(self.ids.random_256()),
            redirect_uri: self
                .settings
                .redirect_uris
                .for_region(found.region)
                .to_owned(),
            expires_at: self.clock.now() + Duration::minutes(LOGIN_TIMEOUT_MINUTES),
        };
        self.grants
            .save_login(&login)
            .await
            .map_err(|err| StartError::Store(err.into()))?;
        let request = AuthorizeRequest {
            redirect_uri: login.redirect_uri.clone(),
            state: login.state.clone(),
            code_challenge: login.verifier.challenge_s256(),
            scopes: self.settings.requested_scopes(options),
        };
        Ok(self
            .oauth
            .authorize_url(&DirectoryConnection::of(&found, None), &request))
    }
}
