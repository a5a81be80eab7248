//! User-OAuth state: pending authorization requests, authorization codes (5 minutes, single use,
//! bound to client, redirect URI, scopes, PKCE challenge and user), cumulative grants per user and
//! client, and user tokens — access tokens, and single-use refresh tokens whose rotation leaves the
//! previous access token a 1-minute grace. Times are on the simulated clock ([`super::tokens::SimClock`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::oauth_error::OAuthError;
use super::oauth_secrets::{self, Pkce, TokenKind, valid_verifier};

/// How long an authorization code can be exchanged.
pub(crate) const CODE_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a consent page can be answered.
pub(crate) const PENDING_TTL: Duration = Duration::from_secs(10 * 60);
/// How long the previous access token keeps working after a refresh.
pub(crate) const ROTATION_GRACE: Duration = Duration::from_secs(60);
/// Refresh is refused this long after the user authorised (20037).
pub(crate) const GRANT_CAP: Duration = Duration::from_secs(365 * 24 * 3600);
/// Dead codes and tokens are forgotten this long after they died (then they read as unknown).
const RETAIN_DEAD: Duration = Duration::from_secs(24 * 3600);

pub(crate) const OFFLINE_ACCESS: &str = "offline_access";

/// A validated authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    /// Requested scopes, duplicates removed, in request order.
    pub(crate) scopes: Vec<String>,
    pub(crate) state: Option<String>,
    pub(crate) pkce: Option<Pkce>,
}

/// Lifetimes of new user tokens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    pub(crate) access: Duration,
    pub(crate) refresh: Duration,
}

/// What the token endpoint returns on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedTokens {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
    /// Refresh token and its `refresh_token_expires_in`, only when `offline_access` is granted.
    pub(crate) refresh: Option<(String, u64)>,
    /// Space-separated, sorted.
    pub(crate) scope: String,
}

/// A `grant_type=authorization_code` request, client already authenticated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeExchange<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) code: &'a str,
    pub(crate) redirect_uri: &'a str,
    pub(crate) verifier: Option<&'a str>,
    pub(crate) scope: Option<&'a str>,
}

/// Why a user access token does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessError {
    /// Never issued, revoked, superseded past its grace, or forgotten (99991668).
    Invalid,
    /// Past its lifetime (99991677).
    Expired,
}

#[derive(Debug)]
struct Code {
    request: AuthRequest,
    open_id: String,
    /// Everything the user has granted this client so far (grants are cumulative).
    scopes: BTreeSet<String>,
    expires_at: Duration,
    used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshStatus {
    Active,
    Used,
    Revoked,
}

#[derive(Debug)]
struct Refresh {
    client_id: String,
    open_id: String,
    scopes: BTreeSet<String>,
    authorized_at: Duration,
    expires_at: Duration,
    status: RefreshStatus,
    /// The access token issued with it (gets the grace period when this one is used).
    access_token: String,
}

#[derive(Debug)]
struct Access {
    open_id: String,
    expires_at: Duration,
    revoked_at: Option<Duration>,
}

impl Access {
    fn end(&self) -> Duration {
        self.revoked_at
            .map_or(self.expires_at, |r| r.min(self.expires_at))
    }
}

#[derive(Debug, Default)]
struct Inner {
    pending: HashMap<String, (AuthRequest, Duration)>,
    codes: HashMap<String, Code>,
    /// (client_id, open_id) → granted scopes.
    grants: HashMap<(String, String), BTreeSet<String>>,
    refresh: HashMap<String, Refresh>,
    access: HashMap<String, Access>,
    /// Every code and token ever issued, for tests that search for leaked secrets.
    issued: Vec<String>,
}

impl Inner {
    fn prune(&mut self, now: Duration) {
        self.pending.retain(|_, (_, expires)| *expires > now);
        self.codes.retain(|_, c| c.expires_at + RETAIN_DEAD > now);
        self.refresh.retain(|_, r| r.expires_at + RETAIN_DEAD > now);
        self.access.retain(|_, a| a.end() + RETAIN_DEAD > now);
    }

    fn issue(
        &mut self,
        grant: Grant<'_>,
        issued: &BTreeSet<String>,
        lifetimes: Lifetimes,
        now: Duration,
    ) -> IssuedTokens {
        self.prune(now);
        let access_token = oauth_secrets::user_token(TokenKind::Access);
        self.issued.push(access_token.clone());
        self.access.insert(
            access_token.clone(),
            Access {
                open_id: grant.open_id.to_owned(),
                expires_at: now + lifetimes.access,
                revoked_at: None,
            },
        );
        let refresh = issued.contains(OFFLINE_ACCESS).then(|| {
            let token = oauth_secrets::user_token(TokenKind::Refresh);
            self.issued.push(token.clone());
            let expires_at = (now + lifetimes.refresh).min(grant.authorized_at + GRANT_CAP);
            self.refresh.insert(
                token.clone(),
                Refresh {
                    client_id: grant.client_id.to_owned(),
                    open_id: grant.open_id.to_owned(),
                    scopes: grant.scopes.clone(),
                    authorized_at: grant.authorized_at,
                    expires_at,
                    status: RefreshStatus::Active,
                    access_token: access_token.clone(),
                },
            );
            (token, expires_at.saturating_sub(now).as_secs())
        });
        IssuedTokens {
            access_token,
            expires_in: lifetimes.access.as_secs(),
            refresh,
            scope: issued
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// Who a new pair of tokens is for.
struct Grant<'a> {
    client_id: &'a str,
    open_id: &'a str,
    scopes: &'a BTreeSet<String>,
    authorized_at: Duration,
}

/// The scopes a token request asks for: all granted ones when `requested` is absent, else that
/// subset (20067 for a duplicate, 20068 for one not granted).
fn narrow(
    granted: &BTreeSet<String>,
    requested: Option<&str>,
) -> Result<BTreeSet<String>, OAuthError> {
    let Some(raw) = requested.filter(|s| !s.trim().is_empty()) else {
        return Ok(granted.clone());
    };
    let mut out = BTreeSet::new();
    for scope in raw.split(' ').filter(|s| !s.is_empty()) {
        if !granted.contains(scope) {
            return Err(OAuthError::scope_not_granted(scope));
        }
        if !out.insert(scope.to_owned()) {
            return Err(OAuthError::duplicate_scope(scope));
        }
    }
    Ok(out)
}

#[derive(Debug, Default)]
pub(crate) struct OAuthStore {
    inner: Mutex<Inner>,
}

impl OAuthStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every authorization code and user token issued so far.
    pub(crate) fn issued(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    /// Parks a request while the consent page is shown; returns its opaque id.
    pub(crate) fn begin(&self, request: AuthRequest, now: Duration) -> String {
        let id = oauth_secrets::request_id();
        let mut inner = self.lock();
        inner.prune(now);
        inner
            .pending
            .insert(id.clone(), (request, now + PENDING_TTL));
        id
    }

    /// The pending request `id`, if it exists and has not expired.
    pub(crate) fn pending(&self, id: &str, now: Duration) -> Option<AuthRequest> {
        self.lock()
            .pending
            .get(id)
            .filter(|(_, expires)| *expires > now)
            .map(|(request, _)| request.clone())
    }

    /// Removes and returns the pending request `id` (single use).
    pub(crate) fn take_pending(&self, id: &str, now: Duration) -> Option<AuthRequest> {
        self.lock()
            .pending
            .remove(id)
            .filter(|(_, expires)| *expires > now)
            .map(|(request, _)| request)
    }

    /// The user approved: records the grant and returns a new authorization code.
    pub(crate) fn issue_code(&self, request: &AuthRequest, open_id: &str, now: Duration) -> String {
        let code = oauth_secrets::authorization_code();
        let mut inner = self.lock();
        inner.prune(now);
        inner.issued.push(code.clone());
        let granted = inner
            .grants
            .entry((request.client_id.clone(), open_id.to_owned()))
            .or_default();
        granted.extend(request.scopes.iter().cloned());
        let scopes = granted.clone();
        inner.codes.insert(
            code.clone(),
            Code {
                request: request.clone(),
                open_id: open_id.to_owned(),
                scopes,
                expires_at: now + CODE_TTL,
                used: false,
            },
        );
        code
    }

    /// `grant_type=authorization_code`. `user_ok` vets the signing-in user (20008, 20066); it runs
    /// under this store's lock, so it must not call back into the store.
    pub(crate) fn redeem_code(
        &self,
        exchange: CodeExchange<'_>,
        lifetimes: Lifetimes,
        now: Duration,
        user_ok: impl FnOnce(&str) -> Result<(), OAuthError>,
    ) -> Result<IssuedTokens, OAuthError> {
        let mut inner = self.lock();
        let code = inner
            .codes
            .get(exchange.code)
            .ok_or_else(OAuthError::code_not_found)?;
        if code.used {
            return Err(OAuthError::code_used());
        }
        if now >= code.expires_at {
            return Err(OAuthError::code_expired());
        }
        if code.request.client_id != exchange.client_id {
            return Err(OAuthError::other_client("authorization code"));
        }
        if code.request.redirect_uri != exchange.redirect_uri {
            return Err(OAuthError::redirect_mismatch());
        }
        if let Some(pkce) = &code.request.pkce {
            let verifier = exchange.verifier.ok_or_else(|| {
                OAuthError::pkce_failed("code_verifier is required for this code")
            })?;
            if !valid_verifier(verifier) {
                return Err(OAuthError::pkce_failed(
                    "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]",
                ));
            }
            if !pkce.verify(verifier) {
                return Err(OAuthError::pkce_failed(
                    "code_verifier does not match code_challenge",
                ));
            }
        }
        user_ok(&code.open_id)?;
        let issued = narrow(&code.scopes, exchange.scope)?;
        let (open_id, scopes) = (code.open_id.clone(), code.scopes.clone());
        if let Some(code) = inner.codes.get_mut(exchange.code) {
            code.used = true;
        }
        let grant = Grant {
            client_id: exchange.client_id,
            open_id: &open_id,
            scopes: &scopes,
            authorized_at: now,
        };
        Ok(inner.issue(grant, &issued, lifetimes, now))
    }

    /// `grant_type=refresh_token`: revokes `token` at once and returns a new pair; the access token
    /// issued with `token` keeps working for [`ROTATION_GRACE`].
    pub(crate) fn refresh(
        &self,
        client_id: &str,
        token: &str,
        scope: Option<&str>,
        lifetimes: Lifetimes,
        now: Duration,
        user_ok: impl FnOnce(&str) -> Result<(), OAuthError>,
    ) -> Result<IssuedTokens, OAuthError> {
        let mut inner = self.lock();
        let record = inner
            .refresh
            .get(token)
            .ok_or_else(OAuthError::refresh_invalid)?;
        if record.client_id != client_id {
            return Err(OAuthError::other_client("refresh token"));
        }
        match record.status {
            RefreshStatus::Used => return Err(OAuthError::refresh_used()),
            RefreshStatus::Revoked => return Err(OAuthError::refresh_revoked()),
            RefreshStatus::Active => {}
        }
        if now >= record.expires_at {
            return Err(OAuthError::refresh_expired());
        }
        user_ok(&record.open_id)?;
        let issued = narrow(&record.scopes, scope)?;
        let (open_id, scopes, authorized_at, previous) = (
            record.open_id.clone(),
            record.scopes.clone(),
            record.authorized_at,
            record.access_token.clone(),
        );
        if let Some(record) = inner.refresh.get_mut(token) {
            record.status = RefreshStatus::Used;
        }
        if let Some(access) = inner.access.get_mut(&previous) {
            let grace_end = now + ROTATION_GRACE;
            access.revoked_at = Some(access.revoked_at.map_or(grace_end, |r| r.min(grace_end)));
        }
        let grant = Grant {
            client_id,
            open_id: &open_id,
            scopes: &scopes,
            authorized_at,
        };
        Ok(inner.issue(grant, &issued, lifetimes, now))
    }

    /// The `open_id` a working user access token belongs to.
    pub(crate) fn access(&self, token: &str, now: Duration) -> Result<String, AccessError> {
        let inner = self.lock();
        let access = inner.access.get(token).ok_or(AccessError::Invalid)?;
        if access.revoked_at.is_some_and(|r| now >= r) {
            return Err(AccessError::Invalid);
        }
        if now >= access.expires_at {
            return Err(AccessError::Expired);
        }
        Ok(access.open_id.clone())
    }

    /// The user withdrew every grant: refresh tokens answer 20064, access tokens 99991668, unused
    /// codes are gone and the next authorization starts from no scopes.
    pub(crate) fn revoke_user(&self, open_id: &str, now: Duration) {
        let mut inner = self.lock();
        for record in inner.refresh.values_mut() {
            if record.open_id == open_id && record.status == RefreshStatus::Active {
                record.status = RefreshStatus::Revoked;
            }
        }
        for access in inner.access.values_mut() {
            if access.open_id == open_id {
                access.revoked_at = Some(access.revoked_at.map_or(now, |r| r.min(now)));
            }
        }
        inner.grants.retain(|(_, user), _| user != open_id);
        inner.codes.retain(|_, c| c.used || c.open_id != open_id);
    }

    /// Every user access token expires now (99991677); refresh tokens keep working.
    pub(crate) fn expire_access_tokens(&self, now: Duration) {
        for access in self.lock().access.values_mut() {
            access.expires_at = access.expires_at.min(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::oauth_secrets::{ChallengeMethod, s256};
    use super::*;

    const LIFETIMES: Lifetimes = Lifetimes {
        access: Duration::from_secs(7200),
        refresh: Duration::from_secs(604_800),
    };
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn request(scopes: &[&str]) -> AuthRequest {
        AuthRequest {
            client_id: "cli_a".to_owned(),
            redirect_uri: "https://e.com/cb".to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            state: None,
            pkce: Some(Pkce {
                method: ChallengeMethod::S256,
                challenge: s256(VERIFIER),
            }),
        }
    }

    fn exchange(code: &str) -> CodeExchange<'_> {
        CodeExchange {
            client_id: "cli_a",
            code,
            redirect_uri: "https://e.com/cb",
            verifier: Some(VERIFIER),
            scope: None,
        }
    }

    fn ok(_: &str) -> Result<(), OAuthError> {
        Ok(())
    }

    fn code_of(result: Result<IssuedTokens, OAuthError>) -> i64 {
        result.map_or_else(|e| e.code, |_| 0)
    }

    #[test]
    fn codes_are_bound_single_use_and_expire() {
        let store = OAuthStore::default();
        let t0 = Duration::ZERO;
        let code = store.issue_code(&request(&["contact:user.base:readonly"]), "ou_1", t0);
        let redeem = |ex: CodeExchange<'_>, now| store.redeem_code(ex, LIFETIMES, now, ok);
        assert_eq!(code_of(redeem(exchange("nope"), t0)), 20_003);
        let other = CodeExchange {
            client_id: "cli_b",
            ..exchange(&code)
        };
        assert_eq!(code_of(redeem(other, t0)), 20_024);
        let moved = CodeExchange {
            redirect_uri: "https://e.com/other",
            ..exchange(&code)
        };
        assert_eq!(code_of(redeem(moved, t0)), 20_071);
        for verifier in [None, Some("short"), Some(&"x".repeat(43)[..])] {
            let bad = CodeExchange {
                verifier,
                ..exchange(&code)
            };
            assert_eq!(code_of(redeem(bad, t0)), 20_049);
        }
        let refused = store.redeem_code(exchange(&code), LIFETIMES, t0, |_| {
            Err(OAuthError::user_status_invalid())
        });
        assert_eq!(code_of(refused), 20_066);
        let issued = redeem(exchange(&code), t0).map_err(|e| e.code);
        let issued = issued.unwrap_or_else(|c| panic!("{c}"));
        assert_eq!(issued.scope, "contact:user.base:readonly");
        assert!(
            issued.refresh.is_none(),
            "no offline_access, no refresh token"
        );
        assert_eq!(
            store.access(&issued.access_token, t0),
            Ok("ou_1".to_owned())
        );
        assert_eq!(code_of(redeem(exchange(&code), t0)), 20_065);

        let late = store.issue_code(&request(&[]), "ou_1", t0);
        assert_eq!(code_of(redeem(exchange(&late), CODE_TTL)), 20_004);
        // Expiry of the access token itself.
        let expiry = LIFETIMES.access;
        assert_eq!(
            store.access(&issued.access_token, expiry),
            Err(AccessError::Expired)
        );
    }

    #[test]
    fn grants_accumulate_and_scopes_narrow() {
        let store = OAuthStore::default();
        let t0 = Duration::ZERO;
        store.issue_code(&request(&["b:read"]), "ou_1", t0);
        let code = store.issue_code(&request(&["a:read", OFFLINE_ACCESS]), "ou_1", t0);
        let narrowed = CodeExchange {
            scope: Some("b:read b:read"),
            ..exchange(&code)
        };
        assert_eq!(
            code_of(store.redeem_code(narrowed, LIFETIMES, t0, ok)),
            20_067
        );
        let ungranted = CodeExchange {
            scope: Some("c:read"),
            ..exchange(&code)
        };
        assert_eq!(
            code_of(store.redeem_code(ungranted, LIFETIMES, t0, ok)),
            20_068
        );
        let issued = store.redeem_code(exchange(&code), LIFETIMES, t0, ok);
        let issued = issued.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(issued.scope, "a:read b:read offline_access");
        assert_eq!(issued.refresh.as_ref().map(|r| r.1), Some(604_800));
    }

    #[test]
    fn refresh_rotates_with_grace_and_revocation() {
        let store = OAuthStore::default();
        let t0 = Duration::ZERO;
        let code = store.issue_code(&request(&[OFFLINE_ACCESS]), "ou_1", t0);
        let first = store.redeem_code(exchange(&code), LIFETIMES, t0, ok);
        let first = first.unwrap_or_else(|e| panic!("{e:?}"));
        let Some((refresh, _)) = first.refresh.clone() else {
            panic!("offline_access gives a refresh token");
        };
        let t1 = Duration::from_secs(100);
        let refresh_at =
            |token: &str, client: &str, now| store.refresh(client, token, None, LIFETIMES, now, ok);
        assert_eq!(code_of(refresh_at("nope", "cli_a", t1)), 20_026);
        assert_eq!(code_of(refresh_at(&refresh, "cli_b", t1)), 20_024);
        let second = refresh_at(&refresh, "cli_a", t1).unwrap_or_else(|e| panic!("{e:?}"));
        assert_ne!(second.access_token, first.access_token);
        assert_eq!(code_of(refresh_at(&refresh, "cli_a", t1)), 20_073);
        let grace = t1 + ROTATION_GRACE;
        assert!(
            store
                .access(&first.access_token, grace - Duration::from_secs(1))
                .is_ok()
        );
        assert_eq!(
            store.access(&first.access_token, grace),
            Err(AccessError::Invalid)
        );
        assert!(store.access(&second.access_token, grace).is_ok());

        store.expire_access_tokens(grace);
        assert_eq!(
            store.access(&second.access_token, grace),
            Err(AccessError::Expired)
        );
        let Some((refresh2, _)) = second.refresh else {
            panic!("rotation returns a refresh token");
        };
        let late = t1 + LIFETIMES.refresh;
        assert_eq!(code_of(refresh_at(&refresh2, "cli_a", late)), 20_037);
        let third = refresh_at(&refresh2, "cli_a", grace).unwrap_or_else(|e| panic!("{e:?}"));
        store.revoke_user("ou_1", grace);
        let Some((refresh3, _)) = third.refresh else {
            panic!("rotation returns a refresh token");
        };
        assert_eq!(code_of(refresh_at(&refresh3, "cli_a", grace)), 20_064);
        assert_eq!(
            store.access(&third.access_token, grace),
            Err(AccessError::Invalid)
        );
    }

    #[test]
    fn refresh_is_capped_at_a_year_after_authorization() {
        let store = OAuthStore::default();
        let code = store.issue_code(&request(&[OFFLINE_ACCESS]), "ou_1", Duration::ZERO);
        let long = Lifetimes {
            refresh: GRANT_CAP * 2,
            ..LIFETIMES
        };
        let first = store.redeem_code(exchange(&code), long, Duration::ZERO, ok);
        let first = first.unwrap_or_else(|e| panic!("{e:?}"));
        let Some((refresh, expires_in)) = first.refresh else {
            panic!("refresh token");
        };
        assert_eq!(expires_in, GRANT_CAP.as_secs());
        let result = store.refresh("cli_a", &refresh, None, long, GRANT_CAP, ok);
        assert_eq!(code_of(result), 20_037);
    }

    #[test]
    fn pending_requests_are_single_use_and_expire() {
        let store = OAuthStore::default();
        let id = store.begin(request(&[]), Duration::ZERO);
        assert!(store.pending(&id, Duration::ZERO).is_some());
        assert!(store.pending(&id, PENDING_TTL).is_none());
        assert!(store.take_pending(&id, Duration::ZERO).is_some());
        assert!(store.take_pending(&id, Duration::ZERO).is_none());
    }
}
