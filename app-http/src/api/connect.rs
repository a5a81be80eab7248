//! `POST /api/v1/integrations/{integration}/connect`: starts the admin's Lark login for an
//! integration and answers the authorize URL for an admin to open in a browser where they are
//! signed in to the web UI; the web UI's callback completes it.

use actix_web::{HttpResponse, web};
use aviary_domain::model::LOGIN_TIMEOUT_MINUTES;
use aviary_domain::usecases::connect::{LoginOptions, started_by_api_key};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::body_problem;
use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use aviary_wiring::Services;

/// A Lark login started: open `authorize_url` in a browser signed in to the web UI.
#[derive(Debug, Serialize, ToSchema)]
struct Started {
    /// Lark's authorize page for this login.
    authorize_url: String,
    /// The login must be finished within this time.
    expires_in_seconds: i64,
}

/// `POST …/connect`: how to sign in. The body is optional; an empty one asks for nothing extra.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConnectBody {
    /// Ask Lark for `offline_access` so that the sign-in can be renewed (a refresh token).
    /// Only for an app whose developer console enables `offline_access` (and the switch to
    /// refresh user_access_token): Lark refuses the sign-in of an app without it (20027).
    #[serde(default)]
    offline_access: bool,
}

/// The optional JSON body: empty means the defaults; anything else must be a `ConnectBody`.
fn options(body: &[u8]) -> Result<LoginOptions, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(LoginOptions::default());
    }
    let body: ConnectBody = serde_json::from_slice(body)
        .map_err(|err| ApiError::invalid_body(body_problem::describe(&err)))?;
    Ok(LoginOptions {
        offline_access: body.offline_access,
    })
}

/// Starts the admin's Lark login
///
/// 200 `{"authorize_url", "expires_in_seconds"}`: an admin of the tenant opens the URL in a
/// browser where they are signed in to Aviary's web UI; its callback completes the login.
/// Without a body (or with `offline_access: false`) no scope is requested, which works with
/// the permission list of the setup guide; the sign-in then records the admin and the tenant,
/// and syncs use the app's own credentials.
//
// The login is bound to the API key, not to a browser session (an API client has none):
// whoever holds the key may register and connect integrations anyway, and the callback
// still demands a signed-in admin, the single-use `state`, the ten minutes and a Lark user
// of the app's own tenant. `Connect::complete` accepts such logins from any admin session.
#[utoipa::path(
    post,
    path = "/api/v1/integrations/{integration}/connect",
    operation_id = "connect_integration",
    tag = "integrations",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
    ),
    request_body(content = Option<ConnectBody>, description = "Optional"),
    responses(
        (status = 200, description = "Login started", body = Started),
        (status = 400, description = "`invalid_body`", body = ErrorBody),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key's scope does not permit this \
            (it needs `manage`)", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn start(
    services: web::Data<Services>,
    caller: web::ReqData<Caller>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let options = options(&body)?;
    let integration = resolve(&services, &path).await?;
    let authorize_url = services
        .connect
        .start(integration.id, &started_by_api_key(caller.key), options)
        .await?;
    tracing::info!(integration = %integration.id, key = %caller.key, "Lark login started through the API");
    Ok(HttpResponse::Ok().json(Started {
        authorize_url,
        expires_in_seconds: LOGIN_TIMEOUT_MINUTES * 60,
    }))
}
