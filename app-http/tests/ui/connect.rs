//! The Lark login that connects an integration, end to end: the overview's button, the
//! CSRF-checked start, the simulator's authorize endpoint (automatic consent) and our callback
//! through the session guard; and every refusal, which stores nothing. An expired `state` is
//! not covered here: the fixture runs on the system clock (the domain tests cover it).

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_domain::model::{Integration, IntegrationStatus, Region, RunTrigger};
use aviary_domain::usecases::NewIntegration;
use aviary_lark_simulator::ConsentMode;
use secrecy::{ExposeSecret as _, SecretString};

use aviary_app_http::ui::session::COOKIE;

use super::{
    EMAIL, PASSWORD, check, client, csrf_of, get, set_cookie, sign_in_request, with_admin,
};
use crate::common::{Fixture, Resp};

/// The fixture (admin, simulator approving at once) and a second integration against the same
/// tenant that has not been connected yet.
async fn with_pending() -> (Fixture, Integration) {
    let fx = with_admin().await;
    fx.simulator
        .tenant()
        .set_consent_mode(ConsentMode::AutoApprove);
    let pending = fx
        .services
        .register
        .execute(NewIntegration {
            label: "to-connect".into(),
            region: Region::Lark,
            base_url: Some(fx.simulator.base_url()),
            app_id: fx.simulator.app_id(),
            app_secret: SecretString::from(fx.app_secret.clone()),
            verify: true,
            rate_limits: None,
        })
        .await
        .unwrap();
    assert_eq!(pending.status, IntegrationStatus::PendingAuthorization);
    (fx, pending)
}

fn connect_request(
    integration: &Integration,
    cookie: &Cookie<'static>,
    token: Option<&str>,
) -> TestRequest {
    let req = TestRequest::post()
        .uri(&format!("/admin/integrations/{}/connect", integration.id))
        .cookie(cookie.clone());
    match token {
        Some(token) => req.set_form([("csrf_token", token)]),
        None => req,
    }
}

/// Follows the authorize URL at the simulator (redirects off): the callback's path and query.
async fn authorize(url: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 302, "{:?}", res.text().await);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let callback = url::Url::parse(&location).unwrap();
    assert_eq!(
        callback.origin().ascii_serialization(),
        "http://127.0.0.1:8080"
    );
    format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    )
}

/// Signs in, presses "Connect with Lark" and lets the simulator answer: the session cookie
/// and the callback (path and query) to present.
macro_rules! start {
    ($app:expr, $integration:expr) => {{
        let integration: &Integration = $integration;
        let cookie = signed_in!($app);
        let page = send!($app, get("/", &cookie));
        let action = format!("action=\"/admin/integrations/{}/connect\"", integration.id);
        assert!(page.body.contains(&action), "{}", page.body);
        assert!(page.body.contains("Connect with Lark"));
        let origin = url::Url::parse(integration.base_url.as_ref().unwrap().as_str())
            .unwrap()
            .origin()
            .ascii_serialization();
        assert_eq!(
            page.header("content-security-policy"),
            Some(
                format!(
                    "default-src 'self'; base-uri 'none'; form-action 'self' {origin}; \
                     frame-ancestors 'none'"
                )
                .as_str()
            ),
            "the form may redirect to the accounts host"
        );
        let token = csrf_of(&page.body);
        let res = send!($app, connect_request(integration, &cookie, Some(&token)));
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let url = res.header("location").unwrap().to_owned();
        assert!(url.contains("/open-apis/authen/v1/authorize?"), "{url}");
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        assert!(
            !url.contains("scope="),
            "nothing the app may lack is asked for: {url}"
        );
        (cookie, authorize(&url).await)
    }};
}

/// The callback's answer, with the headers every callback answer carries.
fn callback_checked(res: Resp) -> Resp {
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    res
}

/// Asserts a refused callback: a 400 page in plain words with a way back, nothing stored.
async fn assert_refused(fx: &Fixture, integration: &Integration, res: &Resp, words: &str) {
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains(words), "{}", res.body);
    assert!(res.body.contains("href=\"/\""), "{}", res.body);
    assert_not_connected(fx, integration).await;
}

async fn assert_not_connected(fx: &Fixture, integration: &Integration) {
    let grants = fx.services.database().grants();
    assert!(grants.grant(integration.id).await.unwrap().is_none());
    let stored = fx
        .services
        .integrations
        .get(integration.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, IntegrationStatus::PendingAuthorization);
    assert_eq!(stored.authorized_by, None);
}

#[actix_web::test]
async fn connecting_with_lark_stores_the_grant_and_activates_the_integration() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    assert!(
        callback.starts_with("/admin/integrations/callback/lark?"),
        "{callback}"
    );
    assert!(
        callback.contains("code=") && callback.contains("state="),
        "{callback}"
    );

    let done = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.header("location"), Some("/"));

    let stored = fx
        .services
        .integrations
        .get(pending.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, IntegrationStatus::Active);
    assert!(stored.tenant.is_some());
    assert!(stored.authorized_by.is_some());
    let grant = fx
        .services
        .database()
        .grants()
        .grant(pending.id)
        .await
        .unwrap()
        .expect("a stored grant");
    let access = grant.tokens.access_token.expose_secret().to_owned();
    assert!(!access.is_empty());
    assert!(
        grant.tokens.refresh_token.is_none(),
        "the guide's app has no offline_access and none was asked for"
    );

    // The first sync runs in the background (polled without timers).
    let mut first_run = None;
    for _ in 0..10_000 {
        let runs = fx.services.queries.runs(pending.id, 1).await.unwrap();
        if let Some(run) = runs.into_iter().find(|r| r.finished_at.is_some()) {
            first_run = Some(run);
            break;
        }
        actix_web::rt::task::yield_now().await;
    }
    let first_run = first_run.expect("the first sync finished");
    assert_eq!(first_run.status.as_str(), "succeeded", "{first_run:?}");
    assert_eq!(first_run.trigger, RunTrigger::Manual);

    // The login works once: replaying the callback is refused and changes nothing.
    let replay = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.body);
    assert!(replay.body.contains("already used"), "{}", replay.body);
    let again = fx
        .services
        .database()
        .grants()
        .grant(pending.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.generation, grant.generation);

    let page = send!(&app, get("/", &cookie));
    for body in [&done.body, &replay.body, &page.body] {
        assert!(!body.contains(&access), "the access token leaked");
    }
    assert!(
        !page
            .body
            .contains(&format!("/admin/integrations/{}/connect", pending.id)),
        "an active integration has no connect button"
    );
}

#[actix_web::test]
async fn an_unknown_state_is_refused() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    let url = url::Url::parse(&format!("http://x{callback}")).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let forged = format!(
        "/admin/integrations/callback/lark?code={code}&state={}",
        "A".repeat(43)
    );
    let res = callback_checked(send!(&app, get(&forged, &cookie)));
    assert_refused(&fx, &pending, &res, "not valid").await;
    let res = callback_checked(send!(
        &app,
        get("/admin/integrations/callback/lark", &cookie)
    ));
    assert_refused(&fx, &pending, &res, "not valid").await;
}

#[actix_web::test]
async fn a_login_finished_after_ten_minutes_is_refused() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    fx.clock.advance(chrono::Duration::minutes(
        aviary_domain::model::LOGIN_TIMEOUT_MINUTES + 1,
    ));
    let res = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_refused(&fx, &pending, &res, "took too long").await;
    // Expired is spent too: the same callback stays refused.
    let again = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert_not_connected(&fx, &pending).await;
}

#[actix_web::test]
async fn a_callback_on_the_other_region_path_is_refused() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    let wrong = callback.replace("/callback/lark?", "/callback/feishu?");
    let res = callback_checked(send!(&app, get(&wrong, &cookie)));
    assert_refused(
        &fx,
        &pending,
        &res,
        "came back to the Feishu callback address",
    )
    .await;
    // The state was spent: the right path no longer works either.
    let res = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_refused(&fx, &pending, &res, "not valid").await;
}

#[actix_web::test]
async fn a_declined_consent_is_refused() {
    let (fx, pending) = with_pending().await;
    fx.simulator
        .tenant()
        .set_consent_mode(ConsentMode::AutoDeny);
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    assert!(callback.contains("error=access_denied"), "{callback}");
    let res = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_refused(&fx, &pending, &res, "declined").await;
}

#[actix_web::test]
async fn a_bad_code_is_refused() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    let url = url::Url::parse(&format!("http://x{callback}")).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let bad = format!(
        "/admin/integrations/callback/lark?code={}&state={state}",
        "x".repeat(64)
    );
    let res = callback_checked(send!(&app, get(&bad, &cookie)));
    assert_refused(&fx, &pending, &res, "sign-in code").await;
}

#[actix_web::test]
async fn a_code_that_expired_at_lark_is_refused() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    // Lark's codes live five minutes; Aviary's own ten-minute window is still open.
    fx.simulator
        .tenant()
        .advance_token_clock(std::time::Duration::from_secs(6 * 60));
    let res = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_refused(&fx, &pending, &res, "sign-in code").await;
}

#[actix_web::test]
async fn a_callback_in_another_session_is_refused() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (first, callback) = start!(&app, &pending);
    let second = signed_in!(&app);
    assert_ne!(first.value(), second.value());
    let res = callback_checked(send!(&app, get(&callback, &second)));
    assert_refused(&fx, &pending, &res, "another session").await;
    // Without any session the guard sends the browser to sign in.
    let res = send!(&app, TestRequest::get().uri(&callback));
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some("/signin"));
    assert_not_connected(&fx, &pending).await;
}

#[actix_web::test]
async fn connecting_without_the_csrf_token_is_forbidden() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let res = send!(&app, connect_request(&pending, &cookie, None));
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(res.header("location").is_none());
    let res = send!(
        &app,
        connect_request(&pending, &cookie, Some("not-the-token"))
    );
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let unknown = format!("/admin/integrations/{}/connect", uuid::Uuid::nil());
    let page = send!(&app, get("/", &cookie));
    let token = csrf_of(&page.body);
    let res = send!(
        &app,
        TestRequest::post()
            .uri(&unknown)
            .cookie(cookie.clone())
            .set_form([("csrf_token", token.as_str())])
    );
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_not_connected(&fx, &pending).await;
}

/// Syncs once the background run has released its lease (it records its end just before).
async fn sync_when_free(fx: &Fixture, integration: &Integration) {
    use aviary_domain::usecases::sync::{SyncError, SyncRequest};
    let request = SyncRequest {
        integration: integration.id,
        trigger: RunTrigger::Manual,
        dry_run: false,
        confirm: None,
        rate_limits: None,
    };
    for _ in 0..10_000 {
        match fx
            .services
            .sync
            .execute(&request, &aviary_domain::ports::NoProgress)
            .await
        {
            Err(SyncError::AlreadyRunning { .. }) => actix_web::rt::task::yield_now().await,
            Ok(report) => {
                assert_eq!(
                    report.run.status,
                    aviary_domain::model::RunStatus::Succeeded
                );
                return;
            }
            Err(other) => panic!("{other}"),
        }
    }
    panic!("the background sync kept its lease");
}

/// Waits (without timers) for the first sync that a completed login starts in the background.
async fn wait_for_first_run(fx: &Fixture, integration: &Integration) {
    for _ in 0..10_000 {
        let runs = fx.services.queries.runs(integration.id, 1).await.unwrap();
        if runs.iter().any(|r| r.finished_at.is_some()) {
            return;
        }
        actix_web::rt::task::yield_now().await;
    }
    panic!("the first sync did not finish");
}

#[actix_web::test]
async fn keeping_the_sign_in_renewable_asks_lark_for_offline_access() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let page = send!(
        &app,
        get(&format!("/admin/integrations/{}", pending.id), &cookie)
    );
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Keep the sign-in renewable"),
        "{}",
        page.body
    );
    assert!(
        !page
            .body
            .contains("name=\"offline_access\" value=\"true\" checked"),
        "not ticked before any renewable sign-in"
    );
    let token = csrf_of(&page.body);
    let press = |token: &str| {
        TestRequest::post()
            .uri(&format!("/admin/integrations/{}/connect", pending.id))
            .cookie(cookie.clone())
            .set_form([("csrf_token", token), ("offline_access", "true")])
    };

    // The app lacks offline_access: Lark stops the admin on its own page (20027).
    let res = send!(&app, press(&token));
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let url = res.header("location").unwrap().to_owned();
    assert!(url.contains("scope=offline_access"), "{url}");
    let refused = reqwest::get(&url).await.unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    assert!(refused.text().await.unwrap().contains("20027"));

    // Once the admin enabled it in the console, the sign-in comes with a refresh token.
    fx.simulator.tenant().enable_offline_access();
    let res = send!(&app, press(&token));
    let callback = authorize(res.header("location").unwrap()).await;
    let done = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let grant = fx
        .services
        .database()
        .grants()
        .grant(pending.id)
        .await
        .unwrap()
        .expect("a stored grant");
    assert!(grant.tokens.refresh_token.is_some());
    assert!(grant.tokens.scopes.iter().any(|s| s == "offline_access"));
    let page = send!(
        &app,
        get(&format!("/admin/integrations/{}", pending.id), &cookie)
    );
    assert!(
        page.body
            .contains("name=\"offline_access\" value=\"true\" checked"),
        "a renewable sign-in keeps the box ticked for the next one: {}",
        page.body
    );
}

#[actix_web::test]
async fn a_sign_in_without_offline_access_is_connected_and_advised_not_faulted() {
    let (fx, pending) = with_pending().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let (cookie, callback) = start!(&app, &pending);
    let done = callback_checked(send!(&app, get(&callback, &cookie)));
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    wait_for_first_run(&fx, &pending).await;

    // Lark's two-hour access token is gone and there is no refresh token: syncs go on with the
    // tenant token, with no warning, and the integration stays active.
    fx.simulator.tenant().expire_user_tokens();
    sync_when_free(&fx, &pending).await;
    let latest = fx.services.queries.runs(pending.id, 1).await.unwrap();
    assert_eq!(latest[0].warnings, Vec::<String>::new(), "{latest:?}");
    let stored = fx
        .services
        .integrations
        .get(pending.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, IntegrationStatus::Active);
    assert_eq!(fx.simulator.stats().oauth_refreshes, 0);

    let page = send!(
        &app,
        get(&format!("/admin/integrations/{}", pending.id), &cookie)
    );
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Lark sign-in"), "{}", page.body);
    assert!(page.body.contains(">advice<"), "{}", page.body);
    assert!(
        page.body
            .contains("Syncs use the app&#39;s own credentials"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("20074"),
        "the refresh switch is named: {}",
        page.body
    );
    let doctor = send!(
        &app,
        get(
            &format!("/admin/integrations/{}/doctor", pending.id),
            &cookie
        )
    );
    assert!(
        doctor.body.contains("<strong>Advice:</strong>"),
        "{}",
        doctor.body
    );
}
