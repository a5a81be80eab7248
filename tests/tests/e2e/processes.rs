//! Several processes on one PostgreSQL: two `aviary-server`s and one `aviary worker` share 20
//! scheduled integrations. In each of two intervals every integration is synced exactly once —
//! never twice, never by two processes at once — as both the simulated tenants (one contact-scope
//! request per sync) and the database (runs that never overlap) show; their logs are JSON lines
//! (`AVIARY_LOG_FORMAT=json`) in which a sync's lines name its integration and run, and each
//! process's `/metrics` counts the runs it ran; then SIGTERM stops all three within 10 s, and
//! `aviary db prune` deletes the history older than a retention.

use std::time::{Duration, Instant};

use aviary_lark_simulator::{SimulatorHandle, endpoints};
use aviary_tests::daemon::Daemon;
use aviary_tests::postgres::TestDatabase;
use aviary_tests::server::healthy_within;
use aviary_tests::{Installation, SimulatorConfig, free_port, server_binary, simulator};
use serde_json::Value;

const INTEGRATIONS: usize = 20;
/// The integrations' interval (the shortest allowed), and how far runs are moved back in time
/// to make the next one due.
const INTERVAL_MINUTES: i64 = 5;
const MOVE_BACK_MICROS: i64 = (INTERVAL_MINUTES * 60 + 30) * 1_000_000;

fn label(n: usize) -> String {
    format!("tenant-{n:02}")
}

/// 20 small tenants, each registered, scheduled every 5 minutes and synced once by hand (which
/// makes the integration active, and so scheduled).
async fn tenants(aviary: &Installation) -> Vec<SimulatorHandle> {
    let mut sims = Vec::new();
    for n in 0..INTEGRATIONS {
        let sim = simulator(SimulatorConfig {
            users: 40,
            departments: 4,
            seed: 100 + n as u64,
            ..SimulatorConfig::default()
        })
        .await;
        let label = label(n);
        aviary.add_integration(&label, &sim);
        aviary
            .run(&[
                "integration",
                "set",
                &label,
                "--interval-minutes",
                &INTERVAL_MINUTES.to_string(),
            ])
            .success();
        let (code, run) = aviary.sync(&label);
        assert_eq!(code, Some(0), "{run}");
        sims.push(sim);
    }
    sims
}

/// Moves every run an interval and a half-minute back, so every integration is due again.
async fn make_every_sync_due(db: &TestDatabase) {
    db.execute(&format!(
        "UPDATE sync_runs SET started_at = started_at - {MOVE_BACK_MICROS}, \
         finished_at = finished_at - {MOVE_BACK_MICROS}"
    ))
    .await;
}

/// Waits until every integration has `count` finished runs (60 s at most).
async fn wait_for_runs(aviary: &Installation, count: usize, processes: &[&Daemon]) {
    let started = Instant::now();
    loop {
        let done = (0..INTEGRATIONS).all(|n| {
            let runs = aviary.runs(&label(n));
            runs.len() >= count && runs.iter().all(|r| r["status"] != "running")
        });
        if done {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not every integration synced within 60 s; logs:\n{}",
            processes
                .iter()
                .map(|p| p.logs())
                .collect::<Vec<_>>()
                .join("\n----\n")
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Each integration: exactly `rounds` scheduled runs, all succeeded, none overlapping another
/// run of the integration; and exactly one scope request per run at its tenant.
fn synced_exactly_once_per_interval(
    aviary: &Installation,
    sims: &[SimulatorHandle],
    rounds: usize,
) {
    for (n, sim) in sims.iter().enumerate() {
        let mut runs = aviary.runs(&label(n));
        runs.reverse(); // oldest first
        let scheduled = runs.iter().filter(|r| r["trigger"] == "schedule").count();
        assert_eq!(scheduled, rounds, "{}: {runs:#?}", label(n));
        assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:#?}");
        for pair in runs.windows(2) {
            let (earlier, later) = (&pair[0], &pair[1]);
            assert!(
                earlier["finished_at"].as_str() <= later["started_at"].as_str(),
                "two runs of {} overlapped: {earlier} and {later}",
                label(n)
            );
        }
        assert_eq!(
            // The contact-scope request: one per sync, whichever process runs it.
            sim.stats().requests_to(endpoints::SCOPES),
            (1 + rounds) as u64,
            "{}: one scope request per sync",
            label(n)
        );
    }
}

/// With `AVIARY_LOG_FORMAT=json` every line the processes log is a JSON object, and what a
/// sync logs carries its span: the integration, the trigger and the run, which is one of that
/// integration's runs.
fn every_log_line_is_json_and_syncs_log_in_their_span(aviary: &Installation, processes: &[Daemon]) {
    let mut in_span = 0;
    // Each integration's runs, listed once.
    let mut runs_of = std::collections::HashMap::new();
    for process in processes {
        for line in process.logs().lines().filter(|l| !l.trim().is_empty()) {
            let entry: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
            if entry["fields"]["message"] != "background sync finished" {
                continue;
            }
            let span = &entry["span"];
            assert_eq!(span["name"], "sync", "{line}");
            assert_eq!(span["trigger"], "schedule", "{line}");
            let integration = span["integration"].as_str().unwrap();
            let run = span["run"]
                .as_str()
                .unwrap_or_else(|| panic!("no run: {line}"));
            let listed = runs_of
                .entry(integration.to_owned())
                .or_insert_with(|| aviary.runs(integration));
            assert!(
                listed.iter().any(|r| r["id"] == run),
                "{run} is a run of {integration}"
            );
            in_span += 1;
        }
    }
    assert_eq!(
        in_span,
        INTEGRATIONS * 2,
        "every scheduled sync logged its end in its span"
    );
}

/// Each process's `/metrics` (the servers', the worker's on its `--metrics-port`) counts the
/// scheduled runs it ran, and shows every integration's accounts and time since its last good
/// sync (from the database).
async fn metrics_count_each_servers_runs_and_show_every_integration(
    servers: &[String],
    key: &str,
    processes: &[Daemon],
) {
    for (base, process) in servers.iter().zip(processes) {
        let response = reqwest::Client::new()
            .get(format!("{base}/metrics"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        let ran = process.logs().matches("scheduled sync started").count();
        let counted = body
            .lines()
            .find_map(|line| {
                line.strip_prefix(
                    "aviary_sync_runs_total{trigger=\"schedule\",outcome=\"succeeded\"} ",
                )
            })
            .map_or(0, |n| n.trim().parse::<usize>().unwrap());
        assert_eq!(counted, ran, "{base}:\n{body}");
        let active = body
            .lines()
            .filter(|l| l.starts_with("aviary_accounts{") && l.contains("status=\"active\""))
            .count();
        assert_eq!(active, INTEGRATIONS, "{body}");
        let since = body
            .lines()
            .filter(|l| l.starts_with("aviary_seconds_since_last_good_sync{"))
            .count();
        assert_eq!(since, INTEGRATIONS, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_and_a_worker_on_postgresql_sync_each_due_integration_exactly_once() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let aviary = db
        .installation()
        .with_env("AVIARY_SCHEDULER__TICK_SECS", "1")
        // Few slots: passes wait for one, holding a due list that other processes outdate.
        .with_env("AVIARY_SCHEDULER__MAX_CONCURRENT_SYNCS", "2")
        .with_env("AVIARY_LOG", "info")
        .with_env("AVIARY_LOG_FORMAT", "json");
    let sims = tenants(&aviary).await;
    make_every_sync_due(&db).await;

    let key = aviary.create_key("prometheus", "read");
    let mut processes = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..2 {
        let port = free_port().to_string();
        let process = Daemon::spawn_with_env(
            &aviary,
            &server_binary(),
            &[],
            &[("AVIARY_HTTP__PORT", &port)],
        );
        let base = format!("http://127.0.0.1:{port}");
        servers.push(base.clone());
        assert!(
            healthy_within(&base, Duration::from_secs(30)).await,
            "aviary-server did not start: {}",
            process.logs()
        );
        processes.push(process);
    }
    let worker_port = free_port().to_string();
    processes.push(Daemon::spawn(
        &aviary,
        &aviary_tests::aviary_binary(),
        &["worker", "--metrics-port", &worker_port],
    ));
    // The worker answers the probes and the metrics, and nothing else.
    let worker = format!("http://127.0.0.1:{worker_port}");
    assert!(
        healthy_within(&worker, Duration::from_secs(30)).await,
        "the worker's probes: {}",
        processes[2].logs()
    );
    let api = reqwest::Client::new()
        .get(format!("{worker}/api/v1/integrations"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404, "a worker serves no API");
    servers.push(worker);

    for round in 1..=2 {
        if round == 2 {
            make_every_sync_due(&db).await;
        }
        let started = Instant::now();
        wait_for_runs(&aviary, 1 + round, &processes.iter().collect::<Vec<_>>()).await;
        let took = started.elapsed();
        // Several more passes of every scheduler: nothing is due, so nothing more runs.
        tokio::time::sleep(Duration::from_secs(4)).await;
        synced_exactly_once_per_interval(&aviary, &sims, round);
        let per_process: Vec<usize> = processes
            .iter()
            .map(|p| p.logs().matches("scheduled sync started").count())
            .collect();
        assert_eq!(per_process.iter().sum::<usize>(), INTEGRATIONS * round);
        eprintln!(
            "round {round}: {INTEGRATIONS} due syncs done in {took:.1?}; started so far per process (server, server, worker): {per_process:?}"
        );
    }

    every_log_line_is_json_and_syncs_log_in_their_span(&aviary, &processes);
    metrics_count_each_servers_runs_and_show_every_integration(&servers, &key, &processes).await;
    for process in &mut processes {
        let (status, took) = process
            .terminate(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("still running 10 s after SIGTERM: {}", process.logs()));
        assert!(status.success(), "{status:?}: {}", process.logs());
        eprintln!("stopped {took:.1?} after SIGTERM");
    }
    history_older_than_the_retention_is_pruned(&aviary, &db).await;
    for sim in sims {
        sim.stop().await;
    }
    db.drop_database().await;
}

/// `aviary db prune`: once every run is two days old, a one-day retention deletes all but each
/// integration's newest (and newest succeeded) run, with the changes they recorded.
async fn history_older_than_the_retention_is_pruned(aviary: &Installation, db: &TestDatabase) {
    let two_days = 2 * 24 * 3600 * 1_000_000_i64;
    db.execute(&format!(
        "UPDATE sync_runs SET started_at = started_at - {two_days}, \
         finished_at = finished_at - {two_days}"
    ))
    .await;
    let prune = |dry_run: bool| {
        let mut args = vec!["db", "prune", "--older-than-days", "1", "--output", "json"];
        if dry_run {
            args.push("--dry-run");
        }
        aviary.run(&args).success().json()
    };
    let counted = prune(true);
    assert_eq!(
        counted["runs"],
        2 * INTEGRATIONS,
        "three runs each, the newest kept: {counted}"
    );
    assert!(counted["changes"].as_u64().unwrap() > 0, "{counted}");
    assert_eq!(aviary.runs(&label(0)).len(), 3, "a dry run deletes nothing");
    let pruned = prune(false);
    assert_eq!(
        (pruned["runs"].clone(), pruned["changes"].clone()),
        (counted["runs"].clone(), counted["changes"].clone())
    );
    for n in 0..INTEGRATIONS {
        let left = aviary.runs(&label(n));
        assert_eq!(left.len(), 1, "{left:#?}");
        assert_eq!(left[0]["status"], "succeeded");
    }
    // (This installation logs at info, so the error line is not stderr's only one.)
    let refused = aviary.run(&["db", "prune", "--older-than-days", "0"]);
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("from 1 to 36500 days"),
        "{}",
        refused.stderr
    );
    let unset = aviary.run(&["db", "prune"]);
    assert_eq!(unset.code, Some(1), "{}", unset.stderr);
    assert!(
        unset.stderr.contains("retention.runs_days"),
        "{}",
        unset.stderr
    );
}
