//! "Sync now" in the web UI: the overview's button starts a run in the background (CSRF-checked
//! by the guard) and comes back to the overview; a refused start is a page in plain words.

use std::time::Duration;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_app_http::ui::session::COOKIE;
use aviary_domain::model::{IntegrationStatus, RunStatus, RunTrigger};

use super::{
    EMAIL, PASSWORD, check, client, csrf_of, get, set_cookie, sign_in_request, with_admin,
};
use crate::common::Resp;

fn sync_now(id: &str, cookie: &Cookie<'static>, token: Option<&str>) -> TestRequest {
    let req = TestRequest::post()
        .uri(&format!("/admin/integrations/{id}/sync"))
        .cookie(cookie.clone());
    match token {
        Some(token) => req.set_form([("csrf_token", token)]),
        None => req,
    }
}

#[actix_web::test]
async fn sync_now_starts_a_run_and_returns_to_the_overview() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let id = fx.integration.id.to_string();
    let overview = send!(&app, get("/", &cookie));
    let action = format!("action=\"/admin/integrations/{id}/sync\"");
    assert!(overview.body.contains(&action), "{}", overview.body);
    let before = fx
        .services
        .queries
        .runs(fx.integration.id, 10)
        .await
        .unwrap()
        .len();

    // Without the form's token nothing starts.
    let refused = send!(&app, sync_now(&id, &cookie, None));
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(
        fx.services
            .queries
            .runs(fx.integration.id, 10)
            .await
            .unwrap()
            .len(),
        before
    );

    let token = csrf_of(&overview.body);
    let res = send!(&app, sync_now(&id, &cookie, Some(&token)));
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), Some("/"));
    let runs = fx
        .services
        .queries
        .runs(fx.integration.id, 1)
        .await
        .unwrap();
    assert_eq!(runs[0].trigger, RunTrigger::Manual);
    let mut finished = None;
    for _ in 0..300 {
        let run = fx.services.queries.run(runs[0].id).await.unwrap();
        if run.status != RunStatus::Running {
            finished = Some(run);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let finished = finished.expect("the run finished within 30 s");
    assert_eq!(finished.status, RunStatus::Succeeded, "{finished:?}");
}

#[actix_web::test]
async fn a_refused_sync_is_explained_and_unknown_integrations_are_404() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let overview = send!(&app, get("/", &cookie));
    let token = csrf_of(&overview.body);
    fx.services
        .database()
        .integrations()
        .set_status(
            fx.integration.id,
            IntegrationStatus::Disabled,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let res = send!(
        &app,
        sync_now(&fx.integration.id.to_string(), &cookie, Some(&token))
    );
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("The sync did not start"), "{}", res.body);
    assert!(res.body.contains("is disabled"), "{}", res.body);

    let unknown = send!(
        &app,
        sync_now(&uuid::Uuid::new_v4().to_string(), &cookie, Some(&token))
    );
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let malformed = send!(&app, sync_now("not-a-uuid", &cookie, Some(&token)));
    assert_eq!(
        malformed.status,
        StatusCode::NOT_FOUND,
        "{}",
        malformed.body
    );
}

#[actix_web::test]
async fn a_held_run_lists_what_it_holds_and_its_confirm_button_applies_it() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let held = crate::common::held_run(&fx).await;
    let page = send!(&app, get(&format!("/admin/runs/{held}"), &cookie));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("On hold"), "{}", page.body);
    assert!(page.body.contains("ou_gone_1") && page.body.contains("ou_gone_2"));
    assert!(
        page.body.contains("2 of 5 accounts would be removed"),
        "{}",
        page.body
    );
    let action = format!("action=\"/admin/runs/{held}/confirm\"");
    assert!(page.body.contains(&action), "{}", page.body);

    let confirm = |token: Option<&str>| {
        let req = TestRequest::post()
            .uri(&format!("/admin/runs/{held}/confirm"))
            .cookie(cookie.clone());
        match token {
            Some(token) => req.set_form([("csrf_token", token)]),
            None => req,
        }
    };
    let refused = send!(&app, confirm(None));
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "CSRF-checked");
    let token = csrf_of(&page.body);
    let res = send!(&app, confirm(Some(&token)));
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let location = res.header("location").unwrap().to_owned();
    let new_id: aviary_domain::values::RunId =
        location.trim_start_matches("/admin/runs/").parse().unwrap();
    let mut finished = None;
    for _ in 0..300 {
        let run = fx.services.queries.run(new_id).await.unwrap();
        if run.status != RunStatus::Running {
            finished = Some(run);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let run = finished.expect("the confirming run finished");
    assert_eq!(run.confirms, Some(held));
    assert_eq!(run.confirmed_by.as_deref(), Some(EMAIL));
    let shown = send!(&app, get(&location, &cookie));
    assert!(shown.body.contains("confirmed by"), "{}", shown.body);

    // Superseded: the button is gone, and posting anyway is a page in plain words.
    let page = send!(&app, get(&format!("/admin/runs/{held}"), &cookie));
    assert!(!page.body.contains(&action), "{}", page.body);
    let again = send!(&app, confirm(Some(&token)));
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("newer run"), "{}", again.body);
}
