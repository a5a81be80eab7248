//! `integrations`: registered Lark apps, with the app secret encrypted (ciphertext, nonce, key id).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "integrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub label: String,
    pub region: String,
    pub base_url: Option<String>,
    pub app_id: String,
    /// AES-256-GCM ciphertext with its 16-byte tag appended.
    pub app_secret_ciphertext: Vec<u8>,
    /// The 96-bit nonce used for this ciphertext.
    pub app_secret_nonce: Vec<u8>,
    /// Id of the master key that encrypted it.
    pub app_secret_key_id: String,
    pub status: String,
    pub tenant_name: Option<String>,
    pub tenant_key: Option<String>,
    pub authorized_by: Option<String>,
    pub sync_interval_minutes: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
