//! Starting a login: a fresh `state` and PKCE verifier, remembered for ten minutes, and the
//! authorize URL that carries them.

use chrono::Duration;

use super::{Connect, LoginOptions, StartError};
use crate::model::{LOGIN_TIMEOUT_MINUTES, PendingLogin};
use crate::ports::{AuthorizeRequest, DirectoryConnection, IntegrationStoreError};
use crate::values::{IntegrationId, OAuthState, PkceVerifier};

impl Connect {
    /// Begins a login for the integration on behalf of `started_by`, the signed-in admin's
    /// browser session, and returns the URL to send their browser to. Only that session can
    /// finish it: a login started anywhere else could be finished in an admin's browser with
    /// a Lark account of the starter's choosing (login CSRF). The JSON API therefore only
    /// answers the page where a signed-in admin confirms and starts it.
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
