//! `GET /api/v1/integrations/{integration}/doctor`: the permission doctor's report — one check
//! per capability the integration needs, with plain words and the console step that fixes
//! what is missing. Always 200 when a report could be made; `healthy` says whether anything
//! is missing (the checks say what).

use actix_web::{HttpResponse, web};

use super::error::ApiError;
use super::integrations::resolve;
use crate::wiring::Services;

pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let report = services.doctor.run(integration.id).await?;
    Ok(HttpResponse::Ok().json(report))
}
