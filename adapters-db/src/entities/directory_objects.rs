//! `directory_objects`: one row per user group (`kind` `group`, keyed by its `id`) or installed
//! app (`kind` `app`, keyed by its `app_id`); `state_json` is the source of truth.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_objects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    /// `group` or `app`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub object_id: String,
    pub name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub state_json: String,
    #[sea_orm(column_type = "Text")]
    pub raw_json: String,
    pub content_hash: String,
    pub first_seen_at: i64,
    pub last_changed_at: i64,
    pub removed_at: Option<i64>,
    /// `present`, `removed` or `out_of_range`.
    pub presence: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
