//! Refresh claims on `grants`: `refresh_claimed_by` (the process refreshing the grant) and
//! `refresh_claim_until` (microseconds; the claim lapses then, should that process die). A
//! process claims the grant's current generation before spending its single-use refresh token,
//! so that of several processes needing a fresh user token at once only one asks Lark; the
//! others wait for the pair it stores (adapters-db/src/grants.rs, `UserTokens`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, text_null};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Grants {
    Table,
    RefreshClaimedBy,
    RefreshClaimUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            text_null(Grants::RefreshClaimedBy),
            big_integer_null(Grants::RefreshClaimUntil),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Grants::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Grants::RefreshClaimUntil, Grants::RefreshClaimedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Grants::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
