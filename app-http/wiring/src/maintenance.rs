//! The database behind the services: opening it with its master key (finishing a key
//! rotation that was interrupted), and the maintenance the CLI's `aviary db …` performs.

use std::path::PathBuf;

use anyhow::Context;
use aviary_adapters_db::{Database, MASTER_KEY_FILE, MasterKey};
use aviary_domain::ports::IntegrationStoreError;
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

/// Opens and migrates the configured database.
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
        return Ok(database);
    }
    finish_interrupted_rotation(database, settings).await
}

/// Whether every stored App Secret decrypts with the database's key.
async fn decrypts_all(database: &Database) -> Result<bool, IntegrationStoreError> {
    let integrations = database.integrations();
    for summary in integrations.list().await? {
        match integrations.get(summary.id).await {
            Ok(_) => {}
            Err(IntegrationStoreError::Undecryptable(_)) => return Ok(false),
            Err(other) => return Err(other),
        }
    }
    Ok(true)
}

/// A key rotation that stopped between re-encrypting and replacing the key file leaves the new
/// key staged: use whichever key decrypts the stored secrets, and make it the key file.
async fn finish_interrupted_rotation(
    database: Database,
    settings: &Settings,
) -> anyhow::Result<Database> {
    let dir = settings.data.dir.as_path();
    let Some(staged) = MasterKey::staged_in(dir).context("cannot read the staged master key")?
    else {
        return Ok(database);
    };
    if decrypts_all(&database)
        .await
        .context("cannot read the integrations")?
    {
        MasterKey::discard_staged(dir).context("cannot remove the staged master key")?;
        tracing::warn!(
            "a master-key rotation was interrupted before it switched keys; its staged key was discarded"
        );
        return Ok(database);
    }
    let url = settings.database_url();
    let rotated = Database::connect_with(&url, staged, settings.database.max_connections)
        .await
        .context("cannot open the database")?;
    anyhow::ensure!(
        decrypts_all(&rotated)
            .await
            .context("cannot read the integrations")?,
        "neither the master key nor the staged key of an interrupted rotation decrypts the secrets"
    );
    MasterKey::promote_staged(dir)
        .context("cannot replace the master key file with the staged key")?;
    tracing::warn!(
        "finished an interrupted master-key rotation: the staged key is now the master key"
    );
    Ok(rotated)
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
