//! `POST /api/v1/integrations/{integration}/sync` and the background runner behind it: the run
//! is answered at once (202, `running`) and finishes on its own; refusals map to 404/409; a
//! shutdown cancels a run in flight so that it ends `cancelled` and frees the lease.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use aviary_domain::model::IntegrationStatus;

use super::base;
use super::common::Resp;
use super::common::{Fixture, fixture};

fn post_sync(fx: &Fixture, integration: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(&format!("/api/v1/integrations/{integration}/sync"))
        .insert_header(("Authorization", format!("Bearer {}", fx.key)))
}

/// Polls the run (`$id`) until it is no longer running and evaluates to it.
macro_rules! finished_run {
    ($fx:expr, $app:expr, $id:expr) => {{
        let mut finished = None;
        for _ in 0..300 {
            let res = get!($fx, $app, format!("/api/v1/runs/{}", $id));
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            let run = res.json();
            if run["status"] != "running" {
                finished = Some(run);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        finished.expect("the run did not finish within 30 s")
    }};
}

#[actix_web::test]
async fn a_sync_is_answered_running_and_finishes_in_the_background() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let res = send!(fx, &app, post_sync(&fx, "acme"));
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let run = res.json();
    assert_eq!(run["status"], "running");
    assert_eq!(run["trigger"], "api");
    let id = run["id"].as_str().unwrap().to_owned();
    assert_eq!(res.header("location"), Some(&*format!("/api/v1/runs/{id}")));

    let done = finished_run!(fx, &app, id);
    assert_eq!(done["status"], "succeeded", "{done}");
    // The tenant did not change since the fixture's last sync.
    assert_eq!(done["counts"]["users"]["changed"], 0, "{done}");
    let runs = get!(fx, &app, format!("{}/runs?limit=1", base(&fx)));
    assert_eq!(runs.json()["items"][0]["id"], id.as_str());
}

#[actix_web::test]
async fn refusals_map_to_404_409_401_and_405() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    send!(fx, &app, post_sync(&fx, "nope")).error(StatusCode::NOT_FOUND, "integration_not_found");
    send!(
        fx,
        &app,
        test::TestRequest::post().uri(&format!("{}/sync", base(&fx)))
    )
    .error(StatusCode::UNAUTHORIZED, "unauthorized");
    get!(fx, &app, format!("{}/sync", base(&fx)))
        .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

    // Another process holds the lease.
    let store = fx.services.database().sync_store();
    let lease = store
        .acquire_lease(
            fx.integration.id,
            "elsewhere:1",
            Duration::from_secs(60),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let busy = send!(fx, &app, post_sync(&fx, "acme"));
    let message = busy.error(StatusCode::CONFLICT, "sync_already_running");
    assert!(!message.contains("elsewhere"), "{message}");
    store.release_lease(&lease).await.unwrap();

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
    send!(fx, &app, post_sync(&fx, "acme")).error(StatusCode::CONFLICT, "integration_disabled");
}

#[actix_web::test]
async fn shutting_down_cancels_a_run_in_flight_and_frees_the_lease() {
    let fx = fixture().await;
    // Slow enough that the run is still listing when the shutdown comes.
    fx.simulator.tenant().set_delay(Duration::from_millis(300));
    let runner = fx.services.runner.clone();
    let run = runner
        .start(fx.integration.id, aviary_domain::model::RunTrigger::Manual)
        .await
        .unwrap();
    assert_eq!(run.status.as_str(), "running");
    runner.shutdown().await;

    let stored = fx.services.queries.run(run.id).await.unwrap();
    assert_eq!(stored.status.as_str(), "cancelled", "{stored:?}");
    let store = fx.services.database().sync_store();
    store
        .acquire_lease(
            fx.integration.id,
            "next:1",
            Duration::from_secs(60),
            chrono::Utc::now(),
        )
        .await
        .expect("the cancelled run released its lease");
}

fn post_confirm(fx: &Fixture, run: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(&format!("/api/v1/runs/{run}/confirm"))
        .insert_header(("Authorization", format!("Bearer {}", fx.key)))
}

#[actix_web::test]
async fn a_held_run_is_shown_with_what_it_held_and_confirmed_once_through_the_api() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let held = super::common::held_run(&fx).await.to_string();
    let shown = get!(fx, &app, format!("/api/v1/runs/{held}"));
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let shown = shown.json();
    assert_eq!(shown["hold"]["accounts"]["removed"], 2, "{shown}");
    assert_eq!(shown["held"].as_array().unwrap().len(), 2, "{shown}");
    assert_eq!(shown["held"][0]["outcome"], "removed");
    assert_eq!(shown["held"][0]["subject_type"], "account");

    let res = send!(fx, &app, post_confirm(&fx, &held));
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let run = res.json();
    assert_eq!(run["confirms"], held.as_str());
    assert_eq!(
        run["confirmed_by"],
        "API key \"api tests\" (".to_owned() + &fx.key[..12] + ")",
        "{run}"
    );
    let id = run["id"].as_str().unwrap().to_owned();
    let done = finished_run!(fx, &app, id);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["confirms"], held.as_str());

    // It is no longer the newest run: confirming it again is refused.
    send!(fx, &app, post_confirm(&fx, &held)).error(StatusCode::CONFLICT, "run_superseded");
    // A run that was not held has nothing to confirm; an unknown run is 404.
    send!(fx, &app, post_confirm(&fx, &id)).error(StatusCode::CONFLICT, "run_not_held");
    send!(
        fx,
        &app,
        post_confirm(&fx, "00000000-0000-4000-8000-000000000000")
    )
    .error(StatusCode::NOT_FOUND, "run_not_found");
}
