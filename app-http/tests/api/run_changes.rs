//! `GET /api/v1/runs/{run_id}` answers the run with one keyset page of its changes and the
//! `next_cursor` of the next: following the cursors yields every change exactly once, in the
//! order the run recorded them; `limit` and `cursor` are checked like every parameter.

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use aviary_domain::model::ChangePage;
use serde_json::Value;

use super::base;
use super::common::{Fixture, Resp, fixture};

/// The fixture's first run: it added every account, department, group and app.
async fn first_run(fx: &Fixture) -> String {
    let runs = fx
        .services
        .queries
        .runs(fx.integration.id, 10)
        .await
        .unwrap();
    runs.last().unwrap().id.to_string()
}

/// What identifies a change in the answer (the run adds each record once).
fn keys(changes: &Value) -> Vec<(String, String, String)> {
    changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |field: &str| c[field].as_str().unwrap().to_owned();
            (text("subject_type"), text("subject_id"), text("kind"))
        })
        .collect()
}

#[actix_web::test]
async fn a_run_with_more_changes_than_the_limit_answers_a_page_and_a_cursor_that_lead_to_every_change_once()
 {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let id = first_run(&fx).await;
    let recorded = fx
        .services
        .queries
        .run_changes(id.parse().unwrap(), None, ChangePage::MAX)
        .await
        .unwrap();
    assert!(recorded.next.is_none() && recorded.changes.len() > 40);
    let every = get!(fx, &app, format!("/api/v1/runs/{id}?limit=1000")).json();
    assert!(every["next_cursor"].is_null(), "all fit in one page");
    let expected = keys(&every["changes"]);
    assert_eq!(expected.len(), recorded.changes.len());

    let mut seen = Vec::new();
    let mut uri = format!("/api/v1/runs/{id}?limit=7");
    let mut pages = 0;
    loop {
        let page = get!(fx, &app, uri).json();
        assert_eq!(page["id"], id.as_str(), "every page carries the run");
        let changes = keys(&page["changes"]);
        assert!(!changes.is_empty() && changes.len() <= 7, "{page}");
        seen.extend(changes);
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page["changes"].as_array().unwrap().len(), 7, "a full page");
                uri = format!("/api/v1/runs/{id}?limit=7&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(pages, expected.len().div_ceil(7));
    assert_eq!(
        seen, expected,
        "each change exactly once, in recording order"
    );

    // Without `limit`, a page of 100: the fixture's run fits.
    let default = get!(fx, &app, format!("/api/v1/runs/{id}")).json();
    assert_eq!(keys(&default["changes"]), expected);
    assert!(default["next_cursor"].is_null());
}

#[actix_web::test]
async fn a_bad_limit_or_cursor_is_a_400_invalid_parameter_naming_it() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let first = first_run(&fx).await;
    let runs = get!(fx, &app, format!("{}/runs", base(&fx))).json();
    let newest = runs["items"][0]["id"].as_str().unwrap().to_owned();
    assert_ne!(newest, first);
    let page = get!(fx, &app, format!("/api/v1/runs/{first}?limit=1")).json();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let accounts = get!(fx, &app, format!("{}/accounts?limit=1", base(&fx))).json();
    let account_cursor = accounts["next_cursor"].as_str().unwrap().to_owned();
    for (query, parameter) in [
        ("limit=0".to_owned(), "limit"),
        ("limit=1001".to_owned(), "limit"),
        ("limit=ten".to_owned(), "limit"),
        ("cursor=%21%21%21".to_owned(), "cursor"),
        ("cursor=AAAA".to_owned(), "cursor"),
        (format!("cursor={account_cursor}"), "cursor"),
    ] {
        let message = get!(fx, &app, format!("/api/v1/runs/{first}?{query}"))
            .error(StatusCode::BAD_REQUEST, "invalid_parameter");
        assert!(
            message.contains(&format!("`{parameter}`")),
            "{query}: {message}"
        );
    }
    // A cursor of one run does not continue another.
    let message = get!(fx, &app, format!("/api/v1/runs/{newest}?cursor={cursor}"))
        .error(StatusCode::BAD_REQUEST, "invalid_parameter");
    assert!(message.contains("`cursor`"), "{message}");
    // The same cursor continues its own run.
    let next = get!(
        fx,
        &app,
        format!("/api/v1/runs/{first}?limit=1&cursor={cursor}")
    );
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
}
