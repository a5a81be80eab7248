//! `api_keys`: API keys for automation, stored as the SHA-256 hex digest of the key only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `avk_` and the first 8 characters of the random part (not secret).
    pub prefix: String,
    /// Lowercase hex SHA-256 of the whole key.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// `read`, `sync` or `manage`.
    pub scope: String,
    /// An admin's email, `cli` for the command line, NULL when not recorded.
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
