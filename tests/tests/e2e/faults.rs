//! Faults during a sync: a 429 and an expired token mid-sync are survived; a persistent 5xx fails
//! the run and removes nothing; a shrunk contact scope ends the run held.

use std::time::Duration;

use aviary_tests::{Installation, Run, SimulatorConfig, SimulatorHandle, account, simulator};

/// Runs `action` once the simulator has served `after` more requests.
fn when_requests_reach(
    sim: &SimulatorHandle,
    after: u64,
    action: impl FnOnce() + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let tenant = sim.tenant();
    let start = tenant.stats().total_requests;
    tokio::spawn(async move {
        loop {
            if tenant.stats().total_requests >= start + after {
                action();
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_and_an_expired_token_mid_sync_are_survived() {
    let sim = simulator(SimulatorConfig {
        users: 300,
        departments: 30,
        seed: 5,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    let tenant = sim.tenant();
    // Slow every request a little so the faults land mid-sync, not after it.
    tenant.set_delay(Duration::from_millis(5));
    let before = tenant.stats();
    let trigger = {
        let tenant = tenant.clone();
        when_requests_reach(&sim, 8, move || {
            tenant.rate_limit_next(1);
            tenant.expire_tokens();
        })
    };
    let (code, run) = tokio::task::spawn_blocking(move || aviary.sync("acme"))
        .await
        .unwrap();
    trigger.await.unwrap();
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(
        run["counts"]["users"]["added"],
        tenant.visible_user_count() as u64
    );
    let after = tenant.stats();
    assert!(
        after.rate_limited > before.rate_limited,
        "a 429 was served mid-sync"
    );
    assert!(
        after.auth_failures > before.auth_failures,
        "an expired token was refused mid-sync"
    );
    assert!(
        after.tokens_issued > before.tokens_issued,
        "a fresh token was fetched"
    );
    assert!(
        run["api"]["rate_limit_waits"].as_u64().unwrap() >= 1,
        "{run}"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_server_error_fails_the_run_and_removes_nothing() {
    let sim = simulator(SimulatorConfig {
        users: 120,
        departments: 12,
        seed: 9,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    assert_eq!(aviary.sync("acme").0, Some(0));
    let tenant = sim.tenant();
    let gone = tenant
        .users()
        .into_iter()
        .find(|u| u.department_ids.len() == 1 && !u.status.is_resigned)
        .unwrap();
    tenant.delete_user(&gone.open_id).unwrap();
    tenant.set_delay(Duration::from_millis(5));
    let trigger = {
        let tenant = tenant.clone();
        when_requests_reach(&sim, 5, move || tenant.fail_always(500))
    };
    let (aviary, code, run) = tokio::task::spawn_blocking(move || {
        let (code, run) = aviary.sync("acme");
        (aviary, code, run)
    })
    .await
    .unwrap();
    let accounts = aviary.accounts("acme");
    assert!(
        account(&accounts, &gone.open_id)["removed_at"].is_null(),
        "nothing removed by a failed run"
    );
    let runs = aviary
        .run(&["runs", "list", "-i", "acme", "--output", "json"])
        .success()
        .json();
    assert_eq!(runs[0]["status"], "failed");
    let integration = aviary
        .run(&["integration", "show", "acme", "--output", "json"])
        .success()
        .json();
    assert_eq!(integration["status"], "failing");
    trigger.await.unwrap();
    assert_eq!(code, Some(3), "{run}");
    assert_eq!(run["status"], "failed");
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{run}"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shrunk_scope_holds_the_run_until_removals_are_confirmed() {
    let sim = simulator(SimulatorConfig {
        users: 150,
        departments: 15,
        seed: 3,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    assert_eq!(aviary.sync("acme").0, Some(0));
    let tenant = sim.tenant();
    let smallest = tenant
        .departments()
        .into_iter()
        .filter(|d| d.parent_open_department_id == "0")
        .min_by_key(|d| {
            tenant
                .member_count(&d.open_department_id)
                .unwrap_or(u32::MAX)
        })
        .unwrap();
    tenant
        .set_scope_departments([smallest.open_department_id.clone()])
        .unwrap();

    let held = aviary.run(&["sync", "acme"]);
    held.clean_failure(4);
    assert!(held.stderr.contains("20% threshold"), "{}", held.stderr);
    assert!(
        held.stderr.contains("left the contact range"),
        "{}",
        held.stderr
    );
    assert!(
        held.stderr.contains("aviary runs confirm"),
        "{}",
        held.stderr
    );
    let accounts = aviary.accounts("acme");
    assert!(
        accounts.iter().all(|a| a["removed_at"].is_null()),
        "a held run removes nothing"
    );
    let runs = aviary
        .run(&["runs", "list", "-i", "acme", "--output", "json"])
        .success()
        .json();
    assert_eq!(runs[0]["status"], "held");

    assert!(
        runs[0]["hold"]["accounts"]["out_of_range"]
            .as_u64()
            .unwrap()
            > 0
    );
    let confirmed = aviary
        .run(&["sync", "acme", "--confirm-removals", "--output", "json"])
        .success()
        .json();
    assert_eq!(confirmed["status"], "succeeded");
    assert_eq!(confirmed["confirms"], runs[0]["id"]);
    assert_eq!(
        confirmed["counts"]["users"]["out_of_range"], runs[0]["hold"]["accounts"]["out_of_range"],
        "a shrunk range leaves users out of range, not removed"
    );
    assert_eq!(confirmed["counts"]["users"]["removed"], 0);
    let everyone = aviary
        .run(&[
            "accounts",
            "list",
            "-i",
            "acme",
            "--include-removed",
            "--output",
            "json",
        ])
        .success()
        .json();
    assert!(
        everyone
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["presence"] == "out_of_range")
    );
    // Nothing left to confirm.
    let again = aviary.run(&["sync", "acme", "--confirm-removals"]);
    again.clean_failure(1);
    assert!(
        again.stderr.contains("nothing to confirm"),
        "{}",
        again.stderr
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_run_cleanly_and_the_next_sync_starts_at_once() {
    let sim = simulator(SimulatorConfig {
        users: 300,
        departments: 30,
        seed: 13,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    let tenant = sim.tenant();
    tenant.set_delay(Duration::from_millis(40));
    let start = tenant.stats().total_requests;
    let child = aviary.spawn(&["sync", "acme"]);
    while tenant.stats().total_requests < start + 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = child.id().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(signalled.success());
    let (aviary, cancelled) = tokio::task::spawn_blocking(move || {
        let run = Run::of(child);
        (aviary, run)
    })
    .await
    .unwrap();
    cancelled.clean_failure(130);
    assert!(
        cancelled.stderr.contains("cancelled"),
        "{}",
        cancelled.stderr
    );
    let runs = aviary
        .run(&["runs", "list", "-i", "acme", "--output", "json"])
        .success()
        .json();
    assert_eq!(runs[0]["status"], "cancelled", "{runs}");

    tenant.set_delay(Duration::ZERO);
    let (code, run) = aviary.sync("acme");
    assert_eq!(
        code,
        Some(0),
        "the lease was released, so the next sync starts at once: {run}"
    );
    assert_eq!(
        run["counts"]["users"]["added"].as_u64().unwrap()
            + run["counts"]["users"]["unchanged"].as_u64().unwrap(),
        tenant.visible_user_count() as u64
    );
    sim.stop().await;
}
