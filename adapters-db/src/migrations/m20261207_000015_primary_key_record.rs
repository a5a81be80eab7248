//! `master_key_state`: one row naming the master key that encrypts (`primary_key_id`), written
//! by a rotation in the transaction that re-encrypts, so every process sharing the database
//! switches to the new key when it commits (adapters-db/src/key_record.rs). No row: no
//! rotation recorded one yet, and each process encrypts with the key it was given.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, string_len};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum MasterKeyState {
    Table,
    Id,
    PrimaryKeyId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MasterKeyState::Table)
                    .col(integer(MasterKeyState::Id).primary_key())
                    .col(string_len(MasterKeyState::PrimaryKeyId, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MasterKeyState::Table).to_owned())
            .await
    }
}
