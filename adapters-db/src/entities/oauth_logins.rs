//! `oauth_logins`: logins in progress, keyed by their single-use `state`; the PKCE verifier
//! is stored encrypted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_logins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    pub integration_id: Uuid,
    pub started_by: String,
    pub verifier_ciphertext: Vec<u8>,
    pub verifier_nonce: Vec<u8>,
    pub verifier_key_id: String,
    pub redirect_uri: String,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
