//! Run warnings: `sync_runs.warnings` holds what a run went on despite (e.g. the admin's Lark
//! sign-in no longer works), as a JSON array of plain-words strings; NULL when there were none,
//! as for every run recorded before this column existed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Warnings,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SyncRuns::Table)
                    .add_column(text_null(SyncRuns::Warnings))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SyncRuns::Table)
                    .drop_column(SyncRuns::Warnings)
                    .to_owned(),
            )
            .await
    }
}
