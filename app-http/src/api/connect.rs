//! `POST /api/v1/integrations/{integration}/connect`: starts the admin's Lark login for an
//! integration and answers the authorize URL for an admin to open in a browser where they are
//! signed in to the web UI; the web UI's callback completes it.

use actix_web::{HttpResponse, web};
use aviary_domain::model::LOGIN_TIMEOUT_MINUTES;
use aviary_domain::usecases::connect::started_by_api_key;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use crate::wiring::Services;

/// A Lark login started: open `authorize_url` in a browser signed in to the web UI.
#[derive(Debug, Serialize, ToSchema)]
struct Started {
    /// Lark's authorize page for this login.
    authorize_url: String,
    /// The login must be finished within this time.
    expires_in_seconds: i64,
}

/// Starts the admin's Lark login
///
/// 200 `{"authorize_url", "expires_in_seconds"}`: an admin of the tenant opens the URL in a
/// browser where they are signed in to Aviary's web UI; its callback completes the login.
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
    responses(
        (status = 200, description = "Login started", body = Started),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn start(
    services: web::Data<Services>,
    caller: web::ReqData<Caller>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let authorize_url = services
        .connect
        .start(integration.id, &started_by_api_key(caller.key))
        .await?;
    tracing::info!(integration = %integration.id, key = %caller.key, "Lark login started through the API");
    Ok(HttpResponse::Ok().json(Started {
        authorize_url,
        expires_in_seconds: LOGIN_TIMEOUT_MINUTES * 60,
    }))
}
