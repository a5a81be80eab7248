//! The account search matches open and union ids whole instead of by any part of them.
//!
//! They are opaque: `ou_` or `on_` and 32 hex digits. A part of one names nothing a person
//! means, and it matched at random: of 20,000 accounts with random ids, a search for `7731` (an
//! employee number's digits) also listed 25 accounts, one for `dee` (part of a name) 307.
//! They were also the most expensive part of the search index: a random hex string brings
//! about 34 trigrams few other accounts share. Loading 20,000 accounts into PostgreSQL in
//! batches of 500 cost 1.15 s of index work with them and 0.57 s without, the union-id index
//! included; a first sync of 100k accounts took 10.0 s instead of 12.5 (`docs/benchmarks.md`).
//!
//! So the index (`ix_accounts_search` on PostgreSQL, SQLite's `accounts_search` and its
//! triggers) is rebuilt over the seven other columns (`SEARCH_HAYSTACK`), and the ids are
//! found by equality: the open id through the `(integration_id, open_id)` key, the union id
//! through the new `ix_accounts_union_id (integration_id, union_id)`.

use sea_orm::{ConnectionTrait as _, DbBackend};
use sea_orm_migration::prelude::*;

use super::m20261206_000009_read_indexes::{
    FIRST_COLUMNS, FIRST_HAYSTACK, postgres_search_index, rebuild_sqlite_search_with,
    sqlite_search_triggers,
};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// The columns the search matches by any part, joined by U+001F (which nobody types), on both
/// backends (PostgreSQL indexes it lowercased; SQLite spells `CHR` `char`).
pub(crate) const SEARCH_HAYSTACK: &str = "COALESCE(name, '') || CHR(31) || COALESCE(en_name, '') \
     || CHR(31) || COALESCE(email, '') || CHR(31) || COALESCE(enterprise_email, '') \
     || CHR(31) || COALESCE(mobile, '') || CHR(31) || COALESCE(user_id, '') || CHR(31) \
     || COALESCE(employee_no, '')";

/// The columns `SEARCH_HAYSTACK` joins, whose updates SQLite's trigger follows.
const SEARCH_COLUMNS: &str = "name, en_name, email, enterprise_email, mobile, user_id, employee_no";

/// (Re)fills SQLite's search index from the account rows (also after a `VACUUM`, which may
/// renumber the rowids it is keyed by).
pub(crate) fn rebuild_sqlite_search() -> String {
    rebuild_sqlite_search_with(SEARCH_HAYSTACK)
}

/// Rebuilds the search index over `haystack` (SQLite's triggers follow `columns`).
async fn rebuild(manager: &SchemaManager<'_>, haystack: &str, columns: &str) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        connection
            .execute_unprepared("DROP INDEX IF EXISTS ix_accounts_search")
            .await?;
        connection
            .execute_unprepared(&postgres_search_index(haystack))
            .await?;
        return Ok(());
    }
    connection
        .execute_unprepared(
            "DROP TRIGGER IF EXISTS accounts_search_insert; \
             DROP TRIGGER IF EXISTS accounts_search_update; \
             DROP TRIGGER IF EXISTS accounts_search_delete;",
        )
        .await?;
    connection
        .execute_unprepared(&sqlite_search_triggers(haystack, columns))
        .await?;
    connection
        .execute_unprepared(&rebuild_sqlite_search_with(haystack))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_accounts_union_id \
                 ON accounts (integration_id, union_id)",
            )
            .await?;
        rebuild(manager, SEARCH_HAYSTACK, SEARCH_COLUMNS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, FIRST_HAYSTACK, FIRST_COLUMNS).await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_accounts_union_id")
            .await?;
        Ok(())
    }
}
