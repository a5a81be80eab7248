//! Leases: one per integration, granted with an increasing fencing token, taken over only
//! when expired, and checked (share-locked on PostgreSQL) by every fenced write.

use aviary_domain::ports::StoreFault;
use std::time::Duration;

use aviary_domain::ports::{Lease, SyncStoreError};
use aviary_domain::values::IntegrationId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict, Query};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QuerySelect as _, SqlErr,
};

use crate::connect::{Backend, Shared};
use crate::entities::sync_leases;
use crate::error::{fault, sync_err};
use crate::mapping::{from_micros, micros};

/// `expires_at` of a released lease: long past, so the next acquire takes it (the token stays).
const RELEASED_EXPIRY: i64 = 0;

fn expiry(now: DateTime<Utc>, ttl: Duration) -> Result<DateTime<Utc>, SyncStoreError> {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .ok_or_else(|| {
            SyncStoreError::Backend(StoreFault::failed(format!(
                "lease duration {ttl:?} is too long"
            )))
        })
}

/// Fails with `LeaseLost` unless `lease` is the integration's current lease and, when `now`
/// is given, unexpired at `now`. On PostgreSQL the lease row stays share-locked until the
/// transaction ends, so no one can take the lease over between this check and the commit.
pub(super) async fn check(
    shared: &Shared,
    db: &impl ConnectionTrait,
    lease: &Lease,
    now: Option<DateTime<Utc>>,
) -> Result<(), SyncStoreError> {
    let mut query = sync_leases::Entity::find_by_id(lease.integration_id.as_uuid())
        .select_only()
        .column(sync_leases::Column::Token)
        .column(sync_leases::Column::ExpiresAt);
    if shared.backend == Backend::Postgres {
        query = query.lock_shared();
    }
    let row: Option<(i64, i64)> = query
        .into_tuple()
        .one(db)
        .await
        .map_err(sync_err("checking the lease"))?;
    match row {
        Some((token, expires_at))
            if token == lease.token && now.is_none_or(|now| expires_at > micros(now)) =>
        {
            Ok(())
        }
        _ => Err(SyncStoreError::LeaseLost),
    }
}

/// The integration's lease row, as stored, if it ever had one (for the read model).
pub(crate) async fn stored(
    shared: &Shared,
    integration: IntegrationId,
) -> Result<Option<sync_leases::Model>, sea_orm::DbErr> {
    sync_leases::Entity::find_by_id(integration.as_uuid())
        .one(&shared.conn)
        .await
}

/// Grants the lease (token 1 the first time, the next token on a takeover) unless another
/// unexpired lease holds it: `LeaseHeld` names the holder.
pub(super) async fn acquire(
    shared: &Shared,
    integration: IntegrationId,
    owner: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Lease, SyncStoreError> {
    let expires_at = expiry(now, ttl)?;
    let id = integration.as_uuid();
    // One atomic statement: insert the first lease (token 1), or take over an expired one
    // with the next token. An unexpired lease is left alone and nothing is returned.
    let mut upsert = Query::insert();
    upsert
        .into_table(sync_leases::Entity)
        .columns([
            sync_leases::Column::IntegrationId,
            sync_leases::Column::Owner,
            sync_leases::Column::Token,
            sync_leases::Column::ExpiresAt,
        ])
        .values([
            Expr::val(id),
            Expr::val(owner),
            Expr::val(1i64),
            Expr::val(micros(expires_at)),
        ])
        .map_err(|err| {
            SyncStoreError::Backend(StoreFault::failed(format!(
                "building the lease statement: {err}"
            )))
        })?
        .on_conflict(
            OnConflict::column(sync_leases::Column::IntegrationId)
                .update_columns([sync_leases::Column::Owner, sync_leases::Column::ExpiresAt])
                .value(
                    sync_leases::Column::Token,
                    Expr::col((sync_leases::Entity, sync_leases::Column::Token)).add(1i64),
                )
                .action_and_where(
                    Expr::col((sync_leases::Entity, sync_leases::Column::ExpiresAt))
                        .lte(micros(now)),
                )
                .to_owned(),
        )
        .returning_col(sync_leases::Column::Token);
    let granted = match shared.conn.query_one(&upsert).await {
        Ok(row) => row,
        Err(err)
            if matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            ) =>
        {
            return Err(SyncStoreError::Backend(StoreFault::failed(format!(
                "integration {integration} does not exist"
            ))));
        }
        Err(err) => {
            return Err(SyncStoreError::Backend(fault("acquiring the lease", &err)));
        }
    };
    if let Some(row) = granted {
        let token: i64 = row
            .try_get("", "token")
            .map_err(sync_err("reading the lease token"))?;
        return Ok(Lease {
            integration_id: integration,
            owner: owner.to_owned(),
            token,
            expires_at: from_micros(micros(expires_at))?,
        });
    }
    let holder: Option<(String, i64)> = sync_leases::Entity::find_by_id(id)
        .select_only()
        .column(sync_leases::Column::Owner)
        .column(sync_leases::Column::ExpiresAt)
        .into_tuple()
        .one(&shared.conn)
        .await
        .map_err(sync_err("reading the lease holder"))?;
    match holder {
        Some((owner, until)) => Err(SyncStoreError::LeaseHeld {
            owner,
            until: from_micros(until)?,
        }),
        None => Err(SyncStoreError::Backend(StoreFault::failed(format!(
            "the lease of integration {integration} vanished; retry"
        )))),
    }
}

/// Takes the lease from `holder` (provably gone) with the next token, whether or not it
/// expired — only while `holder` still holds it; `LeaseHeld` names whoever holds it instead.
pub(super) async fn take_over(
    shared: &Shared,
    integration: IntegrationId,
    holder: &str,
    owner: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Lease, SyncStoreError> {
    let expires_at = from_micros(micros(expiry(now, ttl)?))?;
    let id = integration.as_uuid();
    let taken = sync_leases::Entity::update_many()
        .col_expr(sync_leases::Column::Owner, Expr::val(owner))
        .col_expr(
            sync_leases::Column::Token,
            Expr::col(sync_leases::Column::Token).add(1i64),
        )
        .col_expr(
            sync_leases::Column::ExpiresAt,
            Expr::val(micros(expires_at)),
        )
        .filter(sync_leases::Column::IntegrationId.eq(id))
        .filter(sync_leases::Column::Owner.eq(holder))
        .exec(&shared.conn)
        .await
        .map_err(sync_err("taking over the lease"))?;
    if taken.rows_affected == 0 {
        // Someone else took it (or it was freed) meanwhile: the ordinary way decides.
        return acquire(shared, integration, owner, ttl, now).await;
    }
    let token: Option<i64> = sync_leases::Entity::find_by_id(id)
        .select_only()
        .column(sync_leases::Column::Token)
        .filter(sync_leases::Column::Owner.eq(owner))
        .into_tuple()
        .one(&shared.conn)
        .await
        .map_err(sync_err("reading the lease token"))?;
    let token = token.ok_or(SyncStoreError::LeaseLost)?;
    tracing::warn!(
        %integration,
        holder,
        token,
        "took over the lease of a process that is gone"
    );
    Ok(Lease {
        integration_id: integration,
        owner: owner.to_owned(),
        token,
        expires_at,
    })
}

/// Extends our lease to `now + ttl`; `LeaseLost` unless it is still ours and unexpired.
pub(super) async fn renew(
    shared: &Shared,
    lease: &Lease,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Lease, SyncStoreError> {
    let expires_at = from_micros(micros(expiry(now, ttl)?))?;
    let result = sync_leases::Entity::update_many()
        .col_expr(
            sync_leases::Column::ExpiresAt,
            Expr::val(micros(expires_at)),
        )
        .filter(sync_leases::Column::IntegrationId.eq(lease.integration_id.as_uuid()))
        .filter(sync_leases::Column::Token.eq(lease.token))
        .filter(sync_leases::Column::ExpiresAt.gt(micros(now)))
        .exec(&shared.conn)
        .await
        .map_err(sync_err("renewing the lease"))?;
    if result.rows_affected == 0 {
        return Err(SyncStoreError::LeaseLost);
    }
    Ok(Lease {
        expires_at,
        ..lease.clone()
    })
}

/// Expires our lease now, keeping its token; a lease already taken over is left alone.
pub(super) async fn release(shared: &Shared, lease: &Lease) -> Result<(), SyncStoreError> {
    sync_leases::Entity::update_many()
        .col_expr(sync_leases::Column::ExpiresAt, Expr::val(RELEASED_EXPIRY))
        .filter(sync_leases::Column::IntegrationId.eq(lease.integration_id.as_uuid()))
        .filter(sync_leases::Column::Token.eq(lease.token))
        .exec(&shared.conn)
        .await
        .map_err(sync_err("releasing the lease"))?;
    Ok(())
}
