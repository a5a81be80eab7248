//! `GET /api/v1/integrations/{integration}/doctor`: the permission doctor's report, by id or
//! label, with each check's outcome, summary and fix; a scope removed in the simulated console
//! shows as exactly that check missing; unknown integrations and other methods are refused.

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use serde_json::Value;

use super::base;
use super::common::{Resp, fixture};

fn check<'a>(report: &'a Value, capability: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["capability"] == capability)
        .unwrap_or_else(|| panic!("no {capability} check in {report}"))
}

/// The checks that are missing or could not run (warnings, e.g. nobody sampled having a
/// dotted-line manager, are not failures).
fn failing(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "missing" || c["outcome"] == "not_checked")
        .map(|c| c["capability"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_report_lists_every_check_with_fixes_for_what_is_missing() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;

    let res = get!(fx, &app, format!("{}/doctor", base(&fx)));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let report = res.json();
    assert_eq!(report["integration_id"], fx.integration.id.to_string());
    assert_eq!(report["label"], "acme");
    assert!(report["checked_at"].as_str().unwrap().contains('T'));
    assert_eq!(report["checks"].as_array().unwrap().len(), 19);
    // Registered and synced, never connected through the admin's Lark login.
    assert_eq!(failing(&report), ["user_login"], "{report:#}");
    assert_eq!(report["healthy"], false);
    let login = check(&report, "user_login");
    assert_eq!(login["outcome"], "missing");
    assert!(login["fix"].as_str().unwrap().contains("Connect with Lark"));
    let emails = check(&report, "user_emails");
    assert_eq!(emails["outcome"], "ok");
    assert_eq!(emails["fix"], Value::Null);
    assert_eq!(emails["scope"], "contact:user.email:readonly");

    assert!(
        fx.simulator
            .tenant()
            .remove_scope("contact:user.email:readonly")
    );
    let by_label = get!(fx, &app, "/api/v1/integrations/acme/doctor").json();
    assert_eq!(failing(&by_label), ["user_emails", "user_login"]);
    let emails = check(&by_label, "user_emails");
    assert_eq!(emails["outcome"], "missing");
    let fix = emails["fix"].as_str().unwrap();
    assert!(fix.contains("Permissions & Scopes") && fix.contains("contact:user.email:readonly"));
}

#[actix_web::test]
async fn unknown_integrations_other_methods_and_missing_keys_are_refused() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    get!(fx, &app, "/api/v1/integrations/nope/doctor")
        .error(StatusCode::NOT_FOUND, "integration_not_found");
    get!(
        fx,
        &app,
        "/api/v1/integrations/6f1c2a9e-8d8e-4f57-9c43-3c8f4e0f6a11/doctor"
    )
    .error(StatusCode::NOT_FOUND, "integration_not_found");
    send!(
        fx,
        &app,
        test::TestRequest::post()
            .uri(&format!("{}/doctor", base(&fx)))
            .insert_header(("Authorization", format!("Bearer {}", fx.key)))
    )
    .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let anonymous = Resp::read(
        test::call_service(
            &app,
            test::TestRequest::get()
                .uri(&format!("{}/doctor", base(&fx)))
                .to_request(),
        )
        .await,
    )
    .await;
    anonymous.error(StatusCode::UNAUTHORIZED, "unauthorized");
}
