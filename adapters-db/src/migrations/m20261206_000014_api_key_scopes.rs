//! API key scopes, expiry and creators: `api_keys.scope` (`read`, `sync` or `manage`),
//! `expires_at` (microseconds, NULL: never) and `created_by` (an admin's email, `cli` for the
//! command line, NULL for keys created before it was recorded). Keys created before scopes
//! existed could do everything, and keep `manage` so automation does not break on upgrade;
//! docs/security.md tells operators to replace them with narrower ones.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, string_len, text_null};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Scope,
    ExpiresAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            string_len(ApiKeys::Scope, 16).default("manage").to_owned(),
            big_integer_null(ApiKeys::ExpiresAt),
            text_null(ApiKeys::CreatedBy),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ApiKeys::CreatedBy, ApiKeys::ExpiresAt, ApiKeys::Scope] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
