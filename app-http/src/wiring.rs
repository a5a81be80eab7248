//! Composition root: connects the database and the Lark client and builds the use cases.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use aviary_adapters_db::{Database, MasterKey};
use aviary_adapters_lark::LarkGateway;
use aviary_domain::ports::OAuthGateway;
use aviary_domain::ports::PasswordHasher;
use aviary_domain::ports::{
    Clock, DirectoryGateway, IdSource, IntegrationRepository, IntegrationStoreError,
};
use aviary_domain::usecases::ApiKeys;
use aviary_domain::usecases::connect::{Connect, ConnectSettings, RedirectUris, UserTokens};
use aviary_domain::usecases::doctor::Doctor;
use aviary_domain::usecases::sync::SyncIntegration;
use aviary_domain::usecases::{AdminAccounts, SignIn};
use aviary_domain::usecases::{IntegrationHealth, RemoveIntegration, UpdateIntegration};
use aviary_domain::usecases::{Queries, RegisterIntegration};
use secrecy::ExposeSecret;

use crate::passwords::Argon2Hasher;
use crate::runner::SyncRunner;
use crate::settings::Settings;
use crate::system::{RandomIds, SystemClock};
use crate::ui::throttle::SignInThrottle;

/// Everything the apps call into.
#[derive(Clone)]
pub struct Services {
    pub settings: Settings,
    pub database: Database,
    pub integrations: Arc<dyn IntegrationRepository>,
    pub directory: Arc<dyn DirectoryGateway>,
    pub register: RegisterIntegration,
    /// Label and sync schedule of a registered integration.
    pub update: UpdateIntegration,
    /// Deleting an integration with its synced data.
    pub remove: RemoveIntegration,
    /// An integration's runs, accounts per status and problems (`GET …/status`).
    pub health: IntegrationHealth,
    pub sync: SyncIntegration,
    pub queries: Queries,
    /// Admin users: create and reset passwords (CLI), list.
    pub admins: AdminAccounts,
    /// Admin sign-in, server-side sessions and CSRF checks (for the web UI).
    pub sign_in: SignIn,
    /// Failed web sign-ins per client address (shared by the server's workers).
    pub sign_in_throttle: SignInThrottle,
    /// API keys for automation: create, list, revoke, authenticate.
    pub api_keys: ApiKeys,
    /// The admin's Lark login that connects an integration (web UI).
    pub connect: Arc<Connect>,
    /// The permission doctor: what an integration's app may do in Lark, and how to fix it.
    pub doctor: Doctor,
    /// Fresh user access tokens of the admins' Lark logins: the process's one instance, whose
    /// per-integration locks serialise refreshes (every sync run checks its grant with it).
    pub user_tokens: Arc<UserTokens>,
    /// Syncs in the background (API, web UI, schedule) for the server.
    pub runner: SyncRunner,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

/// This process, as named in sync leases: host and pid.
fn process_owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// A key rotation that stopped between re-encrypting and replacing the key file leaves the new
/// key staged: use whichever key decrypts the stored secrets, and make it the key file.
async fn finish_interrupted_rotation(
    database: Database,
    url: &str,
    dir: &Path,
) -> anyhow::Result<Database> {
    let Some(staged) = MasterKey::staged_in(dir).context("cannot read the staged master key")?
    else {
        return Ok(database);
    };
    match database.integrations().list().await {
        Ok(_) => {
            MasterKey::discard_staged(dir).context("cannot remove the staged master key")?;
            tracing::warn!(
                "a master-key rotation was interrupted before it switched keys; its staged key was discarded"
            );
            Ok(database)
        }
        Err(IntegrationStoreError::Undecryptable(_)) => {
            let rotated = Database::connect(url, staged)
                .await
                .context("cannot open the database")?;
            rotated
                .integrations()
                .list()
                .await
                .context("neither the master key nor the staged key of an interrupted rotation decrypts the secrets")?;
            MasterKey::promote_staged(dir)
                .context("cannot replace the master key file with the staged key")?;
            tracing::warn!(
                "finished an interrupted master-key rotation: the staged key is now the master key"
            );
            Ok(rotated)
        }
        Err(other) => Err(other).context("cannot read the integrations"),
    }
}

impl Services {
    /// Opens (creating and migrating on first use) the database and wires the use cases, on
    /// the system clock.
    ///
    /// # Errors
    /// When the master key is missing or invalid, or the database cannot be opened or migrated.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// [`Services::build`] on the given clock (tests move time forward to expire logins,
    /// sessions and tokens).
    ///
    /// # Errors
    /// As [`Services::build`].
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let url = settings.database_url();
        let key = match &settings.secrets.master_key {
            Some(encoded) => MasterKey::from_base64(encoded.expose_secret()).context(
                "AVIARY_SECRETS__MASTER_KEY (secrets.master_key) is not base64 of 32 bytes",
            )?,
            None if url.starts_with("sqlite:") => MasterKey::load_or_create(&settings.data.dir)
                .with_context(|| {
                    format!(
                        "cannot read or create the master key in {}",
                        settings.data.dir.display()
                    )
                })?,
            None => anyhow::bail!(
                "set AVIARY_SECRETS__MASTER_KEY (base64 of 32 bytes) when using PostgreSQL: every process \
                 sharing the database needs the same key"
            ),
        };
        let key_in_file = settings.secrets.master_key.is_none();
        let database = Database::connect(&url, key)
            .await
            .context("cannot open the database")?;
        database
            .migrate()
            .await
            .context("cannot migrate the database")?;
        let database = if key_in_file {
            finish_interrupted_rotation(database, &url, &settings.data.dir).await?
        } else {
            database
        };
        let lark = Arc::new(
            LarkGateway::new(settings.lark.client.clone())
                .context("cannot set up the Lark client")?,
        );
        let directory: Arc<dyn DirectoryGateway> = Arc::clone(&lark) as _;
        let oauth: Arc<dyn OAuthGateway> = lark;
        let ids: Arc<dyn IdSource> = Arc::new(RandomIds);
        let integrations = database.integrations();
        let register = RegisterIntegration::new(
            Arc::clone(&integrations),
            Arc::clone(&directory),
            Arc::clone(&clock),
            Arc::clone(&ids),
        );
        let update = UpdateIntegration::new(Arc::clone(&integrations), Arc::clone(&clock));
        let remove = RemoveIntegration::new(Arc::clone(&integrations));
        let health = IntegrationHealth::new(database.read_model());
        let api_keys = ApiKeys::new(database.api_keys(), Arc::clone(&clock), Arc::clone(&ids));
        let hasher: Arc<dyn PasswordHasher> = Arc::new(Argon2Hasher::owasp());
        let admin_store = database.admins();
        let sessions = database.sessions();
        let admins = AdminAccounts::new(
            Arc::clone(&admin_store),
            Arc::clone(&sessions),
            Arc::clone(&hasher),
            Arc::clone(&clock),
            Arc::clone(&ids),
        );
        let sign_in = SignIn::new(
            admin_store,
            sessions,
            hasher,
            Arc::clone(&clock),
            Arc::clone(&ids),
        );
        let sign_in_throttle = SignInThrottle::new(Arc::clone(&clock));
        let user_tokens = Arc::new(UserTokens::new(
            Arc::clone(&integrations),
            database.grants(),
            Arc::clone(&oauth),
            Arc::clone(&clock),
        ));
        let connect = Arc::new(Connect::new(
            Arc::clone(&integrations),
            database.grants(),
            oauth,
            Arc::clone(&directory),
            Arc::clone(&clock),
            Arc::clone(&ids),
            ConnectSettings {
                redirect_uris: RedirectUris::under(&settings.http.public_base_url()),
                // None: any scope the app lacks stops the admin on Lark's page (20027), and
                // the setup guide's permission list has no user scope. `offline_access` is
                // asked for per login (`LoginOptions`).
                scopes: Vec::new(),
            },
        ));
        let sync = SyncIntegration::new(
            Arc::clone(&integrations),
            database.sync_store(),
            Arc::clone(&directory),
            Arc::clone(&user_tokens),
            Arc::clone(&clock),
            ids,
            settings.sync_settings(process_owner()),
        );
        let doctor = Doctor::new(
            Arc::clone(&integrations),
            database.grants(),
            Arc::clone(&directory),
            Arc::clone(&clock),
            settings.lark.rate_limits(),
        );
        let runner = SyncRunner::new(sync.clone(), settings.lark.rate_limits());
        let queries = Queries::new(database.read_model());
        Ok(Self {
            settings,
            database,
            integrations,
            directory,
            register,
            update,
            remove,
            health,
            sync,
            queries,
            admins,
            sign_in,
            sign_in_throttle,
            api_keys,
            connect,
            doctor,
            user_tokens,
            runner,
            clock,
        })
    }
}
