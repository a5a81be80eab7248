//! `sync_leases`: the one sync lease per integration, with its fencing token.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    pub owner: String,
    /// Increases with every grant; never reset, not even on release.
    pub token: i64,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
