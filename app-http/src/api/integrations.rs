//! `GET /api/v1/integrations` and `GET /api/v1/integrations/{id_or_label}`.

use actix_web::{HttpResponse, web};
use aviary_domain::model::Integration;

use super::Items;
use super::error::{ApiError, Body as ErrorBody};
use super::openapi::SharedErrors;
use aviary_views::IntegrationView;
use aviary_wiring::Services;

/// The integration a path's `{integration}` (UUID or label) names.
///
/// # Errors
/// 404 `integration_not_found`, or the store's error.
pub async fn resolve(services: &Services, key: &str) -> Result<Integration, ApiError> {
    Ok(services.integrations.find(key).await?)
}

/// Every integration
#[utoipa::path(
    get,
    path = "/api/v1/integrations",
    operation_id = "list_integrations",
    tag = "integrations",
    responses(
        (status = 200, description = "`{\"items\": [integration…]}`",
            body = Items<IntegrationView>),
        SharedErrors,
    )
)]
pub async fn list(services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let integrations = services.integrations.list().await?;
    Ok(HttpResponse::Ok().json(Items {
        items: integrations.iter().map(IntegrationView::from).collect(),
    }))
}

/// One integration
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}",
    operation_id = "show_integration",
    tag = "integrations",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
    ),
    responses(
        (status = 200, description = "The integration", body = IntegrationView),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    Ok(HttpResponse::Ok().json(IntegrationView::from(&integration)))
}
