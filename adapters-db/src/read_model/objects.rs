//! Reading stored user groups and installed apps (`directory_objects`): listings ordered by
//! name (unnamed last, then by id) and single rows.

use aviary_domain::model::{App, Group};
use aviary_domain::ports::QueryError;
use aviary_domain::values::{GroupId, InstalledAppId, IntegrationId};
use sea_orm::sea_query::{Expr, ExprTrait as _, Order};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use crate::connect::Shared;
use crate::entities::directory_objects::{Column, Entity};
use crate::error::query_err;
use crate::mapping::TrackedRow;
use crate::mapping::objects::{KIND_APP, KIND_GROUP, OBJECT_ROW_COLUMNS};

async fn list(
    shared: &Shared,
    integration: IntegrationId,
    kind: &'static str,
    include_removed: bool,
) -> Result<Vec<TrackedRow>, QueryError> {
    let mut select = Entity::find()
        .select_only()
        .columns(OBJECT_ROW_COLUMNS)
        .filter(Column::IntegrationId.eq(integration.as_uuid()))
        .filter(Column::Kind.eq(kind));
    if !include_removed {
        select = select.filter(Column::RemovedAt.is_null());
    }
    select
        .order_by(Expr::col(Column::Name).is_null(), Order::Asc)
        .order_by_asc(Column::Name)
        .order_by_asc(Column::ObjectId)
        .into_model::<TrackedRow>()
        .all(&shared.conn)
        .await
        .map_err(query_err("listing groups or apps"))
}

async fn one(
    shared: &Shared,
    integration: IntegrationId,
    kind: &'static str,
    id: &str,
) -> Result<Option<TrackedRow>, QueryError> {
    Entity::find()
        .select_only()
        .columns(OBJECT_ROW_COLUMNS)
        .filter(Column::IntegrationId.eq(integration.as_uuid()))
        .filter(Column::Kind.eq(kind))
        .filter(Column::ObjectId.eq(id))
        .into_model::<TrackedRow>()
        .one(&shared.conn)
        .await
        .map_err(query_err("reading a group or app"))
}

pub(super) async fn groups(
    shared: &Shared,
    integration: IntegrationId,
    include_removed: bool,
) -> Result<Vec<Group>, QueryError> {
    list(shared, integration, KIND_GROUP, include_removed)
        .await?
        .into_iter()
        .map(|row| row.into_group().map_err(QueryError::from))
        .collect()
}

pub(super) async fn group(
    shared: &Shared,
    integration: IntegrationId,
    id: &GroupId,
) -> Result<Option<Group>, QueryError> {
    let row = one(shared, integration, KIND_GROUP, id.as_str()).await?;
    Ok(row.map(TrackedRow::into_group).transpose()?)
}

pub(super) async fn apps(
    shared: &Shared,
    integration: IntegrationId,
    include_removed: bool,
) -> Result<Vec<App>, QueryError> {
    list(shared, integration, KIND_APP, include_removed)
        .await?
        .into_iter()
        .map(|row| row.into_app().map_err(QueryError::from))
        .collect()
}

pub(super) async fn app(
    shared: &Shared,
    integration: IntegrationId,
    id: &InstalledAppId,
) -> Result<Option<App>, QueryError> {
    let row = one(shared, integration, KIND_APP, id.as_str()).await?;
    Ok(row.map(TrackedRow::into_app).transpose()?)
}
