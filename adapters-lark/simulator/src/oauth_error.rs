//! The user-OAuth error catalogue (Lark's 20xxx codes) in one place: code, RFC 6749 `error`
//! string and HTTP status. The token endpoint renders them flat
//! (`{code, error, error_description}`); the authorize pages show code and description. Which
//! request gets which code: docs/simulator.md § User OAuth; Lark's pages behind them:
//! docs/lark-fidelity.md § The admin's login (OAuth).

/// A refused OAuth request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub(crate) code: i64,
    /// RFC 6749 §5.2 error string.
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl OAuthError {
    fn new(code: i64, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            error,
            description: description.into(),
        }
    }

    /// 500 for 20050, 503 for 20072, else 400.
    pub(crate) fn status(&self) -> u16 {
        match self.code {
            20_050 => 500,
            20_072 => 503,
            _ => 400,
        }
    }

    pub(crate) fn missing(parameter: &str) -> Self {
        Self::new(
            20_001,
            "invalid_request",
            format!("The required parameter {parameter} is missing."),
        )
    }

    pub(crate) fn bad_secret() -> Self {
        Self::new(20_002, "invalid_client", "The client secret is invalid.")
    }

    pub(crate) fn code_not_found() -> Self {
        Self::new(
            20_003,
            "invalid_grant",
            "The authorization code was not found.",
        )
    }

    pub(crate) fn code_expired() -> Self {
        Self::new(
            20_004,
            "invalid_grant",
            "The authorization code has expired (it is valid for 5 minutes).",
        )
    }

    pub(crate) fn user_not_found() -> Self {
        Self::new(20_008, "invalid_grant", "The user does not exist.")
    }

    pub(crate) fn other_client(what: &str) -> Self {
        Self::new(
            20_024,
            "invalid_grant",
            format!("The {what} was issued to another client_id."),
        )
    }

    pub(crate) fn refresh_invalid() -> Self {
        Self::new(
            20_026,
            "invalid_grant",
            "The refresh token is invalid (only refresh tokens issued by the v2 endpoint are accepted).",
        )
    }

    pub(crate) fn scope_not_enabled(scopes: &[&str]) -> Self {
        Self::new(
            20_027,
            "invalid_scope",
            format!(
                "The app has not enabled the requested scope(s): {}.",
                scopes.join(", ")
            ),
        )
    }

    pub(crate) fn invalid_redirect_uri(why: &str) -> Self {
        Self::new(
            20_029,
            "invalid_request",
            format!("The redirect_uri is invalid: {why}."),
        )
    }

    pub(crate) fn unsupported_grant_type(grant_type: &str) -> Self {
        Self::new(
            20_036,
            "unsupported_grant_type",
            format!("The grant_type {grant_type:?} is not supported."),
        )
    }

    pub(crate) fn refresh_expired() -> Self {
        Self::new(20_037, "invalid_grant", "The refresh token has expired.")
    }

    pub(crate) fn app_not_found() -> Self {
        Self::new(
            20_048,
            "invalid_client",
            "The app (client_id) does not exist.",
        )
    }

    pub(crate) fn pkce_failed(why: &str) -> Self {
        Self::new(
            20_049,
            "invalid_grant",
            format!("The PKCE check failed: {why}."),
        )
    }

    pub(crate) fn server_error() -> Self {
        Self::new(
            20_050,
            "server_error",
            "An unexpected server error occurred. Please retry your request.",
        )
    }

    pub(crate) fn malformed(why: impl Into<String>) -> Self {
        Self::new(20_063, "invalid_request", why)
    }

    pub(crate) fn refresh_revoked() -> Self {
        Self::new(
            20_064,
            "invalid_grant",
            "The refresh token has been revoked.",
        )
    }

    pub(crate) fn code_used() -> Self {
        Self::new(
            20_065,
            "invalid_grant",
            "The authorization code has already been used.",
        )
    }

    pub(crate) fn user_status_invalid() -> Self {
        Self::new(
            20_066,
            "invalid_grant",
            "The user's status does not allow signing in (resigned, frozen or not activated).",
        )
    }

    pub(crate) fn duplicate_scope(scope: &str) -> Self {
        Self::new(
            20_067,
            "invalid_scope",
            format!("The scope {scope} is requested more than once."),
        )
    }

    pub(crate) fn scope_not_granted(scope: &str) -> Self {
        Self::new(
            20_068,
            "invalid_scope",
            format!("The scope {scope} was not granted by the user."),
        )
    }

    pub(crate) fn double_client_auth() -> Self {
        Self::new(
            20_070,
            "invalid_client",
            "Client credentials were sent both with HTTP Basic authentication and in the body.",
        )
    }

    pub(crate) fn redirect_mismatch() -> Self {
        Self::new(
            20_071,
            "invalid_grant",
            "The redirect_uri differs from the one used in the authorization request.",
        )
    }

    pub(crate) fn temporarily_unavailable() -> Self {
        Self::new(
            20_072,
            "temporarily_unavailable",
            "The server is temporarily unavailable. Please retry your request.",
        )
    }

    pub(crate) fn refresh_used() -> Self {
        Self::new(
            20_073,
            "invalid_grant",
            "The refresh token has already been used (refresh tokens are single use).",
        )
    }

    /// The console's "refresh user_access_token" switch is off: HTTP 400 with Lark's wording
    /// from the refresh page's error table; the `error` value is ours (not documented).
    pub(crate) fn refresh_disabled() -> Self {
        Self::new(
            20_074,
            "unauthorized_client",
            "The specified app is not allowed to refresh token.",
        )
    }

    /// An injected fault: 503 serves 20072, anything else 20050.
    pub(crate) fn injected(status: u16) -> Self {
        if status == 503 {
            Self::temporarily_unavailable()
        } else {
            Self::server_error()
        }
    }
}
