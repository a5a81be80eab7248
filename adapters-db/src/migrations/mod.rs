//! Schema migrations (sea-orm-migration), one set for SQLite and PostgreSQL.

use sea_orm::ConnectionTrait as _;
use sea_orm_migration::prelude::*;

use crate::connect::{Backend, Shared};
use crate::error::DbError;

mod compact;
mod m20250601_000001_initial_schema;
mod m20251125_000002_oauth_grants;
mod m20251125_000003_api_keys;
mod m20251125_000004_admins_sessions;
mod m20251126_000005_run_warnings;
mod m20251126_000006_account_sort_indexes;
mod m20261206_000007_presence_and_holds;
mod m20261206_000008_groups_and_apps;
mod m20261206_000009_read_indexes;
mod m20261206_000010_lean_accounts;
mod m20261206_000011_lean_search;
mod m20261206_000012_lean_departments;
mod m20261206_000014_api_key_scopes;
mod m20261207_000015_primary_key_record;
mod m20261207_000016_refresh_claims;
pub(crate) mod m20261207_000017_whole_id_search;

/// Key of the PostgreSQL advisory lock that serialises concurrent migrators ("aviarymg").
const MIGRATION_LOCK_KEY: i64 = 0x6176_6961_7279_6d67;

/// Every migration of Aviary's schema, oldest first. Never edit a released migration; add one.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_initial_schema::Migration),
            Box::new(m20251125_000002_oauth_grants::Migration),
            Box::new(m20251125_000003_api_keys::Migration),
            Box::new(m20251125_000004_admins_sessions::Migration),
            Box::new(m20251126_000005_run_warnings::Migration),
            Box::new(m20251126_000006_account_sort_indexes::Migration),
            Box::new(m20261206_000007_presence_and_holds::Migration),
            Box::new(m20261206_000008_groups_and_apps::Migration),
            Box::new(m20261206_000009_read_indexes::Migration),
            Box::new(m20261206_000010_lean_accounts::Migration),
            Box::new(m20261206_000011_lean_search::Migration),
            Box::new(m20261206_000012_lean_departments::Migration),
            Box::new(m20261206_000014_api_key_scopes::Migration),
            Box::new(m20261207_000015_primary_key_record::Migration),
            Box::new(m20261207_000016_refresh_claims::Migration),
            Box::new(m20261207_000017_whole_id_search::Migration),
        ]
    }
}

impl Migrator {
    /// How many migrations the schema has (what a migrated database has applied).
    pub fn count() -> usize {
        <Self as MigratorTrait>::migrations().len()
    }
}

/// Applies pending migrations in one transaction: on PostgreSQL under an advisory lock, on
/// SQLite under the write lock, so processes starting together migrate once. An upgrade that
/// rewrote the directory's tables compacts them afterwards (`compact.rs`).
pub(crate) async fn apply(shared: &Shared) -> Result<(), DbError> {
    let failed = |err: DbErr| DbError::Migration(err.to_string());
    let txn = shared.begin_write().await.map_err(failed)?;
    crate::connect::without_statement_timeouts(shared, &txn)
        .await
        .map_err(failed)?;
    if shared.backend == Backend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await
        .map_err(failed)?;
    }
    let pending: Vec<String> = Migrator::get_pending_migrations(&txn)
        .await
        .map_err(failed)?
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    Migrator::up(&txn, None).await.map_err(failed)?;
    txn.commit().await.map_err(failed)?;
    if compact::needed(&pending) {
        // The upgrade is committed and complete: a failed compaction only leaves space unused.
        if let Err(err) = compact::compact(shared).await {
            tracing::warn!(
                error = %err,
                "could not compact the database after the storage upgrade; it works as it is, \
                 and the space is reused as it fills (SQLite: run VACUUM when there is room)"
            );
        }
    }
    Ok(())
}
