//! `DbError` for connecting, migrating and key rotation, and the mapping of sea-orm errors into
//! the ports' error enums.

use aviary_domain::ports::{IntegrationStoreError, QueryError, SyncStoreError};
use sea_orm::DbErr;

use crate::mapping::MappingError;

/// Why the database could not be opened, migrated or re-keyed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "unsupported database URL scheme \"{scheme}\": use sqlite://PATH (embedded) or postgres://USER@HOST/DATABASE"
    )]
    UnsupportedUrl { scheme: String },
    #[error("cannot create the database directory {path}: {source}")]
    CreateDirectory {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    /// A stored secret could not be decrypted with the configured master key.
    #[error("cannot decrypt a stored secret: {0}")]
    Undecryptable(String),
    #[error("database error: {0}")]
    Backend(String),
}

impl From<DbErr> for DbError {
    fn from(err: DbErr) -> Self {
        Self::Backend(err.to_string())
    }
}

/// A sea-orm error with what we were doing, for `Backend` variants.
pub(crate) fn describe(context: &str, err: &DbErr) -> String {
    format!("{context}: {err}")
}

pub(crate) fn sync_err(context: &str) -> impl FnOnce(DbErr) -> SyncStoreError + '_ {
    move |err| SyncStoreError::Backend(describe(context, &err))
}

pub(crate) fn query_err(context: &str) -> impl FnOnce(DbErr) -> QueryError + '_ {
    move |err| QueryError::Backend(describe(context, &err))
}

pub(crate) fn store_err(context: &str) -> impl FnOnce(DbErr) -> IntegrationStoreError + '_ {
    move |err| IntegrationStoreError::Backend(describe(context, &err))
}

impl From<MappingError> for SyncStoreError {
    fn from(err: MappingError) -> Self {
        SyncStoreError::Backend(err.0)
    }
}

impl From<MappingError> for QueryError {
    fn from(err: MappingError) -> Self {
        QueryError::Backend(err.0)
    }
}

impl From<MappingError> for IntegrationStoreError {
    fn from(err: MappingError) -> Self {
        IntegrationStoreError::Backend(err.0)
    }
}

impl From<MappingError> for DbError {
    fn from(err: MappingError) -> Self {
        DbError::Backend(err.0)
    }
}
