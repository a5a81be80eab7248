//! What a key may do follows its scope: a `read` key reads everything and changes nothing
//! (every operation of the OpenAPI document that is not a GET answers it 403
//! `insufficient_scope`), a `sync` key also syncs, a `manage` key does everything; an expired
//! key is refused like an unknown one.

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_domain::model::KeyScope;
use aviary_domain::usecases::NewApiKey;
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use super::base;
use crate::common::{Fixture, Resp, fixture, new_key};

/// `$method` `$uri` with `$key` and an empty JSON object as the body.
macro_rules! call_with {
    ($fx:expr, $app:expr, $method:expr, $uri:expr, $key:expr) => {{
        let uri: &str = &$uri;
        send!(
            $fx,
            $app,
            TestRequest::default()
                .method($method)
                .uri(uri)
                .insert_header(("Authorization", format!("Bearer {}", $key)))
                .set_json(json!({}))
        )
    }};
}

/// Every (method, path) of the document `doc` that is not a GET, with the fixture's
/// integration and `run` filled in.
fn changing_operations(
    doc: &Value,
    fx: &Fixture,
    run: &str,
) -> Vec<(actix_web::http::Method, String)> {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if method == "get" {
                continue;
            }
            let uri = path
                .replace("{integration}", &fx.integration.id.to_string())
                .replace("{run_id}", run);
            operations.push((method.to_uppercase().parse().unwrap(), uri));
        }
    }
    operations
}

#[actix_web::test]
async fn a_read_key_reads_but_every_operation_that_changes_something_is_refused_403() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let before = fx.services.integrations.list().await.unwrap();
    let runs_before = fx
        .services
        .queries
        .runs(fx.integration.id, 100)
        .await
        .unwrap();

    let doc = send!(fx, &app, TestRequest::get().uri("/api/v1/openapi.json")).json();
    let run = runs_before[0].id.to_string();
    let operations = changing_operations(&doc, &fx, &run);
    assert_eq!(operations.len(), 6, "{operations:?}");
    for (method, uri) in operations {
        let res = call_with!(fx, &app, method.clone(), uri, fx.read_key);
        let message = res.error(StatusCode::FORBIDDEN, "insufficient_scope");
        assert!(
            message.contains("`read`") && message.contains("needs"),
            "{method} {uri}: {message}"
        );
    }
    let res = call_with!(fx, &app, "GET".parse().unwrap(), base(&fx), fx.read_key);
    assert_eq!(res.status, StatusCode::OK);

    assert_eq!(fx.services.integrations.list().await.unwrap(), before);
    assert_eq!(
        fx.services
            .queries
            .runs(fx.integration.id, 100)
            .await
            .unwrap(),
        runs_before,
        "no run was started or confirmed"
    );
}

#[actix_web::test]
async fn a_sync_key_syncs_but_cannot_manage_integrations() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let sync = format!("{}/sync", base(&fx));
    let res = call_with!(fx, &app, "POST".parse().unwrap(), sync, fx.sync_key);
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let started: Value = res.json();
    assert!(
        started["trigger"] == "api",
        "the run is recorded as the API's: {started}"
    );
    for (method, uri) in [
        ("PATCH", base(&fx)),
        ("DELETE", base(&fx)),
        ("POST", format!("{}/connect", base(&fx))),
        ("POST", "/api/v1/integrations".to_owned()),
    ] {
        let res = call_with!(fx, &app, method.parse().unwrap(), uri, fx.sync_key);
        res.error(StatusCode::FORBIDDEN, "insufficient_scope");
    }
    fx.services.runner.shutdown().await;
}

#[actix_web::test]
async fn an_expired_key_is_refused_like_an_unknown_one() {
    let fx = fixture().await;
    let expiring = fx
        .services
        .api_keys
        .create(NewApiKey {
            expires_in_days: Some(1),
            ..new_key("short-lived", KeyScope::Manage)
        })
        .await
        .unwrap();
    let secret = expiring.secret.expose_secret().to_owned();
    let app = test::init_service(app(fx.services.clone())).await;
    let res = call_with!(fx, &app, "GET".parse().unwrap(), base(&fx), secret);
    assert_eq!(res.status, StatusCode::OK);

    fx.clock.advance(chrono::Duration::days(1));
    let res = call_with!(fx, &app, "GET".parse().unwrap(), base(&fx), secret);
    res.error(StatusCode::UNAUTHORIZED, "unauthorized");
}
