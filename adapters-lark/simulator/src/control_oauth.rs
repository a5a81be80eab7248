//! [`TenantControl`]'s user-OAuth half: consent mode, registered redirect URLs, enabled scopes,
//! extra OAuth clients, revoking a user's grant, expiring user tokens, failing the token endpoint.

use super::control::TenantControl;
use super::faults::error_status;
use super::model::SimError;
use super::oauth_settings::{ConsentMode, OAuthSettings, OFFLINE_ACCESS};
use super::redirect_uri;

impl TenantControl {
    /// Consent mode, registered redirect URLs and enabled scopes.
    #[must_use]
    pub fn oauth_settings(&self) -> OAuthSettings {
        self.state.oauth_console.snapshot()
    }

    /// What the authorize endpoint does with the next valid requests.
    pub fn set_consent_mode(&self, mode: ConsentMode) {
        self.state.oauth_console.update(|s| s.consent = mode);
    }

    /// Replaces the redirect URLs registered in the console (exact match); an empty list accepts
    /// any http(s) URL. Refused unless every URL is an absolute http(s) URL.
    pub fn set_redirect_urls<I, S>(&self, urls: I) -> Result<(), SimError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let urls: Vec<String> = urls.into_iter().map(Into::into).collect();
        if let Some((url, why)) = urls
            .iter()
            .find_map(|u| redirect_uri::problem(u).map(|why| (u, why)))
        {
            return Err(SimError::Invalid(format!("redirect URL {url:?}: {why}")));
        }
        self.state.oauth_console.update(|s| s.redirect_urls = urls);
        Ok(())
    }

    /// Replaces the scopes the app has enabled (requesting another one at authorize → 20027).
    pub fn set_enabled_scopes<I, S>(&self, scopes: I) -> Result<(), SimError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if let Some(bad) = scopes
            .iter()
            .find(|s| s.is_empty() || s.chars().any(char::is_whitespace))
        {
            return Err(SimError::Invalid(format!("scope {bad:?}")));
        }
        self.state
            .oauth_console
            .update(|s| s.enabled_scopes = scopes);
        Ok(())
    }

    /// Turns the console's "refresh user_access_token" switch on or off (off: refreshes → 20074).
    pub fn set_refresh_enabled(&self, enabled: bool) {
        self.state
            .oauth_console
            .update(|s| s.refresh_enabled = enabled);
    }

    /// What an admin does to make sign-ins renewable: adds `offline_access` to the app's
    /// permissions and turns the refresh switch on.
    pub fn enable_offline_access(&self) {
        self.state.oauth_console.update(|s| {
            if !s.enabled_scopes.iter().any(|e| e == OFFLINE_ACCESS) {
                s.enabled_scopes.push(OFFLINE_ACCESS.to_owned());
            }
            s.refresh_enabled = true;
        });
    }

    /// Registers another app of the tenant that may run the OAuth flow (same console settings),
    /// so a test can present one client's code or refresh token with another's credentials (20024).
    pub fn add_oauth_client(&self, client_id: &str, client_secret: &str) -> Result<(), SimError> {
        if client_id.is_empty() || client_secret.is_empty() || client_id == self.state.app_id {
            return Err(SimError::Invalid(
                "an extra OAuth client needs a new client_id and a client_secret".to_owned(),
            ));
        }
        self.state
            .oauth_console
            .add_client(client_id.to_owned(), client_secret.to_owned());
        Ok(())
    }

    /// The user withdraws every grant: their refresh tokens answer 20064, their access tokens
    /// 99991668, and the next authorization starts from no scopes.
    pub fn revoke_user_grant(&self, open_id: &str) -> Result<(), SimError> {
        if self.state.read().user_by_open_id(open_id).is_none() {
            return Err(SimError::UnknownUser(open_id.to_owned()));
        }
        self.state
            .oauth
            .revoke_user(open_id, self.state.clock.now());
        Ok(())
    }

    /// Every user access token expires now (99991677); clients must refresh.
    pub fn expire_user_tokens(&self) {
        self.state
            .oauth
            .expire_access_tokens(self.state.clock.now());
    }

    /// The next `n` OAuth token requests fail: 503 answers 20072, any other status 20050 (HTTP 500).
    pub fn fail_oauth_next(&self, n: u32, status: u16) {
        let status = if error_status(status) == 503 {
            503
        } else {
            500
        };
        self.state.faults.update(|f| {
            f.oauth_fail_next = n;
            f.oauth_fail_status = status;
        });
    }
}
