//! Indexes that keep reads fast at 100k accounts:
//!
//! - `ix_accounts_current_status (integration_id, removed_at, status, open_id)`: the current
//!   accounts per status (`account_status_counts`, every status page and the overview) are
//!   counted from this index alone instead of reading every account row, and the current
//!   accounts' ids (`memberships`) are read from it too.
//! - A search index over the nine columns the account search looks in (`FIRST_HAYSTACK`, the
//!   columns joined by U+001F, which nobody types): on SQLite the FTS5 table `accounts_search`
//!   (trigram tokenizer, contentless, its rowid the account row's rowid), kept by triggers on
//!   `accounts`; on PostgreSQL a `pg_trgm` GIN index on the lowercased haystack, when the
//!   extension can be created (it ships with PostgreSQL and is trusted, so a database owner may
//!   create it). Without it the search works as before, by scanning. The index only finds
//!   candidates: the search still checks each column itself, so results are exactly those of a
//!   scan.
//!
//! SQLite's rowid of an `accounts` row stays what it was as long as the row exists (the sync
//! upserts in place); Aviary never runs `VACUUM`, which may renumber rowids — after a manual
//! one, `rebuild_sqlite_search` (migration 17) restores the index.

use sea_orm::{ConnectionTrait as _, DbBackend};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// The searched columns joined, on both backends (PostgreSQL indexes it lowercased). Migration
/// 17 replaced it with `SEARCH_HAYSTACK` (open and union ids match whole, outside the index).
pub(super) const FIRST_HAYSTACK: &str = "COALESCE(name, '') || CHR(31) || COALESCE(en_name, '') \
     || CHR(31) || COALESCE(email, '') || CHR(31) || COALESCE(enterprise_email, '') \
     || CHR(31) || COALESCE(mobile, '') || CHR(31) || open_id || CHR(31) \
     || COALESCE(union_id, '') || CHR(31) || COALESCE(user_id, '') || CHR(31) \
     || COALESCE(employee_no, '')";

/// The columns `FIRST_HAYSTACK` joins, whose updates its trigger follows.
pub(super) const FIRST_COLUMNS: &str =
    "name, en_name, email, enterprise_email, mobile, open_id, union_id, user_id, employee_no";

/// `haystack` (a PostgreSQL expression over bare column names that contains no bare `open_id`
/// other than `|| open_id ||`) on SQLite for the account row `row`: SQLite spells `CHR` `char`.
fn sqlite_haystack(haystack: &str, row: &str) -> String {
    haystack
        .replace("CHR(31)", "char(31)")
        .replace("COALESCE(", &format!("COALESCE({row}."))
        .replace("|| open_id ||", &format!("|| {row}.open_id ||"))
}

/// (Re)fills SQLite's search index from the account rows with `haystack`.
pub(super) fn rebuild_sqlite_search_with(haystack: &str) -> String {
    format!(
        "DELETE FROM accounts_search; \
         INSERT INTO accounts_search (rowid, haystack) SELECT a.rowid, {} FROM accounts a",
        sqlite_haystack(haystack, "a")
    )
}

/// The triggers that keep SQLite's search index: each account row's `haystack`, redone when
/// one of `columns` changes.
pub(super) fn sqlite_search_triggers(haystack: &str, columns: &str) -> String {
    let (new, old) = (sqlite_haystack(haystack, "new"), "old.rowid");
    format!(
        "CREATE TRIGGER IF NOT EXISTS accounts_search_insert AFTER INSERT ON accounts BEGIN \
         INSERT INTO accounts_search (rowid, haystack) VALUES (new.rowid, {new}); END; \
         CREATE TRIGGER IF NOT EXISTS accounts_search_update AFTER UPDATE OF {columns} \
         ON accounts BEGIN \
         DELETE FROM accounts_search WHERE rowid = {old}; \
         INSERT INTO accounts_search (rowid, haystack) VALUES (new.rowid, {new}); END; \
         CREATE TRIGGER IF NOT EXISTS accounts_search_delete AFTER DELETE ON accounts BEGIN \
         DELETE FROM accounts_search WHERE rowid = {old}; END;"
    )
}

/// PostgreSQL's trigram index `ix_accounts_search` on the lowercased `haystack`, when
/// `pg_trgm` is there.
pub(super) fn postgres_search_index(haystack: &str) -> String {
    format!(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') \
         THEN EXECUTE 'CREATE INDEX IF NOT EXISTS ix_accounts_search ON accounts \
         USING gin ((LOWER({})) gin_trgm_ops)'; END IF; END $$",
        haystack.replace('\'', "''")
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        connection
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_accounts_current_status \
                 ON accounts (integration_id, removed_at, status, open_id)",
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // A failed CREATE EXTENSION (not installed, no privilege) must not abort the
            // migration's transaction: the plpgsql block catches it.
            connection
                .execute_unprepared(
                    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; \
                     EXCEPTION WHEN OTHERS THEN \
                     RAISE NOTICE 'pg_trgm unavailable (%): account search scans', SQLERRM; \
                     END $$",
                )
                .await?;
            connection
                .execute_unprepared(&postgres_search_index(FIRST_HAYSTACK))
                .await?;
            return Ok(());
        }
        connection
            .execute_unprepared(
                "CREATE VIRTUAL TABLE IF NOT EXISTS accounts_search USING fts5(haystack, \
                 tokenize = 'trigram', content = '', contentless_delete = 1)",
            )
            .await?;
        connection
            .execute_unprepared(&sqlite_search_triggers(FIRST_HAYSTACK, FIRST_COLUMNS))
            .await?;
        connection
            .execute_unprepared(&rebuild_sqlite_search_with(FIRST_HAYSTACK))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            connection
                .execute_unprepared("DROP INDEX IF EXISTS ix_accounts_search")
                .await?;
        } else {
            connection
                .execute_unprepared(
                    "DROP TRIGGER IF EXISTS accounts_search_insert; \
                     DROP TRIGGER IF EXISTS accounts_search_update; \
                     DROP TRIGGER IF EXISTS accounts_search_delete; \
                     DROP TABLE IF EXISTS accounts_search;",
                )
                .await?;
        }
        connection
            .execute_unprepared("DROP INDEX IF EXISTS ix_accounts_current_status")
            .await?;
        Ok(())
    }
}
