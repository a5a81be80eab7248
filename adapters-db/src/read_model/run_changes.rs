//! A run's changes in keyset pages: `WHERE run_id = ? AND id > ? ORDER BY id LIMIT n + 1`,
//! served by the index `ix_changes_run (run_id, id)` of the initial schema, so a deep page
//! costs what the first does. The change's `id` (increasing in recording order) is its
//! [`ChangePosition`].

use aviary_domain::model::{ChangePage, ChangePosition};
use aviary_domain::ports::{QueryError, StoreFault};
use aviary_domain::values::RunId;
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use crate::connect::Shared;
use crate::entities::changes;
use crate::error::query_err;
use crate::mapping::change_from_row;

/// The stored `id` a position stands for. Ids are `BIGINT`: a position past the largest one
/// has nothing after it, and neither has the largest id.
fn stored_id(position: ChangePosition) -> i64 {
    i64::try_from(position.get()).unwrap_or(i64::MAX)
}

/// The position of a stored change (ids count up from 1).
fn position(id: i64) -> Result<ChangePosition, QueryError> {
    u64::try_from(id)
        .map(ChangePosition::new)
        .map_err(|_| QueryError::Backend(StoreFault::failed(format!("negative change id {id}"))))
}

pub(super) async fn page(
    shared: &Shared,
    id: RunId,
    after: Option<ChangePosition>,
    limit: u64,
) -> Result<ChangePage, QueryError> {
    let mut select = changes::Entity::find().filter(changes::Column::RunId.eq(id.as_uuid()));
    if let Some(after) = after {
        select = select.filter(changes::Column::Id.gt(stored_id(after)));
    }
    // One more than asked tells whether another page follows.
    let mut rows = select
        .order_by_asc(changes::Column::Id)
        .limit(limit.saturating_add(1))
        .all(&shared.conn)
        .await
        .map_err(query_err("reading a page of a run's changes"))?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = match rows.last() {
        Some(last) if more => Some(position(last.id)?),
        _ => None,
    };
    let changes = rows
        .into_iter()
        .map(|row| change_from_row(row).map_err(QueryError::from))
        .collect::<Result<_, _>>()?;
    Ok(ChangePage { changes, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_stored_ids_convert_both_ways_within_bigint() {
        assert_eq!(stored_id(position(1).unwrap()), 1);
        assert_eq!(stored_id(position(i64::MAX).unwrap()), i64::MAX);
        assert_eq!(stored_id(ChangePosition::new(u64::MAX)), i64::MAX);
        assert!(position(-1).is_err());
    }
}
