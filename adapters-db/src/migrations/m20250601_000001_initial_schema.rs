//! The initial schema: integrations, leases, runs, accounts, account departments, departments
//! and changes. Timestamps are `BIGINT` microseconds since the Unix epoch (UTC).
//!
//! Foreign keys (`ON DELETE CASCADE`) tie the small tables (`sync_leases`, `sync_runs`) to
//! `integrations`. The bulk tables (`accounts`, `account_departments`, `departments`, `changes`)
//! have none: a per-row foreign-key check nearly doubled the cost of a sync's batched writes.
//! Their integrity is kept by the only code that writes them: `write_batch` checks that every
//! row belongs to the leased integration and that every change's run exists, and deleting an
//! integration deletes their rows in the same transaction.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, binary, boolean, string_len, string_len_null, text,
    text_null, uuid,
};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Integrations {
    Table,
    Id,
    Label,
    Region,
    BaseUrl,
    AppId,
    AppSecretCiphertext,
    AppSecretNonce,
    AppSecretKeyId,
    Status,
    TenantName,
    TenantKey,
    AuthorizedBy,
    SyncIntervalMinutes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SyncLeases {
    Table,
    IntegrationId,
    Owner,
    Token,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    IntegrationId,
    Trigger,
    Status,
    StartedAt,
    FinishedAt,
    UsersAdded,
    UsersChanged,
    UsersRemoved,
    UsersRestored,
    UsersUnchanged,
    DepartmentsAdded,
    DepartmentsChanged,
    DepartmentsRemoved,
    DepartmentsRestored,
    DepartmentsUnchanged,
    ApiCalls,
    ApiRetries,
    ApiRateLimitWaits,
    Error,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    IntegrationId,
    OpenId,
    UnionId,
    UserId,
    Name,
    EnName,
    Email,
    EnterpriseEmail,
    Mobile,
    EmployeeNo,
    Status,
    IsTenantAdmin,
    IsDepartmentLeader,
    PrimaryDepartmentId,
    Designation,
    StateJson,
    RawJson,
    ContentHash,
    FirstSeenAt,
    LastChangedAt,
    RemovedAt,
}

#[derive(DeriveIden)]
enum AccountDepartments {
    Table,
    IntegrationId,
    OpenId,
    DepartmentId,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    IntegrationId,
    OpenDepartmentId,
    DepartmentId,
    Name,
    ParentId,
    StateJson,
    RawJson,
    ContentHash,
    FirstSeenAt,
    LastChangedAt,
    RemovedAt,
}

#[derive(DeriveIden)]
enum Changes {
    Table,
    Id,
    RunId,
    IntegrationId,
    SubjectType,
    SubjectId,
    Kind,
    FieldsJson,
    RecordedAt,
}

/// Lark ids are at most 128 bytes. On PostgreSQL they compare byte-wise (`COLLATE "C"`), like
/// SQLite's default, so keyset pagination orders the same on both backends (and faster).
fn lark_id<T: IntoIden>(backend: DbBackend, col: T) -> ColumnDef {
    let mut def = string_len(col, 128);
    if backend == DbBackend::Postgres {
        def.extra("COLLATE \"C\"");
    }
    def
}

/// Creates a table whose rows are small and wholly keyed by its primary key: on SQLite as a
/// `WITHOUT ROWID` table (one B-tree instead of a rowid table plus a primary-key index).
async fn create_without_rowid(
    manager: &SchemaManager<'_>,
    table: &TableCreateStatement,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let mut sql = backend.build(table).sql;
    if backend == DbBackend::Sqlite {
        sql.push_str(" WITHOUT ROWID");
    }
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}

fn cascade_to_integration<T: IntoIden>(name: &str, table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Integrations::Table, Integrations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Integrations::Table)
                    .if_not_exists()
                    .col(uuid(Integrations::Id).primary_key())
                    .col(string_len(Integrations::Label, 255))
                    .col(string_len(Integrations::Region, 32))
                    .col(text_null(Integrations::BaseUrl))
                    .col(string_len(Integrations::AppId, 128))
                    .col(binary(Integrations::AppSecretCiphertext))
                    .col(binary(Integrations::AppSecretNonce))
                    .col(string_len(Integrations::AppSecretKeyId, 64))
                    .col(string_len(Integrations::Status, 32))
                    .col(text_null(Integrations::TenantName))
                    .col(text_null(Integrations::TenantKey))
                    .col(text_null(Integrations::AuthorizedBy))
                    .col(big_integer_null(Integrations::SyncIntervalMinutes))
                    .col(big_integer(Integrations::CreatedAt))
                    .col(big_integer(Integrations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_integrations_label")
                    .table(Integrations::Table)
                    .col(Integrations::Label)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncLeases::Table)
                    .if_not_exists()
                    .col(uuid(SyncLeases::IntegrationId).primary_key())
                    .col(text(SyncLeases::Owner))
                    .col(big_integer(SyncLeases::Token))
                    .col(big_integer(SyncLeases::ExpiresAt))
                    .foreign_key(&mut cascade_to_integration(
                        "fk_sync_leases_integration",
                        SyncLeases::Table,
                        SyncLeases::IntegrationId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .if_not_exists()
                    .col(uuid(SyncRuns::Id).primary_key())
                    .col(uuid(SyncRuns::IntegrationId))
                    .col(string_len(SyncRuns::Trigger, 32))
                    .col(string_len(SyncRuns::Status, 32))
                    .col(big_integer(SyncRuns::StartedAt))
                    .col(big_integer_null(SyncRuns::FinishedAt))
                    .col(big_integer(SyncRuns::UsersAdded))
                    .col(big_integer(SyncRuns::UsersChanged))
                    .col(big_integer(SyncRuns::UsersRemoved))
                    .col(big_integer(SyncRuns::UsersRestored))
                    .col(big_integer(SyncRuns::UsersUnchanged))
                    .col(big_integer(SyncRuns::DepartmentsAdded))
                    .col(big_integer(SyncRuns::DepartmentsChanged))
                    .col(big_integer(SyncRuns::DepartmentsRemoved))
                    .col(big_integer(SyncRuns::DepartmentsRestored))
                    .col(big_integer(SyncRuns::DepartmentsUnchanged))
                    .col(big_integer(SyncRuns::ApiCalls))
                    .col(big_integer(SyncRuns::ApiRetries))
                    .col(big_integer(SyncRuns::ApiRateLimitWaits))
                    .col(text_null(SyncRuns::Error))
                    .foreign_key(&mut cascade_to_integration(
                        "fk_sync_runs_integration",
                        SyncRuns::Table,
                        SyncRuns::IntegrationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sync_runs_integration_started")
                    .table(SyncRuns::Table)
                    .col(SyncRuns::IntegrationId)
                    .col(SyncRuns::StartedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Departments::Table)
                    .if_not_exists()
                    .col(uuid(Departments::IntegrationId))
                    .col(lark_id(backend, Departments::OpenDepartmentId))
                    .col(text_null(Departments::DepartmentId))
                    .col(text_null(Departments::Name))
                    .col(string_len_null(Departments::ParentId, 128))
                    .col(text(Departments::StateJson))
                    .col(text(Departments::RawJson))
                    .col(string_len(Departments::ContentHash, 64))
                    .col(big_integer(Departments::FirstSeenAt))
                    .col(big_integer(Departments::LastChangedAt))
                    .col(big_integer_null(Departments::RemovedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_departments")
                            .col(Departments::IntegrationId)
                            .col(Departments::OpenDepartmentId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .if_not_exists()
                    .col(uuid(Accounts::IntegrationId))
                    .col(lark_id(backend, Accounts::OpenId))
                    .col(text_null(Accounts::UnionId))
                    .col(text_null(Accounts::UserId))
                    .col(text_null(Accounts::Name))
                    .col(text_null(Accounts::EnName))
                    .col(text_null(Accounts::Email))
                    .col(text_null(Accounts::EnterpriseEmail))
                    .col(text_null(Accounts::Mobile))
                    .col(text_null(Accounts::EmployeeNo))
                    .col(string_len(Accounts::Status, 32))
                    .col(boolean(Accounts::IsTenantAdmin))
                    .col(boolean(Accounts::IsDepartmentLeader))
                    .col(string_len_null(Accounts::PrimaryDepartmentId, 128))
                    .col(text_null(Accounts::Designation))
                    .col(text(Accounts::StateJson))
                    .col(text(Accounts::RawJson))
                    .col(string_len(Accounts::ContentHash, 64))
                    .col(big_integer(Accounts::FirstSeenAt))
                    .col(big_integer(Accounts::LastChangedAt))
                    .col(big_integer_null(Accounts::RemovedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_accounts")
                            .col(Accounts::IntegrationId)
                            .col(Accounts::OpenId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_accounts_integration_status")
                    .table(Accounts::Table)
                    .col(Accounts::IntegrationId)
                    .col(Accounts::Status)
                    .col(Accounts::OpenId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        let mut memberships = Table::create();
        memberships
            .table(AccountDepartments::Table)
            .if_not_exists()
            .col(uuid(AccountDepartments::IntegrationId))
            .col(lark_id(backend, AccountDepartments::OpenId))
            .col(lark_id(backend, AccountDepartments::DepartmentId))
            .primary_key(
                Index::create()
                    .name("pk_account_departments")
                    .col(AccountDepartments::IntegrationId)
                    .col(AccountDepartments::OpenId)
                    .col(AccountDepartments::DepartmentId),
            );
        create_without_rowid(manager, &memberships).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_departments_department")
                    .table(AccountDepartments::Table)
                    .col(AccountDepartments::IntegrationId)
                    .col(AccountDepartments::DepartmentId)
                    .col(AccountDepartments::OpenId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Changes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Changes::Id))
                    .col(uuid(Changes::RunId))
                    .col(uuid(Changes::IntegrationId))
                    .col(string_len(Changes::SubjectType, 16))
                    .col(lark_id(backend, Changes::SubjectId))
                    .col(string_len(Changes::Kind, 16))
                    .col(text(Changes::FieldsJson))
                    .col(big_integer(Changes::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_changes_run")
                    .table(Changes::Table)
                    .col(Changes::RunId)
                    .col(Changes::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_changes_subject")
                    .table(Changes::Table)
                    .col(Changes::IntegrationId)
                    .col(Changes::SubjectType)
                    .col(Changes::SubjectId)
                    .col(Changes::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Changes::Table.into_iden(),
            AccountDepartments::Table.into_iden(),
            Accounts::Table.into_iden(),
            Departments::Table.into_iden(),
            SyncRuns::Table.into_iden(),
            SyncLeases::Table.into_iden(),
            Integrations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
