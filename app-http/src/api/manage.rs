//! Managing integrations over the API: `POST /api/v1/integrations` (register),
//! `PATCH /api/v1/integrations/{integration}` (label and schedule) and
//! `DELETE /api/v1/integrations/{integration}`. Bodies are JSON with no unknown fields; a body
//! that does not parse is the JSON 400 `invalid_body` (see `super::json_config`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use aviary_domain::model::Region;
use aviary_domain::usecases::{IntegrationChanges, NewIntegration};
use aviary_domain::values::{Patch, SyncInterval};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::object_body::Object;
use super::openapi::SharedErrors;
use aviary_views::IntegrationView;
use aviary_views::schema;
use aviary_wiring::Services;

/// Tells a field sent as `null` (`Clear`) from a field left out (`Keep`, the default).
fn patch<'de, D>(deserializer: D) -> Result<Patch<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    Option::<i64>::deserialize(deserializer).map(|value| value.map_or(Patch::Clear, Patch::Set))
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/integrations`: a new integration.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// 1–64 characters, trimmed, no control characters, not a UUID, unique.
    #[schema(min_length = 1, max_length = 64)]
    label: String,
    // A string rather than `Region`, so that a wrong value is `invalid_region`.
    #[schema(value_type = schema::Region)]
    region: String,
    /// The custom app's App ID from the Lark developer console (`cli_…`).
    app_id: String,
    /// The custom app's App Secret; stored encrypted, never shown again.
    #[schema(value_type = String, format = Password, write_only)]
    app_secret: SecretString,
    /// Replaces Lark's hosts (a private deployment, a simulator):
    /// `http(s)://host[:port][/path]`.
    #[serde(default)]
    base_url: Option<String>,
    /// Minutes between scheduled syncs, 5–10080. Left out: hourly; `null`: on demand only.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<i64>, minimum = 5, maximum = 10080)]
    sync_interval_minutes: Patch<i64>,
    /// Check the credentials with Lark (and read the tenant) before storing.
    #[serde(default = "yes")]
    #[schema(default = true)]
    verify: bool,
}

/// Registers an integration
///
/// 201 with the integration and its `Location`. It starts `pending_authorization`: connect
/// it to bind it to its tenant.
#[utoipa::path(
    post,
    path = "/api/v1/integrations",
    operation_id = "create_integration",
    tag = "integrations",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Registered", body = IntegrationView,
            headers(("Location" = String, description = "`/api/v1/integrations/{id}`"))),
        (status = 400, description = "`invalid_body`, or a refused field: `invalid_label`, \
            `invalid_region`, `invalid_app_id`, `invalid_app_secret`, `invalid_base_url`, \
            `base_url_not_allowed`, `invalid_sync_interval`", body = ErrorBody),
        (status = 409, description = "`label_taken`", body = ErrorBody),
        (status = 422, description = "With `verify`: `credentials_rejected` or \
            `verification_failed` (nothing stored)", body = ErrorBody),
        (status = 502, description = "With `verify`: `lark_unavailable` or `lark_error` \
            (nothing stored)", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key's scope does not permit this \
            (it needs `manage`)", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn create(
    services: web::Data<Services>,
    body: web::Json<Object<CreateBody>>,
) -> Result<HttpResponse, ApiError> {
    let Object(body) = body.into_inner();
    let region: Region = body
        .region
        .parse()
        .map_err(|err| ApiError::invalid_field("invalid_region", "region", err))?;
    let interval = body
        .sync_interval_minutes
        .apply(Some(i64::from(SyncInterval::DEFAULT.minutes())));
    let new = NewIntegration {
        label: body.label,
        region,
        base_url: body.base_url,
        app_id: body.app_id,
        app_secret: body.app_secret,
        verify: body.verify,
        rate_limits: services.settings.lark.rate_limits(),
    };
    let integration = services
        .register
        .execute_with_schedule(new, interval)
        .await?;
    tracing::info!(integration = %integration.id, label = %integration.label, "integration registered through the API");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/integrations/{}", integration.id),
        ))
        .json(IntegrationView::from(&integration)))
}

/// `PATCH /api/v1/integrations/{integration}`: fields left out are kept.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// A new label (the rules of registering); `null` or left out: kept.
    #[serde(default)]
    label: Option<String>,
    /// A number of minutes (5–10080), or `null` for on demand only.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<i64>, minimum = 5, maximum = 10080)]
    sync_interval_minutes: Patch<i64>,
}

/// Changes an integration's label and/or schedule
///
/// 200 with the integration as stored. The region and the credentials cannot change.
#[utoipa::path(
    patch,
    path = "/api/v1/integrations/{integration}",
    operation_id = "update_integration",
    tag = "integrations",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
    ),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "Changed (or already so)", body = IntegrationView),
        (status = 400, description = "`invalid_body`, `invalid_label` or \
            `invalid_sync_interval`", body = ErrorBody),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        (status = 409, description = "`label_taken`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key's scope does not permit this \
            (it needs `manage`)", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn update(
    services: web::Data<Services>,
    path: web::Path<String>,
    body: web::Json<Object<UpdateBody>>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let Object(UpdateBody {
        label,
        sync_interval_minutes,
    }) = body.into_inner();
    let changes = IntegrationChanges {
        label,
        sync_interval_minutes,
    };
    let updated = services.update.execute(integration.id, &changes).await?;
    Ok(HttpResponse::Ok().json(IntegrationView::from(&updated)))
}

/// Deletes an integration
///
/// 204 once the integration and everything synced for it are gone: accounts, departments,
/// runs, history, its Lark sign-in and logins in progress.
#[utoipa::path(
    delete,
    path = "/api/v1/integrations/{integration}",
    operation_id = "remove_integration",
    tag = "integrations",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key's scope does not permit this \
            (it needs `manage`)", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn remove(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    services.remove.execute(integration.id).await?;
    tracing::info!(integration = %integration.id, label = %integration.label, "integration removed through the API");
    Ok(HttpResponse::NoContent().finish())
}
