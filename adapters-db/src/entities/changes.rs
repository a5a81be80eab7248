//! `changes`: the recorded history, one row per added/changed/removed/restored record per run.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "changes")]
pub struct Model {
    /// Increases in recording order; orders a run's changes and an account's history.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: Uuid,
    pub integration_id: Uuid,
    /// `account` or `department`.
    pub subject_type: String,
    pub subject_id: String,
    pub kind: String,
    /// The field changes as a JSON array of `{field, old, new}`.
    #[sea_orm(column_type = "Text")]
    pub fields_json: String,
    pub recorded_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
