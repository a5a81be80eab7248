//! `GET /metrics`: the process's Prometheus metrics in the OpenMetrics text format, for any API
//! key (Prometheus sends it with `authorization: {credentials: avk_…}`): what this process did
//! (runs, Lark requests, HTTP requests), and what the database holds now (accounts by status,
//! seconds since each integration's last good sync) — docs/operations.md lists them.

use actix_web::{HttpResponse, web};
use aviary_wiring::Services;
use aviary_wiring::metrics::IntegrationGauges;

use super::error::ApiError;
use super::openapi::SharedErrors;

/// The OpenMetrics text format, as Prometheus asks for it.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Prometheus metrics of this process
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "health",
    responses(
        (status = 200, description = "OpenMetrics text: `aviary_sync_runs_total`, \
            `aviary_sync_run_duration_seconds`, `aviary_lark_requests_total`, \
            `aviary_lark_retries_total`, `aviary_lark_rate_limit_waits_total`, \
            `aviary_lark_rate_limit_wait_seconds_total`, `aviary_http_requests_total`, \
            `aviary_http_request_duration_seconds`, `aviary_accounts`, \
            `aviary_seconds_since_last_good_sync`",
            content_type = "application/openmetrics-text",
            body = String),
        SharedErrors,
    )
)]
pub async fn show(services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let mut gauges = Vec::new();
    for integration in services.integrations.list().await? {
        let report = services.health.report(&integration).await?;
        gauges.push(IntegrationGauges {
            id: integration.id,
            label: integration.label.to_string(),
            accounts: report.account_counts,
            since_good_sync: report
                .since_good_sync
                .map(|since| since.num_milliseconds() as f64 / 1000.0),
        });
    }
    Ok(HttpResponse::Ok()
        .content_type(OPENMETRICS)
        .body(services.metrics.render(&gauges)))
}
