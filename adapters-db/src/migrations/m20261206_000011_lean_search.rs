//! SQLite's account search index keeps only which accounts hold each trigram (FTS5
//! `detail=none`), not where: ≈ 190 bytes per account instead of ≈ 500. It can no longer match
//! a phrase, so a search asks for all of the text's trigrams (`read_model::search_candidates`),
//! which names a few more candidates; the column conditions narrow them as before, so results
//! stay exactly those of a scan. PostgreSQL's `pg_trgm` index is unchanged.

use sea_orm::{ConnectionTrait as _, DbBackend};
use sea_orm_migration::prelude::*;

use super::m20261206_000009_read_indexes::{FIRST_HAYSTACK, rebuild_sqlite_search_with};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

/// Recreates the search table with `detail` (the triggers of migration 9 name it, not its
/// options, and keep working) and refills it.
async fn recreate(manager: &SchemaManager<'_>, detail: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    let connection = manager.get_connection();
    connection
        .execute_unprepared(&format!(
            "DROP TABLE IF EXISTS accounts_search; \
             CREATE VIRTUAL TABLE accounts_search USING fts5(haystack, tokenize = 'trigram', \
             content = '', contentless_delete = 1, detail = {detail})"
        ))
        .await?;
    connection
        .execute_unprepared(&rebuild_sqlite_search_with(FIRST_HAYSTACK))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, "none").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, "full").await
    }
}
