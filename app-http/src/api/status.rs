//! `GET /api/v1/integrations/{integration}/status`: the integration with its latest and last
//! good run, when the schedule syncs it next, its accounts per status and its problems in
//! plain words.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use aviary_domain::model::AccountStatus;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::ApiError;
use super::integrations::resolve;
use crate::runner::next_sync_at;
use crate::views::{IntegrationView, RunView};
use crate::wiring::Services;

/// The status document. New sections (the permission doctor's findings, as `doctor`) are
/// added as fields here; clients ignore fields they do not know.
#[derive(Debug, Serialize)]
struct StatusView {
    integration: IntegrationView,
    latest_run: Option<RunView>,
    last_succeeded_run: Option<RunView>,
    /// When the scheduler starts the next sync (in the past when it is due); `null` when the
    /// integration syncs on demand only or is disabled.
    next_sync_at: Option<DateTime<Utc>>,
    /// Every account status with its count of current accounts, zeros included.
    account_counts: BTreeMap<&'static str, u64>,
    problems: Vec<String>,
}

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
    let next_sync_at = next_sync_at(
        &integration,
        report.latest_run.as_ref().map(|run| run.started_at),
        services.clock.now(),
    );
    Ok(HttpResponse::Ok().json(StatusView {
        integration: IntegrationView::from(&integration),
        latest_run: report.latest_run.as_ref().map(RunView::from),
        last_succeeded_run: report.last_succeeded_run.as_ref().map(RunView::from),
        next_sync_at,
        account_counts,
        problems: report.problems.iter().map(ToString::to_string).collect(),
    }))
}
