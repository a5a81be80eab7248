//! SQL implementation of [`ApiKeyStore`] over the `api_keys` table: digests only, looked up by
//! id or by digest; revocation and `last_used_at` are single conditional updates.

use async_trait::async_trait;
use aviary_domain::model::{ApiKey, KeyCreator};
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{ApiKeyStore, ApiKeyStoreError};
use aviary_domain::values::{ApiKeyHash, ApiKeyId, EmailAddress, KeyName, KeyPrefix};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, Condition, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _, Set,
    SqlErr,
};

use crate::connect::Shared;
use crate::entities::api_keys::{self, Column, Entity};
use crate::error::fault;
use crate::mapping::{from_micros, micros};

/// SQL implementation of [`ApiKeyStore`].
#[derive(Debug, Clone)]
pub(crate) struct SqlApiKeys {
    shared: Shared,
}

impl SqlApiKeys {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }

    async fn exists(&self, id: ApiKeyId) -> Result<bool, ApiKeyStoreError> {
        Ok(Entity::find_by_id(id.as_uuid())
            .one(&self.shared.conn)
            .await
            .map_err(backend("reading an API key"))?
            .is_some())
    }
}

fn backend(context: &'static str) -> impl FnOnce(DbErr) -> ApiKeyStoreError {
    move |err| ApiKeyStoreError::Backend(fault(context, &err))
}

fn corrupt(id: uuid::Uuid, what: &str, err: impl std::fmt::Display) -> ApiKeyStoreError {
    ApiKeyStoreError::Backend(StoreFault::failed(format!(
        "stored API key {id} has an invalid {what}: {err}"
    )))
}

fn row_of(key: &ApiKey) -> api_keys::ActiveModel {
    api_keys::ActiveModel {
        id: Set(key.id.as_uuid()),
        name: Set(key.name.as_str().to_owned()),
        prefix: Set(key.prefix.as_str().to_owned()),
        secret_hash: Set(key.secret_hash.to_hex()),
        scope: Set(key.scope.as_str().to_owned()),
        created_by: Set(creator_text(&key.created_by)),
        created_at: Set(micros(key.created_at)),
        expires_at: Set(key.expires_at.map(micros)),
        last_used_at: Set(key.last_used_at.map(micros)),
        revoked_at: Set(key.revoked_at.map(micros)),
    }
}

/// `created_by` as stored: the admin's email, `cli`, or NULL (emails always hold an `@`).
const COMMAND_LINE: &str = "cli";

fn creator_text(creator: &KeyCreator) -> Option<String> {
    match creator {
        KeyCreator::Admin(email) => Some(email.to_string()),
        KeyCreator::CommandLine => Some(COMMAND_LINE.to_owned()),
        KeyCreator::Unrecorded => None,
    }
}

fn creator_of(text: Option<&str>) -> Result<KeyCreator, String> {
    match text {
        None => Ok(KeyCreator::Unrecorded),
        Some(COMMAND_LINE) => Ok(KeyCreator::CommandLine),
        Some(email) => EmailAddress::parse(email)
            .map(KeyCreator::Admin)
            .map_err(|err| err.to_string()),
    }
}

fn key_of(row: api_keys::Model) -> Result<ApiKey, ApiKeyStoreError> {
    let id = row.id;
    let at = |value: i64| from_micros(value).map_err(|err| corrupt(id, "timestamp", err));
    Ok(ApiKey {
        id: ApiKeyId::from_uuid(id),
        name: KeyName::parse(&row.name).map_err(|err| corrupt(id, "name", err))?,
        prefix: KeyPrefix::parse(&row.prefix).map_err(|err| corrupt(id, "prefix", err))?,
        secret_hash: ApiKeyHash::from_hex(&row.secret_hash)
            .map_err(|err| corrupt(id, "digest", err))?,
        scope: row.scope.parse().map_err(|err| corrupt(id, "scope", err))?,
        created_by: creator_of(row.created_by.as_deref())
            .map_err(|err| corrupt(id, "creator", err))?,
        created_at: at(row.created_at)?,
        expires_at: row.expires_at.map(at).transpose()?,
        last_used_at: row.last_used_at.map(at).transpose()?,
        revoked_at: row.revoked_at.map(at).transpose()?,
    })
}

#[async_trait]
impl ApiKeyStore for SqlApiKeys {
    async fn insert(&self, key: &ApiKey) -> Result<(), ApiKeyStoreError> {
        Entity::insert(row_of(key))
            .exec_without_returning(&self.shared.conn)
            .await
            .map(|_| ())
            .map_err(|err| match err.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => ApiKeyStoreError::Duplicate(key.id),
                _ => ApiKeyStoreError::Backend(fault("inserting an API key", &err)),
            })
    }

    async fn list(&self) -> Result<Vec<ApiKey>, ApiKeyStoreError> {
        Entity::find()
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(&self.shared.conn)
            .await
            .map_err(backend("listing API keys"))?
            .into_iter()
            .map(key_of)
            .collect()
    }

    async fn get(&self, id: ApiKeyId) -> Result<Option<ApiKey>, ApiKeyStoreError> {
        Entity::find_by_id(id.as_uuid())
            .one(&self.shared.conn)
            .await
            .map_err(backend("reading an API key"))?
            .map(key_of)
            .transpose()
    }

    async fn find_by_hash(&self, hash: &ApiKeyHash) -> Result<Option<ApiKey>, ApiKeyStoreError> {
        Entity::find()
            .filter(Column::SecretHash.eq(hash.to_hex()))
            .one(&self.shared.conn)
            .await
            .map_err(backend("finding an API key"))?
            .map(key_of)
            .transpose()
    }

    async fn revoke(&self, id: ApiKeyId, now: DateTime<Utc>) -> Result<bool, ApiKeyStoreError> {
        let result = Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::val(micros(now)))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.shared.conn)
            .await
            .map_err(backend("revoking an API key"))?;
        if result.rows_affected > 0 {
            return Ok(true);
        }
        // Keys are never deleted: no row updated means revoked before, or never there.
        if self.exists(id).await? {
            Ok(false)
        } else {
            Err(ApiKeyStoreError::NotFound(id))
        }
    }

    async fn touch_last_used(
        &self,
        id: ApiKeyId,
        now: DateTime<Utc>,
    ) -> Result<(), ApiKeyStoreError> {
        let now = micros(now);
        let result = Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::val(now))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(
                Condition::any()
                    .add(Column::LastUsedAt.is_null())
                    .add(Column::LastUsedAt.lt(now)),
            )
            .exec(&self.shared.conn)
            .await
            .map_err(backend("recording an API key's use"))?;
        if result.rows_affected > 0 || self.exists(id).await? {
            Ok(())
        } else {
            Err(ApiKeyStoreError::NotFound(id))
        }
    }
}
