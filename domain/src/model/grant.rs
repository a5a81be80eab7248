//! An integration's OAuth grant (the admin's user tokens) and the login in progress that leads
//! to one. Every token is a secret: redacted in `Debug`, encrypted at rest by the store.

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;

use crate::ports::IssuedTokens;
use crate::values::{IntegrationId, OAuthState, OpenId, PkceVerifier};

/// How long a started login may take before its single-use `state` is refused
/// (docs/architecture.md § Connecting with Lark).
pub const LOGIN_TIMEOUT_MINUTES: i64 = 10;

/// What a token endpoint returned: a new access token and, with `offline_access`, a new
/// refresh token (the previous one is then dead: Lark's refresh tokens are single use).
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: Option<SecretString>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// Scopes granted, as Lark lists them.
    pub scopes: Vec<String>,
}

impl TokenSet {
    /// Tokens issued at `now`, with lifetimes turned into instants (saturating far out).
    pub fn issued_at(now: DateTime<Utc>, issued: IssuedTokens) -> Self {
        let after = |lifetime: std::time::Duration| {
            Duration::from_std(lifetime)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        };
        Self {
            access_expires_at: after(issued.expires_in),
            refresh_expires_at: issued.refresh_expires_in.map(after),
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            scopes: issued.scopes,
        }
    }
}

/// The Lark user who approved the login (`/authen/v1/user_info`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthorizedUser {
    pub open_id: OpenId,
    pub name: String,
    pub email: Option<String>,
    pub tenant_key: String,
}

impl AuthorizedUser {
    /// How the integration names who authorised it: "Name <email>" or the name alone.
    pub fn display(&self) -> String {
        match &self.email {
            Some(email) => format!("{} <{email}>", self.name),
            None => self.name.clone(),
        }
    }
}

/// The stored grant of one integration.
#[derive(Debug, Clone)]
pub struct Grant {
    pub integration_id: IntegrationId,
    pub tokens: TokenSet,
    pub authorized_by: AuthorizedUser,
    pub granted_at: DateTime<Utc>,
    /// Bumped by the store on every save; a refresh is stored only over the generation it
    /// started from, so two processes never both keep a pair.
    pub generation: i64,
}

impl Grant {
    /// Whether the access token still has `margin` left at `now`.
    pub fn access_fresh_at(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        self.tokens.access_expires_at - margin > now
    }

    /// The refresh token, if it exists and has not expired at `now`.
    pub fn usable_refresh_token(&self, now: DateTime<Utc>) -> Option<&SecretString> {
        let token = self.tokens.refresh_token.as_ref()?;
        match self.tokens.refresh_expires_at {
            Some(expiry) if expiry <= now => None,
            _ => Some(token),
        }
    }
}

/// A login started for an integration and not yet completed.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub state: OAuthState,
    pub integration_id: IntegrationId,
    /// Who started it (e.g. a hash of the admin's session): the callback must come from them.
    pub started_by: String,
    pub verifier: PkceVerifier,
    /// Sent with the code exchange exactly as it went into the authorize URL.
    pub redirect_uri: String,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap()
    }

    fn grant(refresh_expiry: Option<DateTime<Utc>>) -> Grant {
        Grant {
            integration_id: IntegrationId::from_uuid(uuid::Uuid::nil()),
            tokens: TokenSet {
                access_token: "access".into(),
                access_expires_at: at(30),
                refresh_token: Some("refresh".into()),
                refresh_expires_at: refresh_expiry,
                scopes: vec!["offline_access".into()],
            },
            authorized_by: AuthorizedUser {
                open_id: OpenId::parse("ou_admin").unwrap(),
                name: "Ada".into(),
                email: Some("ada@example.com".into()),
                tenant_key: "t1".into(),
            },
            granted_at: at(0),
            generation: 1,
        }
    }

    #[test]
    fn freshness_and_refresh_expiry() {
        let g = grant(Some(at(40)));
        assert!(g.access_fresh_at(at(24), Duration::minutes(5)));
        assert!(!g.access_fresh_at(at(25), Duration::minutes(5)));
        assert!(g.usable_refresh_token(at(39)).is_some());
        assert!(g.usable_refresh_token(at(40)).is_none());
        assert!(grant(None).usable_refresh_token(at(59)).is_some());
        assert_eq!(g.authorized_by.display(), "Ada <ada@example.com>");
        assert!(
            !format!("{g:?}").contains("refresh\""),
            "tokens are redacted"
        );
    }
}
