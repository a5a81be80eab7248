//! Managing integrations over the API: `POST /api/v1/integrations` (register),
//! `PATCH /api/v1/integrations/{integration}` (label and schedule) and
//! `DELETE /api/v1/integrations/{integration}`. Bodies are JSON with no unknown fields; a body
//! that does not parse is the JSON 400 `invalid_body` (see `super::json_config`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use aviary_domain::model::Region;
use aviary_domain::usecases::{IntegrationChanges, NewIntegration};
use aviary_domain::values::SyncInterval;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

use super::error::ApiError;
use super::integrations::resolve;
use crate::views::IntegrationView;
use crate::wiring::Services;

/// Tells a field sent as `null` (`Some(None)`) from a field left out (`None`).
fn present<'de, D>(deserializer: D) -> Result<Option<Option<i64>>, D::Error>
where
    D: Deserializer<'de>,
{
    Option::<i64>::deserialize(deserializer).map(Some)
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/integrations`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    label: String,
    /// Parsed here rather than by serde, so that a wrong value is `invalid_region`.
    region: String,
    app_id: String,
    app_secret: SecretString,
    #[serde(default)]
    base_url: Option<String>,
    /// Left out: hourly; `null`: on demand only.
    #[serde(default, deserialize_with = "present")]
    sync_interval_minutes: Option<Option<i64>>,
    /// Check the credentials with Lark (and read the tenant) before storing.
    #[serde(default = "yes")]
    verify: bool,
}

/// 201 with the integration and its `Location`.
pub async fn create(
    services: web::Data<Services>,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let region: Region = body
        .region
        .parse()
        .map_err(|err| ApiError::invalid_field("invalid_region", "region", err))?;
    let interval = body
        .sync_interval_minutes
        .unwrap_or(Some(i64::from(SyncInterval::DEFAULT.minutes())));
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[serde(default)]
    label: Option<String>,
    /// A number of minutes, or `null` for on demand only.
    #[serde(default, deserialize_with = "present")]
    sync_interval_minutes: Option<Option<i64>>,
}

/// 200 with the integration as stored.
pub async fn update(
    services: web::Data<Services>,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let UpdateBody {
        label,
        sync_interval_minutes,
    } = body.into_inner();
    let changes = IntegrationChanges {
        label,
        sync_interval_minutes,
    };
    let updated = services.update.execute(integration.id, &changes).await?;
    Ok(HttpResponse::Ok().json(IntegrationView::from(&updated)))
}

/// 204 once the integration and everything synced for it are gone.
pub async fn remove(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    services.remove.execute(integration.id).await?;
    tracing::info!(integration = %integration.id, label = %integration.label, "integration removed through the API");
    Ok(HttpResponse::NoContent().finish())
}
