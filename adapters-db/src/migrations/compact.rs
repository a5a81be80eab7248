//! Compacting once after an upgrade rewrote the directory's tables. Migrations 10 and 12
//! rewrite every account and department row in place; the old rows' space stays in the
//! database until it is compacted — on SQLite the file keeps its size (a 100k-account database
//! stays ≈ 540 MB instead of ≈ 175 MB), on PostgreSQL the tables keep the dead versions. So when
//! a migration run applied one of them to an existing database, the tables are compacted right
//! after its commit: SQLite `VACUUM` (which may renumber the rowids the search index is keyed
//! by, so the index is rebuilt after it), PostgreSQL `VACUUM FULL` of the two tables. Both need
//! the tables to themselves for seconds; it happens once, while the process starts.

use std::time::Instant;

use sea_orm::{ConnectionTrait as _, DbErr};

use super::m20261206_000009_read_indexes::rebuild_sqlite_search;
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
        Backend::Postgres => {
            // One statement each: VACUUM cannot run inside a transaction block.
            for statement in [
                "VACUUM FULL accounts",
                "VACUUM FULL departments",
                "ANALYZE accounts",
                "ANALYZE departments",
            ] {
                shared.conn.execute_unprepared(statement).await?;
            }
        }
    }
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "compacted the database after the storage upgrade"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
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
}
