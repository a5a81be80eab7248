//! Presence and holds. An account or department that is no longer present is either `removed`
//! (gone from the tenant) or `out_of_range` (outside the app's contact range): `presence` says
//! which (`present` while `removed_at` is NULL; rows removed before this column existed become
//! `removed`). Runs count out-of-range records, a held run keeps what it held (`hold_json`, and
//! every record concerned in `held_subjects`), and a run that confirms a held one names it and
//! who confirmed.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len, text_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Presence,
    RemovedAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Presence,
    RemovedAt,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    UsersOutOfRange,
    DepartmentsOutOfRange,
    HoldJson,
    ConfirmsRunId,
    ConfirmedBy,
}

#[derive(DeriveIden)]
enum HeldSubjects {
    Table,
    RunId,
    SubjectType,
    SubjectId,
    Outcome,
}

/// One column added per statement: SQLite takes one alteration at a time.
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + 'static,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

fn present_by_default<T: IntoIden>(col: T) -> ColumnDef {
    let mut def = string_len(col, 16);
    def.default("present");
    def
}

fn zero<T: IntoIden>(col: T) -> ColumnDef {
    let mut def = big_integer(col);
    def.default(0);
    def
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        add_column(
            manager,
            Accounts::Table,
            present_by_default(Accounts::Presence),
        )
        .await?;
        add_column(
            manager,
            Departments::Table,
            present_by_default(Departments::Presence),
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Accounts::Table)
                    .value(Accounts::Presence, "removed")
                    .and_where(Expr::col(Accounts::RemovedAt).is_not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Departments::Table)
                    .value(Departments::Presence, "removed")
                    .and_where(Expr::col(Departments::RemovedAt).is_not_null())
                    .to_owned(),
            )
            .await?;
        add_column(manager, SyncRuns::Table, zero(SyncRuns::UsersOutOfRange)).await?;
        add_column(
            manager,
            SyncRuns::Table,
            zero(SyncRuns::DepartmentsOutOfRange),
        )
        .await?;
        add_column(manager, SyncRuns::Table, text_null(SyncRuns::HoldJson)).await?;
        add_column(manager, SyncRuns::Table, uuid_null(SyncRuns::ConfirmsRunId)).await?;
        add_column(manager, SyncRuns::Table, text_null(SyncRuns::ConfirmedBy)).await?;

        let mut subject_id = string_len(HeldSubjects::SubjectId, 128);
        if backend == DbBackend::Postgres {
            subject_id.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table(HeldSubjects::Table)
                    .if_not_exists()
                    .col(uuid(HeldSubjects::RunId))
                    .col(string_len(HeldSubjects::SubjectType, 16))
                    .col(subject_id)
                    .col(string_len(HeldSubjects::Outcome, 16))
                    .primary_key(
                        Index::create()
                            .name("pk_held_subjects")
                            .col(HeldSubjects::RunId)
                            .col(HeldSubjects::SubjectType)
                            .col(HeldSubjects::SubjectId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_held_subjects_run")
                            .from(HeldSubjects::Table, HeldSubjects::RunId)
                            .to(SyncRuns::Table, SyncRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HeldSubjects::Table).to_owned())
            .await?;
        for column in [
            SyncRuns::ConfirmedBy,
            SyncRuns::ConfirmsRunId,
            SyncRuns::HoldJson,
            SyncRuns::DepartmentsOutOfRange,
            SyncRuns::UsersOutOfRange,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SyncRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Departments::Table)
                    .drop_column(Departments::Presence)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::Presence)
                    .to_owned(),
            )
            .await
    }
}
