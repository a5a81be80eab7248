//! `accounts`: one row per user account; `state_json` is the source of truth, the other columns
//! are copies kept for filtering and searching.

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
    pub email: Option<String>,
    pub enterprise_email: Option<String>,
    pub mobile: Option<String>,
    pub employee_no: Option<String>,
    pub status: String,
    pub is_tenant_admin: bool,
    pub is_department_leader: bool,
    pub primary_department_id: Option<String>,
    pub designation: Option<String>,
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
