//! `accounts`: one row per user account. Every tracked field is a column of its own (lists as
//! JSON arrays, `NULL` when empty); the roles are the two flags; Lark's raw JSON is stored once,
//! zstd-compressed (`raw`, with the dictionary `raw_dictionary_id` names; `raw_json.rs`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub open_id: String,
    pub union_id: Option<String>,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub en_name: Option<String>,
    pub nickname: Option<String>,
    pub email: Option<String>,
    pub enterprise_email: Option<String>,
    pub mobile: Option<String>,
    pub gender: Option<i64>,
    pub status: String,
    /// The `tenant_super_admin` role, i.e. Lark's `is_tenant_manager`.
    pub is_tenant_admin: bool,
    pub is_department_leader: bool,
    /// JSON array of department ids, in Lark's order.
    pub department_ids: Option<String>,
    pub primary_department_id: Option<String>,
    pub designation: Option<String>,
    pub employee_no: Option<String>,
    pub employee_type: Option<i64>,
    pub leader_open_id: Option<String>,
    /// JSON array of open ids.
    pub dotted_line_leader_open_ids: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub work_station: Option<String>,
    pub geo: Option<String>,
    pub join_time: Option<i64>,
    pub avatar_url: Option<String>,
    /// JSON array of withheld field groups.
    pub withheld: Option<String>,
    /// Lark's JSON, zstd-compressed.
    pub raw: Option<Vec<u8>>,
    /// The `raw_dictionaries` row `raw` was compressed with; `NULL`: none.
    pub raw_dictionary_id: Option<i64>,
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
