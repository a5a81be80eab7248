//! Indexes for sorted account listings: `(integration_id, key, open_id)` for each sort key
//! that no index served yet — name and email (expressions: lowercased, a missing value as
//! `''`, byte-wise on PostgreSQL) and the last change. Sorting by status uses
//! `ix_accounts_integration_status`, by `open_id` the primary key. Each index lets a page be
//! read in order from where its cursor points, so a deep page costs what the first does.
//!
//! The expressions must stay exactly those of `read_model/order.rs`: SQLite uses an
//! expression index only for the same expression.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

const INDEXES: [(&str, &str); 3] = [
    ("ix_accounts_sort_name", "LOWER(COALESCE(name, ''))"),
    (
        "ix_accounts_sort_email",
        "LOWER(COALESCE(email, enterprise_email, ''))",
    ),
    ("ix_accounts_sort_updated", "last_changed_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let connection = manager.get_connection();
        for (name, key) in INDEXES {
            let key = if postgres && key.starts_with("LOWER") {
                format!("({key}) COLLATE \"C\"")
            } else if key.starts_with("LOWER") {
                format!("({key})")
            } else {
                key.to_owned()
            };
            connection
                .execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS {name} ON accounts (integration_id, {key}, open_id)"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        for (name, _) in INDEXES {
            connection
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        Ok(())
    }
}
