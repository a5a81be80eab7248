//! `GET /open-apis/authen/v1/authorize` (Lark's authorize page, served on the simulator's one base
//! URL) and `POST /open-apis/authen/v1/authorize/decision` (the consent form's target).
//!
//! A request is validated before anything else, and an invalid one gets an HTML error page (HTTP
//! 400) naming the Lark code — never a redirect: missing `client_id`/`redirect_uri` 20001, unknown
//! `client_id` 20048, malformed or unregistered `redirect_uri` 20029, `response_type` other than
//! `code`, more than 50 scopes or a bad PKCE challenge 20063, a scope the app has not enabled
//! 20027. A valid one is answered per the consent mode: the consent page, a redirect with a code
//! (as the default tenant admin), or a redirect with `error=access_denied`.

use actix_web::HttpResponse;
use actix_web::web::{Bytes, Data};

use super::consent_page::{self, Consent, Signer};
use super::gateway::respond;
use super::generator::is_working;
use super::oauth_error::OAuthError;
use super::oauth_grants::AuthRequest;
use super::oauth_secrets::{ChallengeMethod, Pkce, valid_verifier};
use super::oauth_settings::ConsentMode;
use super::params::Params;
use super::redirect_uri;
use super::state::SimState;
use super::stats::endpoints;
use super::tenant::Tenant;

/// Most scopes one authorization request may carry.
const MAX_SCOPES: usize = 50;
/// Non-admin users offered in the consent page's select (the decision route accepts any).
const MAX_LISTED_SIGNERS: usize = 500;

const HTML: &str = "text/html; charset=utf-8";

pub(crate) async fn authorize(req: actix_web::HttpRequest, state: Data<SimState>) -> HttpResponse {
    let log_id = state.next_log_id();
    state.stats.request(endpoints::AUTHORIZE);
    let params = Params::parse(req.query_string());
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(err) => return error_page(&state, &log_id, &err),
    };
    let now = state.clock.now();
    match state.oauth_console.consent() {
        ConsentMode::Page => consent(&state, &log_id, request),
        ConsentMode::AutoDeny => redirect(&state, &log_id, &callback(&request, None)),
        ConsentMode::AutoApprove => match default_signer(&state.read()) {
            Some(open_id) => {
                let code = state.oauth.issue_code(&request, &open_id, now);
                redirect(&state, &log_id, &callback(&request, Some(&code)))
            }
            None => error_page(&state, &log_id, &OAuthError::user_not_found()),
        },
    }
}

pub(crate) async fn decision(state: Data<SimState>, body: Bytes) -> HttpResponse {
    let log_id = state.next_log_id();
    state.stats.request(endpoints::AUTHORIZE_DECISION);
    let form = Params::parse(std::str::from_utf8(&body).unwrap_or_default());
    match decide(&state, &form) {
        Ok(location) => redirect(&state, &log_id, &location),
        Err(err) => error_page(&state, &log_id, &err),
    }
}

fn validate(state: &SimState, params: &Params) -> Result<AuthRequest, OAuthError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| OAuthError::missing("client_id"))?;
    if state.oauth_client_secret(client_id).is_none() {
        return Err(OAuthError::app_not_found());
    }
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| OAuthError::missing("redirect_uri"))?;
    if let Some(why) = redirect_uri::problem(redirect_uri) {
        return Err(OAuthError::invalid_redirect_uri(why));
    }
    let settings = state.oauth_console.snapshot();
    if !settings.redirect_urls.is_empty()
        && !settings.redirect_urls.iter().any(|u| u == redirect_uri)
    {
        return Err(OAuthError::invalid_redirect_uri(
            "it is not one of the app's registered redirect URLs",
        ));
    }
    if let Some(other) = params.get("response_type").filter(|t| *t != "code") {
        return Err(OAuthError::malformed(format!(
            "Unsupported response_type {other:?}: only \"code\" is supported."
        )));
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in params.get("scope").unwrap_or_default().split(' ') {
        if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.len() > MAX_SCOPES {
        return Err(OAuthError::malformed(format!(
            "At most {MAX_SCOPES} scopes may be requested at once."
        )));
    }
    let disabled: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !settings.enabled_scopes.iter().any(|e| e == s))
        .collect();
    if !disabled.is_empty() {
        return Err(OAuthError::scope_not_enabled(&disabled));
    }
    Ok(AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: params.get("state").map(str::to_owned),
        pkce: pkce(params)?,
    })
}

fn pkce(params: &Params) -> Result<Option<Pkce>, OAuthError> {
    let Some(challenge) = params.get("code_challenge") else {
        return Ok(None);
    };
    let method = match params.get("code_challenge_method") {
        None => ChallengeMethod::Plain,
        Some(m) => ChallengeMethod::parse(m).ok_or_else(|| {
            OAuthError::malformed(format!(
                "Unsupported code_challenge_method {m:?}: use S256 or plain."
            ))
        })?,
    };
    if !valid_verifier(challenge) {
        return Err(OAuthError::malformed(
            "code_challenge must be 43-128 characters of [A-Za-z0-9-._~].",
        ));
    }
    Ok(Some(Pkce {
        method,
        challenge: challenge.to_owned(),
    }))
}

/// The first working tenant manager, else the first working user.
fn default_signer(t: &Tenant) -> Option<String> {
    let mut fallback = None;
    for (_, user) in t.live_users().filter(|(_, u)| is_working(u)) {
        if user.is_tenant_manager {
            return Some(user.open_id.clone());
        }
        fallback.get_or_insert_with(|| user.open_id.clone());
    }
    fallback
}

/// Whether `open_id` may sign in (authorize) or keep using a grant (token endpoint).
pub(crate) fn signer_check(t: &Tenant, open_id: &str) -> Result<(), OAuthError> {
    match t.user_by_open_id(open_id) {
        None => Err(OAuthError::user_not_found()),
        Some(user) if !is_working(user) => Err(OAuthError::user_status_invalid()),
        Some(_) => Ok(()),
    }
}

fn consent(state: &SimState, log_id: &str, request: AuthRequest) -> HttpResponse {
    let (app_id, scopes) = (request.client_id.clone(), request.scopes.clone());
    let request_id = state.oauth.begin(request, state.clock.now());
    let t = state.read();
    let info = &t.info;
    let working = || t.live_users().map(|(_, u)| u).filter(|u| is_working(u));
    let signers: Vec<Signer<'_>> = working()
        .filter(|u| u.is_tenant_manager)
        .chain(
            working()
                .filter(|u| !u.is_tenant_manager)
                .take(MAX_LISTED_SIGNERS),
        )
        .map(|u| Signer {
            open_id: &u.open_id,
            name: &u.name,
            email: &u.email,
            is_tenant_manager: u.is_tenant_manager,
        })
        .collect();
    let selected = signers.first().map(|s| s.open_id);
    let html = consent_page::consent(&Consent {
        app_id: &app_id,
        tenant_name: &info.name,
        scopes: &scopes,
        request_id: &request_id,
        signers,
        selected,
    });
    drop(t);
    html_response(state, log_id, 200, 0, html)
}

fn decide(state: &SimState, form: &Params) -> Result<String, OAuthError> {
    let now = state.clock.now();
    let approve = match form.get("decision") {
        Some("approve") => true,
        Some("deny") => false,
        Some(other) => {
            return Err(OAuthError::malformed(format!(
                "Unknown decision {other:?}: approve or deny."
            )));
        }
        None => return Err(OAuthError::missing("decision")),
    };
    let id = form
        .get("request_id")
        .ok_or_else(|| OAuthError::missing("request_id"))?;
    let unknown = || {
        OAuthError::malformed(
            "This authorization request is unknown, expired (10 minutes) or already answered: \
start again from the app.",
        )
    };
    state.oauth.pending(id, now).ok_or_else(unknown)?;
    let signer = if approve {
        let open_id = form
            .get("open_id")
            .ok_or_else(|| OAuthError::missing("open_id"))?;
        signer_check(&state.read(), open_id)?;
        Some(open_id)
    } else {
        None
    };
    let request = state.oauth.take_pending(id, now).ok_or_else(unknown)?;
    Ok(match signer {
        Some(open_id) => {
            let code = state.oauth.issue_code(&request, open_id, now);
            callback(&request, Some(&code))
        }
        None => callback(&request, None),
    })
}

/// `redirect_uri` with `code` (or `error=access_denied`) and `state` when one was sent.
fn callback(request: &AuthRequest, code: Option<&str>) -> String {
    let mut pairs = vec![match code {
        Some(code) => ("code", code),
        None => ("error", "access_denied"),
    }];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    redirect_uri::with_params(&request.redirect_uri, &pairs)
}

fn page_headers() -> [(&'static str, String); 4] {
    [
        ("cache-control", "no-store".to_owned()),
        ("referrer-policy", "no-referrer".to_owned()),
        ("x-frame-options", "DENY".to_owned()),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'".to_owned(),
        ),
    ]
}

fn html_response(
    state: &SimState,
    log_id: &str,
    status: u16,
    code: i64,
    html: String,
) -> HttpResponse {
    state.stats.response(status, Some(code));
    respond(status, log_id, HTML, html.into_bytes(), &page_headers())
}

fn error_page(state: &SimState, log_id: &str, err: &OAuthError) -> HttpResponse {
    let html = consent_page::error(err.code, &err.description);
    html_response(state, log_id, 400, err.code, html)
}

fn redirect(state: &SimState, log_id: &str, location: &str) -> HttpResponse {
    state.stats.response(302, Some(0));
    let headers = [
        ("location", location.to_owned()),
        ("cache-control", "no-store".to_owned()),
        ("referrer-policy", "no-referrer".to_owned()),
    ];
    respond(302, log_id, HTML, Vec::new(), &headers)
}
