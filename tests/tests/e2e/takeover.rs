//! `kill -9` of the process holding a large sync, on PostgreSQL: a worker on another host —
//! which cannot tell whether the holder is alive, so it waits its lease out — finds the run
//! abandoned once the lease expired and completes the sync from its schedule, without waiting
//! for the next interval. Afterwards the stored accounts are exactly those of a clean sync of
//! the tenant, the killed run is recorded as interrupted with what it committed and no removal,
//! and the worker's run added the rest.

use std::time::{Duration, Instant};

use aviary_tests::daemon::Daemon;
use aviary_tests::postgres::TestDatabase;
use aviary_tests::{Installation, SimulatorConfig, aviary_binary, simulator};
use serde_json::{Map, Value};

/// The shortest lease allowed: the worker waits at most this long after the kill.
const LEASE_TTL_SECS: i64 = 10;

/// Every stored account without its timestamps (when it was first and last seen differs
/// between installations), keyed and sorted by `open_id`.
fn accounts_without_times(aviary: &Installation) -> Vec<Value> {
    let mut accounts: Vec<Value> = aviary
        .accounts("acme")
        .into_iter()
        .map(|account| {
            let kept: Map<String, Value> = account
                .as_object()
                .unwrap()
                .iter()
                .filter(|(key, _)| !key.ends_with("_at"))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            Value::Object(kept)
        })
        .collect();
    accounts.sort_by(|a, b| a["open_id"].as_str().cmp(&b["open_id"].as_str()));
    accounts
}

fn added(run: &Value) -> i64 {
    run["counts"]["users"]["added"].as_i64().unwrap()
}

fn micros(rfc3339: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().unwrap())
        .unwrap()
        .timestamp_micros()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_a_worker_elsewhere_completes_the_large_sync_once_the_lease_expired() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let sim = simulator(SimulatorConfig {
        users: 6_000,
        departments: 30,
        seed: 73,
        ..SimulatorConfig::default()
    })
    .await;
    let tenant = sim.tenant();
    let aviary = db
        .installation()
        // Small batches: the killed run commits early and often.
        .with_env("AVIARY_SYNC__BATCH_SIZE", "100")
        .with_env("AVIARY_SYNC__LEASE_TTL_SECS", &LEASE_TTL_SECS.to_string())
        .with_env("AVIARY_SCHEDULER__TICK_SECS", "1")
        .with_env("AVIARY_LOG", "info");
    aviary.add_integration("acme", &sim);
    // A first, small sync (one department in scope) makes the integration active, so the
    // schedule (hourly) holds it; then the whole tenant comes into scope: the next sync is large.
    let smallest = tenant
        .departments()
        .into_iter()
        .filter(|d| tenant.member_count(&d.open_department_id).unwrap_or(0) > 0)
        .min_by_key(|d| tenant.member_count(&d.open_department_id).unwrap())
        .unwrap();
    tenant
        .set_scope_departments([smallest.open_department_id.clone()])
        .unwrap();
    let (code, first) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{first}");
    let initial = aviary.accounts("acme").len();
    aviary
        .run(&["integration", "set", "acme", "--interval-minutes", "60"])
        .success();
    tenant.full_scope();

    // The worker runs the schedule from "another host": it cannot check the killed process.
    let mut worker = Daemon::spawn_with_env(
        &aviary,
        &aviary_binary(),
        &["worker"],
        &[("HOSTNAME", "host-b")],
    );
    tenant.set_delay(Duration::from_millis(40));
    let mut holder = Daemon::spawn_with_env(
        &aviary,
        &aviary_binary(),
        &["sync", "acme", "--output", "json"],
        &[("HOSTNAME", "host-a")],
    );
    // Probed in the database, more cheaply than through the CLI, so that the run is caught early in its listing.
    let committed = || db.count("SELECT count(*) FROM accounts");
    let start = Instant::now();
    while committed().await as usize <= initial {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing was committed: {}",
            holder.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Lark slows to a crawl so that the run is surely still going when it is killed.
    tenant.set_delay(Duration::from_secs(5));
    assert!(
        holder.exited().is_none(),
        "the sync ended before it was killed"
    );
    holder.kill();
    let lease_expiry = db.count("SELECT expires_at FROM sync_leases").await;
    let kept = aviary.accounts("acme").len();
    let killed_at = Instant::now();
    tenant.set_delay(Duration::ZERO);

    // The worker takes the sync over once the lease expired, and completes it.
    let runs = loop {
        let runs = aviary.runs("acme");
        if runs.len() == 3 && runs[0]["status"] != "running" {
            break runs;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(120),
            "the worker did not complete the sync: {runs:#?}\n{}",
            worker.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let took = killed_at.elapsed();
    let (completed, killed) = (&runs[0], &runs[1]);
    assert_eq!(completed["status"], "succeeded", "{completed}");
    assert_eq!(completed["trigger"], "schedule", "{completed}");
    assert!(
        micros(&completed["started_at"]) >= lease_expiry,
        "the worker waited the lease out: {completed}"
    );
    assert_eq!(killed["status"], "failed");
    assert!(
        killed["error"].as_str().unwrap().contains("interrupted"),
        "{killed}"
    );
    assert_eq!(
        added(killed) as usize,
        kept - initial,
        "the killed run shows what it committed: {killed}"
    );
    for run in [completed, killed] {
        assert_eq!(run["counts"]["users"]["removed"], 0, "{run}");
    }

    // Exactly the tenant: what a clean sync of it stores elsewhere.
    let reference = Installation::new();
    reference.add_integration("acme", &sim);
    let (code, clean) = reference.sync("acme");
    assert_eq!(code, Some(0), "{clean}");
    let stored = accounts_without_times(&aviary);
    assert_eq!(
        stored.len(),
        tenant.visible_user_count(),
        "every visible user"
    );
    assert_eq!(
        added(completed) as usize,
        stored.len() - kept,
        "{completed}"
    );
    assert!(stored == accounts_without_times(&reference));
    eprintln!(
        "killed after committing {} of {} accounts; the worker completed the sync {took:.1?} after the kill (lease {LEASE_TTL_SECS} s)",
        kept - initial,
        stored.len() - initial
    );

    let (status, _) = worker
        .terminate(Duration::from_secs(10))
        .await
        .expect("the worker stops on SIGTERM");
    assert!(status.success(), "{}", worker.logs());
    sim.stop().await;
    db.drop_database().await;
}
