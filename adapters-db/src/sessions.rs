//! SQL implementation of [`SessionStore`] over the `sessions` table: the id is the SHA-256 of
//! the session token (the token itself is never stored); sessions go with their admin.

use async_trait::async_trait;
use aviary_domain::model::Session;
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{SessionStore, SessionStoreError};
use aviary_domain::values::{AdminId, CsrfToken, SessionId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DbErr, EntityTrait as _, QueryFilter as _, SqlErr,
};

use crate::connect::Shared;
use crate::entities::sessions::{self, Column, Entity};
use crate::error::fault;
use crate::mapping::{from_micros, micros};

/// SQL implementation of [`SessionStore`].
#[derive(Debug, Clone)]
pub(crate) struct SqlSessions {
    shared: Shared,
}

impl SqlSessions {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

fn backend(context: &'static str) -> impl FnOnce(DbErr) -> SessionStoreError {
    move |err| SessionStoreError::Backend(fault(context, &err))
}

fn session_from_row(row: sessions::Model) -> Result<Session, SessionStoreError> {
    let corrupt = |detail: String| {
        SessionStoreError::Backend(StoreFault::failed(format!("stored session: {detail}")))
    };
    let time = |value: i64| from_micros(value).map_err(|err| corrupt(err.to_string()));
    Ok(Session {
        id: SessionId::parse(&row.id).map_err(|err| corrupt(err.to_string()))?,
        admin_id: AdminId::from_uuid(row.admin_id),
        csrf_token: CsrfToken::from_stored(row.csrf_token),
        created_at: time(row.created_at)?,
        last_seen_at: time(row.last_seen_at)?,
        expires_at: time(row.expires_at)?,
    })
}

#[async_trait]
impl SessionStore for SqlSessions {
    async fn create(&self, session: &Session) -> Result<(), SessionStoreError> {
        let row = sessions::ActiveModel {
            id: Set(session.id.as_str().to_owned()),
            admin_id: Set(session.admin_id.as_uuid()),
            csrf_token: Set(session.csrf_token.as_str().to_owned()),
            created_at: Set(micros(session.created_at)),
            last_seen_at: Set(micros(session.last_seen_at)),
            expires_at: Set(micros(session.expires_at)),
        };
        Entity::insert(row)
            .exec_without_returning(&self.shared.conn)
            .await
            .map_err(|err| match err.sql_err() {
                Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                    SessionStoreError::NoAdmin(session.admin_id)
                }
                _ => SessionStoreError::Backend(fault("creating a session", &err)),
            })?;
        Ok(())
    }

    async fn find(&self, id: &SessionId) -> Result<Option<Session>, SessionStoreError> {
        Entity::find_by_id(id.as_str().to_owned())
            .one(&self.shared.conn)
            .await
            .map_err(backend("reading a session"))?
            .map(session_from_row)
            .transpose()
    }

    async fn touch(
        &self,
        id: &SessionId,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), SessionStoreError> {
        Entity::update_many()
            .col_expr(Column::LastSeenAt, Expr::val(micros(last_seen_at)))
            .col_expr(Column::ExpiresAt, Expr::val(micros(expires_at)))
            .filter(Column::Id.eq(id.as_str()))
            .exec(&self.shared.conn)
            .await
            .map_err(backend("extending a session"))?;
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), SessionStoreError> {
        Entity::delete_by_id(id.as_str().to_owned())
            .exec(&self.shared.conn)
            .await
            .map_err(backend("deleting a session"))?;
        Ok(())
    }

    async fn delete_all_of(&self, admin: AdminId) -> Result<u64, SessionStoreError> {
        let result = Entity::delete_many()
            .filter(Column::AdminId.eq(admin.as_uuid()))
            .exec(&self.shared.conn)
            .await
            .map_err(backend("deleting an admin's sessions"))?;
        Ok(result.rows_affected)
    }

    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64, SessionStoreError> {
        let result = Entity::delete_many()
            .filter(Column::ExpiresAt.lte(micros(now)))
            .exec(&self.shared.conn)
            .await
            .map_err(backend("deleting expired sessions"))?;
        Ok(result.rows_affected)
    }
}
