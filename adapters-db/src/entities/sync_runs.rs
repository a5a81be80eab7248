//! `sync_runs`: one row per synchronisation, with counts and API statistics as columns.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    pub trigger: String,
    pub status: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub users_added: i64,
    pub users_changed: i64,
    pub users_removed: i64,
    pub users_restored: i64,
    pub users_unchanged: i64,
    pub departments_added: i64,
    pub departments_changed: i64,
    pub departments_removed: i64,
    pub departments_restored: i64,
    pub departments_unchanged: i64,
    pub api_calls: i64,
    pub api_retries: i64,
    pub api_rate_limit_waits: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// A JSON array of plain-words warnings; NULL when there were none.
    #[sea_orm(column_type = "Text", nullable)]
    pub warnings: Option<String>,
    pub users_out_of_range: i64,
    pub departments_out_of_range: i64,
    /// A held run's `Hold` as JSON; NULL for every other run.
    #[sea_orm(column_type = "Text", nullable)]
    pub hold_json: Option<String>,
    /// The held run this run confirmed, and who confirmed it.
    pub confirms_run_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub confirmed_by: Option<String>,
    /// Group and app counts as JSON (`{"groups": …, "apps": …}`); NULL before they existed.
    #[sea_orm(column_type = "Text", nullable)]
    pub object_counts_json: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
