//! `POST /api/v1/integrations/{integration}/connect`: answers the web UI page where a signed-in
//! admin confirms connecting the integration with their Lark login. Nothing is started here: a
//! login started by an API client could be finished in an admin's browser with a Lark account
//! of the client's choosing (login CSRF), so only the admin's own session starts, and finishes,
//! it.

use actix_web::{HttpResponse, web};
use aviary_domain::usecases::connect::LoginOptions;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::body_problem;
use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use aviary_wiring::Services;

/// Where an admin confirms the login: open `confirm_url` in a browser signed in to Aviary.
#[derive(Debug, Serialize, ToSchema)]
struct ToConfirm {
    /// Aviary's page (under `http.public_base_url`) that asks the signed-in admin to connect
    /// the integration, then sends them to Lark.
    confirm_url: String,
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

/// Asks an admin to connect the integration with their Lark login
///
/// 200 `{"confirm_url"}`: an admin of the tenant opens the URL in a browser where they are
/// signed in to Aviary's web UI, confirms, and signs in with Lark; only that browser session
/// can finish the login. Nothing is started or stored by this call. Without a body (or with
/// `offline_access: false`) no scope is requested, which works with the permission list of
/// the setup guide; the sign-in then records the admin and the tenant, and syncs use the app's
/// own credentials.
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
        (status = 200, description = "The page to confirm on", body = ToConfirm),
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
    let renewable = if options.offline_access {
        "?offline_access=true"
    } else {
        ""
    };
    let confirm_url = format!(
        "{}/admin/integrations/{}/connect{renewable}",
        services.settings.http.public_base_url(),
        integration.id
    );
    tracing::info!(integration = %integration.id, key = %caller.key, "Lark login requested through the API");
    Ok(HttpResponse::Ok().json(ToConfirm { confirm_url }))
}
