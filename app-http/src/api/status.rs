//! `GET /api/v1/integrations/{integration}/status`: the integration with its latest and last
//! good run, when the schedule syncs it next, its accounts per status and its problems in
//! plain words.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use aviary_domain::model::AccountStatus;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use aviary_views::{IntegrationView, RunView, schema};
use aviary_wiring::Services;

/// The status document. New sections (the permission doctor's findings, as `doctor`) are
/// added as fields here; clients ignore fields they do not know.
#[derive(Debug, Serialize, ToSchema)]
struct StatusView {
    integration: IntegrationView,
    /// null when it never ran.
    #[schema(required)]
    latest_run: Option<RunView>,
    #[schema(required)]
    last_succeeded_run: Option<RunView>,
    /// When the scheduler starts the next sync (in the past when it is due; later after failed
    /// runs in a row); `null` when the integration syncs on demand only, is disabled or is not
    /// yet connected.
    #[schema(required)]
    next_sync_at: Option<DateTime<Utc>>,
    /// Every account status with its count of current accounts, zeros included.
    #[schema(value_type = schema::AccountCounts)]
    account_counts: BTreeMap<&'static str, u64>,
    /// What an admin should act on, most pressing first, in plain words; empty when all is
    /// well.
    problems: Vec<String>,
}

/// An integration's health
///
/// The integration with its latest and last good run, when the schedule syncs it next, its
/// accounts per status and its problems in plain words.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/status",
    operation_id = "integration_status",
    tag = "integrations",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
    ),
    responses(
        (status = 200, description = "The status document", body = StatusView),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let report = services.health.report(&integration).await?;
    let mut account_counts: BTreeMap<&'static str, u64> = AccountStatus::ALL
        .iter()
        .map(|status| (status.as_str(), 0))
        .collect();
    for (status, count) in &report.account_counts {
        account_counts.insert(status.as_str(), *count);
    }
    Ok(HttpResponse::Ok().json(StatusView {
        integration: IntegrationView::from(&integration),
        latest_run: report.latest_run.as_ref().map(RunView::from),
        last_succeeded_run: report.last_succeeded_run.as_ref().map(RunView::from),
        next_sync_at: report.next_sync_at,
        account_counts,
        problems: report.problems.iter().map(ToString::to_string).collect(),
    }))
}
