//! `GET /metrics`: Prometheus metrics for any API key — the process's Lark requests and HTTP
//! requests (by route pattern, never the path), and the database's accounts by status and
//! seconds since the last good sync, per integration.

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use aviary_domain::model::AccountStatus;

use crate::common::{Resp, fixture};

/// The value of the one sample line that starts with `series ` (name and labels).
fn sample(body: &str, series: &str) -> f64 {
    let line = body
        .lines()
        .find(|line| line.starts_with(&format!("{series} ")))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{body}"));
    line[series.len() + 1..].trim().parse().unwrap()
}

#[actix_web::test]
async fn metrics_need_a_key_and_show_lark_http_and_database_figures() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let anonymous = send!(fx, &app, test::TestRequest::get().uri("/metrics"));
    anonymous.error(StatusCode::UNAUTHORIZED, "unauthorized");

    let id = fx.integration.id;
    let shown = get!(fx, &app, format!("/api/v1/integrations/{id}"));
    assert_eq!(shown.status, StatusCode::OK);
    let scraped = send!(
        fx,
        &app,
        test::TestRequest::get()
            .uri("/metrics")
            .insert_header(("Authorization", format!("Bearer {}", fx.read_key)))
    );
    assert_eq!(scraped.status, StatusCode::OK);
    assert_eq!(
        scraped.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let body = &scraped.body;
    assert!(body.ends_with("# EOF\n"), "{body}");

    let report = fx.services.health.report(&fx.integration).await.unwrap();
    for (status, count) in &report.account_counts {
        let series = format!(
            "aviary_accounts{{integration=\"{id}\",label=\"acme\",status=\"{}\"}}",
            status.as_str()
        );
        assert_eq!(sample(body, &series), *count as f64);
    }
    assert!(
        report
            .account_counts
            .iter()
            .any(|(s, _)| *s == AccountStatus::Active)
    );
    let since = sample(
        body,
        &format!("aviary_seconds_since_last_good_sync{{integration=\"{id}\",label=\"acme\"}}"),
    );
    assert!((0.0..60.0).contains(&since), "{since}");
    // The fixture's two syncs went through this process's Lark client.
    assert!(
        sample(
            body,
            "aviary_lark_requests_total{api=\"contact/scopes\",outcome=\"ok\"}"
        ) >= 2.0
    );
    // The request above, by its route pattern.
    assert_eq!(
        sample(
            body,
            "aviary_http_requests_total{route=\"/api/v1/integrations/{integration}\",method=\"GET\",status=\"200\"}"
        ),
        1.0
    );

    let posted = send!(
        fx,
        &app,
        test::TestRequest::post()
            .uri("/metrics")
            .insert_header(("Authorization", format!("Bearer {}", fx.read_key)))
    );
    posted.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}
