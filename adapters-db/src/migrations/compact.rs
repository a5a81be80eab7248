//! Compacting once after an upgrade rewrote the directory's tables. Migrations 10 and 12
//! rewrite every account and department row in place; the old rows' space stays in the
//! database until it is compacted — on SQLite the file keeps its size (a 100k-account database
//! stays ≈ 540 MB instead of ≈ 175 MB), on PostgreSQL the tables keep the dead versions. So when
//! a migration run applied one of them to an existing database, the tables are compacted right
//! after its commit: SQLite `VACUUM` (which may renumber the rowids the search index is keyed
//! by, so the index is rebuilt after it), PostgreSQL `VACUUM FULL` of the two tables, free of
//! the statement timeout that bounds every other query. Both need the tables to themselves for
//! seconds; it happens once, while the process starts.

use std::sync::Arc;
use std::time::Instant;

use sea_orm::sqlx::PgPool;
use sea_orm::{ConnectionTrait as _, DbErr, RuntimeErr};

use super::m20261207_000017_whole_id_search::rebuild_sqlite_search;
use crate::connect::{Backend, Shared};

/// The migrations that create the schema: a run that applies it has nothing to compact.
pub(super) const FIRST: &str = "m20250601_000001_initial_schema";

/// The migrations that rewrite every row of a directory table.
pub(super) const REWRITING: [&str; 2] = [
    "m20261206_000010_lean_accounts",
    "m20261206_000012_lean_departments",
];

/// Whether applying `pending` upgrades an existing database through a rewriting migration.
pub(super) fn needed(pending: &[String]) -> bool {
    !pending.iter().any(|name| name == FIRST)
        && pending
            .iter()
            .any(|name| REWRITING.contains(&name.as_str()))
}

/// Compacts the rewritten tables (see the module's documentation).
///
/// # Errors
/// The database's.
pub(super) async fn compact(shared: &Shared) -> Result<(), DbErr> {
    tracing::info!("compacting the database after the storage upgrade; this takes a while");
    let started = Instant::now();
    match shared.backend {
        Backend::Sqlite => {
            shared.conn.execute_unprepared("VACUUM").await?;
            let txn = shared.begin_write().await?;
            txn.execute_unprepared(&rebuild_sqlite_search()).await?;
            txn.commit().await?;
        }
        Backend::Postgres => compact_postgres(shared.conn.get_postgres_connection_pool()).await?,
    }
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "compacted the database after the storage upgrade"
    );
    Ok(())
}

/// `VACUUM FULL` and `ANALYZE` of the two tables on one connection of their own, without the
/// pool's `statement_timeout`: rewriting a large table takes longer than any one query should.
/// `VACUUM` cannot run inside a transaction block, so `SET LOCAL` is not available; the
/// connection is closed afterwards instead of going back to the pool with the timeout lifted.
/// The `lock_timeout` stays: on a table another process is using it gives up (a warning)
/// rather than queue every reader behind it.
async fn compact_postgres(pool: &PgPool) -> Result<(), DbErr> {
    let failed = |err: sea_orm::sqlx::Error| DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)));
    let mut conn = pool.acquire().await.map_err(failed)?;
    conn.close_on_drop();
    for statement in [
        "SET statement_timeout = 0",
        "VACUUM FULL accounts",
        "VACUUM FULL departments",
        "ANALYZE accounts",
        "ANALYZE departments",
    ] {
        sea_orm::sqlx::raw_sql(statement)
            .execute(&mut *conn)
            .await
            .map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;
    use std::time::Duration;

    use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};

    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn only_an_upgrade_through_a_rewriting_migration_compacts() {
        assert!(needed(&names(&["m20261206_000010_lean_accounts"])));
        assert!(needed(&names(&[
            "m20261206_000011_lean_search",
            "m20261206_000012_lean_departments"
        ])));
        assert!(!needed(&names(&[FIRST, "m20261206_000010_lean_accounts"])));
        assert!(!needed(&names(&["m20261206_000011_lean_search"])));
        assert!(!needed(&[]));
    }

    /// The test server (`AVIARY_TEST_DATABASE_URL`, as the repository suites read it).
    fn test_url() -> String {
        std::env::var("AVIARY_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
    }

    /// A database of its own for this test: a schema in PostgreSQL's `test` database, or `None`
    /// outside CI when PostgreSQL is not answering.
    async fn postgres_schema() -> Option<(PgPool, String)> {
        let url = test_url();
        let admin = match PgPool::connect(&url).await {
            Ok(admin) => admin,
            Err(err) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("PostgreSQL is unreachable at {url} ({err}); CI=true requires it")
            }
            Err(_) => return None,
        };
        let schema = format!("compact_{}", uuid::Uuid::new_v4().simple());
        sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.accounts (id int); \
             CREATE TABLE {schema}.departments (id int)"
        )))
        .execute(&admin)
        .await
        .unwrap();
        Some((admin, schema))
    }

    #[tokio::test]
    async fn the_postgres_compaction_outlasts_the_statement_timeout_and_leaves_the_pool_as_it_was()
    {
        let Some((admin, schema)) = postgres_schema().await else {
            return;
        };
        let options = PgConnectOptions::from_str(&test_url()).unwrap().options([
            ("statement_timeout", "1000ms"),
            ("search_path", schema.as_str()),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .unwrap();
        // Another session uses `accounts` for 2 s: VACUUM FULL waits for it, longer than the
        // pool's 1 s statement timeout allows any query.
        let mut reader = admin.begin().await.unwrap();
        sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!(
            "LOCK TABLE {schema}.accounts IN ACCESS SHARE MODE"
        )))
        .execute(&mut *reader)
        .await
        .unwrap();
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            reader.commit().await.unwrap();
        });
        let started = Instant::now();
        let outcome = compact_postgres(&pool).await;
        let waited = started.elapsed();
        release.await.unwrap();
        let timeout: String = sea_orm::sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {schema} CASCADE"
        )))
        .execute(&admin)
        .await
        .unwrap();
        outcome.expect("the compaction waits for the table instead of timing out");
        assert!(
            waited >= Duration::from_millis(1500),
            "it waited: {waited:?}"
        );
        assert_eq!(
            timeout, "1s",
            "no pooled connection keeps the lifted timeout"
        );
    }
}
