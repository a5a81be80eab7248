//! Deleting an integration while it syncs, on PostgreSQL: the deletion waits for the batch
//! being written, the sync's later writes are refused (its lease went with the integration),
//! the sync process ends cleanly, and no row of the integration is left in any table.

use std::time::{Duration, Instant};

use aviary_tests::postgres::TestDatabase;
use aviary_tests::{Run, SimulatorConfig, simulator};

/// Every table that holds an integration's rows.
const TABLES: &[&str] = &[
    "accounts",
    "account_departments",
    "departments",
    "changes",
    "directory_objects",
    "raw_dictionaries",
    "sync_runs",
    "sync_leases",
    "grants",
    "held_subjects",
    "integrations",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_integration_while_it_syncs_leaves_no_row_behind() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let sim = simulator(SimulatorConfig {
        // Big and slow enough that batches keep landing for seconds after the first one.
        users: 6_000,
        departments: 20,
        seed: 71,
        ..SimulatorConfig::default()
    })
    .await;
    sim.tenant().set_delay(Duration::from_millis(60));
    let aviary = db.installation().with_env("AVIARY_SYNC__BATCH_SIZE", "100");
    aviary.add_integration("acme", &sim);
    let sync = aviary.spawn(&["sync", "acme", "--output", "json"]);
    let start = Instant::now();
    while db.count("SELECT COUNT(*) FROM accounts").await == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing was committed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    aviary
        .run(&["integration", "remove", "acme", "--yes"])
        .success();

    let ended = Instant::now();
    let run = Run::of(sync);
    eprintln!(
        "the sync ended {:?} after the deletion: {}",
        ended.elapsed(),
        run.stderr.trim()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("does not exist"),
        "the sync says why it stopped: {}",
        run.stderr
    );
    for table in TABLES {
        let left = db.count(&format!("SELECT COUNT(*) FROM {table}")).await;
        assert_eq!(
            left, 0,
            "{table} keeps {left} rows of the deleted integration"
        );
    }
    sim.stop().await;
    db.drop_database().await;
}
