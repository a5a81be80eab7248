//! What a sync reads before writing: stored hashes (only the needed columns) and stored rows
//! for diffs.

use aviary_domain::ports::StoreFault;
use std::collections::HashMap;

use aviary_domain::model::{Department, UserAccount};
use aviary_domain::ports::{StoredHash, SyncStoreError};
use aviary_domain::values::{ContentHash, DepartmentId, IntegrationId, OpenId};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use super::batch_err;
use crate::batch::IDS_PER_STATEMENT;
use crate::connect::Shared;
use crate::entities::{accounts, departments};
use crate::error::sync_err;
use crate::mapping::{ACCOUNT_COLUMNS, AccountRow, DEPARTMENT_COLUMNS, DepartmentRow};
use crate::raw_json;

/// `open_id → (hash, removed)` of every stored account, reading just those three columns.
pub(super) async fn account_hashes(
    shared: &Shared,
    integration: IntegrationId,
) -> Result<HashMap<OpenId, StoredHash>, SyncStoreError> {
    let rows: Vec<(String, String, Option<i64>)> = accounts::Entity::find()
        .select_only()
        .column(accounts::Column::OpenId)
        .column(accounts::Column::ContentHash)
        .column(accounts::Column::RemovedAt)
        .filter(accounts::Column::IntegrationId.eq(integration.as_uuid()))
        .into_tuple()
        .all(&shared.conn)
        .await
        .map_err(sync_err("reading account hashes"))?;
    let mut hashes = HashMap::with_capacity(rows.len());
    for (open_id, hash, removed_at) in rows {
        let open_id = OpenId::parse(&open_id).map_err(|err| {
            SyncStoreError::Backend(StoreFault::failed(format!(
                "stored account id is invalid: {err}"
            )))
        })?;
        hashes.insert(
            open_id,
            StoredHash {
                hash: ContentHash::from_stored(hash),
                removed: removed_at.is_some(),
            },
        );
    }
    Ok(hashes)
}

/// `open_department_id → (hash, removed)` of every stored department.
pub(super) async fn department_hashes(
    shared: &Shared,
    integration: IntegrationId,
) -> Result<HashMap<DepartmentId, StoredHash>, SyncStoreError> {
    let rows: Vec<(String, String, Option<i64>)> = departments::Entity::find()
        .select_only()
        .column(departments::Column::OpenDepartmentId)
        .column(departments::Column::ContentHash)
        .column(departments::Column::RemovedAt)
        .filter(departments::Column::IntegrationId.eq(integration.as_uuid()))
        .into_tuple()
        .all(&shared.conn)
        .await
        .map_err(sync_err("reading department hashes"))?;
    let mut hashes = HashMap::with_capacity(rows.len());
    for (id, hash, removed_at) in rows {
        let id = DepartmentId::parse(&id).map_err(|err| {
            SyncStoreError::Backend(StoreFault::failed(format!(
                "stored department id is invalid: {err}"
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

/// The stored accounts among `ids`, by `open_id`; unknown ids are skipped.
pub(super) async fn load_accounts(
    shared: &Shared,
    integration: IntegrationId,
    ids: &[OpenId],
) -> Result<Vec<UserAccount>, SyncStoreError> {
    let mut loaded = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows = accounts::Entity::find()
            .select_only()
            .columns(ACCOUNT_COLUMNS)
            .filter(accounts::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(accounts::Column::OpenId.is_in(chunk.iter().map(OpenId::as_str)))
            .order_by_asc(accounts::Column::OpenId)
            .into_model::<AccountRow>()
            .all(&shared.conn)
            .await
            .map_err(sync_err("loading accounts"))?;
        let accounts = raw_json::accounts_with_raw(&shared.dictionaries, &shared.conn, rows)
            .await
            .map_err(batch_err("reading raw JSON"))?;
        loaded.extend(accounts);
    }
    Ok(loaded)
}

/// The stored departments among `ids`; unknown ids are skipped.
pub(super) async fn load_departments(
    shared: &Shared,
    integration: IntegrationId,
    ids: &[DepartmentId],
) -> Result<Vec<Department>, SyncStoreError> {
    let mut loaded = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows = departments::Entity::find()
            .select_only()
            .columns(DEPARTMENT_COLUMNS)
            .filter(departments::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(
                departments::Column::OpenDepartmentId.is_in(chunk.iter().map(DepartmentId::as_str)),
            )
            .order_by_asc(departments::Column::OpenDepartmentId)
            .into_model::<DepartmentRow>()
            .all(&shared.conn)
            .await
            .map_err(sync_err("loading departments"))?;
        for row in rows {
            loaded.push(raw_json::department_with_raw(row)?);
        }
    }
    Ok(loaded)
}
