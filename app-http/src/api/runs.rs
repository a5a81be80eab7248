//! `GET /api/v1/integrations/{id}/runs` (newest first) and `GET /api/v1/runs/{run_id}` (with
//! the changes it recorded).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::Items;
use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use super::params;
use crate::views::{ChangeView, RunView, RunWithChangesView};
use crate::wiring::Services;

const DEFAULT_LIMIT: u64 = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many runs, newest first.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 500, default = 20)]
    limit: Option<String>,
}

/// An integration's runs, newest first
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/runs",
    operation_id = "list_runs",
    tag = "runs",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ListParams,
    ),
    responses(
        (status = 200, description = "`{\"items\": [run…]}`", body = Items<RunView>),
        (status = 400, description = "`invalid_parameter` (`limit`)", body = ErrorBody),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn list(
    services: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = params::limit(query.limit.as_deref(), DEFAULT_LIMIT)?;
    let integration = resolve(&services, &path).await?;
    let runs = services.queries.runs(integration.id, limit).await?;
    Ok(HttpResponse::Ok().json(Items {
        items: runs.iter().map(RunView::from).collect(),
    }))
}

/// One run with the changes it recorded
#[utoipa::path(
    get,
    path = "/api/v1/runs/{run_id}",
    operation_id = "show_run",
    tag = "runs",
    params(("run_id" = String, Path, format = "uuid", description = "The run's id")),
    responses(
        (status = 200, description = "The run", body = RunWithChangesView),
        (status = 400, description = "`invalid_parameter`: not a UUID", body = ErrorBody),
        (status = 404, description = "`run_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = params::run_id(&path)?;
    let (run, changes) = services.queries.run(id).await?;
    Ok(HttpResponse::Ok().json(RunWithChangesView {
        run: RunView::from(&run),
        changes: changes.iter().map(ChangeView::from).collect(),
    }))
}
