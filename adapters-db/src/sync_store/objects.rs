//! User groups and installed apps in the sync store: stored hashes and rows for diffs, upserts
//! and removal marks inside a batch's transaction. Both kinds share `directory_objects`.

use aviary_domain::ports::StoreFault;
use std::collections::HashMap;

use aviary_domain::model::{App, Group, Presence};
use aviary_domain::ports::{StoredHash, SyncStoreError};
use aviary_domain::values::{ContentHash, GroupId, InstalledAppId, IntegrationId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _,
};

use super::batch_err;
use crate::batch::{IDS_PER_STATEMENT, insert_rows, last_wins};
use crate::connect::Shared;
use crate::entities::directory_objects::{Column, Entity};
use crate::error::sync_err;
use crate::mapping::objects::{
    KIND_APP, KIND_GROUP, OBJECT_COLUMNS, OBJECT_ROW_COLUMNS, app_values, group_values,
};
use crate::mapping::{TrackedRow, micros};

/// `id → (hash, removed)` of every stored object of one kind, ids parsed by `parse`.
async fn hashes<K: std::hash::Hash + Eq, E: std::fmt::Display>(
    shared: &Shared,
    integration: IntegrationId,
    kind: &'static str,
    parse: impl Fn(&str) -> Result<K, E>,
) -> Result<HashMap<K, StoredHash>, SyncStoreError> {
    let rows: Vec<(String, String, Option<i64>)> = Entity::find()
        .select_only()
        .column(Column::ObjectId)
        .column(Column::ContentHash)
        .column(Column::RemovedAt)
        .filter(Column::IntegrationId.eq(integration.as_uuid()))
        .filter(Column::Kind.eq(kind))
        .into_tuple()
        .all(&shared.conn)
        .await
        .map_err(sync_err("reading group and app hashes"))?;
    let mut hashes = HashMap::with_capacity(rows.len());
    for (id, hash, removed_at) in rows {
        let id = parse(&id).map_err(|err| {
            SyncStoreError::Backend(StoreFault::failed(format!(
                "stored {kind} id is invalid: {err}"
            )))
        })?;
        hashes.insert(
            id,
            StoredHash {
                hash: ContentHash::from_stored(hash),
                removed: removed_at.is_some(),
            },
        );
    }
    Ok(hashes)
}

pub(super) async fn group_hashes(
    shared: &Shared,
    integration: IntegrationId,
) -> Result<HashMap<GroupId, StoredHash>, SyncStoreError> {
    hashes(shared, integration, KIND_GROUP, GroupId::parse).await
}

pub(super) async fn app_hashes(
    shared: &Shared,
    integration: IntegrationId,
) -> Result<HashMap<InstalledAppId, StoredHash>, SyncStoreError> {
    hashes(shared, integration, KIND_APP, InstalledAppId::parse).await
}

/// The stored rows of one kind among `ids`; unknown ids are skipped.
async fn load(
    shared: &Shared,
    integration: IntegrationId,
    kind: &'static str,
    ids: &[&str],
) -> Result<Vec<TrackedRow>, SyncStoreError> {
    let mut loaded = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows = Entity::find()
            .select_only()
            .columns(OBJECT_ROW_COLUMNS)
            .filter(Column::IntegrationId.eq(integration.as_uuid()))
            .filter(Column::Kind.eq(kind))
            .filter(Column::ObjectId.is_in(chunk.iter().copied()))
            .order_by_asc(Column::ObjectId)
            .into_model::<TrackedRow>()
            .all(&shared.conn)
            .await
            .map_err(sync_err("loading groups and apps"))?;
        loaded.extend(rows);
    }
    Ok(loaded)
}

pub(super) async fn load_groups(
    shared: &Shared,
    integration: IntegrationId,
    ids: &[GroupId],
) -> Result<Vec<Group>, SyncStoreError> {
    let ids: Vec<&str> = ids.iter().map(GroupId::as_str).collect();
    load(shared, integration, KIND_GROUP, &ids)
        .await?
        .into_iter()
        .map(|row| row.into_group().map_err(SyncStoreError::from))
        .collect()
}

pub(super) async fn load_apps(
    shared: &Shared,
    integration: IntegrationId,
    ids: &[InstalledAppId],
) -> Result<Vec<App>, SyncStoreError> {
    let ids: Vec<&str> = ids.iter().map(InstalledAppId::as_str).collect();
    load(shared, integration, KIND_APP, &ids)
        .await?
        .into_iter()
        .map(|row| row.into_app().map_err(SyncStoreError::from))
        .collect()
}

fn conflict() -> OnConflict {
    OnConflict::columns([Column::IntegrationId, Column::Kind, Column::ObjectId])
        .update_columns(OBJECT_COLUMNS[3..].iter().copied())
        .to_owned()
}

/// Inserts or replaces the batch's groups and apps.
pub(super) async fn upsert(
    shared: &Shared,
    db: &impl ConnectionTrait,
    groups: &[Group],
    apps: &[App],
) -> Result<(), SyncStoreError> {
    if !groups.is_empty() {
        let rows = last_wins(groups, |g| g.state.id.as_str());
        insert_rows(
            db,
            shared.backend,
            Entity,
            &OBJECT_COLUMNS,
            &rows,
            group_values,
            Some(&conflict()),
        )
        .await
        .map_err(batch_err("writing user groups"))?;
    }
    if !apps.is_empty() {
        let rows = last_wins(apps, |a| a.state.app_id.as_str());
        insert_rows(
            db,
            shared.backend,
            Entity,
            &OBJECT_COLUMNS,
            &rows,
            app_values,
            Some(&conflict()),
        )
        .await
        .map_err(batch_err("writing installed apps"))?;
    }
    Ok(())
}

/// Marks groups and apps no longer present (rows already not present are left as they are).
pub(super) async fn mark_removed(
    db: &impl ConnectionTrait,
    integration: IntegrationId,
    groups: &[(GroupId, Presence)],
    apps: &[(InstalledAppId, Presence)],
    now: DateTime<Utc>,
) -> Result<(), SyncStoreError> {
    let groups: Vec<(&str, Presence)> = groups.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let apps: Vec<(&str, Presence)> = apps.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    for (kind, marks) in [(KIND_GROUP, groups), (KIND_APP, apps)] {
        for why in [Presence::Removed, Presence::OutOfRange] {
            let ids: Vec<&str> = marks
                .iter()
                .filter(|(_, w)| *w == why)
                .map(|(id, _)| *id)
                .collect();
            for chunk in ids.chunks(IDS_PER_STATEMENT) {
                Entity::update_many()
                    .col_expr(Column::RemovedAt, Expr::val(micros(now)))
                    .col_expr(Column::Presence, Expr::val(why.as_str()))
                    .filter(Column::IntegrationId.eq(integration.as_uuid()))
                    .filter(Column::Kind.eq(kind))
                    .filter(Column::ObjectId.is_in(chunk.iter().copied()))
                    .filter(Column::RemovedAt.is_null())
                    .exec(db)
                    .await
                    .map_err(sync_err("marking groups and apps removed"))?;
            }
        }
    }
    Ok(())
}
