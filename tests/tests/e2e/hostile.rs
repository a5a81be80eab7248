//! A sync against a hostile (or badly broken) upstream fails cleanly: huge bodies, bodies that
//! trickle in, page tokens that come round again, rate-limit resets of a minute and a
//! 100,000-deep department chain each end the run `failed` (exit 3) within seconds, with the
//! `aviary sync` process's peak memory bounded and nothing stored changed.

use std::time::{Duration, Instant};

use aviary_lark_simulator::Hostile;
use aviary_tests::{Installation, SimulatorConfig, peak_rss_kib, simulator};

/// `aviary sync acme`: its exit code and the process's peak resident memory in KiB (sampled from
/// `/proc` while it runs; `None` where there is no `/proc`).
fn sync_measured(aviary: &Installation) -> (Option<i32>, Option<u64>, String) {
    let mut child = aviary.spawn(&["sync", "acme", "--output", "json"]);
    let mut peak = None;
    let started = Instant::now();
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = Some(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the sync did not end within a minute"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read as _;
        let _ = pipe.read_to_string(&mut stderr);
    }
    (status.code(), peak, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_against_a_hostile_upstream_fails_cleanly_with_bounded_memory_and_changes_nothing() {
    let sim = simulator(SimulatorConfig {
        users: 30,
        departments: 4,
        seed: 5,
        rate_limits: false,
        ..SimulatorConfig::default()
    })
    .await;
    // Fail fast: a short request timeout, no retries, a bounded number of requests per sync.
    let aviary = Installation::new()
        .with_env("AVIARY_LARK__REQUEST_TIMEOUT_SECS", "2")
        .with_env("AVIARY_LARK__MAX_RETRIES", "0")
        .with_env("AVIARY_LARK__MAX_RATE_LIMIT_RETRIES", "1")
        .with_env("AVIARY_LARK__MAX_RESET_WAIT_SECS", "1")
        .with_env("AVIARY_LARK__MAX_REQUESTS_PER_SYNC", "2000")
        .with_env("AVIARY_LARK__PACING", "false");
    aviary.add_integration("acme", &sim);
    let (code, first) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{first}");
    let stored = aviary.accounts("acme");

    let hostile = [
        Some(Hostile::HugeBodies),
        Some(Hostile::SlowBodies),
        Some(Hostile::CyclingPageTokens),
        Some(Hostile::LongRateLimitResets),
        None, // the deep chain below
    ];
    for mode in hostile {
        sim.tenant().clear_faults();
        sim.tenant().set_hostile(mode);
        if mode.is_none() {
            let chain = Instant::now();
            sim.tenant().add_department_chain("0", 100_000).unwrap();
            eprintln!(
                "built a 100,000-deep department chain in {:?}",
                chain.elapsed()
            );
        }
        let started = Instant::now();
        let (code, peak, stderr) = sync_measured(&aviary);
        assert_eq!(code, Some(3), "{mode:?}: the run failed: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "{mode:?}: took {:?}",
            started.elapsed()
        );
        if let Some(peak) = peak {
            assert!(peak < 200 * 1024, "{mode:?}: peak RSS {peak} KiB");
            eprintln!(
                "hostile upstream {mode:?}: failed in {:?}, peak RSS {peak} KiB",
                started.elapsed()
            );
        }
        assert_eq!(
            aviary.accounts("acme"),
            stored,
            "{mode:?}: nothing stored changed"
        );
    }
    sim.stop().await;
}
