//! `GET /api/v1/integrations` and `GET /api/v1/integrations/{id_or_label}`.

use actix_web::{HttpResponse, web};
use aviary_domain::model::Integration;
use aviary_domain::usecases::find_integration;

use super::Items;
use super::error::ApiError;
use crate::views::IntegrationView;
use crate::wiring::Services;

/// The integration a path's `{integration}` (UUID or label) names.
///
/// # Errors
/// 404 `integration_not_found`, or the store's error.
pub async fn resolve(services: &Services, key: &str) -> Result<Integration, ApiError> {
    Ok(find_integration(services.integrations.as_ref(), key).await?)
}

pub async fn list(services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let integrations = services.integrations.list().await?;
    Ok(HttpResponse::Ok().json(Items {
        items: integrations.iter().map(IntegrationView::from).collect(),
    }))
}

pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    Ok(HttpResponse::Ok().json(IntegrationView::from(&integration)))
}
