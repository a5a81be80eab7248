//! Run records: `begin` (marking runs left `running` by a dead process as interrupted) and
//! `finish`, both fenced by the lease.

use aviary_domain::model::{RunStatus, SyncRun};
use aviary_domain::ports::{Lease, SyncStoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::NotSet;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, DatabaseTransaction, EntityTrait as _, QueryFilter as _};

use super::{foreign_integration, leases};
use crate::connect::Shared;
use crate::entities::sync_runs;
use crate::error::sync_err;
use crate::mapping::{micros, run_active_model};

/// The error recorded on runs found still `running` when a new run begins.
pub const INTERRUPTED_RUN_ERROR: &str =
    "interrupted: the process running this sync stopped before it finished";

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
    sync_runs::Entity::update_many()
        .col_expr(
            sync_runs::Column::Status,
            Expr::val(RunStatus::Failed.as_str()),
        )
        .col_expr(sync_runs::Column::Error, Expr::val(INTERRUPTED_RUN_ERROR))
        .col_expr(
            sync_runs::Column::FinishedAt,
            Expr::val(micros(run.started_at)),
        )
        .filter(sync_runs::Column::IntegrationId.eq(run.integration_id.as_uuid()))
        .filter(sync_runs::Column::Status.eq(RunStatus::Running.as_str()))
        .filter(sync_runs::Column::Id.ne(run.id.as_uuid()))
        .exec(&txn)
        .await
        .map_err(sync_err("marking interrupted runs"))?;
    sync_runs::Entity::insert(run_active_model(run))
        .exec_without_returning(&txn)
        .await
        .map_err(sync_err("recording the run"))?;
    txn.commit().await.map_err(sync_err("committing the run"))
}

/// Stores the final state of a begun run, fenced by the lease (unexpired at `finished_at`).
pub(super) async fn finish(
    shared: &Shared,
    lease: &Lease,
    run: &SyncRun,
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
        return Err(SyncStoreError::Backend(format!(
            "run {} was never begun",
            run.id
        )));
    }
    txn.commit()
        .await
        .map_err(sync_err("committing the run's result"))
}
