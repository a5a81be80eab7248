//! Starting a login: a fresh `state` and PKCE verifier, remembered for ten minutes, and the
//! authorize URL that carries them.

use chrono::Duration;

use super::{Connect, StartError};
use crate::model::{LOGIN_TIMEOUT_MINUTES, PendingLogin};
use crate::ports::{AuthorizeRequest, DirectoryConnection, IntegrationStoreError};
use crate::values::{IntegrationId, OAuthState, PkceVerifier};

impl Connect {
    /// Begins a login for the integration on behalf of `started_by` (the admin's session) and
    /// returns the URL to send their browser to.
    ///
    /// # Errors
    /// `UnknownIntegration`, or `Store` when the login cannot be remembered.
    pub async fn start(
        &self,
        integration: IntegrationId,
        started_by: &str,
    ) -> Result<String, StartError> {
        let found = self
            .integrations
            .get(integration)
            .await
            .map_err(|err| match err {
                IntegrationStoreError::NotFound(id) => StartError::UnknownIntegration(id),
                other => StartError::Store(other.to_string()),
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
            .map_err(|err| StartError::Store(err.to_string()))?;
        let request = AuthorizeRequest {
            redirect_uri: login.redirect_uri.clone(),
            state: login.state.clone(),
            code_challenge: login.verifier.challenge_s256(),
            scopes: self.settings.requested_scopes(),
        };
        Ok(self
            .oauth
            .authorize_url(&DirectoryConnection::of(&found, None), &request))
    }
}
