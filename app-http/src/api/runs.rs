//! `GET /api/v1/integrations/{id}/runs` (newest first), `GET /api/v1/runs/{run_id}` (with a
//! keyset page of the changes it recorded and, for a held run, what it held) and
//! `POST /api/v1/runs/{run_id}/confirm`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use aviary_domain::model::{ChangePage, RunTrigger};
use aviary_domain::usecases::sync::Confirmation;
use serde::Deserialize;
use utoipa::IntoParams;

use super::Items;
use super::auth::Caller;
use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use super::params;
use aviary_views::{RunView, RunWithChangesView};
use aviary_wiring::Services;

const DEFAULT_LIMIT: u64 = 20;
/// The most held records a run's view lists (the hold's counts cover them all).
pub(crate) const HELD_LISTED: u64 = 1000;

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

/// How many of a run's changes a page holds unless `limit` says otherwise.
const DEFAULT_CHANGES: u64 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShowParams {
    /// How many of the run's changes the page holds, in the order the run recorded them.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 1000, default = 100)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page (opaque), valid for this run only; left out:
    /// the first page.
    cursor: Option<String>,
}

/// One run with a page of the changes it recorded
///
/// The changes come in keyset pages (a first sync records one per record): follow
/// `next_cursor` until it is null for the rest.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{run_id}",
    operation_id = "show_run",
    tag = "runs",
    params(
        ("run_id" = String, Path, format = "uuid", description = "The run's id"),
        ShowParams,
    ),
    responses(
        (status = 200, description = "The run with a page of its changes",
            body = RunWithChangesView),
        (status = 400, description = "`invalid_parameter`: `run_id` not a UUID, `limit` out of \
            range, or a `cursor` this API did not hand out for this run", body = ErrorBody),
        (status = 404, description = "`run_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<ShowParams>,
) -> Result<HttpResponse, ApiError> {
    let id = params::run_id(&path)?;
    let limit = params::limit_up_to(query.limit.as_deref(), DEFAULT_CHANGES, ChangePage::MAX)?;
    let after = query
        .cursor
        .as_deref()
        .map(|raw| params::decode_change_cursor(raw, id))
        .transpose()?;
    let run = services.queries.run(id).await?;
    let page = services.queries.run_changes(id, after, limit).await?;
    let held = if run.hold.is_some() {
        services.queries.held_subjects(id, HELD_LISTED).await?
    } else {
        Vec::new()
    };
    Ok(HttpResponse::Ok().json(RunWithChangesView::new(&run, &page, &held)))
}

/// Confirms a held run
///
/// 202 with the new run (`status: running`, `trigger: api`, `confirms`, `confirmed_by` the API
/// key) as soon as it is recorded. It applies what the held run held — the same accounts and
/// departments with the same outcome, and the loss of the field groups it named — and at most
/// that: if Lark now shows more departures, it holds again. Only the integration's newest run
/// can be confirmed.
#[utoipa::path(
    post,
    path = "/api/v1/runs/{run_id}/confirm",
    operation_id = "confirm_run",
    tag = "runs",
    params(("run_id" = String, Path, format = "uuid", description = "The held run's id")),
    responses(
        (status = 202, description = "The confirming run started", body = RunView,
            headers(("Location" = String, description = "`/api/v1/runs/{run_id}` of the new run"))),
        (status = 400, description = "`invalid_parameter`: not a UUID", body = ErrorBody),
        (status = 404, description = "`run_not_found`", body = ErrorBody),
        (status = 409, description = "`run_not_held`, `run_superseded` (a newer run exists), \
            `sync_already_running` or `integration_disabled`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`: the key's scope does not permit this \
            (it needs `sync`)", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn confirm(
    services: web::Data<Services>,
    caller: web::ReqData<Caller>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = params::run_id(&path)?;
    let held = services.queries.run(id).await?;
    let run = services
        .runner
        .start_confirming(
            held.integration_id,
            RunTrigger::Api,
            Some(Confirmation {
                run: id,
                by: caller.name.clone(),
            }),
        )
        .await?;
    tracing::info!(held = %id, run = %run.id, key = %caller.key, "held run confirmed through the API");
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/runs/{}", run.id)))
        .json(RunView::from(&run)))
}
