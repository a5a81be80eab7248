//! The database behind the services: opening it with its master key (finishing a key
//! rotation that was interrupted), and the maintenance the CLI's `aviary db …` performs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use aviary_adapters_db::{Database, KeyUsage, MASTER_KEY_FILE, MasterKey, RETIRED_DIR};
use secrecy::{ExposeSecret, SecretString};

use crate::settings::Settings;

/// The master key the settings name: `secrets.master_key`, else (SQLite only) the key file in
/// the data directory, created on first use.
fn master_key(settings: &Settings, url: &str) -> anyhow::Result<MasterKey> {
    match &settings.secrets.master_key {
        Some(encoded) => MasterKey::from_base64(encoded.expose_secret())
            .context("AVIARY_SECRETS__MASTER_KEY (secrets.master_key) is not base64 of 32 bytes"),
        None if url.starts_with("sqlite:") => MasterKey::load_or_create(&settings.data.dir)
            .with_context(|| {
                format!(
                    "cannot read or create the master key in {}",
                    settings.data.dir.display()
                )
            }),
        None => anyhow::bail!(
            "set AVIARY_SECRETS__MASTER_KEY (base64 of 32 bytes) when using PostgreSQL: every process \
             sharing the database needs the same key"
        ),
    }
}

/// Opens and migrates the configured database. With the key in the data directory, the keys
/// a rotation retired (`keys/`) and one it staged (`rotation/`) are added to the keyring: rows
/// written under any of them keep opening, whichever process wrote them and when.
///
/// # Errors
/// When the master key is missing or invalid, or the database cannot be opened or migrated.
pub(crate) async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let url = settings.database_url();
    let key = master_key(settings, &url)?;
    let database = Database::connect_with(&url, key, settings.database.pool())
        .await
        .context("cannot open the database")?;
    database
        .migrate()
        .await
        .context("cannot migrate the database")?;
    if settings.secrets.master_key.is_some() {
        let previous = settings
            .secrets
            .previous_master_keys
            .iter()
            // An emptied variable (`AVIARY_SECRETS__PREVIOUS_MASTER_KEYS=`) means none.
            .filter(|encoded| !encoded.expose_secret().trim().is_empty())
            .map(|encoded| MasterKey::from_base64(encoded.expose_secret().trim()))
            .collect::<Result<Vec<_>, _>>()
            .context(
                "AVIARY_SECRETS__PREVIOUS_MASTER_KEYS (secrets.previous_master_keys) must be base64 \
                 of 32 bytes each, comma-separated",
            )?;
        database.add_decryption_keys(previous);
    } else {
        let dir = settings.data.dir.as_path();
        let retired = MasterKey::retired_in(dir).context("cannot read the retired master keys")?;
        database.add_decryption_keys(retired);
        finish_interrupted_rotation(&database, dir).await?;
        database.follow_key_directory(dir.to_path_buf());
    }
    // A rotation may have made another key the primary since this process's key was set.
    database
        .follow_recorded_primary()
        .await
        .context("cannot read which master key the database records as the primary")?;
    Ok(database)
}

/// Name of the lock file in the data directory that a rotation holds while it runs.
const ROTATION_LOCK_FILE: &str = "rotation.lock";

/// The data directory's rotation lock, if no other process holds it (released when the file
/// is dropped, or when its process dies — also by `kill -9`).
fn try_lock_rotation(dir: &Path) -> anyhow::Result<Option<std::fs::File>> {
    let path = dir.join(ROTATION_LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// A rotation stages its new key, re-encrypts in one transaction that records the new key as
/// the primary, then makes the staged key the key file. Found staged at start: if the database
/// records it as the primary (or, before that record existed, secrets use it), the rotation
/// committed and only the file switch is missing — made here unless the rotation is still
/// running (it holds the rotation lock and makes it itself). Otherwise a rotation is under way
/// or died before committing: the staged key is kept as one that decrypts. A staged key is
/// never discarded: a process starting mid-rotation must not lose it.
async fn finish_interrupted_rotation(database: &Database, dir: &Path) -> anyhow::Result<()> {
    if MasterKey::staged_in(dir)
        .context("cannot read the staged master key")?
        .is_none()
    {
        return Ok(());
    }
    let lock = try_lock_rotation(dir)?;
    // Read again under the lock: a rotation that just finished has promoted it meanwhile.
    let Some(staged) = MasterKey::staged_in(dir).context("cannot read the staged master key")?
    else {
        return Ok(());
    };
    let recorded = database
        .recorded_primary_key_id()
        .await
        .context("cannot read which master key the database records as the primary")?;
    let committed = recorded.as_deref() == Some(staged.id())
        || database
            .secrets_under(staged.id())
            .await
            .context("cannot count the secrets under the staged key")?
            > 0;
    if !committed || lock.is_none() {
        tracing::info!(
            staged = staged.id(),
            committed,
            "a master-key rotation is under way or did not commit; its staged key is kept"
        );
        database.add_decryption_keys(vec![staged]);
        return Ok(());
    }
    MasterKey::promote_staged(dir)
        .context("cannot replace the master key file with the staged key")?;
    database.use_primary_key(staged);
    tracing::warn!(
        "finished an interrupted master-key rotation: the staged key is now the master key"
    );
    Ok(())
}

/// A step of a master-key rotation, reported as it completes (`aviary db rotate-key` prints
/// each, and with `--pause-between-steps` waits after each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationStep {
    /// The key in use is kept as `keys/<id>.key` (key in the data directory only).
    KeptOldKey,
    /// The new key is staged as `rotation/master.key` (key in the data directory only).
    StagedNewKey,
    /// This many secrets are re-encrypted; the transaction has not committed yet.
    Reencrypted(u64),
    /// Committed: the secrets are under the new key, which the database records as primary.
    Committed(u64),
    /// The new key replaced `master.key` (key in the data directory only).
    Promoted,
}

impl RotationStep {
    /// A short, stable name (`kept-old-key`, `staged-new-key`, `reencrypted`, `committed`,
    /// `promoted`).
    pub fn name(self) -> &'static str {
        match self {
            Self::KeptOldKey => "kept-old-key",
            Self::StagedNewKey => "staged-new-key",
            Self::Reencrypted(_) => "reencrypted",
            Self::Committed(_) => "committed",
            Self::Promoted => "promoted",
        }
    }
}

/// What a master-key rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Secrets re-encrypted under the new key.
    pub reencrypted: u64,
    pub old_key_id: String,
    pub new_key_id: String,
    /// The key file the new key replaced; `None` when the key comes from the settings (every
    /// process sharing the database must be given the new key).
    pub key_file: Option<PathBuf>,
}

/// What retiring unused master keys did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Retirement {
    /// Ids of the retired keys whose files were deleted.
    pub deleted: Vec<String>,
    /// Ids of the retired keys still used, with how many secrets use each.
    pub kept: Vec<(String, u64)>,
}

/// Schema migrations and master-key rotation.
#[derive(Clone)]
pub struct Maintenance {
    database: Database,
    settings: Settings,
}

impl std::fmt::Debug for Maintenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maintenance").finish_non_exhaustive()
    }
}

impl Maintenance {
    pub(crate) fn new(database: Database, settings: Settings) -> Self {
        Self { database, settings }
    }

    /// Applies pending migrations (opening the services already did; a no-op then).
    ///
    /// # Errors
    /// When a migration fails.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Ok(self.database.migrate().await?)
    }

    /// Deletes the retired keys of the data directory (`keys/<id>.key`) that no stored secret
    /// uses; a key still used, or the key in use, is kept.
    ///
    /// # Errors
    /// When the key comes from the settings (there is no key directory), or the keys or the
    /// database cannot be read, or a file cannot be deleted.
    pub async fn retire_unused_keys(&self) -> anyhow::Result<Retirement> {
        anyhow::ensure!(
            self.settings.secrets.master_key.is_none(),
            "the master key comes from AVIARY_SECRETS__MASTER_KEY: there are no key files to retire; \
             `aviary db keys` shows which configured keys stored secrets still use"
        );
        let dir = &self.settings.data.dir;
        let primary = self.database.master_key_id();
        let mut retirement = Retirement::default();
        for key in MasterKey::retired_in(dir).context("cannot read the retired master keys")? {
            let used = self
                .database
                .secrets_under(key.id())
                .await
                .context("cannot count the secrets under a retired key")?;
            if used > 0 || key.id() == primary {
                retirement.kept.push((key.id().to_owned(), used));
                continue;
            }
            let file = dir.join(RETIRED_DIR).join(format!("{}.key", key.id()));
            std::fs::remove_file(&file)
                .with_context(|| format!("cannot delete {}", file.display()))?;
            retirement.deleted.push(key.id().to_owned());
        }
        Ok(retirement)
    }

    /// Copies the embedded SQLite database into the new file `target` while servers run;
    /// returns its size in bytes.
    ///
    /// # Errors
    /// When `target` exists, the database is PostgreSQL, or the copy fails (no file is left).
    pub async fn backup(&self, target: &Path) -> anyhow::Result<u64> {
        Ok(self.database.backup_to(target).await?)
    }

    /// Where the master keys are kept, in words: what a restore needs beside a backup.
    pub fn where_the_keys_are(&self) -> String {
        if self.settings.secrets.master_key.is_some() {
            return "AVIARY_SECRETS__MASTER_KEY and AVIARY_SECRETS__PREVIOUS_MASTER_KEYS"
                .to_owned();
        }
        let dir = &self.settings.data.dir;
        format!(
            "{} and {}",
            dir.join(MASTER_KEY_FILE).display(),
            dir.join(RETIRED_DIR).display()
        )
    }

    /// Every master key with the number of stored secrets under it, the primary the database
    /// records, and each secret that no key this process knows opens.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn key_usage(&self) -> anyhow::Result<KeyUsage> {
        Ok(self.database.key_usage().await?)
    }

    /// Re-encrypts every stored secret under a new master key: `new_key` (base64 of 32 bytes),
    /// or a generated one when the key lives in the data directory. With the key in the
    /// settings, `new_key` may be the key in use: what processes that did not know it yet wrote
    /// under older keys is re-encrypted. `on_step` hears of each step as it completes.
    ///
    /// # Errors
    /// When the new key is invalid or (key in the data directory) already in use, none was
    /// given while the key comes from the settings, another rotation of the data directory
    /// is running, or re-encrypting fails (then nothing changed).
    pub async fn rotate_master_key(
        &self,
        new_key: Option<SecretString>,
        on_step: &mut (dyn FnMut(RotationStep) + Send),
    ) -> anyhow::Result<Rotation> {
        let key_in_file = self.settings.secrets.master_key.is_none();
        let new_key = match (new_key, key_in_file) {
            (Some(text), _) => MasterKey::from_base64(text.expose_secret().trim())
                .context("the new key is not base64 of 32 bytes")?,
            (None, true) => MasterKey::generate(),
            (None, false) => anyhow::bail!(
                "the master key comes from AVIARY_SECRETS__MASTER_KEY: pass the new key on stdin with --new-key-stdin"
            ),
        };
        let mut rotation = Rotation {
            reencrypted: 0,
            old_key_id: self.database.master_key_id(),
            new_key_id: new_key.id().to_owned(),
            key_file: None,
        };
        if !key_in_file {
            rotation.reencrypted = self.reencrypt(new_key, on_step).await?;
            return Ok(rotation);
        }
        anyhow::ensure!(
            rotation.old_key_id != rotation.new_key_id,
            "the new key is the key already in use ({})",
            rotation.old_key_id
        );
        let dir = &self.settings.data.dir;
        let Some(_lock) = try_lock_rotation(dir)? else {
            anyhow::bail!(
                "another master-key rotation of {} is running; wait for it to finish",
                dir.display()
            );
        };
        // The old key is kept first: until no secret uses it, it must keep decrypting.
        self.database
            .retire_primary_key_in(dir)
            .context("cannot keep the current key in the data directory")?;
        on_step(RotationStep::KeptOldKey);
        let staged = new_key
            .stage_in(dir)
            .context("cannot stage the new key in the data directory")?;
        on_step(RotationStep::StagedNewKey);
        rotation.reencrypted = self.reencrypt(new_key, on_step).await.with_context(|| {
            format!(
                "nothing was re-encrypted; the new key staged in {} encrypts nothing and is \
                 replaced by the next rotation",
                staged.display()
            )
        })?;
        // Should this fail, the next start finds the staged key and finishes the rotation.
        MasterKey::promote_staged(dir)
            .context("the secrets use the new key, but it could not replace the key file yet")?;
        on_step(RotationStep::Promoted);
        rotation.key_file = Some(dir.join(MASTER_KEY_FILE));
        Ok(rotation)
    }

    /// The rotation's transaction: re-encrypts under `new` and records it as the primary.
    async fn reencrypt(
        &self,
        new: MasterKey,
        on_step: &mut (dyn FnMut(RotationStep) + Send),
    ) -> anyhow::Result<u64> {
        let count = self
            .database
            .rotate_master_key(new, &mut |count| on_step(RotationStep::Reencrypted(count)))
            .await?;
        on_step(RotationStep::Committed(count));
        Ok(count)
    }
}
