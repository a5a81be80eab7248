//! The database behind the services: opening it with its master key (finishing a key
//! rotation that was interrupted), and the maintenance the CLI's `aviary db …` performs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use aviary_adapters_db::{Database, MASTER_KEY_FILE, MasterKey, RETIRED_DIR};
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
    let database = Database::connect_with(&url, key, settings.database.max_connections)
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
            .map(|encoded| MasterKey::from_base64(encoded.expose_secret().trim()))
            .collect::<Result<Vec<_>, _>>()
            .context(
                "AVIARY_SECRETS__PREVIOUS_MASTER_KEYS (secrets.previous_master_keys) must be base64 \
                 of 32 bytes each, comma-separated",
            )?;
        database.add_decryption_keys(previous);
        return Ok(database);
    }
    let dir = settings.data.dir.as_path();
    let retired = MasterKey::retired_in(dir).context("cannot read the retired master keys")?;
    database.add_decryption_keys(retired);
    finish_interrupted_rotation(&database, dir).await?;
    database.follow_key_directory(dir.to_path_buf());
    Ok(database)
}

/// A rotation stages its new key, re-encrypts in one transaction, then makes the staged key the
/// key file. Found staged at start: if stored secrets use it, the rotation committed and only
/// the file switch is missing — make it, and encrypt with it from now on; if none does, a
/// rotation may be under way in another process (or died before committing): keep the staged
/// key as one that decrypts, and leave it for that rotation (or the next) to finish. A staged
/// key is never discarded: a process starting mid-rotation must not lose it.
async fn finish_interrupted_rotation(database: &Database, dir: &Path) -> anyhow::Result<()> {
    let Some(staged) = MasterKey::staged_in(dir).context("cannot read the staged master key")?
    else {
        return Ok(());
    };
    let used = database
        .secrets_under(staged.id())
        .await
        .context("cannot count the secrets under the staged key")?;
    if used == 0 {
        tracing::info!(
            staged = staged.id(),
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
            "the master key comes from AVIARY_SECRETS__MASTER_KEY: there are no key files to retire"
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

    /// Re-encrypts every stored secret under a new master key: `new_key` (base64 of 32 bytes),
    /// or a generated one when the key lives in the data directory.
    ///
    /// # Errors
    /// When the new key is invalid or already in use, none was given while the key comes from
    /// the settings, or re-encrypting fails (then nothing changed).
    pub async fn rotate_master_key(
        &self,
        new_key: Option<SecretString>,
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
        let old_key_id = self.database.master_key_id();
        let new_key_id = new_key.id().to_owned();
        anyhow::ensure!(
            old_key_id != new_key_id,
            "the new key is the key already in use ({old_key_id})"
        );
        let mut rotation = Rotation {
            reencrypted: 0,
            old_key_id,
            new_key_id,
            key_file: None,
        };
        if !key_in_file {
            rotation.reencrypted = self.database.rotate_master_key(new_key).await?;
            return Ok(rotation);
        }
        let dir = &self.settings.data.dir;
        // The old key is kept first: until no secret uses it, it must keep decrypting.
        self.database
            .retire_primary_key_in(dir)
            .context("cannot keep the current key in the data directory")?;
        let staged = new_key
            .stage_in(dir)
            .context("cannot stage the new key in the data directory")?;
        rotation.reencrypted = self
            .database
            .rotate_master_key(new_key)
            .await
            .with_context(|| {
                format!(
                    "nothing was re-encrypted; the unused new key in {} is discarded at the next start",
                    staged.display()
                )
            })?;
        // Should this fail, the next start finds the staged key and finishes the rotation.
        MasterKey::promote_staged(dir)
            .context("the secrets use the new key, but it could not replace the key file yet")?;
        rotation.key_file = Some(dir.join(MASTER_KEY_FILE));
        Ok(rotation)
    }
}
