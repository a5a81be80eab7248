//! `GET /api/v1/integrations/{integration}/doctor`: the permission doctor's report — one check
//! per capability the integration needs, with plain words and the console step that fixes
//! what is missing. Always 200 when a report could be made; `healthy` says whether anything
//! is missing (the checks say what).

use actix_web::{HttpResponse, web};

use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use aviary_views::schema;
use aviary_wiring::Services;

/// The permission doctor's report
///
/// Checks now (a handful of read-only Lark requests) what the integration's Lark app may do:
/// one check per capability, with plain words and the console step that fixes what is
/// missing. 200 whatever it finds.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/doctor",
    operation_id = "integration_doctor",
    tag = "integrations",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
    ),
    responses(
        (status = 200, description = "The report", body = schema::DoctorReport),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let report = services.doctor.run(integration.id).await?;
    Ok(HttpResponse::Ok().json(report))
}
