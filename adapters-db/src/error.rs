//! `DbError` for connecting, migrating and key rotation, and the mapping of sea-orm errors into
//! the ports' error enums.

use aviary_domain::ports::{
    FaultKind, IntegrationStoreError, QueryError, StoreFault, SyncStoreError,
};
use sea_orm::{DbErr, RuntimeErr};

use crate::mapping::MappingError;

/// Why the database could not be opened, migrated or re-keyed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "unsupported database URL scheme \"{scheme}\": use sqlite://PATH (embedded) or postgres://USER@HOST/DATABASE"
    )]
    UnsupportedUrl { scheme: String },
    /// The SQLite database's directory or files could not be created or made private.
    #[error("cannot create or make private {path} (the database's directory or files): {source}")]
    PrivateFiles {
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
    #[error("database error")]
    Backend(#[source] StoreFault),
}

impl From<DbErr> for DbError {
    fn from(err: DbErr) -> Self {
        Self::Backend(fault("a database operation", &err))
    }
}

/// Whether a sea-orm error means the database cannot be reached now (retrying later may
/// help) or that the operation itself failed.
fn kind_of(err: &DbErr) -> FaultKind {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => FaultKind::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            match cause.as_ref() {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => FaultKind::Unavailable,
                _ => FaultKind::Failed,
            }
        }
        _ => FaultKind::Failed,
    }
}

/// A sea-orm error with what we were doing, for the ports' `Backend` variants.
pub(crate) fn fault(context: &str, err: &DbErr) -> StoreFault {
    StoreFault::new(kind_of(err), context, err.clone())
}

pub(crate) fn sync_err(context: &str) -> impl FnOnce(DbErr) -> SyncStoreError + '_ {
    move |err| SyncStoreError::Backend(fault(context, &err))
}

pub(crate) fn query_err(context: &str) -> impl FnOnce(DbErr) -> QueryError + '_ {
    move |err| QueryError::Backend(fault(context, &err))
}

pub(crate) fn store_err(context: &str) -> impl FnOnce(DbErr) -> IntegrationStoreError + '_ {
    move |err| IntegrationStoreError::Backend(fault(context, &err))
}

impl From<MappingError> for SyncStoreError {
    fn from(err: MappingError) -> Self {
        SyncStoreError::Backend(StoreFault::failed(err.0))
    }
}

impl From<MappingError> for QueryError {
    fn from(err: MappingError) -> Self {
        QueryError::Backend(StoreFault::failed(err.0))
    }
}

impl From<MappingError> for IntegrationStoreError {
    fn from(err: MappingError) -> Self {
        IntegrationStoreError::Backend(StoreFault::failed(err.0))
    }
}

impl From<MappingError> for DbError {
    fn from(err: MappingError) -> Self {
        DbError::Backend(StoreFault::failed(err.0))
    }
}
