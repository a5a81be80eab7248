//! Run records: `begin` (marking runs left `running` by a dead process as interrupted, with
//! what they committed: `interrupted.rs`) and
//! `finish` (with what a held run held), both fenced by the lease; `held` reads a held run back
//! for its confirmation, `newest` the newest runs for a scheduled run's due check.

use aviary_domain::model::{EntityCounts, HeldSubject, RunStatus, SyncRun};
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{Lease, StoredHold, SyncStoreError};
use aviary_domain::values::{IntegrationId, RunId};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DatabaseTransaction, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use super::{foreign_integration, leases};
use crate::connect::{Backend, Shared};
use crate::entities::{held_subjects, sync_runs};
use crate::error::sync_err;
use crate::mapping::{held_subject_from_row, held_subject_model, run_active_model, run_from_row};

/// Held subjects inserted per statement (four values each, well under every bind limit).
const HELD_PER_STATEMENT: usize = 1000;

/// A write transaction for `run`, after checking that it belongs to the lease's integration and
/// that the lease is still ours at `at`.
async fn fenced_transaction(
    shared: &Shared,
    lease: &Lease,
    run: &SyncRun,
    at: Option<DateTime<Utc>>,
) -> Result<DatabaseTransaction, SyncStoreError> {
    if run.integration_id != lease.integration_id {
        return Err(foreign_integration("a run", lease));
    }
    let txn = shared
        .begin_write()
        .await
        .map_err(sync_err("starting a transaction"))?;
    leases::check(shared, &txn, lease, at).await?;
    Ok(txn)
}

/// Records `run` as running and marks the integration's other `running` runs failed as
/// interrupted (their process died), in one fenced transaction.
pub(super) async fn begin(
    shared: &Shared,
    lease: &Lease,
    run: &SyncRun,
) -> Result<(), SyncStoreError> {
    let txn = fenced_transaction(shared, lease, run, Some(run.started_at)).await?;
    super::interrupted::mark_interrupted(
        &txn,
        run.integration_id.as_uuid(),
        run.id,
        run.started_at,
    )
    .await?;
    sync_runs::Entity::insert(run_active_model(run))
        .exec_without_returning(&txn)
        .await
        .map_err(sync_err("recording the run"))?;
    txn.commit().await.map_err(sync_err("committing the run"))
}

/// Stores the final state of a begun run and what it held, fenced by the lease (unexpired at
/// `finished_at`).
pub(super) async fn finish(
    shared: &Shared,
    lease: &Lease,
    run: &SyncRun,
    held: &[HeldSubject],
) -> Result<(), SyncStoreError> {
    let txn = fenced_transaction(shared, lease, run, run.finished_at).await?;
    let mut update = run_active_model(run);
    update.id = NotSet;
    update.integration_id = NotSet;
    let result = sync_runs::Entity::update_many()
        .set(update)
        .filter(sync_runs::Column::Id.eq(run.id.as_uuid()))
        .filter(sync_runs::Column::IntegrationId.eq(run.integration_id.as_uuid()))
        .exec(&txn)
        .await
        .map_err(sync_err("storing the run's result"))?;
    if result.rows_affected == 0 {
        return Err(SyncStoreError::Backend(StoreFault::failed(format!(
            "run {} was never begun",
            run.id
        ))));
    }
    for chunk in held.chunks(HELD_PER_STATEMENT) {
        held_subjects::Entity::insert_many(chunk.iter().map(|h| held_subject_model(run.id, h)))
            .exec_without_returning(&txn)
            .await
            .map_err(sync_err("recording what the run held"))?;
    }
    txn.commit()
        .await
        .map_err(sync_err("committing the run's result"))?;
    analyze_after_large_run(shared, run).await;
    Ok(())
}

/// Rows a run must have written for PostgreSQL's planner statistics to be refreshed at once.
const ANALYZE_AFTER_ROWS: u64 = 10_000;

/// On PostgreSQL, after a run that wrote many rows (a first sync), `ANALYZE` the directory's
/// tables: until autovacuum gets to them the planner has no statistics for the new rows and
/// picks index scans that read the whole tenant (measured: 240 ms instead of 0.3 ms for an
/// accounts page). The run is already stored, so a failure is only logged.
async fn analyze_after_large_run(shared: &Shared, run: &SyncRun) {
    if shared.backend != Backend::Postgres {
        return;
    }
    let written = |c: &EntityCounts| c.added + c.changed + c.removed + c.restored + c.out_of_range;
    if written(&run.counts.users) + written(&run.counts.departments) < ANALYZE_AFTER_ROWS {
        return;
    }
    let analyzed = shared
        .conn
        .execute_unprepared("ANALYZE accounts, account_departments, departments, changes")
        .await;
    if let Err(err) = analyzed {
        tracing::warn!(error = %err, run = %run.id, "could not analyze the tables after a large sync");
    }
}

/// A held run of the integration, every record it held, and whether it is the newest run.
pub(super) async fn held(
    shared: &Shared,
    integration: IntegrationId,
    run: RunId,
) -> Result<Option<StoredHold>, SyncStoreError> {
    let row = sync_runs::Entity::find_by_id(run.as_uuid())
        .filter(sync_runs::Column::IntegrationId.eq(integration.as_uuid()))
        .filter(sync_runs::Column::Status.eq(RunStatus::Held.as_str()))
        .one(&shared.conn)
        .await
        .map_err(sync_err("reading the held run"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let run = run_from_row(row).map_err(SyncStoreError::from)?;
    if run.hold.is_none() {
        // Held before holds were recorded: there is no set to confirm.
        return Ok(None);
    }
    let newest: Option<uuid::Uuid> = newest_first(integration.as_uuid())
        .select_only()
        .column(sync_runs::Column::Id)
        .into_tuple()
        .one(&shared.conn)
        .await
        .map_err(sync_err("reading the newest run"))?;
    let subjects = held_subjects::Entity::find()
        .filter(held_subjects::Column::RunId.eq(run.id.as_uuid()))
        .all(&shared.conn)
        .await
        .map_err(sync_err("reading what the run held"))?
        .into_iter()
        .map(held_subject_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(SyncStoreError::from)?;
    Ok(Some(StoredHold {
        newest: newest == Some(run.id.as_uuid()),
        run,
        subjects,
    }))
}

/// The integration's runs, newest first: by start, ties broken by id, so every reader agrees
/// on which run is "the newest" (the schedule, health, holds and retention all ask).
pub(crate) fn newest_first(integration: uuid::Uuid) -> sea_orm::Select<sync_runs::Entity> {
    sync_runs::Entity::find()
        .filter(sync_runs::Column::IntegrationId.eq(integration))
        .order_by_desc(sync_runs::Column::StartedAt)
        .order_by_desc(sync_runs::Column::Id)
}

/// The integration's newest runs, newest first (the read model's `runs` too).
pub(crate) async fn newest_rows(
    shared: &Shared,
    integration: IntegrationId,
    limit: u64,
) -> Result<Vec<sync_runs::Model>, sea_orm::DbErr> {
    newest_first(integration.as_uuid())
        .limit(limit)
        .all(&shared.conn)
        .await
}

/// The integration's newest runs, newest first.
pub(super) async fn newest(
    shared: &Shared,
    integration: IntegrationId,
    limit: u64,
) -> Result<Vec<SyncRun>, SyncStoreError> {
    newest_rows(shared, integration, limit)
        .await
        .map_err(sync_err("reading the newest runs"))?
        .into_iter()
        .map(|row| run_from_row(row).map_err(SyncStoreError::from))
        .collect()
}
