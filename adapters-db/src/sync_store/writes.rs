//! Fenced batched writes: one transaction per batch that checks the lease, upserts departments,
//! accounts, groups and apps (multi-row), replaces the batch's department memberships, marks
//! removals, and records the changes.

use aviary_domain::model::{ChangeRecord, Department, Presence, UserAccount};
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{Lease, SyncStoreError, WriteBatch};
use aviary_domain::values::{DepartmentId, IntegrationId, OpenId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QuerySelect as _,
};
use uuid::Uuid;

use super::{batch_err, foreign_integration, leases, objects};
use crate::batch::{IDS_PER_STATEMENT, insert_rows, last_wins};
use crate::connect::Shared;
use crate::entities::{account_departments, accounts, changes, departments, sync_runs};
use crate::error::sync_err;
use crate::mapping::{
    ACCOUNT_COLUMNS, CHANGE_COLUMNS, DEPARTMENT_COLUMNS, StoredRaw, account_update_columns,
    account_values, change_values, department_update_columns, department_values, micros,
};
use crate::raw_json;

/// Writes the whole batch in one transaction after checking the lease; on any error nothing
/// is written.
pub(super) async fn write(
    shared: &Shared,
    lease: &Lease,
    batch: &WriteBatch,
    now: DateTime<Utc>,
) -> Result<(), SyncStoreError> {
    check_batch(lease, batch)?;
    let integration = lease.integration_id;
    let (departments, accounts) = compress(shared, integration, batch).await?;
    let txn = shared
        .begin_write()
        .await
        .map_err(sync_err("starting a transaction"))?;
    leases::check(shared, &txn, lease, Some(now)).await?;
    upsert_departments(shared, &txn, &departments).await?;
    upsert_accounts(shared, &txn, integration, &accounts).await?;
    mark_removed(
        &txn,
        integration,
        &batch.removed_accounts,
        &batch.removed_departments,
        now,
    )
    .await?;
    objects::upsert(shared, &txn, &batch.groups, &batch.apps).await?;
    objects::mark_removed(
        &txn,
        integration,
        &batch.removed_groups,
        &batch.removed_apps,
        now,
    )
    .await?;
    check_change_runs(&txn, integration, &batch.changes).await?;
    let changes: Vec<_> = batch.changes.iter().collect();
    insert_rows(
        &txn,
        shared.backend,
        changes::Entity,
        &CHANGE_COLUMNS,
        &changes,
        change_values,
        None,
    )
    .await
    .map_err(batch_err("recording changes"))?;
    txn.commit().await.map_err(sync_err("committing the batch"))
}

/// The batch's departments and accounts (the last version of each) with their raw JSON
/// compressed. Done before the transaction: training and storing a dictionary must not hold
/// SQLite's write lock, and on PostgreSQL a stored one serves the batches running beside.
async fn compress<'a>(
    shared: &Shared,
    integration: IntegrationId,
    batch: &'a WriteBatch,
) -> Result<Compressed<'a>, SyncStoreError> {
    let failed = batch_err("compressing raw JSON");
    let accounts = last_wins(&batch.accounts, |a| a.state.profile.open_id.as_str());
    let raws =
        raw_json::compress_accounts(&shared.dictionaries, &shared.conn, integration, &accounts)
            .await
            .map_err(&failed)?;
    let accounts = accounts.into_iter().zip(raws).collect();
    let departments = last_wins(&batch.departments, |d| d.state.open_department_id.as_str());
    let raws = raw_json::compress_departments(&departments).map_err(|err| failed(err.into()))?;
    let departments = departments.into_iter().zip(raws).collect();
    Ok((departments, accounts))
}

/// A batch's departments and accounts, each with its compressed raw JSON.
type Compressed<'a> = (
    Vec<(&'a Department, StoredRaw)>,
    Vec<(&'a UserAccount, StoredRaw)>,
);

async fn upsert_departments(
    shared: &Shared,
    db: &impl ConnectionTrait,
    departments: &[(&Department, StoredRaw)],
) -> Result<(), SyncStoreError> {
    if departments.is_empty() {
        return Ok(());
    }
    let conflict = OnConflict::columns([
        departments::Column::IntegrationId,
        departments::Column::OpenDepartmentId,
    ])
    .update_columns(department_update_columns())
    .to_owned();
    let rows: Vec<&(&Department, StoredRaw)> = departments.iter().collect();
    insert_rows(
        db,
        shared.backend,
        departments::Entity,
        &DEPARTMENT_COLUMNS,
        &rows,
        department_values,
        Some(&conflict),
    )
    .await
    .map_err(batch_err("writing departments"))
}

async fn upsert_accounts(
    shared: &Shared,
    db: &impl ConnectionTrait,
    integration: IntegrationId,
    accounts: &[(&UserAccount, StoredRaw)],
) -> Result<(), SyncStoreError> {
    if accounts.is_empty() {
        return Ok(());
    }
    let backend = shared.backend;
    let conflict = OnConflict::columns([accounts::Column::IntegrationId, accounts::Column::OpenId])
        .update_columns(account_update_columns())
        .to_owned();
    let refs: Vec<&(&UserAccount, StoredRaw)> = accounts.iter().collect();
    insert_rows(
        db,
        backend,
        accounts::Entity,
        &ACCOUNT_COLUMNS,
        &refs,
        account_values,
        Some(&conflict),
    )
    .await
    .map_err(batch_err("writing accounts"))?;

    // Department memberships: replace those of the accounts in this batch only.
    let rows: Vec<&UserAccount> = accounts.iter().map(|(account, _)| *account).collect();
    for chunk in rows.chunks(IDS_PER_STATEMENT) {
        account_departments::Entity::delete_many()
            .filter(account_departments::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(
                account_departments::Column::OpenId
                    .is_in(chunk.iter().map(|a| a.state.profile.open_id.as_str())),
            )
            .exec(db)
            .await
            .map_err(sync_err("replacing department memberships"))?;
    }
    let memberships: Vec<(&str, &str)> = rows
        .iter()
        .flat_map(|account| {
            let profile = &account.state.profile;
            let mut ids: Vec<&str> = profile
                .department_ids
                .iter()
                .map(DepartmentId::as_str)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.into_iter()
                .map(|department| (profile.open_id.as_str(), department))
        })
        .collect();
    let membership_refs: Vec<&(&str, &str)> = memberships.iter().collect();
    let uuid = integration.as_uuid();
    insert_rows(
        db,
        backend,
        account_departments::Entity,
        &[
            account_departments::Column::IntegrationId,
            account_departments::Column::OpenId,
            account_departments::Column::DepartmentId,
        ],
        &membership_refs,
        |(open_id, department)| {
            Ok(vec![
                Expr::val(uuid),
                Expr::val(*open_id),
                Expr::val(*department),
            ])
        },
        None,
    )
    .await
    .map_err(batch_err("writing department memberships"))
}

/// Every change must belong to a begun run of the integration (checked here rather than by a
/// per-row foreign key, see the migration).
async fn check_change_runs(
    db: &impl ConnectionTrait,
    integration: IntegrationId,
    changes: &[ChangeRecord],
) -> Result<(), SyncStoreError> {
    let mut wanted: Vec<Uuid> = changes.iter().map(|c| c.run_id.as_uuid()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(());
    }
    let found: Vec<Uuid> = sync_runs::Entity::find()
        .select_only()
        .column(sync_runs::Column::Id)
        .filter(sync_runs::Column::IntegrationId.eq(integration.as_uuid()))
        .filter(sync_runs::Column::Id.is_in(wanted.iter().copied()))
        .into_tuple()
        .all(db)
        .await
        .map_err(sync_err("checking the changes' runs"))?;
    match wanted.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(SyncStoreError::Backend(StoreFault::failed(format!(
            "the batch records changes of run {missing}, which was not begun for integration {integration}; \
             nothing was written"
        )))),
        None => Ok(()),
    }
}

/// Marks accounts and departments no longer present: `removed_at = now` and the presence
/// (`removed` or `out_of_range`) each was given. Rows already not present are left as they are.
async fn mark_removed(
    db: &impl ConnectionTrait,
    integration: IntegrationId,
    accounts: &[(OpenId, Presence)],
    departments: &[(DepartmentId, Presence)],
    now: DateTime<Utc>,
) -> Result<(), SyncStoreError> {
    let at = micros(now);
    for why in [Presence::Removed, Presence::OutOfRange] {
        let ids: Vec<&str> = accounts
            .iter()
            .filter(|(_, w)| *w == why)
            .map(|(id, _)| id.as_str())
            .collect();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            accounts::Entity::update_many()
                .col_expr(accounts::Column::RemovedAt, Expr::val(at))
                .col_expr(accounts::Column::Presence, Expr::val(why.as_str()))
                .filter(accounts::Column::IntegrationId.eq(integration.as_uuid()))
                .filter(accounts::Column::OpenId.is_in(chunk.iter().copied()))
                .filter(accounts::Column::RemovedAt.is_null())
                .exec(db)
                .await
                .map_err(sync_err("marking accounts removed"))?;
        }
        let ids: Vec<&str> = departments
            .iter()
            .filter(|(_, w)| *w == why)
            .map(|(id, _)| id.as_str())
            .collect();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            departments::Entity::update_many()
                .col_expr(departments::Column::RemovedAt, Expr::val(at))
                .col_expr(departments::Column::Presence, Expr::val(why.as_str()))
                .filter(departments::Column::IntegrationId.eq(integration.as_uuid()))
                .filter(departments::Column::OpenDepartmentId.is_in(chunk.iter().copied()))
                .filter(departments::Column::RemovedAt.is_null())
                .exec(db)
                .await
                .map_err(sync_err("marking departments removed"))?;
        }
    }
    Ok(())
}

fn check_batch(lease: &Lease, batch: &WriteBatch) -> Result<(), SyncStoreError> {
    let ours = lease.integration_id;
    if batch.accounts.iter().any(|a| a.integration_id != ours) {
        return Err(foreign_integration("accounts", lease));
    }
    if batch.departments.iter().any(|d| d.integration_id != ours) {
        return Err(foreign_integration("departments", lease));
    }
    if batch.groups.iter().any(|g| g.integration_id != ours) {
        return Err(foreign_integration("user groups", lease));
    }
    if batch.apps.iter().any(|a| a.integration_id != ours) {
        return Err(foreign_integration("apps", lease));
    }
    if batch.changes.iter().any(|c| c.integration_id != ours) {
        return Err(foreign_integration("changes", lease));
    }
    Ok(())
}
