//! Runs left `running` by a process that died: when the integration's next run begins they are
//! marked failed as interrupted, with the counts of what they committed before dying — their
//! recorded changes — so that a run killed after writing thousands of accounts does not show
//! that it added none.

use aviary_domain::model::RunStatus;
use aviary_domain::ports::SyncStoreError;
use aviary_domain::values::RunId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, DatabaseTransaction, EntityTrait as _, QueryFilter as _, QuerySelect as _,
};
use uuid::Uuid;

use crate::entities::{changes, sync_runs};
use crate::error::sync_err;
use crate::mapping::micros;

/// The error recorded on runs found still `running` when a new run begins.
pub const INTERRUPTED_RUN_ERROR: &str =
    "interrupted: the process running this sync stopped before it finished";

/// The run column that counts changes of `kind` to `subject` records.
fn count_column(subject: &str, kind: &str) -> Option<sync_runs::Column> {
    use sync_runs::Column as C;
    Some(match (subject, kind) {
        ("account", "added") => C::UsersAdded,
        ("account", "changed") => C::UsersChanged,
        ("account", "removed") => C::UsersRemoved,
        ("account", "restored") => C::UsersRestored,
        ("account", "out_of_range") => C::UsersOutOfRange,
        ("department", "added") => C::DepartmentsAdded,
        ("department", "changed") => C::DepartmentsChanged,
        ("department", "removed") => C::DepartmentsRemoved,
        ("department", "restored") => C::DepartmentsRestored,
        ("department", "out_of_range") => C::DepartmentsOutOfRange,
        _ => return None,
    })
}

/// The interrupted run's error: what it committed, in plain words.
fn interrupted_error(recorded: i64, removed: i64) -> String {
    match (recorded, removed) {
        (0, _) => format!("{INTERRUPTED_RUN_ERROR}; it had recorded no change"),
        (n, 0) => format!(
            "{INTERRUPTED_RUN_ERROR}; the {n} changes it committed before stopping are kept \
             (its account and department counts show them), none of them a removal"
        ),
        (n, r) => format!(
            "{INTERRUPTED_RUN_ERROR}; the {n} changes it committed before stopping are kept \
             (its account and department counts show them), {r} of them removals"
        ),
    }
}

/// Marks the integration's runs still `running` — except `current` — failed as interrupted at
/// `at`, each with the counts of the changes it recorded.
pub(super) async fn mark_interrupted(
    txn: &DatabaseTransaction,
    integration: Uuid,
    current: RunId,
    at: DateTime<Utc>,
) -> Result<(), SyncStoreError> {
    let stale: Vec<Uuid> = sync_runs::Entity::find()
        .select_only()
        .column(sync_runs::Column::Id)
        .filter(sync_runs::Column::IntegrationId.eq(integration))
        .filter(sync_runs::Column::Status.eq(RunStatus::Running.as_str()))
        .filter(sync_runs::Column::Id.ne(current.as_uuid()))
        .into_tuple()
        .all(txn)
        .await
        .map_err(sync_err("finding interrupted runs"))?;
    for run in stale {
        let counted: Vec<(String, String, i64)> = changes::Entity::find()
            .select_only()
            .column(changes::Column::SubjectType)
            .column(changes::Column::Kind)
            .column_as(changes::Column::Id.count(), "n")
            .filter(changes::Column::RunId.eq(run))
            .group_by(changes::Column::SubjectType)
            .group_by(changes::Column::Kind)
            .into_tuple()
            .all(txn)
            .await
            .map_err(sync_err("counting an interrupted run's changes"))?;
        let recorded = counted.iter().map(|(_, _, n)| n).sum();
        let removed = counted
            .iter()
            .filter(|(_, kind, _)| kind == "removed")
            .map(|(_, _, n)| n)
            .sum();
        let mut update = sync_runs::Entity::update_many()
            .col_expr(
                sync_runs::Column::Status,
                Expr::val(RunStatus::Failed.as_str()),
            )
            .col_expr(
                sync_runs::Column::Error,
                Expr::val(interrupted_error(recorded, removed)),
            )
            .col_expr(sync_runs::Column::FinishedAt, Expr::val(micros(at)));
        for (subject, kind, n) in &counted {
            if let Some(column) = count_column(subject, kind) {
                update = update.col_expr(column, Expr::val(*n));
            }
        }
        update
            .filter(sync_runs::Column::Id.eq(run))
            .exec(txn)
            .await
            .map_err(sync_err("marking an interrupted run"))?;
    }
    Ok(())
}
