//! SQL implementation of [`AdminStore`] over the `admins` table. Only the password's PHC hash
//! is stored; a failed attempt is counted in one `UPDATE … RETURNING`, so concurrent failures
//! are all counted.

use async_trait::async_trait;
use aviary_domain::model::Admin;
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{AdminStore, AdminStoreError};
use aviary_domain::values::{AdminId, EmailAddress, PasswordHash};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, DbErr, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, SqlErr,
};

use crate::connect::Shared;
use crate::entities::admins::{self, Column, Entity};
use crate::error::fault;
use crate::mapping::{from_micros, micros};

/// SQL implementation of [`AdminStore`].
#[derive(Debug, Clone)]
pub(crate) struct SqlAdmins {
    shared: Shared,
}

impl SqlAdmins {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

fn backend(context: &'static str) -> impl FnOnce(DbErr) -> AdminStoreError {
    move |err| AdminStoreError::Backend(fault(context, &err))
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> AdminStoreError {
    AdminStoreError::Backend(StoreFault::failed(format!(
        "stored admin has a bad {what}: {detail}"
    )))
}

fn admin_from_row(row: admins::Model) -> Result<Admin, AdminStoreError> {
    let time = |value: i64| from_micros(value).map_err(|err| corrupt("timestamp", err));
    Ok(Admin {
        id: AdminId::from_uuid(row.id),
        email: EmailAddress::parse(&row.email).map_err(|err| corrupt("email", err))?,
        password_hash: PasswordHash::from_phc(row.password_hash),
        created_at: time(row.created_at)?,
        last_sign_in_at: row.last_sign_in_at.map(time).transpose()?,
        failed_attempts: u32::try_from(row.failed_attempts)
            .map_err(|err| corrupt("failed attempt count", err))?,
        locked_until: row.locked_until.map(time).transpose()?,
    })
}

fn active_model(admin: &Admin) -> admins::ActiveModel {
    admins::ActiveModel {
        id: Set(admin.id.as_uuid()),
        email: Set(admin.email.as_str().to_owned()),
        password_hash: Set(admin.password_hash.as_phc().to_owned()),
        created_at: Set(micros(admin.created_at)),
        last_sign_in_at: Set(admin.last_sign_in_at.map(micros)),
        failed_attempts: Set(i64::from(admin.failed_attempts)),
        locked_until: Set(admin.locked_until.map(micros)),
    }
}

impl SqlAdmins {
    /// Sets columns of one admin; `NotFound` when no row has its id.
    async fn update(
        &self,
        id: AdminId,
        values: Vec<(Column, Expr)>,
        context: &'static str,
    ) -> Result<(), AdminStoreError> {
        let mut update = Entity::update_many();
        for (column, value) in values {
            update = update.col_expr(column, value);
        }
        let result = update
            .filter(Column::Id.eq(id.as_uuid()))
            .exec(&self.shared.conn)
            .await
            .map_err(backend(context))?;
        if result.rows_affected == 0 {
            return Err(AdminStoreError::NotFound(id));
        }
        Ok(())
    }
}

#[async_trait]
impl AdminStore for SqlAdmins {
    async fn insert(&self, admin: &Admin) -> Result<(), AdminStoreError> {
        match Entity::insert(active_model(admin))
            .exec_without_returning(&self.shared.conn)
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => Err(match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("email") => {
                    AdminStoreError::EmailTaken(admin.email.clone())
                }
                _ => AdminStoreError::Backend(fault("inserting an admin", &err)),
            }),
        }
    }

    async fn find_by_email(&self, email: &EmailAddress) -> Result<Option<Admin>, AdminStoreError> {
        Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .one(&self.shared.conn)
            .await
            .map_err(backend("finding an admin by email"))?
            .map(admin_from_row)
            .transpose()
    }

    async fn get(&self, id: AdminId) -> Result<Option<Admin>, AdminStoreError> {
        Entity::find_by_id(id.as_uuid())
            .one(&self.shared.conn)
            .await
            .map_err(backend("reading an admin"))?
            .map(admin_from_row)
            .transpose()
    }

    async fn list(&self) -> Result<Vec<Admin>, AdminStoreError> {
        Entity::find()
            .order_by_asc(Column::Email)
            .all(&self.shared.conn)
            .await
            .map_err(backend("listing admins"))?
            .into_iter()
            .map(admin_from_row)
            .collect()
    }

    async fn record_failed_attempt(&self, id: AdminId) -> Result<u32, AdminStoreError> {
        let rows = Entity::update_many()
            .col_expr(
                Column::FailedAttempts,
                Expr::col(Column::FailedAttempts).add(1i64),
            )
            .filter(Column::Id.eq(id.as_uuid()))
            .exec_with_returning(&self.shared.conn)
            .await
            .map_err(backend("counting a failed sign-in"))?;
        let row = rows
            .into_iter()
            .next()
            .ok_or(AdminStoreError::NotFound(id))?;
        u32::try_from(row.failed_attempts).map_err(|err| corrupt("failed attempt count", err))
    }

    async fn lock_until(&self, id: AdminId, until: DateTime<Utc>) -> Result<(), AdminStoreError> {
        self.update(
            id,
            vec![
                (Column::LockedUntil, Expr::val(micros(until))),
                (Column::FailedAttempts, Expr::val(0i64)),
            ],
            "locking an admin",
        )
        .await
    }

    async fn reset_failed_attempts(&self, id: AdminId) -> Result<(), AdminStoreError> {
        self.update(
            id,
            vec![
                (Column::LockedUntil, Expr::val(Option::<i64>::None)),
                (Column::FailedAttempts, Expr::val(0i64)),
            ],
            "unlocking an admin",
        )
        .await
    }

    async fn set_password_hash(
        &self,
        id: AdminId,
        hash: &PasswordHash,
    ) -> Result<(), AdminStoreError> {
        // One statement: there is no moment with the new password and the old lock.
        self.update(
            id,
            vec![
                (Column::PasswordHash, Expr::val(hash.as_phc())),
                (Column::LockedUntil, Expr::val(Option::<i64>::None)),
                (Column::FailedAttempts, Expr::val(0i64)),
            ],
            "resetting an admin's password",
        )
        .await
    }

    async fn record_sign_in(
        &self,
        id: AdminId,
        at: DateTime<Utc>,
    ) -> Result<bool, AdminStoreError> {
        // The lock is read and the sign-in written in one statement: no failure can lock the
        // account in between.
        let not_locked = Condition::any()
            .add(Column::LockedUntil.is_null())
            .add(Column::LockedUntil.lte(micros(at)));
        let result = Entity::update_many()
            .col_expr(Column::LastSignInAt, Expr::val(micros(at)))
            .col_expr(Column::LockedUntil, Expr::val(Option::<i64>::None))
            .col_expr(Column::FailedAttempts, Expr::val(0i64))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(not_locked)
            .exec(&self.shared.conn)
            .await
            .map_err(backend("recording a sign-in"))?;
        Ok(result.rows_affected == 1)
    }
}
