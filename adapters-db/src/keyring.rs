//! The keyring of master keys: the primary encrypts, every other known key still decrypts.
//! Every ciphertext names its key, so a row written under an older key (by a process that had
//! not switched yet, or before a rotation finished) keeps opening.
//!
//! Which key is primary is recorded in the database ([`crate::key_record`]) by the rotation's
//! own transaction, so every process sharing the database encrypts with the new key as soon
//! as the rotation commits — if it knows that key. With a key directory (the embedded
//! default's data directory) a process learns new keys from the directory without a restart;
//! with keys from the settings it knows the keys it was configured with.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use crate::master_key::MasterKey;

#[derive(Debug, Clone)]
struct Keyring {
    primary: Arc<MasterKey>,
    others: Vec<Arc<MasterKey>>,
}

/// The keyring in use, shared by every repository of a [`crate::Database`].
#[derive(Debug, Clone)]
pub(crate) struct KeySlot {
    ring: Arc<RwLock<Keyring>>,
    /// The key directory this process follows, if any (set once).
    dir: Arc<OnceLock<PathBuf>>,
    /// The unknown recorded primary last warned about: one warning per key, not per secret.
    warned: Arc<Mutex<Option<String>>>,
}

impl KeySlot {
    pub(crate) fn new(key: MasterKey) -> Self {
        Self {
            ring: Arc::new(RwLock::new(Keyring {
                primary: Arc::new(key),
                others: Vec::new(),
            })),
            dir: Arc::new(OnceLock::new()),
            warned: Arc::new(Mutex::new(None)),
        }
    }

    /// Follows `dir` from now on: its key file, retired keys and staged key are known keys.
    pub(crate) fn watch(&self, dir: PathBuf) {
        let _ = self.dir.set(dir);
    }

    /// The key to encrypt with, given the primary the database records (`None`: no rotation
    /// recorded one; then the key directory's key file names it, if this process follows one).
    /// A recorded primary this process does not know is warned about, and the key in use
    /// keeps encrypting: what it writes stays readable by every process that keeps that key.
    pub(crate) fn primary_for(&self, recorded: Option<&str>) -> Arc<MasterKey> {
        let target = match recorded {
            Some(id) => Some(id.to_owned()),
            None => self.key_file_id(),
        };
        if let Some(id) = target.filter(|id| id != self.current().id()) {
            match self.find_or_reload(&id) {
                Some(key) => {
                    tracing::info!(key_id = %id, "a rotation made this master key the primary; encrypting with it");
                    self.replace(key);
                }
                None => self.warn_unknown(&id),
            }
        }
        self.current()
    }

    /// The id of the key directory's key file, which then becomes a known key.
    fn key_file_id(&self) -> Option<String> {
        let dir = self.dir.get()?;
        match MasterKey::in_dir(dir) {
            Ok(Some(key)) => {
                let id = key.id().to_owned();
                self.add_others(vec![key]);
                Some(id)
            }
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the master key file; encrypting with the key in use");
                None
            }
        }
    }

    fn warn_unknown(&self, id: &str) {
        let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.as_deref() == Some(id) {
            return;
        }
        tracing::warn!(
            recorded = %id,
            in_use = %self.current().id(),
            "the database names master key {id} as the primary, but this process does not know it: \
             secrets are encrypted under the key in use until the process is given the new key \
             (AVIARY_SECRETS__PREVIOUS_MASTER_KEYS or AVIARY_SECRETS__MASTER_KEY) and restarted"
        );
        *warned = Some(id.to_owned());
    }

    /// The known key with this id, reloading the key directory once when it is not known.
    pub(crate) fn find_or_reload(&self, id: &str) -> Option<Arc<MasterKey>> {
        if let Some(key) = self.find(id) {
            return Some(key);
        }
        let dir = self.dir.get()?;
        let mut found = MasterKey::retired_in(dir).unwrap_or_default();
        found.extend(MasterKey::staged_in(dir).ok().flatten());
        found.extend(MasterKey::in_dir(dir).ok().flatten());
        self.add_others(found);
        self.find(id)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keyring> {
        // The guarded value is replaced whole; a panic elsewhere cannot leave it half-written.
        self.ring.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key that encrypts.
    pub(crate) fn current(&self) -> Arc<MasterKey> {
        Arc::clone(&self.read().primary)
    }

    /// The known key with this id, primary or not.
    pub(crate) fn find(&self, id: &str) -> Option<Arc<MasterKey>> {
        let ring = self.read();
        std::iter::once(&ring.primary)
            .chain(&ring.others)
            .find(|key| key.id() == id)
            .map(Arc::clone)
    }

    /// Ids of every known key, the primary first.
    pub(crate) fn ids(&self) -> Vec<String> {
        let ring = self.read();
        std::iter::once(&ring.primary)
            .chain(&ring.others)
            .map(|key| key.id().to_owned())
            .collect()
    }

    /// Makes `key` the primary; the previous one keeps decrypting.
    pub(crate) fn replace(&self, key: Arc<MasterKey>) {
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        let id = key.id().to_owned();
        let previous = std::mem::replace(&mut ring.primary, key);
        if previous.id() != id {
            ring.others.retain(|known| known.id() != id);
            ring.others.push(previous);
        }
    }

    /// Adds keys that decrypt but do not encrypt (retired, staged or configured keys).
    pub(crate) fn add_others(&self, keys: Vec<MasterKey>) {
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            let known =
                ring.primary.id() == key.id() || ring.others.iter().any(|k| k.id() == key.id());
            if !known {
                ring.others.push(Arc::new(key));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_primary_that_is_known_becomes_the_key_that_encrypts() {
        let (old, new) = (MasterKey::generate(), MasterKey::generate());
        let slot = KeySlot::new(old.clone());
        slot.add_others(vec![new.clone()]);
        assert_eq!(slot.primary_for(None).id(), old.id());
        assert_eq!(slot.primary_for(Some(new.id())).id(), new.id());
        assert_eq!(slot.ids(), vec![new.id().to_owned(), old.id().to_owned()]);
    }

    #[test]
    fn an_unknown_recorded_primary_leaves_the_key_in_use_encrypting() {
        let old = MasterKey::generate();
        let slot = KeySlot::new(old.clone());
        assert_eq!(slot.primary_for(Some("0badc0de")).id(), old.id());
        assert_eq!(slot.ids(), vec![old.id().to_owned()]);
    }

    #[test]
    fn a_key_directory_names_the_primary_until_the_database_records_one() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load_or_create(dir.path()).unwrap();
        let slot = KeySlot::new(first.clone());
        slot.watch(dir.path().to_path_buf());
        let second = MasterKey::generate();
        first.retire_in(dir.path()).unwrap();
        second.store_in(dir.path()).unwrap();
        assert_eq!(slot.primary_for(None).id(), second.id());
        // The database's record wins over the file: the file is replaced after the commit.
        assert_eq!(slot.primary_for(Some(first.id())).id(), first.id());
    }
}
