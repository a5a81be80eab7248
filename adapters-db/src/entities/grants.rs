//! `grants`: each integration's OAuth grant; the access and refresh tokens are stored
//! together as one encrypted JSON value.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    pub tokens_ciphertext: Vec<u8>,
    pub tokens_nonce: Vec<u8>,
    pub tokens_key_id: String,
    pub access_expires_at: i64,
    pub refresh_expires_at: Option<i64>,
    /// Space-separated, as Lark lists them.
    pub scopes: String,
    pub authorized_open_id: String,
    pub authorized_name: String,
    pub authorized_email: Option<String>,
    pub tenant_key: String,
    pub granted_at: i64,
    /// Bumped on every save; refreshes compare and swap on it.
    pub generation: i64,
    /// The process that claimed refreshing this generation, until `refresh_claim_until`.
    pub refresh_claimed_by: Option<String>,
    pub refresh_claim_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
