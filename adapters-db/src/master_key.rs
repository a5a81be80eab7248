//! The master key that encrypts secrets at rest: from configuration (base64 of 32 bytes) or, in
//! the embedded default, generated once into the data directory (`master.key`, mode 0600).

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};

/// Name of the key file inside the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";
/// Folder of the data directory that holds the new key while a rotation is under way, so an
/// interruption never loses the key the secrets are encrypted with.
pub const ROTATION_DIR: &str = "rotation";
/// The folder in the data directory that keeps the keys a rotation retired, one `<id>.key` file
/// each: rows written under them (by a process that had not switched yet) keep opening.
pub const RETIRED_DIR: &str = "keys";

const KEY_LEN: usize = 32;

/// Why a master key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error(
        "the master key is not valid base64; set AVIARY_SECRETS__MASTER_KEY to the base64 encoding of \
         32 random bytes (e.g. the output of `openssl rand -base64 32`)"
    )]
    NotBase64,
    #[error(
        "the master key must be exactly 32 bytes, but it decodes to {len} bytes; set \
         AVIARY_SECRETS__MASTER_KEY to the base64 encoding of 32 random bytes (e.g. `openssl rand -base64 32`)"
    )]
    WrongLength { len: usize },
    #[error(
        "the key file {path} is not a master key (expected one line of base64 encoding exactly 32 bytes); \
         restore the original file from a backup, or move it away to start with a new, empty database"
    )]
    BadKeyFile { path: PathBuf },
    #[error("cannot use the key file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A 256-bit key for AES-256-GCM plus a short id derived from it (stored next to each
/// ciphertext so a wrong key is reported as such). `Debug` shows only the id.
pub struct MasterKey {
    bytes: SecretBox<[u8; KEY_LEN]>,
    id: String,
}

impl MasterKey {
    fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"aviary master key id\0")
            .chain_update(bytes)
            .finalize();
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            bytes: SecretBox::new(Box::new(bytes)),
            id,
        }
    }

    /// A fresh random key (for first start and for rotation).
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Parses the configured key (`AVIARY_SECRETS__MASTER_KEY`): base64 (standard or URL-safe,
    /// surrounding whitespace ignored) of exactly 32 bytes.
    ///
    /// # Errors
    /// [`MasterKeyError::NotBase64`] or [`MasterKeyError::WrongLength`].
    pub fn from_base64(encoded: &str) -> Result<Self, MasterKeyError> {
        let trimmed = encoded.trim();
        let decoded = STANDARD
            .decode(trimmed)
            .or_else(|_| URL_SAFE.decode(trimmed))
            .map_err(|_| MasterKeyError::NotBase64)?;
        let len = decoded.len();
        let bytes: [u8; KEY_LEN] = decoded
            .try_into()
            .map_err(|_| MasterKeyError::WrongLength { len })?;
        Ok(Self::from_bytes(bytes))
    }

    /// Loads `master.key` from `dir`, or creates the directory and a new random key file
    /// (permissions 0600 on Unix) when there is none. Concurrent first starts agree on one key.
    ///
    /// # Errors
    /// [`MasterKeyError::BadKeyFile`] when the file exists but is not a 32-byte key (it is never
    /// overwritten), [`MasterKeyError::Io`] when it cannot be read or written.
    pub fn load_or_create(dir: &Path) -> Result<Self, MasterKeyError> {
        let path = dir.join(MASTER_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(contents) => return Self::parse_file(&path, &contents),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(MasterKeyError::Io { path, source }),
        }
        crate::private_fs::private_dir(dir).map_err(|source| MasterKeyError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let key = Self::generate();
        let temp = write_private_temp(dir, &key)?;
        // A hard link never replaces an existing file: if another process created the key first,
        // this fails with `AlreadyExists` and we use theirs.
        let linked = std::fs::hard_link(&temp, &path);
        let _ = std::fs::remove_file(&temp);
        match linked.and_then(|()| sync_dir(dir)) {
            Ok(()) => {
                tracing::info!(path = %path.display(), key_id = %key.id, "created a new master key");
                Ok(key)
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let contents =
                    std::fs::read_to_string(&path).map_err(|source| MasterKeyError::Io {
                        path: path.clone(),
                        source,
                    })?;
                Self::parse_file(&path, &contents)
            }
            Err(source) => Err(MasterKeyError::Io { path, source }),
        }
    }

    /// Writes this key as `master.key` in `dir`, replacing any existing file atomically (used
    /// after [`crate::Database::rotate_master_key`]). Returns the file's path.
    ///
    /// # Errors
    /// [`MasterKeyError::Io`] when the file cannot be written.
    pub fn store_in(&self, dir: &Path) -> Result<PathBuf, MasterKeyError> {
        self.write_as(dir, MASTER_KEY_FILE)
    }

    /// Keeps this key, which a rotation is about to retire, as `keys/<id>.key` in the data
    /// directory (written and fsynced before the rotation changes anything).
    ///
    /// # Errors
    /// [`MasterKeyError::Io`] when the file cannot be written.
    pub fn retire_in(&self, dir: &Path) -> Result<PathBuf, MasterKeyError> {
        self.write_as(&dir.join(RETIRED_DIR), &format!("{}.key", self.id))
    }

    /// Writes this key as `dir/name` (the folder `0700`, the file `0600`), replacing any file
    /// of that name atomically, with the file and the folder's entry fsynced.
    fn write_as(&self, dir: &Path, name: &str) -> Result<PathBuf, MasterKeyError> {
        let path = dir.join(name);
        crate::private_fs::private_dir(dir).map_err(|source| MasterKeyError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let temp = write_private_temp(dir, self)?;
        std::fs::rename(&temp, &path)
            .and_then(|()| sync_dir(dir))
            .map_err(|source| {
                let _ = std::fs::remove_file(&temp);
                MasterKeyError::Io {
                    path: path.clone(),
                    source,
                }
            })?;
        Ok(path)
    }

    /// The key file of `dir` (`master.key`), if there is one.
    ///
    /// # Errors
    /// [`MasterKeyError::BadKeyFile`] or [`MasterKeyError::Io`] when it cannot be read.
    pub fn in_dir(dir: &Path) -> Result<Option<Self>, MasterKeyError> {
        let path = dir.join(MASTER_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(contents) => Self::parse_file(&path, &contents).map(Some),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(MasterKeyError::Io { path, source }),
        }
    }

    /// Every key a rotation retired in the data directory (`keys/*.key`).
    ///
    /// # Errors
    /// [`MasterKeyError::BadKeyFile`] or [`MasterKeyError::Io`] when one cannot be read.
    pub fn retired_in(dir: &Path) -> Result<Vec<Self>, MasterKeyError> {
        let folder = dir.join(RETIRED_DIR);
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(MasterKeyError::Io {
                    path: folder,
                    source,
                });
            }
        };
        let mut keys = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|source| MasterKeyError::Io {
                    path: folder.clone(),
                    source,
                })?
                .path();
            if path.extension().and_then(|e| e.to_str()) != Some("key") {
                continue;
            }
            let contents = std::fs::read_to_string(&path).map_err(|source| MasterKeyError::Io {
                path: path.clone(),
                source,
            })?;
            keys.push(Self::parse_file(&path, &contents)?);
        }
        Ok(keys)
    }

    /// Keeps this key in the data directory's rotation folder until the database uses it.
    ///
    /// # Errors
    /// [`MasterKeyError::Io`] when the file cannot be written.
    pub fn stage_in(&self, dir: &Path) -> Result<PathBuf, MasterKeyError> {
        self.store_in(&dir.join(ROTATION_DIR))
    }

    /// The key staged by a rotation that did not finish, if any.
    ///
    /// # Errors
    /// [`MasterKeyError::BadKeyFile`] or [`MasterKeyError::Io`] when it cannot be read.
    pub fn staged_in(dir: &Path) -> Result<Option<Self>, MasterKeyError> {
        let path = dir.join(ROTATION_DIR).join(MASTER_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(contents) => Self::parse_file(&path, &contents).map(Some),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(MasterKeyError::Io { path, source }),
        }
    }

    /// Makes the staged key the data directory's key (an atomic rename) and removes the
    /// rotation folder.
    ///
    /// # Errors
    /// [`MasterKeyError::Io`] when the file cannot be moved.
    pub fn promote_staged(dir: &Path) -> Result<(), MasterKeyError> {
        let staged = dir.join(ROTATION_DIR).join(MASTER_KEY_FILE);
        let path = dir.join(MASTER_KEY_FILE);
        std::fs::rename(&staged, &path)
            .and_then(|()| sync_dir(dir))
            .map_err(|source| MasterKeyError::Io { path, source })?;
        let _ = std::fs::remove_dir(dir.join(ROTATION_DIR));
        Ok(())
    }

    fn parse_file(path: &Path, contents: &str) -> Result<Self, MasterKeyError> {
        warn_if_readable_by_others(path);
        Self::from_base64(contents).map_err(|_| MasterKeyError::BadKeyFile {
            path: path.to_path_buf(),
        })
    }

    /// The key's id: 8 hex digits of a SHA-256 of the key, safe to show and log.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key in base64 (to put into `AVIARY_SECRETS__MASTER_KEY`). Secret: never log it.
    pub fn to_base64(&self) -> SecretString {
        SecretString::from(STANDARD.encode(self.bytes.expose_secret()))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        self.bytes.expose_secret()
    }
}

impl Clone for MasterKey {
    fn clone(&self) -> Self {
        Self {
            bytes: SecretBox::new(Box::new(*self.bytes.expose_secret())),
            id: self.id.clone(),
        }
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .field("bytes", &"[redacted]")
            .finish()
    }
}

/// Makes the directory's entries durable: a rename or link is only as safe as its directory
/// on disk, and a crash right after a rotation must not bring the old key file back.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Writes the key to a new uniquely named file in `dir`, readable by the owner only.
fn write_private_temp(dir: &Path, key: &MasterKey) -> Result<PathBuf, MasterKeyError> {
    let temp = dir.join(format!(
        ".{MASTER_KEY_FILE}.{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let io = |source| MasterKeyError::Io {
        path: temp.clone(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&temp).map_err(io)?;
    let encoded = key.to_base64();
    let written = file
        .write_all(encoded.expose_secret().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all());
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(MasterKeyError::Io { path: temp, source });
    }
    Ok(temp)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the master key file is readable by other users; restrict it with `chmod 600`"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_base64_of_32_bytes_and_derives_a_stable_id() {
        let encoded = STANDARD.encode([7u8; 32]);
        let a = MasterKey::from_base64(&format!("  {encoded}\n")).unwrap();
        let b = MasterKey::from_base64(&encoded).unwrap();
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id().len(), 8);
        assert_eq!(a.bytes(), &[7u8; 32]);
        assert_ne!(
            a.id(),
            MasterKey::from_base64(&STANDARD.encode([8u8; 32]))
                .unwrap()
                .id()
        );
        assert_eq!(a.to_base64().expose_secret(), encoded);
        assert!(!format!("{a:?}").contains(&encoded));
    }

    #[test]
    fn rejects_bad_base64_and_wrong_lengths() {
        assert!(matches!(
            MasterKey::from_base64("not base64!"),
            Err(MasterKeyError::NotBase64)
        ));
        let short = STANDARD.encode([1u8; 16]);
        let err = MasterKey::from_base64(&short).unwrap_err();
        assert!(matches!(err, MasterKeyError::WrongLength { len: 16 }));
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }

    #[test]
    fn creates_the_key_file_once_with_private_permissions_and_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested").join("data");
        let first = MasterKey::load_or_create(&data).unwrap();
        let second = MasterKey::load_or_create(&data).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        let path = data.join(MASTER_KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(&data).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files were left behind");
    }

    #[test]
    fn refuses_a_key_file_of_the_wrong_length_and_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MASTER_KEY_FILE);
        let short = STANDARD.encode([3u8; 31]);
        std::fs::write(&path, &short).unwrap();
        let err = MasterKey::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(err, MasterKeyError::BadKeyFile { .. }), "{err:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), short);
    }

    #[test]
    fn store_in_replaces_the_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let old = MasterKey::load_or_create(dir.path()).unwrap();
        let new = MasterKey::generate();
        new.store_in(dir.path()).unwrap();
        let loaded = MasterKey::load_or_create(dir.path()).unwrap();
        assert_eq!(loaded.bytes(), new.bytes());
        assert_ne!(loaded.bytes(), old.bytes());
    }
}
