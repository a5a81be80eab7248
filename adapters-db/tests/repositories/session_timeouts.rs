//! PostgreSQL sessions carry `lock_timeout`, `statement_timeout` and
//! `idle_in_transaction_session_timeout` (`PoolSettings`), so a process frozen in the middle of
//! a transaction cannot freeze the others: whoever waits for its locks gives up after the lock
//! timeout, and the server ends its transaction after the idle timeout, which frees the lease it
//! held for a takeover. Also: reading the database server's clock, which processes on several
//! hosts keep time by.

use std::time::{Duration, Instant};

use aviary_adapters_db::{Database, MasterKey, PoolSettings};
use sea_orm::{ConnectionTrait as _, TransactionTrait as _};

use super::{Ctx, TTL, TestPostgres, registered};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_frozen_mid_transaction_holds_others_up_for_the_lock_timeout_at_most() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let key = MasterKey::generate();
    let pool = PoolSettings {
        max_connections: Some(4),
        lock_timeout: Duration::from_secs(1),
        statement_timeout: Duration::from_secs(2),
        idle_in_transaction_timeout: Duration::from_secs(3),
    };
    let db = Database::connect_with(&pg.url, key.clone(), pool)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let ctx = Ctx {
        db: db.clone(),
        url: pg.url.clone(),
        key,
        sqlite_file: None,
    };
    let integration = registered(&ctx, "Frozen").await;
    let store = db.sync_store();
    let now = chrono::Utc::now();
    let dead = store
        .acquire_lease(integration.id, "host:1", TTL, now)
        .await
        .unwrap();

    // A process that locked the lease row in a transaction, then froze.
    let frozen = db.connection().begin().await.unwrap();
    frozen
        .execute_unprepared("SELECT * FROM sync_leases FOR UPDATE")
        .await
        .unwrap();

    // Taking the lease over (its holder is gone) waits for the lock, but not for ever.
    let started = Instant::now();
    let refused = store
        .take_over_lease(integration.id, "host:1", "host:2", TTL, now)
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(
        format!("{refused:?}").contains("lock timeout"),
        "{refused:?}"
    );

    // The server ends the frozen transaction once it has been idle 3 s; the takeover then works.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let taken = store
        .take_over_lease(integration.id, "host:1", "host:2", TTL, now)
        .await
        .unwrap();
    assert!(taken.token > dead.token);
    // Its connection is gone: rolling back fails, which is what the frozen process would see.
    assert!(frozen.rollback().await.is_err());

    // A runaway statement is cancelled after the statement timeout.
    let started = Instant::now();
    let cancelled = db
        .connection()
        .execute_unprepared("SELECT pg_sleep(30)")
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        cancelled.to_string().contains("statement timeout"),
        "{cancelled}"
    );

    // Migrations lift both timeouts for their own transaction (a no-op here: nothing pending).
    db.migrate().await.unwrap();
    let _ = db.close().await;
    pg.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_servers_time_is_read_on_postgresql_and_is_this_hosts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a.db").display());
    let sqlite = Database::open(&url, MasterKey::generate()).await.unwrap();
    assert_eq!(sqlite.server_time().await.unwrap(), None);
    let _ = sqlite.close().await;

    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let db = Database::connect(&pg.url, MasterKey::generate())
        .await
        .unwrap();
    let before = chrono::Utc::now();
    let server = db.server_time().await.unwrap().unwrap();
    let after = chrono::Utc::now();
    // The same machine here: within the round trip, give or take a little.
    let slack = chrono::Duration::milliseconds(500);
    assert!(
        server >= before - slack && server <= after + slack,
        "{server}"
    );
    let _ = db.close().await;
    pg.drop_database().await;
}
