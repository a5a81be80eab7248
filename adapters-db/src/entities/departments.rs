//! `departments`: one row per department. Every tracked field is a column of its own (lists as
//! JSON arrays, `NULL` when empty); Lark's raw JSON is stored once, zstd-compressed (`raw`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub open_department_id: String,
    pub department_id: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub parent_id: Option<String>,
    pub leader_open_id: Option<String>,
    /// JSON array of open ids.
    pub leader_open_ids: Option<String>,
    pub member_count: Option<i64>,
    /// Lark's `order` (a keyword in SQL).
    pub sort_order: Option<i64>,
    /// JSON array of withheld field groups.
    pub withheld: Option<String>,
    /// Lark's JSON, zstd-compressed (departments are few: no dictionary).
    pub raw: Option<Vec<u8>>,
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
