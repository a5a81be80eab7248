//! `account_departments`: which departments an account belongs to, for department filters.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_departments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub integration_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub open_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
