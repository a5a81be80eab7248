//! `POST /open-apis/authen/v2/oauth/token`: user OAuth code exchange and refresh (RFC 6749 style,
//! no app token). The body is JSON or `application/x-www-form-urlencoded`; the client authenticates
//! with `client_id` + `client_secret` in the body or with HTTP Basic, not both (20070).
//!
//! Success is flat: `{"code":"0", access_token, expires_in, refresh_token, refresh_token_expires_in,
//! scope, token_type:"Bearer"}` (the refresh fields only with `offline_access`; `code` a string as
//! on Lark's page). Errors are flat too: `{"code":"20xxx", error, error_description}`, HTTP 400
//! (20050: 500, 20072: 503) — the catalogue is in `oauth_error.rs`. A refresh while the
//! console's refresh switch is off answers 20074.

use std::collections::HashMap;

use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::Value;

use super::gateway::{JSON, respond};
use super::oauth_error::OAuthError;
use super::oauth_grants::{CodeExchange, IssuedTokens};
use super::routes_authorize::signer_check;
use super::state::SimState;
use super::stats::endpoints;

#[derive(Serialize)]
struct TokenBody<'a> {
    code: &'static str,
    access_token: &'a str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
    scope: &'a str,
    token_type: &'static str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: String,
    error: &'a str,
    error_description: &'a str,
}

pub(crate) async fn token(req: HttpRequest, state: Data<SimState>, body: Bytes) -> HttpResponse {
    let log_id = state.next_log_id();
    state.stats.request(endpoints::OAUTH_TOKEN);
    if let Some(delay) = state.faults.delay() {
        tokio::time::sleep(delay).await;
    }
    let parsed = Fields::parse(&req, &body);
    if let Ok(Some(grant_type)) = parsed.as_ref().map(|f| f.get("grant_type")) {
        state.stats.oauth_grant(grant_type);
    }
    let result = match state.faults.take_oauth_failure() {
        Some(status) => Err(OAuthError::injected(status)),
        None => parsed.and_then(|fields| grant(&state, &req, &fields)),
    };
    let headers = [
        ("cache-control", "no-store".to_owned()),
        ("pragma", "no-cache".to_owned()),
    ];
    let (status, code, bytes) = match result {
        Ok(issued) => (200, 0, success(&issued)),
        Err(err) => (err.status(), err.code, failure(&err)),
    };
    state.stats.response(status, Some(code));
    respond(status, &log_id, JSON, bytes, &headers)
}

fn success(issued: &IssuedTokens) -> Vec<u8> {
    let body = TokenBody {
        code: "0",
        access_token: &issued.access_token,
        expires_in: issued.expires_in,
        refresh_token: issued.refresh.as_ref().map(|(t, _)| t.as_str()),
        refresh_token_expires_in: issued.refresh.as_ref().map(|(_, secs)| *secs),
        scope: &issued.scope,
        token_type: "Bearer",
    };
    serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"code":"20050"}"#.to_vec())
}

fn failure(err: &OAuthError) -> Vec<u8> {
    let body = ErrorBody {
        code: err.code.to_string(),
        error: err.error,
        error_description: &err.description,
    };
    serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"code":"20050"}"#.to_vec())
}

/// The request parameters, from a JSON object or a form; empty values count as absent.
struct Fields(HashMap<String, String>);

impl Fields {
    fn parse(req: &HttpRequest, body: &[u8]) -> Result<Self, OAuthError> {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        let mut map = HashMap::new();
        if is_form {
            for (name, value) in url::form_urlencoded::parse(body) {
                let name = name.into_owned();
                if map.contains_key(&name) {
                    return Err(OAuthError::malformed(format!(
                        "The parameter {name} is repeated."
                    )));
                }
                map.insert(name, value.into_owned());
            }
            return Ok(Self(map));
        }
        let not_json = || {
            OAuthError::malformed(
                "The request body must be a JSON object or application/x-www-form-urlencoded.",
            )
        };
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Err(not_json());
        };
        for (name, value) in object {
            match value {
                Value::String(text) => {
                    map.insert(name, text);
                }
                Value::Null => {}
                _ => {
                    return Err(OAuthError::malformed(format!(
                        "The parameter {name} must be a string."
                    )));
                }
            }
        }
        Ok(Self(map))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::missing(name))
    }
}

fn grant(state: &SimState, req: &HttpRequest, fields: &Fields) -> Result<IssuedTokens, OAuthError> {
    let client_id = authenticate(state, req, fields)?;
    let grant_type = fields.require("grant_type")?;
    let now = state.clock.now();
    let lifetimes = state.user_token_lifetimes;
    // Runs under the OAuth store's lock; takes the tenant lock only (never the other way round).
    let user_ok = |open_id: &str| signer_check(&state.read(), open_id);
    match grant_type {
        "authorization_code" => {
            let exchange = CodeExchange {
                client_id: &client_id,
                code: fields.require("code")?,
                redirect_uri: fields.require("redirect_uri")?,
                verifier: fields.get("code_verifier"),
                scope: fields.get("scope"),
            };
            state.oauth.redeem_code(exchange, lifetimes, now, user_ok)
        }
        "refresh_token" => {
            let token = fields.require("refresh_token")?;
            if !state.oauth_console.refresh_enabled() {
                return Err(OAuthError::refresh_disabled());
            }
            let scope = fields.get("scope");
            state
                .oauth
                .refresh(&client_id, token, scope, lifetimes, now, user_ok)
        }
        other => Err(OAuthError::unsupported_grant_type(other)),
    }
}

/// The authenticated `client_id`.
fn authenticate(
    state: &SimState,
    req: &HttpRequest,
    fields: &Fields,
) -> Result<String, OAuthError> {
    let (client_id, secret) = match basic_credentials(req)? {
        Some((id, secret)) => {
            let other_id = fields.get("client_id").is_some_and(|body_id| body_id != id);
            if fields.get("client_secret").is_some() || other_id {
                return Err(OAuthError::double_client_auth());
            }
            (id, secret)
        }
        None => (
            fields.require("client_id")?.to_owned(),
            fields.require("client_secret")?.to_owned(),
        ),
    };
    let expected = state
        .oauth_client_secret(&client_id)
        .ok_or_else(OAuthError::app_not_found)?;
    if secret != expected {
        return Err(OAuthError::bad_secret());
    }
    Ok(client_id)
}

/// `Authorization: Basic base64(client_id:client_secret)`, if sent.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::malformed("The Authorization header is not valid HTTP Basic.");
    let (scheme, encoded) = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}
