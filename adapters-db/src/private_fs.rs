//! Aviary's files are its owner's alone: the data directory `0700`, the database files and the
//! master key `0600` (Unix; elsewhere the platform's defaults apply). Created so, and tightened
//! when an existing one is open to the group or to others (as an earlier release left them).
//! SQLite creates its `-wal` and `-shm` files with the database file's mode, so they follow.

use std::io;
use std::path::Path;

/// Creates `dir` (and its missing parents) readable by its owner only, or tightens it.
///
/// # Errors
/// The file system's.
pub(crate) fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        tighten(dir, 0o700)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Creates the empty file `path` readable by its owner only when it is missing, or tightens it.
///
/// # Errors
/// The file system's.
pub(crate) fn private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?;
    #[cfg(unix)]
    tighten(path, 0o600)?;
    Ok(())
}

/// Tightens the file `path` to its owner when it exists (SQLite's `-wal` and `-shm` files of a
/// database an earlier release created).
///
/// # Errors
/// The file system's, except that the file is missing.
pub(crate) fn private_if_present(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    match tighten(path, 0o600) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        other => other?,
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Removes the group's and others' permissions from `path` (to `mode`) when it has any.
#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        tracing::info!(
            path = %path.display(),
            from = format!("{current:o}"),
            to = format!("{mode:o}"),
            "made a data file private to its owner"
        );
    }
    Ok(())
}
