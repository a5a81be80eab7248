//! User groups and installed apps. Both live in one table, `directory_objects`, keyed by
//! (integration, kind, id) with the same tracked columns as departments (`state_json` is the
//! source of truth, `raw_json` Lark's object); their counts per run are one JSON column,
//! `object_counts_json` (`{"groups": …, "apps": …}`), NULL for runs before this migration.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, string_len, text, text_null, uuid};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum DirectoryObjects {
    Table,
    IntegrationId,
    Kind,
    ObjectId,
    Name,
    StateJson,
    RawJson,
    ContentHash,
    FirstSeenAt,
    LastChangedAt,
    RemovedAt,
    Presence,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    ObjectCountsJson,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut object_id = string_len(DirectoryObjects::ObjectId, 128);
        if manager.get_database_backend() == DbBackend::Postgres {
            object_id.extra("COLLATE \"C\"");
        }
        let mut presence = string_len(DirectoryObjects::Presence, 16);
        presence.default("present");
        manager
            .create_table(
                Table::create()
                    .table(DirectoryObjects::Table)
                    .if_not_exists()
                    .col(uuid(DirectoryObjects::IntegrationId))
                    .col(string_len(DirectoryObjects::Kind, 8))
                    .col(object_id)
                    .col(text_null(DirectoryObjects::Name))
                    .col(text(DirectoryObjects::StateJson))
                    .col(text(DirectoryObjects::RawJson))
                    .col(string_len(DirectoryObjects::ContentHash, 64))
                    .col(big_integer(DirectoryObjects::FirstSeenAt))
                    .col(big_integer(DirectoryObjects::LastChangedAt))
                    .col(big_integer_null(DirectoryObjects::RemovedAt))
                    .col(presence)
                    .primary_key(
                        Index::create()
                            .name("pk_directory_objects")
                            .col(DirectoryObjects::IntegrationId)
                            .col(DirectoryObjects::Kind)
                            .col(DirectoryObjects::ObjectId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SyncRuns::Table)
                    .add_column(text_null(SyncRuns::ObjectCountsJson))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SyncRuns::Table)
                    .drop_column(SyncRuns::ObjectCountsJson)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(DirectoryObjects::Table).to_owned())
            .await
    }
}
