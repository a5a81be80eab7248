//! `RunHistoryStore`: retention. Old runs go in batches of [`BATCH`], each batch in one
//! transaction — its changes, then the runs (what a held run held goes with them, by the
//! foreign key) — so a pruning never holds the write lock long, and one that fails half-way
//! leaves consistent history behind.

use std::collections::HashSet;

use async_trait::async_trait;
use aviary_domain::model::RunStatus;
use aviary_domain::ports::{PruneFailed, Pruned, RunHistoryStore};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait as _, DbErr, EntityTrait as _, PaginatorTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _,
};
use uuid::Uuid;

use crate::connect::Shared;
use crate::entities::{changes, sync_runs};
use crate::error::fault;
use crate::mapping::micros;
use crate::sync_store::newest_first;

/// Runs deleted per transaction.
const BATCH: u64 = 500;

fn failed(context: &'static str) -> impl Fn(DbErr) -> PruneFailed {
    move |err| PruneFailed(fault(context, &err))
}

/// SQL implementation of [`RunHistoryStore`].
#[derive(Debug, Clone)]
pub(crate) struct SqlRunHistory {
    shared: Shared,
}

impl SqlRunHistory {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }

    /// Each integration's newest run and newest succeeded run: never pruned.
    async fn kept(&self) -> Result<HashSet<Uuid>, PruneFailed> {
        let integrations: Vec<Uuid> = sync_runs::Entity::find()
            .select_only()
            .column(sync_runs::Column::IntegrationId)
            .distinct()
            .into_tuple()
            .all(&self.shared.conn)
            .await
            .map_err(failed("listing the integrations with runs"))?;
        let mut kept = HashSet::new();
        for integration in integrations {
            for only_succeeded in [false, true] {
                let mut newest = newest_first(integration)
                    .select_only()
                    .column(sync_runs::Column::Id);
                if only_succeeded {
                    newest =
                        newest.filter(sync_runs::Column::Status.eq(RunStatus::Succeeded.as_str()));
                }
                let id: Option<Uuid> = newest
                    .into_tuple()
                    .one(&self.shared.conn)
                    .await
                    .map_err(failed("finding the runs to keep"))?;
                kept.extend(id);
            }
        }
        Ok(kept)
    }

    /// The next runs that ended before `cutoff`, after `after` in id order.
    async fn candidates(
        &self,
        cutoff: DateTime<Utc>,
        after: Option<Uuid>,
    ) -> Result<Vec<Uuid>, PruneFailed> {
        let mut query = sync_runs::Entity::find()
            .select_only()
            .column(sync_runs::Column::Id)
            .filter(sync_runs::Column::FinishedAt.lt(micros(cutoff)))
            .filter(sync_runs::Column::Status.ne(RunStatus::Running.as_str()));
        if let Some(after) = after {
            query = query.filter(sync_runs::Column::Id.gt(after));
        }
        query
            .order_by_asc(sync_runs::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(&self.shared.conn)
            .await
            .map_err(failed("finding old runs"))
    }

    /// Deletes `runs` and their changes in one transaction; returns the changes deleted.
    async fn delete(&self, runs: &[Uuid]) -> Result<u64, PruneFailed> {
        let txn = self
            .shared
            .begin_write()
            .await
            .map_err(failed("starting a transaction"))?;
        let deleted = changes::Entity::delete_many()
            .filter(changes::Column::RunId.is_in(runs.iter().copied()))
            .exec(&txn)
            .await
            .map_err(failed("deleting old runs' changes"))?;
        sync_runs::Entity::delete_many()
            .filter(sync_runs::Column::Id.is_in(runs.iter().copied()))
            .exec(&txn)
            .await
            .map_err(failed("deleting old runs"))?;
        txn.commit().await.map_err(failed("committing"))?;
        Ok(deleted.rows_affected)
    }

    async fn count_changes(&self, runs: &[Uuid]) -> Result<u64, PruneFailed> {
        changes::Entity::find()
            .filter(changes::Column::RunId.is_in(runs.iter().copied()))
            .count(&self.shared.conn)
            .await
            .map_err(failed("counting old runs' changes"))
    }
}

#[async_trait]
impl RunHistoryStore for SqlRunHistory {
    async fn prune_runs(
        &self,
        cutoff: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<Pruned, PruneFailed> {
        let kept = self.kept().await?;
        let mut pruned = Pruned::default();
        let mut after = None;
        loop {
            let batch = self.candidates(cutoff, after).await?;
            let Some(last) = batch.last() else {
                return Ok(pruned);
            };
            after = Some(*last);
            let runs: Vec<Uuid> = batch.into_iter().filter(|id| !kept.contains(id)).collect();
            if runs.is_empty() {
                continue;
            }
            pruned.changes += if dry_run {
                self.count_changes(&runs).await?
            } else {
                self.delete(&runs).await?
            };
            pruned.runs += runs.len() as u64;
        }
    }
}
