//! `POST /api/v1/integrations/{integration}/sync`: starts a sync in the background and answers
//! `202 Accepted` with the recorded run (status `running`); poll `GET /api/v1/runs/{id}`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use aviary_domain::model::RunTrigger;

use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use aviary_views::RunView;
use aviary_wiring::Services;

/// Starts a sync
///
/// 202 with the run (`status: running`, `trigger: api`) as soon as it is recorded; poll
/// `GET /api/v1/runs/{run_id}` until it is no longer `running`.
#[utoipa::path(
    post,
    path = "/api/v1/integrations/{integration}/sync",
    operation_id = "start_sync",
    tag = "sync",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
    ),
    responses(
        (status = 202, description = "Started", body = RunView,
            headers(("Location" = String, description = "`/api/v1/runs/{run_id}`"))),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        (status = 409, description = "`sync_already_running` (here, the CLI or another \
            server) or `integration_disabled`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key's scope does not permit this \
            (it needs `sync`)", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn start(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let run = services
        .runner
        .start(integration.id, RunTrigger::Api)
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/runs/{}", run.id)))
        .json(RunView::from(&run)))
}
