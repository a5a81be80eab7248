//! The Lark login end to end: `aviary serve` and a simulated tenant that approves at once; an
//! admin signs in over HTTP, presses "Connect with Lark", goes through the simulator's authorize
//! URL and back to the callback. With an app that has `offline_access` (the admin ticks "Keep the
//! sign-in renewable"), the grant in daily use: stored encrypted, checked by every
//! sync (`aviary sync` against the same data directory), refreshed once when Lark expires the
//! access token early — also for ten concurrent callers of one integration, and for three
//! processes sharing the database, which cause one refresh between them — and, once revoked,
//! the syncs go on with the tenant token while the integration needs a new login.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{in_process, stored_grant};
use aviary_domain::model::Grant;
use aviary_domain::values::IntegrationId;
use aviary_lark_simulator::{ConsentMode, SimulatorHandle, endpoints};
use aviary_tests::server::{Server, WebClient, csrf_of};
use aviary_tests::{Installation, SimulatorConfig, simulator, simulator_accepts};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode, Url};
use secrecy::ExposeSecret as _;
use serde_json::Value;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery staple";

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location on HTTP {}", response.status()))
        .to_owned()
}

/// `GET /api/v1{path}` with the API key.
async fn api(server: &Server, key: &str, path: &str) -> Value {
    let response = Client::new()
        .get(server.url(&format!("/api/v1{path}")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// Polls the API until the integration has runs and none is running; returns the newest.
async fn finished_run(server: &Server, key: &str) -> Value {
    let started = Instant::now();
    loop {
        let runs = api(server, key, "/integrations/acme/runs").await;
        let items = runs["items"].as_array().cloned().unwrap_or_default();
        if !items.is_empty() && items.iter().all(|r| r["status"] != "running") {
            return items[0].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no finished run: {runs}\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Panics if either token of `grant` is readable anywhere in the data directory.
fn assert_encrypted(aviary: &Installation, grant: &Grant) {
    let stored = aviary.data_bytes();
    let refresh = grant.tokens.refresh_token.as_ref().expect("offline_access");
    for token in [&grant.tokens.access_token, refresh] {
        let token = token.expose_secret().as_bytes();
        assert!(token.len() >= 16, "a real token");
        assert!(
            !stored.windows(token.len()).any(|w| w == token),
            "a user token is readable in the data directory"
        );
    }
}

fn user_infos(sim: &SimulatorHandle) -> u64 {
    sim.stats()
        .requests_by_endpoint
        .get(endpoints::USER_INFO)
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lark_login_connects_and_every_sync_uses_and_checks_the_grant() {
    let sim = simulator(SimulatorConfig {
        users: 30,
        departments: 4,
        seed: 23,
        consent: ConsentMode::AutoApprove,
        ..SimulatorConfig::default()
    })
    .await;
    sim.tenant().enable_offline_access();
    let aviary = Installation::new();
    aviary
        .run_with_stdin(
            &["admin", "create", "--email", EMAIL],
            &format!("{PASSWORD}\n"),
        )
        .success();
    let key = aviary.create_key("oauth e2e", "manage");
    let server = Server::start(&aviary).await;
    // Registered once the scheduler's first pass (at start) is over: a scheduled sync of the
    // never-connected integration would make it `active` before the login this test is about.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let added = aviary.add_integration("acme", &sim);
    assert_eq!(added["status"], "pending_authorization", "{added}");
    let id = added["id"].as_str().unwrap().to_owned();

    // Sign in, press "Connect with Lark", let Lark (the simulator) approve, come back.
    let mut browser = WebClient::new(&server);
    let signed_in = browser
        .post_form(
            &server.url("/signin"),
            &[("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert!(browser.signed_in(), "a session cookie");
    let overview = browser.get(&server.url("/")).await;
    assert_eq!(overview.status(), StatusCode::OK);
    let page = overview.text().await.unwrap();
    let action = format!("/admin/integrations/{id}/connect");
    assert!(page.contains(&format!("action=\"{action}\"")), "{page}");
    assert!(page.contains("Connect with Lark"));
    let pressed = browser
        .post_form(
            &server.url(&action),
            &[("csrf_token", &csrf_of(&page)), ("offline_access", "true")],
        )
        .await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    let authorize = location(&pressed);
    assert!(
        authorize.starts_with(&format!(
            "{}/open-apis/authen/v1/authorize?",
            sim.base_url()
        )),
        "{authorize}"
    );
    let approved = browser.get(&authorize).await;
    assert_eq!(approved.status(), StatusCode::FOUND);
    let callback = location(&approved);
    let callback_url = Url::parse(&callback).unwrap();
    assert_eq!(callback_url.path(), "/admin/integrations/callback/lark");
    assert!(callback.starts_with(&server.base), "{callback}");
    let landed = browser.get(&callback).await;
    assert_eq!(landed.status(), StatusCode::SEE_OTHER, "{callback}");
    assert_eq!(location(&landed), "/");

    // Connected, and the first sync (started by the callback) checked the new grant.
    let first = finished_run(&server, &key).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["warnings"], serde_json::json!([]), "{first}");
    let integration = api(&server, &key, "/integrations/acme").await;
    assert_eq!(integration["status"], "active", "{integration}");
    let tenant = sim.tenant().tenant_info();
    assert_eq!(integration["tenant_key"], tenant.tenant_key.as_str());
    assert_eq!(integration["tenant_name"], tenant.name.as_str());
    let authorized_by = integration["authorized_by"].as_str().unwrap_or_default();
    assert!(!authorized_by.is_empty(), "{integration}");
    assert_eq!(
        user_infos(&sim),
        2,
        "one user_info for the login, one for the sync's grant check"
    );

    // The grant is stored encrypted: its tokens (the simulator's, it accepts them) are nowhere
    // in the data directory.
    let services = in_process(&aviary).await;
    let integration_id: IntegrationId = id.parse().unwrap();
    let connected = stored_grant(&services, integration_id).await;
    assert_eq!(connected.authorized_by.display(), authorized_by);
    assert!(simulator_accepts(&sim, connected.tokens.access_token.expose_secret()).await);
    assert_encrypted(&aviary, &connected);

    // Lark expires the access token early: the next sync renews it once and stores the pair.
    sim.tenant().expire_user_tokens();
    let refreshes = sim.stats().oauth_refreshes;
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["warnings"], serde_json::json!([]), "{run}");
    assert_eq!(sim.stats().oauth_refreshes, refreshes + 1);
    let refreshed = stored_grant(&services, integration_id).await;
    assert!(refreshed.generation > connected.generation);
    assert_ne!(
        refreshed.tokens.access_token.expose_secret(),
        connected.tokens.access_token.expose_secret()
    );
    assert!(simulator_accepts(&sim, refreshed.tokens.access_token.expose_secret()).await);
    assert_encrypted(&aviary, &refreshed);

    // Ten concurrent callers of the same integration see the token rejected: one refresh.
    sim.tenant().expire_user_tokens();
    let refreshes = sim.stats().oauth_refreshes;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let tokens = services.user_tokens();
            tokio::spawn(async move { tokens.check_sign_in(integration_id).await })
        })
        .collect();
    for call in calls {
        let checked = call.await.unwrap().unwrap();
        assert_eq!(checked.signed_in.open_id, connected.authorized_by.open_id);
    }
    assert_eq!(sim.stats().oauth_refreshes, refreshes + 1);
    let after_ten = stored_grant(&services, integration_id).await;
    assert!(after_ten.generation > refreshed.generation);

    // Three processes — each with its own pool, locks and name in refresh claims, sharing only
    // the database — need a fresh token at once: one refresh, the claimant's; the others wait
    // for the pair it stores.
    sim.tenant().expire_user_tokens();
    let refreshes = sim.stats().oauth_refreshes;
    let mut processes = Vec::new();
    for n in 1..=3 {
        processes.push(
            in_process(&aviary)
                .await
                .user_tokens_as(&format!("host-{n}:1")),
        );
    }
    let calls: Vec<_> = processes
        .iter()
        .flat_map(|tokens| std::iter::repeat_n(tokens, 4))
        .map(|tokens| {
            let tokens = Arc::clone(tokens);
            tokio::spawn(async move { tokens.check_sign_in(integration_id).await })
        })
        .collect();
    for call in calls {
        let checked = call.await.unwrap().unwrap();
        assert_eq!(checked.signed_in.open_id, connected.authorized_by.open_id);
    }
    assert_eq!(
        sim.stats().oauth_refreshes,
        refreshes + 1,
        "one refresh request at Lark for three processes"
    );
    assert_eq!(
        stored_grant(&services, integration_id).await.generation,
        after_ten.generation + 1
    );

    // The admin revokes the grant: syncs go on with the tenant token, and the integration
    // needs a new login, with the reason on the run.
    sim.tenant()
        .revoke_user_grant(connected.authorized_by.open_id.as_str())
        .unwrap();
    let synced = aviary.run(&["sync", "acme", "--output", "json"]).success();
    let run = synced.json();
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        run["counts"]["users"]["unchanged"],
        sim.tenant().visible_user_count() as u64,
        "synced with the tenant token"
    );
    let warnings = run["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{run}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains(authorized_by) && warning.contains("no longer works"),
        "{warning}"
    );
    assert!(
        synced.stderr.contains(&format!("warning: {warning}")),
        "{}",
        synced.stderr
    );
    let integration = api(&server, &key, "/integrations/acme").await;
    assert_eq!(integration["status"], "needs_reauthorization");
    let run_id = run["id"].as_str().unwrap();
    let shown = api(&server, &key, &format!("/runs/{run_id}")).await;
    assert_eq!(shown["warnings"], run["warnings"]);
    let listed = api(&server, &key, "/integrations/acme/runs").await;
    assert_eq!(listed["items"][0]["warnings"], run["warnings"]);
    let table = aviary.run(&["runs", "show", run_id]).success();
    assert!(
        table.stdout.contains(&format!("warning: {warning}")),
        "{}",
        table.stdout
    );
    let overview = browser.get(&server.url("/")).await.text().await.unwrap();
    assert!(
        overview.contains(&format!("action=\"{action}\"")),
        "the overview offers to connect again: {overview}"
    );
}
