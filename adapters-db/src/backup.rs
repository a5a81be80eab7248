//! `aviary db backup FILE`: a consistent copy of the embedded SQLite database taken while
//! servers run (`VACUUM INTO`, one read transaction), written to a new file only its owner can
//! read. PostgreSQL is backed up with its own tools (docs/operations.md).

use std::path::Path;

use sea_orm::{ConnectionTrait as _, Statement};

use crate::connect::{Backend, Shared};
use crate::error::DbError;

/// Why a backup could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; a backup never overwrites a file")]
    Exists(std::path::PathBuf),
    #[error(
        "the database is PostgreSQL: back it up with pg_dump (see docs/operations.md); this \
         command copies the embedded SQLite database"
    )]
    Postgres,
    #[error("{0} is not a UTF-8 file name; choose another")]
    NotUtf8(std::path::PathBuf),
    #[error("cannot create {path}: {source}")]
    File {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the copy failed")]
    Copy(#[source] DbError),
}

/// Copies the database into the new file `target` (mode 0600); returns its size in bytes.
pub(crate) async fn backup_to(shared: &Shared, target: &Path) -> Result<u64, BackupError> {
    if shared.backend == Backend::Postgres {
        return Err(BackupError::Postgres);
    }
    // SQLite takes the name as text: a name that is not UTF-8 would be written elsewhere.
    let Some(name) = target.to_str() else {
        return Err(BackupError::NotUtf8(target.to_path_buf()));
    };
    let file = |source| BackupError::File {
        path: target.to_path_buf(),
        source,
    };
    // Created empty and private first: VACUUM INTO fills an empty file and keeps its mode.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(target) {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists(target.to_path_buf()));
        }
        Err(err) => return Err(file(err)),
    }
    let copied = shared
        .conn
        .execute_raw(Statement::from_sql_and_values(
            shared.conn.get_database_backend(),
            "VACUUM INTO $1",
            [name.into()],
        ))
        .await;
    if let Err(err) = copied {
        // Nothing half-written is left behind to be mistaken for a backup.
        let _ = std::fs::remove_file(target);
        return Err(BackupError::Copy(err.into()));
    }
    std::fs::metadata(target).map(|m| m.len()).map_err(file)
}
