//! Managing integrations over the API: register (`POST`), change (`PATCH`), delete, start a
//! Lark login (completed by the web UI's callback in an admin's session) and the status
//! document; every error mapping of these routes.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_app_http::ui::session::COOKIE;
use aviary_domain::model::{AccountStatus, IntegrationStatus};
use aviary_domain::values::IntegrationId;
use aviary_lark_simulator::ConsentMode;
use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};

use super::base;
use crate::common::{Fixture, Resp, fixture};

/// `$method` (`post`, `patch`, …) `$uri` with the fixture's key and `$body` as JSON.
macro_rules! call {
    ($fx:expr, $app:expr, $method:ident, $uri:expr, $body:expr) => {{
        let uri: &str = &$uri;
        send!(
            $fx,
            $app,
            TestRequest::$method()
                .uri(uri)
                .insert_header(("Authorization", format!("Bearer {}", $fx.key)))
                .set_json($body)
        )
    }};
}

/// A registration body for the fixture's simulated tenant.
fn new_body(fx: &Fixture, label: &str) -> Value {
    json!({
        "label": label,
        "region": "lark",
        "app_id": fx.simulator.app_id(),
        "app_secret": fx.app_secret,
        "base_url": fx.simulator.base_url(),
    })
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

#[actix_web::test]
async fn registering_answers_201_with_the_view_and_its_location() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let res = call!(
        fx,
        &app,
        post,
        "/api/v1/integrations",
        new_body(&fx, "globex")
    );
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let view = res.json();
    let id = view["id"].as_str().unwrap().to_owned();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/integrations/{id}").as_str())
    );
    assert_eq!(view["label"], "globex");
    assert_eq!(view["region"], "lark");
    assert_eq!(view["status"], "pending_authorization");
    assert_eq!(view["sync_interval_minutes"], 60, "hourly unless told");
    assert!(
        view["tenant_name"].is_string(),
        "verified: the tenant was read"
    );
    assert!(view.get("app_secret").is_none());
    // Stored with its secret (encrypted), readable through the API.
    let shown = get!(fx, &app, format!("/api/v1/integrations/{id}"));
    assert_eq!(shown.json()["label"], "globex");
    let stored = fx
        .services
        .integrations
        .get(id.parse::<IntegrationId>().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.app_secret.expose_secret(), fx.app_secret);

    // Unverified and on demand only.
    let body = with(
        with(new_body(&fx, "initech"), "verify", json!(false)),
        "sync_interval_minutes",
        Value::Null,
    );
    let body = with(body, "app_secret", json!("not checked"));
    let res = call!(fx, &app, post, "/api/v1/integrations", body);
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert!(res.json()["tenant_name"].is_null());
    assert!(res.json()["sync_interval_minutes"].is_null());
    let body = with(
        new_body(&fx, "umbrella"),
        "sync_interval_minutes",
        json!(15),
    );
    let res = call!(fx, &app, post, "/api/v1/integrations", body);
    assert_eq!(res.json()["sync_interval_minutes"], 15);
}

#[actix_web::test]
async fn bad_registrations_name_the_field_and_store_nothing() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cases = [
        (
            with(new_body(&fx, "x"), "label", json!("  ")),
            "invalid_label",
            "`label`",
        ),
        (
            with(new_body(&fx, "x"), "region", json!("mars")),
            "invalid_region",
            "`region`",
        ),
        (
            with(new_body(&fx, "x"), "app_id", json!("12345")),
            "invalid_app_id",
            "`app_id`",
        ),
        (
            with(new_body(&fx, "x"), "app_secret", json!(" ")),
            "invalid_app_secret",
            "`app_secret`",
        ),
        (
            with(new_body(&fx, "x"), "base_url", json!("ftp://x")),
            "invalid_base_url",
            "`base_url`",
        ),
        (
            with(new_body(&fx, "x"), "sync_interval_minutes", json!(4)),
            "invalid_sync_interval",
            "`sync_interval_minutes`",
        ),
        (
            with(new_body(&fx, "x"), "sync_interval_minutes", json!(10_081)),
            "invalid_sync_interval",
            "from 5 to 10080 minutes",
        ),
    ];
    for (body, code, words) in cases {
        let message = call!(fx, &app, post, "/api/v1/integrations", body)
            .error(StatusCode::BAD_REQUEST, code);
        assert!(message.contains(words), "{code}: {message}");
    }
    let message = call!(
        fx,
        &app,
        post,
        "/api/v1/integrations",
        new_body(&fx, "acme")
    )
    .error(StatusCode::CONFLICT, "label_taken");
    assert!(message.contains("\"acme\""), "{message}");
    assert_eq!(fx.services.integrations.list().await.unwrap().len(), 1);
}

#[actix_web::test]
async fn bodies_that_are_not_the_json_a_route_takes_are_invalid_body() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let authorized =
        |req: TestRequest| req.insert_header(("Authorization", format!("Bearer {}", fx.key)));
    let raw = |method: TestRequest, uri: &str, content_type: &str, body: &'static str| {
        authorized(method.uri(uri))
            .insert_header(("content-type", content_type.to_owned()))
            .set_payload(body)
    };
    let one = base(&fx);
    let cases = [
        (
            raw(
                TestRequest::post(),
                "/api/v1/integrations",
                "application/json",
                "{\"label\": ",
            ),
            "EOF",
        ),
        (
            raw(
                TestRequest::post(),
                "/api/v1/integrations",
                "application/json",
                "{}",
            ),
            "missing field",
        ),
        (
            raw(
                TestRequest::post(),
                "/api/v1/integrations",
                "text/plain",
                "{}",
            ),
            "Content-Type",
        ),
        (
            raw(
                TestRequest::patch(),
                &one,
                "application/json",
                "{\"labl\": \"x\"}",
            ),
            "unknown field",
        ),
        (
            raw(
                TestRequest::patch(),
                &one,
                "application/json",
                "{\"sync_interval_minutes\": \"hourly\"}",
            ),
            "invalid type",
        ),
        (
            raw(TestRequest::patch(), &one, "application/json", "[1, 2]"),
            "invalid type",
        ),
    ];
    for (req, words) in cases {
        let message = send!(fx, &app, req).error(StatusCode::BAD_REQUEST, "invalid_body");
        assert!(message.contains(words), "{message}");
    }
    let mut body = new_body(&fx, "x");
    body["app_secret"] = json!("x".repeat(70 * 1024));
    let message = call!(fx, &app, post, "/api/v1/integrations", body)
        .error(StatusCode::BAD_REQUEST, "invalid_body");
    assert!(message.contains("64 KiB"), "{message}");
    assert_eq!(fx.services.integrations.list().await.unwrap().len(), 1);
}

#[actix_web::test]
async fn lark_refusing_or_unreachable_is_422_or_502_in_plain_words() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let wrong = with(
        new_body(&fx, "wrong"),
        "app_secret",
        json!("not-the-secret"),
    );
    let message = call!(fx, &app, post, "/api/v1/integrations", wrong)
        .error(StatusCode::UNPROCESSABLE_ENTITY, "credentials_rejected");
    assert!(message.contains("App ID or App Secret"), "{message}");
    assert!(message.contains("Nothing was stored"), "{message}");

    // Nothing listens on the discard port.
    let unreachable = with(
        new_body(&fx, "far"),
        "base_url",
        json!("http://127.0.0.1:9"),
    );
    let message = call!(fx, &app, post, "/api/v1/integrations", unreachable)
        .error(StatusCode::BAD_GATEWAY, "lark_unavailable");
    assert!(message.contains("\"verify\": false"), "{message}");
    assert_eq!(fx.services.integrations.list().await.unwrap().len(), 1);
}

#[actix_web::test]
async fn patch_changes_the_label_and_schedule_and_keeps_what_is_left_out() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let res = call!(
        fx,
        &app,
        patch,
        base(&fx),
        json!({"label": "Acme HQ", "sync_interval_minutes": 30})
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["label"], "Acme HQ");
    assert_eq!(res.json()["sync_interval_minutes"], 30);
    assert_eq!(res.json()["id"], fx.integration.id.to_string());

    // By its new label; `null` is on demand, a left-out label is kept.
    let res = call!(
        fx,
        &app,
        patch,
        "/api/v1/integrations/Acme%20HQ",
        json!({"sync_interval_minutes": null})
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["label"], "Acme HQ");
    assert!(res.json()["sync_interval_minutes"].is_null());
    let unchanged = call!(fx, &app, patch, base(&fx), json!({}));
    assert_eq!(unchanged.status, StatusCode::OK);
    assert_eq!(unchanged.json()["updated_at"], res.json()["updated_at"]);

    let stored = fx
        .services
        .integrations
        .get(fx.integration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.label.as_str(), "Acme HQ");
    assert_eq!(stored.sync_interval_minutes(), None);
}

#[actix_web::test]
async fn patch_refusals_are_label_taken_bad_fields_and_unknown_integrations() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let mut other = new_body(&fx, "globex");
    other["verify"] = json!(false);
    assert_eq!(
        call!(fx, &app, post, "/api/v1/integrations", other).status,
        StatusCode::CREATED
    );
    call!(fx, &app, patch, base(&fx), json!({"label": "globex"}))
        .error(StatusCode::CONFLICT, "label_taken");
    call!(fx, &app, patch, base(&fx), json!({"label": ""}))
        .error(StatusCode::BAD_REQUEST, "invalid_label");
    for minutes in [0, 4, -60, 10_081] {
        call!(
            fx,
            &app,
            patch,
            base(&fx),
            json!({"sync_interval_minutes": minutes})
        )
        .error(StatusCode::BAD_REQUEST, "invalid_sync_interval");
    }
    call!(
        fx,
        &app,
        patch,
        "/api/v1/integrations/nobody",
        json!({"label": "x"})
    )
    .error(StatusCode::NOT_FOUND, "integration_not_found");
    let stored = fx
        .services
        .integrations
        .get(fx.integration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.label.as_str(), "acme");
    assert_eq!(stored.sync_interval_minutes(), Some(60));
}

#[actix_web::test]
async fn delete_removes_the_integration_and_its_data_then_404() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let authorized =
        |req: TestRequest| req.insert_header(("Authorization", format!("Bearer {}", fx.key)));
    let res = send!(fx, &app, authorized(TestRequest::delete().uri(&base(&fx))));
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert!(res.body.is_empty());
    get!(fx, &app, base(&fx)).error(StatusCode::NOT_FOUND, "integration_not_found");
    assert!(
        fx.services
            .queries
            .runs(fx.integration.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    send!(fx, &app, authorized(TestRequest::delete().uri(&base(&fx))))
        .error(StatusCode::NOT_FOUND, "integration_not_found");
    send!(
        fx,
        &app,
        authorized(TestRequest::delete().uri("/api/v1/integrations/acme"))
    )
    .error(StatusCode::NOT_FOUND, "integration_not_found");
}

/// An admin of the fixture's installation, signed in: the session cookie.
async fn signed_in_admin(fx: &Fixture, email: &str) -> Cookie<'static> {
    fx.services
        .admins
        .create(email, SecretString::from("correct horse battery"))
        .await
        .unwrap();
    let (_, token) = fx
        .services
        .sign_in
        .sign_in(email, &SecretString::from("correct horse battery"))
        .await
        .unwrap();
    Cookie::new(COOKIE, token.expose_secret().to_owned())
}

/// The path and query of the callback Lark (the simulator, approving at once) sends the browser
/// back to from `authorize`.
async fn callback_from(authorize: &str) -> String {
    let location = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(authorize)
        .send()
        .await
        .unwrap()
        .headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let callback = url::Url::parse(&location).unwrap();
    format!("{}?{}", callback.path(), callback.query().unwrap())
}

#[actix_web::test]
async fn the_api_hands_out_a_page_where_a_signed_in_admin_confirms_and_only_that_session_connects()
{
    let fx = fixture().await;
    fx.simulator
        .tenant()
        .set_consent_mode(ConsentMode::AutoApprove);
    let app = test::init_service(app(fx.services.clone())).await;
    let grants = fx.services.database().grants();
    assert!(grants.grant(fx.integration.id).await.unwrap().is_none());
    let res = call!(
        fx,
        &app,
        post,
        format!("{}/connect", base(&fx)),
        json!({"offline_access": true})
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let confirm_url = res.json()["confirm_url"].as_str().unwrap().to_owned();
    let page = url::Url::parse(&confirm_url).unwrap();
    assert_eq!(
        page.path(),
        format!("/admin/integrations/{}/connect", fx.integration.id)
    );
    assert_eq!(page.query(), Some("offline_access=true"));

    // The admin opens it signed in: a confirmation, with the renewable box ticked.
    let cookie = signed_in_admin(&fx, "admin@example.com").await;
    let asked = send!(
        fx,
        &app,
        TestRequest::get()
            .uri(&format!("{}?{}", page.path(), page.query().unwrap()))
            .cookie(cookie.clone())
    );
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(asked.body.contains("Continue to Lark"), "{}", asked.body);
    assert!(
        asked.body.contains("value=\"true\" checked"),
        "{}",
        asked.body
    );
    let token = asked
        .body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();

    // Confirming starts the login bound to this session.
    let start = |cookie: Cookie<'static>, token: String| {
        TestRequest::post()
            .uri(page.path())
            .cookie(cookie)
            // Renewable only where the app has offline_access; this one has not.
            .set_form([("csrf_token", token.as_str())])
    };
    let started = send!(fx, &app, start(cookie.clone(), token.clone()));
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let authorize = started.header("location").unwrap().to_owned();
    assert!(
        authorize.contains("/open-apis/authen/v1/authorize?"),
        "{authorize}"
    );
    let callback = callback_from(&authorize).await;

    // Another admin's browser cannot finish it (login CSRF): refused, nothing stored.
    let other = signed_in_admin(&fx, "other@example.com").await;
    let foreign = send!(fx, &app, TestRequest::get().uri(&callback).cookie(other));
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST, "{}", foreign.body);
    assert!(foreign.body.contains("another session"), "{}", foreign.body);
    assert!(grants.grant(fx.integration.id).await.unwrap().is_none());

    // The same flow again; this time the starting session finishes it.
    let started = send!(fx, &app, start(cookie.clone(), token));
    let callback = callback_from(started.header("location").unwrap()).await;
    let done = send!(
        fx,
        &app,
        TestRequest::get().uri(&callback).cookie(cookie.clone())
    );
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.header("location"), Some("/"));
    let stored = fx
        .services
        .integrations
        .get(fx.integration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, IntegrationStatus::Active);
    assert!(grants.grant(fx.integration.id).await.unwrap().is_some());
    // The login was spent: the same callback again is refused.
    let replay = send!(fx, &app, TestRequest::get().uri(&callback).cookie(cookie));
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.body);

    call!(
        fx,
        &app,
        post,
        "/api/v1/integrations/nobody/connect",
        json!({})
    )
    .error(StatusCode::NOT_FOUND, "integration_not_found");
}

#[actix_web::test]
async fn the_status_has_runs_schedule_counts_and_problems() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let res = get!(fx, &app, format!("{}/status", base(&fx)));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let status = res.json();
    assert_eq!(status["integration"]["id"], fx.integration.id.to_string());
    let latest = &status["latest_run"];
    assert_eq!(latest["status"], "succeeded");
    assert_eq!(status["last_succeeded_run"]["id"], latest["id"]);
    let started: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(latest["started_at"].clone()).unwrap();
    let next: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(status["next_sync_at"].clone()).unwrap();
    assert_eq!(next - started, chrono::Duration::minutes(60));
    let counts = status["account_counts"].as_object().unwrap();
    assert_eq!(
        counts.len(),
        aviary_domain::model::AccountStatus::ALL.len(),
        "every status, zeros included: {counts:?}"
    );
    let stored = fx
        .services
        .queries
        .account_status_counts(fx.integration.id)
        .await
        .unwrap();
    assert!(stored.len() < 6, "some status has no accounts: {stored:?}");
    for account_status in AccountStatus::ALL {
        let expected = stored
            .iter()
            .find(|(s, _)| s == account_status)
            .map_or(0, |(_, n)| *n);
        assert_eq!(
            counts[account_status.as_str()],
            expected,
            "{account_status}"
        );
    }
    assert!(
        counts["suspended"].as_u64().unwrap() >= 1,
        "the frozen user"
    );
    assert_eq!(status["problems"], json!([]), "synced and well");
    assert!(status.get("doctor").is_none());

    // On demand only: no next sync. A dead Lark login is a problem in plain words.
    call!(
        fx,
        &app,
        patch,
        base(&fx),
        json!({"sync_interval_minutes": null})
    );
    fx.services
        .database()
        .integrations()
        .set_status(
            fx.integration.id,
            IntegrationStatus::NeedsReauthorization,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let status = get!(fx, &app, format!("{}/status", base(&fx))).json();
    assert!(status["next_sync_at"].is_null());
    let problems = status["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .as_str()
            .unwrap()
            .contains("connect it with Lark again"),
        "{problems:?}"
    );

    get!(fx, &app, "/api/v1/integrations/nobody/status")
        .error(StatusCode::NOT_FOUND, "integration_not_found");
}

#[actix_web::test]
async fn the_write_routes_need_a_key_and_answer_405_to_other_methods() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let one = base(&fx);
    let anonymous = [
        TestRequest::post()
            .uri("/api/v1/integrations")
            .set_json(new_body(&fx, "x")),
        TestRequest::patch()
            .uri(&one)
            .set_json(json!({"label": "x"})),
        TestRequest::delete().uri(&one),
        TestRequest::post().uri(&format!("{one}/connect")),
        TestRequest::get().uri(&format!("{one}/status")),
    ];
    for req in anonymous {
        send!(fx, &app, req).error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_eq!(fx.services.integrations.list().await.unwrap().len(), 1);

    let not_allowed = [
        TestRequest::put().uri("/api/v1/integrations"),
        TestRequest::delete().uri("/api/v1/integrations"),
        TestRequest::put().uri(&one),
        TestRequest::post().uri(&one),
        TestRequest::get().uri(&format!("{one}/connect")),
        TestRequest::delete().uri(&format!("{one}/connect")),
        TestRequest::post().uri(&format!("{one}/status")),
    ];
    for req in not_allowed {
        let req = req.insert_header(("Authorization", format!("Bearer {}", fx.key)));
        send!(fx, &app, req).error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    }
}

/// The fixture's installation (same data directory and master key) restarted with the
/// operator's default: custom base URLs off.
async fn restarted_lark_only(fx: &Fixture) -> aviary_app_http::Services {
    let mut settings = aviary_app_http::Settings::defaults();
    settings.data.dir = fx.dir.path().join("aviary-data");
    settings.database.url = SecretString::from(String::new());
    settings.secrets.master_key = Some(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
    ));
    settings.lark.pacing = false;
    aviary_app_http::Services::build(settings).await.unwrap()
}

#[actix_web::test]
async fn without_the_operators_setting_a_custom_base_url_is_refused_and_nothing_is_sent_to_it() {
    let fx = fixture().await;
    let lark_only = restarted_lark_only(&fx).await;
    let app = test::init_service(app(lark_only.clone())).await;
    let before = fx.simulator.stats().token_requests;

    let res = call!(
        fx,
        &app,
        post,
        "/api/v1/integrations",
        new_body(&fx, "globex")
    );
    let message = res.error(StatusCode::BAD_REQUEST, "base_url_not_allowed");
    assert!(message.contains("lark.allow_custom_base_url"), "{message}");
    let loopback_http = with(
        new_body(&fx, "globex"),
        "base_url",
        json!("http://10.0.0.1"),
    );
    let res = call!(fx, &app, post, "/api/v1/integrations", loopback_http);
    res.error(StatusCode::BAD_REQUEST, "base_url_not_allowed");

    // The integration stored while they were allowed syncs no more, and says why.
    let request = aviary_domain::usecases::sync::SyncRequest {
        integration: fx.integration.id,
        trigger: aviary_domain::model::RunTrigger::Manual,
        dry_run: false,
        confirm: None,
        rate_limits: None,
    };
    let report = lark_only
        .sync
        .execute(&request, &aviary_domain::ports::NoProgress)
        .await
        .unwrap();
    assert_eq!(report.run.status.as_str(), "failed", "{report:?}");
    let error = report.run.error.unwrap();
    assert!(error.contains("custom base URLs are disabled"), "{error}");
    assert_eq!(
        fx.simulator.stats().token_requests,
        before,
        "not one request (and so not the App Secret) went to the custom base URL"
    );
}
