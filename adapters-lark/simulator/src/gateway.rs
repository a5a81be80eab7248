//! The request pipeline every Lark endpoint goes through, in the order Lark's gateway applies it:
//! stats and latency, then (data APIs only) bearer-token check (tenant or user token, per API),
//! injected rate limiting, the real per-API limits, injected 5xx, the app's API permission
//! (99991672, `permissions.rs`), the handler, and injected malformed bodies. Also the error type
//! handlers return and how errors are rendered (`{code, msg, error{log_id,…}}`).

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::faults::Hostile;
use super::hostile;
use super::oauth_grants::AccessError;
use super::params::Params;
use super::permissions;
use super::rate_limit::PER_SECOND;
use super::state::SimState;

/// A Lark error answer: HTTP status, Lark code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LarkError {
    pub(crate) status: u16,
    pub(crate) code: i64,
    pub(crate) msg: String,
    /// `error.field_violations` (code 99992402).
    field_violations: Vec<(String, String)>,
    /// `error.message` (a troubleshooting pointer on auth errors).
    message: Option<&'static str>,
    /// `error.permission_violations[].subject` (code 99991672).
    permission_violations: Vec<&'static str>,
}

impl LarkError {
    pub(crate) fn new(status: u16, code: i64, msg: impl Into<String>) -> Self {
        Self {
            status,
            code,
            msg: msg.into(),
            field_violations: Vec::new(),
            message: None,
            permission_violations: Vec::new(),
        }
    }

    /// 99991672: the app has none of the scopes (`accepted`, any one suffices) the API needs.
    pub(crate) fn scope_required(accepted: &[&'static str]) -> Self {
        Self {
            message: Some(
                "Refer to the documentation to fix the error: https://open.larksuite.com/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error",
            ),
            permission_violations: accepted.to_vec(),
            ..Self::new(
                400,
                99_991_672,
                format!(
                    "Access denied. One of the following scopes is required: [{}]",
                    accepted.join(", ")
                ),
            )
        }
    }

    /// 99992402: a query parameter has an invalid value or is missing.
    pub(crate) fn field_validation(field: &str, description: impl Into<String>) -> Self {
        Self {
            field_violations: vec![(field.to_owned(), description.into())],
            ..Self::new(400, 99_992_402, "field validation failed")
        }
    }

    pub(crate) fn param_error(msg: &str) -> Self {
        Self::new(400, 40_001, format!("invalid parameter: {msg}"))
    }

    pub(crate) fn internal() -> Self {
        Self::new(500, 40_003, "internal error")
    }

    pub(crate) fn no_dept_authority() -> Self {
        Self::new(403, 40_004, "no dept authority error")
    }

    pub(crate) fn page_size_invalid() -> Self {
        Self::new(400, 40_011, "page size is invalid")
    }

    pub(crate) fn page_token_invalid() -> Self {
        Self::new(400, 40_012, "page token is invalid error")
    }

    pub(crate) fn department_not_found() -> Self {
        Self::new(400, 40_015, "department not exist")
    }

    pub(crate) fn user_id_invalid() -> Self {
        Self::new(400, 41_012, "user id invalid error")
    }

    pub(crate) fn no_user_authority() -> Self {
        Self::new(400, 41_050, "no user authority")
    }

    pub(crate) fn group_not_found() -> Self {
        Self::new(400, 42_002, "invalid group_id")
    }

    pub(crate) fn no_group_authority() -> Self {
        Self::new(403, 42_009, "no user group authority error")
    }

    pub(crate) fn member_id_type_invalid() -> Self {
        Self::new(400, 41_071, "invalid member_id_type")
    }

    pub(crate) fn member_id_type_mismatch() -> Self {
        Self::new(400, 41_072, "member_type not match member_id_type")
    }

    pub(crate) fn member_type_invalid() -> Self {
        Self::new(400, 41_074, "invalid member_type")
    }

    /// 211003: the installed-apps list's own code for a bad page token.
    pub(crate) fn app_page_token_invalid() -> Self {
        Self::new(400, 211_003, "page token error")
    }

    /// 211004: the installed-apps list's own code for a page size out of range.
    pub(crate) fn app_page_size_invalid() -> Self {
        Self::new(400, 211_004, "page size error")
    }

    /// 50003 with HTTP 200: the legacy availability API's unknown (or not installed) app.
    pub(crate) fn invalid_app_id() -> Self {
        Self::new(200, 50_003, "invalid app_id")
    }

    pub(crate) fn big_dept_recursion() -> Self {
        Self::new(400, 43_010, "big dept forbid recursion error")
    }

    pub(crate) fn token_missing() -> Self {
        Self {
            message: Some(
                "Refer to the documentation to fix the error: https://open.larksuite.com/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-choose-which-type-of-token-to-use",
            ),
            ..Self::new(
                400,
                99_991_661,
                "Missing access token for authorization. Please make a request with token attached.",
            )
        }
    }

    pub(crate) fn token_invalid() -> Self {
        Self {
            message: Some(
                "Refer to the documentation to fix the error: https://open.larksuite.com/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-99991663-error",
            ),
            ..Self::new(
                400,
                99_991_663,
                "Invalid access token for authorization. Please make a request with token attached.",
            )
        }
    }

    /// 99991668: not a user access token this tenant knows, or one revoked or superseded.
    pub(crate) fn user_token_invalid() -> Self {
        Self::new(
            400,
            99_991_668,
            "Invalid access token for authorization. Please make a request with token attached.",
        )
    }

    /// 99991677: the user access token is past its lifetime; refresh it.
    pub(crate) fn user_token_expired() -> Self {
        Self::new(400, 99_991_677, "token expire")
    }

    /// 99991663 on an API that needs a user token when a tenant token was sent.
    pub(crate) fn tenant_token_not_supported() -> Self {
        Self::new(400, 99_991_663, "tenant access token not support")
    }

    pub(crate) fn rate_limited(status: u16) -> Self {
        Self::new(status, 99_991_400, "request trigger frequency limit")
    }

    pub(crate) fn not_found() -> Self {
        Self::new(404, 404, "not found")
    }
}

#[derive(Serialize)]
struct FieldViolation<'a> {
    field: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct PermissionViolation<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    subject: &'a str,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    log_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    field_violations: Vec<FieldViolation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    permission_violations: Vec<PermissionViolation<'a>>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: i64,
    msg: &'a str,
    error: ErrorDetail<'a>,
}

/// Which parts of the pipeline an endpoint goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Token endpoints: no bearer token, no rate limit, no injected faults.
    Auth,
    /// Everything that needs a tenant token.
    Data,
    /// Data APIs that need a user access token (`authen/v1/user_info`).
    UserData,
}

pub(crate) const JSON: &str = "application/json; charset=utf-8";

/// Runs the pipeline around `handler`, which returns the full success body.
pub(crate) async fn serve(
    state: &SimState,
    req: &HttpRequest,
    endpoint: &'static str,
    kind: Kind,
    handler: impl FnOnce(&SimState, &Params) -> Result<Vec<u8>, LarkError>,
) -> HttpResponse {
    let log_id = state.next_log_id();
    state.stats.request(endpoint);
    if let Some(delay) = state.faults.delay() {
        tokio::time::sleep(delay).await;
    }
    if kind != Kind::Auth {
        if let Err(err) = authorize(state, req, kind) {
            return error(state, &log_id, &err, &[]);
        }
        if let Some(status) = state.faults.take_rate_limit() {
            let headers = rate_limit_headers(PER_SECOND, 1);
            return error(state, &log_id, &LarkError::rate_limited(status), &headers);
        }
        if state.faults.hostile() == Some(Hostile::LongRateLimitResets) {
            let headers = rate_limit_headers(PER_SECOND, 60);
            return error(state, &log_id, &LarkError::rate_limited(429), &headers);
        }
        if state.rate_limits_on()
            && let Err(limited) = state.limiter.check(endpoint, state.clock.real())
        {
            let headers = rate_limit_headers(limited.limit, limited.reset_secs);
            return error(state, &log_id, &LarkError::rate_limited(429), &headers);
        }
        if let Some(status) = state.faults.take_failure() {
            return injected_failure(state, &log_id, status);
        }
        if kind == Kind::Data
            && let Err(err) = permissions::require(state, endpoint)
        {
            return error(state, &log_id, &err, &[]);
        }
    }
    let params = Params::parse(req.query_string());
    let hostile = if kind == Kind::Auth {
        None
    } else {
        state.faults.hostile()
    };
    match (handler(state, &params), hostile) {
        (Ok(body), Some(hostile)) => {
            state.stats.response(200, Some(0));
            hostile::answer(hostile, &log_id, &params, body)
        }
        (Ok(mut body), None) => {
            if kind != Kind::Auth && state.faults.take_malformed() {
                // Cut mid-document: a proxy or a dropped connection, not a Lark answer.
                body.truncate((body.len() / 2).max(1));
                state.stats.malformed();
                state.stats.response(200, None);
            } else {
                state.stats.response(200, Some(0));
            }
            respond(200, &log_id, JSON, body, &[])
        }
        (Err(err), _) => error(state, &log_id, &err, &[]),
    }
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
}

fn authorize(state: &SimState, req: &HttpRequest, kind: Kind) -> Result<(), LarkError> {
    let token = bearer(req).ok_or_else(LarkError::token_missing)?;
    let now = state.clock.now();
    if kind == Kind::UserData {
        return user_token_owner(state, token).map(drop);
    }
    if state.tenant_tokens.is_valid(token, now) {
        Ok(())
    } else {
        Err(LarkError::token_invalid())
    }
}

/// The `open_id` behind a user access token, or the error an API needing one answers.
pub(crate) fn user_token_owner(state: &SimState, token: &str) -> Result<String, LarkError> {
    let now = state.clock.now();
    match state.oauth.access(token, now) {
        Ok(open_id) => Ok(open_id),
        Err(AccessError::Expired) => Err(LarkError::user_token_expired()),
        Err(AccessError::Invalid) if state.tenant_tokens.is_valid(token, now) => {
            Err(LarkError::tenant_token_not_supported())
        }
        Err(AccessError::Invalid) => Err(LarkError::user_token_invalid()),
    }
}

fn rate_limit_headers(limit: u32, reset_secs: u64) -> [(&'static str, String); 2] {
    [
        ("x-ogw-ratelimit-limit", limit.to_string()),
        ("x-ogw-ratelimit-reset", reset_secs.to_string()),
    ]
}

fn injected_failure(state: &SimState, log_id: &str, status: u16) -> HttpResponse {
    let text = match status {
        502 => Some("502 Bad Gateway"),
        503 => Some("503 Service Temporarily Unavailable"),
        504 => Some("504 Gateway Time-out"),
        _ => None,
    };
    match text {
        // What a load balancer in front of Lark answers: not JSON at all.
        Some(text) => {
            state.stats.response(status, None);
            respond(
                status,
                log_id,
                "text/plain; charset=utf-8",
                text.as_bytes().to_vec(),
                &[],
            )
        }
        None => {
            let err = LarkError {
                status,
                ..LarkError::internal()
            };
            error(state, log_id, &err, &[])
        }
    }
}

/// Renders and records an error answer.
pub(crate) fn error(
    state: &SimState,
    log_id: &str,
    err: &LarkError,
    headers: &[(&'static str, String)],
) -> HttpResponse {
    state.stats.response(err.status, Some(err.code));
    let body = ErrorBody {
        code: err.code,
        msg: &err.msg,
        error: ErrorDetail {
            log_id,
            message: err.message,
            field_violations: err
                .field_violations
                .iter()
                .map(|(field, description)| FieldViolation { field, description })
                .collect(),
            permission_violations: err
                .permission_violations
                .iter()
                .map(|subject| PermissionViolation {
                    kind: "action_scope_required",
                    subject,
                })
                .collect(),
        },
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"code\":40003}".to_vec());
    respond(err.status, log_id, JSON, bytes, headers)
}

pub(crate) fn respond(
    status: u16,
    log_id: &str,
    content_type: &'static str,
    body: Vec<u8>,
    headers: &[(&'static str, String)],
) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((CONTENT_TYPE, content_type));
    if let Ok(value) = HeaderValue::from_str(log_id) {
        response.insert_header((HeaderName::from_static("x-tt-logid"), value.clone()));
        response.insert_header((HeaderName::from_static("x-request-id"), value));
    }
    for (name, value) in headers {
        response.insert_header((*name, value.as_str()));
    }
    let mut response = response.body(body);
    // Header names in Lark's spelling (`X-Tt-Logid`, `Content-Type`): the official Python SDK
    // copies them into a plain dict and looks them up with exactly that case.
    response.head_mut().set_camel_case_headers(true);
    response
}
