//! SIGTERM — what systemd, Docker and Kubernetes send — stops `aviary serve` and `aviary sync`
//! as Ctrl-C does: the running sync reaches a safe point (recorded `cancelled`, nothing
//! removed, its lease released) and the process exits well within `shutdown.timeout_secs`
//! (10 s); the next sync starts at once and completes. A SIGTERM while the run renews the
//! admin's Lark sign-in lets the renewal finish and its new pair be stored. After `kill -9` the
//! next sync takes the dead process's lease at once instead of waiting for it to expire.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use aviary_domain::values::IntegrationId;
use aviary_lark_simulator::{ConsentMode, SimulatorHandle, endpoints};
use aviary_tests::server::Server;
use aviary_tests::{Installation, SimulatorConfig, simulator, simulator_accepts, terminate_within};
use secrecy::ExposeSecret as _;

use crate::support::{connect_renewable, in_process, stored_grant};
use serde_json::Value;

/// The promise: out within the default `shutdown.timeout_secs`.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// A tenant whose sync takes several seconds: 2,000 users, every Lark request 40 ms late.
async fn slow_tenant() -> SimulatorHandle {
    let sim = simulator(SimulatorConfig {
        users: 2_000,
        departments: 20,
        seed: 59,
        ..SimulatorConfig::default()
    })
    .await;
    sim.tenant().set_delay(Duration::from_millis(40));
    sim
}

/// Waits until the sync is well into the member pages (20 requests after `before`), then slows
/// Lark to a crawl, so that the sync is surely still running when it is stopped however fast
/// the machine (once, in CI, the whole sync ended within the 1.5 s a test used to wait).
async fn well_into_the_sync(sim: &SimulatorHandle, before: u64) {
    let start = Instant::now();
    while sim.stats().total_requests < before + 20 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the sync did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sim.tenant().set_delay(Duration::from_secs(5));
}

/// Sends SIGTERM to `process` and waits for it to exit, at most [`SHUTDOWN_TIMEOUT`]; returns
/// its status and how long it took.
async fn sigterm_and_wait(process: &mut Child) -> (ExitStatus, Duration) {
    terminate_within(process, SHUTDOWN_TIMEOUT)
        .await
        .expect("still running 10 s after SIGTERM")
}

/// The interrupted run is `cancelled` with nothing removed, and the lease is free: the next
/// sync (without the delay) completes at once.
fn cancelled_cleanly_and_the_next_sync_completes(aviary: &Installation, sim: &SimulatorHandle) {
    let interrupted = &aviary.runs("acme")[0];
    assert_eq!(interrupted["status"], "cancelled", "{interrupted}");
    assert_eq!(
        interrupted["counts"]["users"]["removed"], 0,
        "{interrupted}"
    );
    sim.tenant().set_delay(Duration::ZERO);
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "the lease was released: {run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(aviary.accounts("acme").len(), 2_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_after_its_running_sync_reached_a_safe_point() {
    let sim = slow_tenant().await;
    let aviary = Installation::new().with_env("AVIARY_LOG", "info");
    aviary.add_integration("acme", &sim);
    let key = aviary.create_key("sigterm", "sync");
    let mut server = Server::start(&aviary).await;
    let before = sim.stats().total_requests;
    let started = reqwest::Client::new()
        .post(server.url("/api/v1/integrations/acme/sync"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), reqwest::StatusCode::ACCEPTED);
    let run: Value = started.json().await.unwrap();
    assert_eq!(run["status"], "running");
    well_into_the_sync(&sim, before).await;
    assert_eq!(aviary.runs("acme")[0]["status"], "running");

    let (status, took) = server
        .terminate(SHUTDOWN_TIMEOUT)
        .await
        .unwrap_or_else(|| panic!("still running 10 s after SIGTERM: {}", server.logs()));
    assert!(status.success(), "{status}: {}", server.logs());
    assert!(took < SHUTDOWN_TIMEOUT, "{took:?}");
    let logs = server.stop();
    assert!(logs.contains("SIGTERM"), "{logs}");
    eprintln!("aviary serve exited {took:?} after SIGTERM");
    cancelled_cleanly_and_the_next_sync_completes(&aviary, &sim);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cancels_a_command_line_sync_cleanly() {
    let sim = slow_tenant().await;
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    let before = sim.stats().total_requests;
    let mut sync = aviary.spawn(&["sync", "acme", "--output", "json"]);
    well_into_the_sync(&sim, before).await;
    assert!(sync.try_wait().unwrap().is_none(), "the sync ended early");

    let (status, took) = sigterm_and_wait(&mut sync).await;
    eprintln!("aviary sync exited {took:?} after SIGTERM");
    assert_eq!(status.code(), Some(130), "cancelled, as after Ctrl-C");
    cancelled_cleanly_and_the_next_sync_completes(&aviary, &sim);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_the_next_sync_takes_the_dead_processs_lease_at_once() {
    let sim = slow_tenant().await;
    // Small batches: the first commits early in the run, long before its end.
    let aviary = Installation::new().with_env("AVIARY_SYNC__BATCH_SIZE", "100");
    aviary.add_integration("acme", &sim);
    let mut sync = aviary.spawn(&["sync", "acme", "--output", "json"]);
    // Killed once it has committed a batch or more of new accounts.
    let start = Instant::now();
    while aviary.accounts("acme").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing was committed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Lark slows to a crawl, so that the run is still listing when it is killed however long
    // the check above took on a busy machine (once, in CI, the run had finished by then).
    sim.tenant().set_delay(Duration::from_secs(5));
    assert!(
        sync.try_wait().unwrap().is_none(),
        "the sync ended before it was killed"
    );
    // SIGKILL: no cleanup at all; its lease would hold for sync.lease_ttl_secs (120 s).
    sync.kill().unwrap();
    sync.wait().unwrap();
    // What its committed batches stored, which its run record must own up to.
    let kept = aviary.accounts("acme").len();

    sim.tenant().set_delay(Duration::ZERO);
    let started = Instant::now();
    let (code, run) = aviary.sync("acme");
    assert_eq!(
        code,
        Some(0),
        "the dead process's lease was taken over: {run}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let runs = aviary.runs("acme");
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(
        runs[1]["status"], "failed",
        "the killed run is marked interrupted"
    );
    assert!(kept > 0);
    assert_eq!(runs[1]["counts"]["users"]["added"], kept, "{}", runs[1]);
    eprintln!(
        "the killed run committed {kept} accounts before it died: {}",
        runs[1]["error"]
    );
    assert_eq!(aviary.accounts("acme").len(), 2_000);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_the_sign_in_is_renewed_stores_the_new_pair_before_the_sync_stops() {
    let sim = simulator(SimulatorConfig {
        users: 200,
        departments: 10,
        seed: 61,
        consent: ConsentMode::AutoApprove,
        ..SimulatorConfig::default()
    })
    .await;
    sim.tenant().enable_offline_access();
    let aviary = Installation::new();
    let added = aviary.add_integration("acme", &sim);
    let id: IntegrationId = added["id"].as_str().unwrap().parse().unwrap();
    let services = in_process(&aviary).await;
    connect_renewable(&services, id).await;
    let connected = stored_grant(&services, id).await;

    // Lark expires the sign-in early and answers slowly: the sync's grant check is rejected,
    // renews the pair (one refresh) and checks again, a second or so per request.
    sim.tenant().expire_user_tokens();
    sim.tenant().set_delay(Duration::from_millis(1_200));
    let refreshes = sim.stats().oauth_refreshes;
    let checks = sim.stats().requests_to(endpoints::USER_INFO);
    let mut sync = aviary.spawn(&["sync", "acme", "--output", "json"]);
    let start = Instant::now();
    while sim.stats().requests_to(endpoints::USER_INFO) == checks {
        assert!(start.elapsed() < Duration::from_secs(30), "no grant check");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Mid-check: the renewal is still to come.
    let (status, took) = sigterm_and_wait(&mut sync).await;
    eprintln!("aviary sync exited {took:?} after SIGTERM, mid-renewal");
    assert_eq!(status.code(), Some(130));
    assert_eq!(sim.stats().oauth_refreshes, refreshes + 1, "renewed once");
    let renewed = stored_grant(&services, id).await;
    assert!(
        renewed.generation > connected.generation,
        "the new pair is stored"
    );
    assert!(
        simulator_accepts(&sim, renewed.tokens.access_token.expose_secret()).await,
        "the stored pair is the one Lark issued"
    );

    // The lease was released and the grant is good: the next sync completes without renewing.
    sim.tenant().set_delay(Duration::ZERO);
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["warnings"], serde_json::json!([]), "{run}");
    assert_eq!(sim.stats().oauth_refreshes, refreshes + 1);
    assert_eq!(aviary.runs("acme")[1]["status"], "cancelled");
    sim.stop().await;
}
