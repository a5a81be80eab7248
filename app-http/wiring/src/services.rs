//! Composition root: opens the database, sets up the Lark client and wires both into the use
//! cases — the only things the apps are handed.

use std::sync::Arc;

use anyhow::Context;
use aviary_adapters_db::Database;
use aviary_adapters_lark::LarkGateway;
use aviary_domain::ports::{
    Clock, DirectoryGateway, IdSource, LeaseHolders, OAuthGateway, PasswordHasher,
};
use aviary_domain::usecases::connect::{Connect, ConnectSettings, RedirectUris, UserTokens};
use aviary_domain::usecases::doctor::Doctor;
use aviary_domain::usecases::sync::SyncIntegration;
use aviary_domain::usecases::{
    AdminAccounts, ApiKeys, IntegrationHealth, Integrations, PruneHistory, Queries, Readiness,
    RegisterIntegration, RemoveIntegration, RequestBudget, Schedule, SignIn, UpdateIntegration,
};

use crate::database_clock::DatabaseClock;
use crate::maintenance::{self, Maintenance};
use crate::metrics::Metrics;
use crate::passwords::Argon2Hasher;
use crate::processes::{LocalProcesses, process_owner};
use crate::runner::SyncRunner;
use crate::settings::Settings;
use crate::system::{RandomIds, SystemClock, TokioTimer};

/// Everything the apps call into: use cases, the settings they were built from, the
/// background sync runner and database maintenance. No port or adapter is reachable from here.
#[derive(Clone)]
pub struct Services {
    pub settings: Settings,
    /// The process's Prometheus metrics (`GET /metrics`).
    pub metrics: Arc<Metrics>,
    /// Deleting old runs (`aviary db prune`, `retention.runs_days`).
    pub prune: PruneHistory,
    /// Listing integrations (secret-free) and finding one by id or label.
    pub integrations: Integrations,
    pub register: RegisterIntegration,
    /// Label and sync schedule of a registered integration.
    pub update: UpdateIntegration,
    /// Deleting an integration with its synced data.
    pub remove: RemoveIntegration,
    /// An integration's runs, accounts per status, next sync and problems (`GET …/status`).
    pub health: IntegrationHealth,
    /// Whether this process can serve: the database answers (`/readyz`).
    pub readiness: Readiness,
    pub sync: SyncIntegration,
    pub queries: Queries,
    /// Admin users: create and reset passwords (CLI), list.
    pub admins: AdminAccounts,
    /// Admin sign-in (throttled per client), server-side sessions and CSRF checks.
    pub sign_in: SignIn,
    /// API keys for automation: create, list, revoke, authenticate.
    pub api_keys: ApiKeys,
    /// Each key's API requests per minute (`http.api_requests_per_minute`).
    pub api_budget: RequestBudget,
    /// The admin's Lark login that connects an integration (web UI).
    pub connect: Arc<Connect>,
    /// The permission doctor: what an integration's app may do in Lark, and how to fix it.
    pub doctor: Doctor,
    /// Syncs in the background (API, web UI, schedule).
    pub runner: SyncRunner,
    /// Schema migrations and master-key rotation (`aviary db …`).
    pub maintenance: Maintenance,
    /// Reachable by test harnesses only (feature `test-support`), to arrange states no use case
    /// makes (a held run, a revoked grant, a closed pool).
    #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
    database: Database,
    /// The process's one [`UserTokens`] (the sync's), for test harnesses.
    #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
    user_tokens: Arc<UserTokens>,
    /// What [`UserTokens`] is built over, for test harnesses that stand up more of them.
    #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
    oauth: Arc<dyn OAuthGateway>,
    #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

/// The adapters and system sources the use cases are built over.
struct Parts {
    database: Database,
    directory: Arc<dyn DirectoryGateway>,
    oauth: Arc<dyn OAuthGateway>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    metrics: Arc<Metrics>,
}

impl Services {
    /// The database adapter behind the use cases, for test harnesses.
    #[cfg(feature = "test-support")]
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The user tokens the sync refreshes through, for test harnesses.
    #[cfg(feature = "test-support")]
    pub fn user_tokens(&self) -> Arc<UserTokens> {
        Arc::clone(&self.user_tokens)
    }

    /// Another process's user tokens, as far as refreshing goes: its own locks and its own
    /// name (`owner`) in refresh claims, over this database and Lark — so that test harnesses
    /// can stand up several "processes" that coordinate only through the database.
    #[cfg(feature = "test-support")]
    pub fn user_tokens_as(&self, owner: &str) -> Arc<UserTokens> {
        Arc::new(UserTokens::new(
            self.database.integrations(),
            self.database.grants(),
            Arc::clone(&self.oauth),
            Arc::clone(&self.clock),
            Arc::new(TokioTimer),
            owner.to_owned(),
        ))
    }

    /// Opens (creating and migrating on first use) the database and wires the use cases, on
    /// the system clock corrected to the database server's ([`DatabaseClock`]: processes on
    /// hosts whose clocks disagree judge leases by one clock).
    ///
    /// # Errors
    /// When the master key is missing or invalid, or the database cannot be opened or migrated.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let database = maintenance::open_database(&settings).await?;
        let clock = DatabaseClock::new(Arc::new(SystemClock));
        clock.clone().follow(database.clone()).await;
        Self::build_on(settings, database, Arc::new(clock))
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
        let database = maintenance::open_database(&settings).await?;
        Self::build_on(settings, database, clock)
    }

    fn build_on(
        settings: Settings,
        database: Database,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new());
        let lark = Arc::new(
            LarkGateway::new(settings.lark.client.clone())
                .context("cannot set up the Lark client")?
                .observed_by(Arc::clone(&metrics) as _),
        );
        let parts = Parts {
            database,
            directory: Arc::clone(&lark) as _,
            oauth: lark,
            clock,
            ids: Arc::new(RandomIds),
            metrics,
        };
        Ok(Self::wire(settings, &parts))
    }

    /// The use cases over `parts`.
    fn wire(settings: Settings, parts: &Parts) -> Self {
        let connect = Arc::new(connect(&settings, parts));
        // This process, as named in sync leases and refresh claims.
        let owner = process_owner();
        let user_tokens = Arc::new(UserTokens::new(
            parts.database.integrations(),
            parts.database.grants(),
            Arc::clone(&parts.oauth),
            Arc::clone(&parts.clock),
            Arc::new(TokioTimer),
            owner.clone(),
        ));
        // Which sync-lease holders are provably gone: the sync takes their leases over, the
        // schedule and the health report see their runs as abandoned.
        let holders: Arc<dyn LeaseHolders> = Arc::new(LocalProcesses::new());
        let sync = sync(
            &settings,
            parts,
            owner,
            Arc::clone(&user_tokens),
            Arc::clone(&holders),
        );
        let integrations = Integrations::new(parts.database.integrations());
        let queries = Queries::new(parts.database.read_model());
        let prune = PruneHistory::new(parts.database.run_history(), Arc::clone(&parts.clock));
        let runner = SyncRunner::new(
            sync.clone(),
            settings.lark.rate_limits(),
            Schedule::new(
                parts.database.integrations(),
                parts.database.read_model(),
                Arc::clone(&holders),
                Arc::clone(&parts.clock),
            ),
            &settings,
            Arc::clone(&parts.metrics),
            prune.clone(),
        );
        let (admins, sign_in) = admin_access(parts);
        Self {
            integrations,
            register: RegisterIntegration::new(
                parts.database.integrations(),
                Arc::clone(&parts.directory),
                Arc::clone(&parts.clock),
                Arc::clone(&parts.ids),
                settings.lark.client.base_url_policy(),
            ),
            update: UpdateIntegration::new(parts.database.integrations(), Arc::clone(&parts.clock)),
            remove: RemoveIntegration::new(parts.database.integrations()),
            health: IntegrationHealth::new(
                parts.database.read_model(),
                holders,
                Arc::clone(&parts.clock),
            ),
            readiness: Readiness::new(parts.database.health()),
            queries,
            api_keys: ApiKeys::new(
                parts.database.api_keys(),
                Arc::clone(&parts.clock),
                Arc::clone(&parts.ids),
            ),
            api_budget: RequestBudget::new(
                settings.http.api_requests_per_minute,
                Arc::clone(&parts.clock),
            ),
            doctor: Doctor::new(
                parts.database.integrations(),
                parts.database.grants(),
                Arc::clone(&parts.directory),
                Arc::clone(&parts.clock),
                settings.lark.rate_limits(),
            ),
            maintenance: Maintenance::new(parts.database.clone(), settings.clone()),
            admins,
            sign_in,
            connect,
            sync,
            runner,
            metrics: Arc::clone(&parts.metrics),
            prune,
            settings,
            database: parts.database.clone(),
            user_tokens,
            oauth: Arc::clone(&parts.oauth),
            clock: Arc::clone(&parts.clock),
        }
    }
}

/// Admin accounts and sign-in, over one Argon2id hasher.
fn admin_access(parts: &Parts) -> (AdminAccounts, SignIn) {
    let hasher: Arc<dyn PasswordHasher> = Arc::new(Argon2Hasher::owasp());
    let admins = AdminAccounts::new(
        parts.database.admins(),
        parts.database.sessions(),
        Arc::clone(&hasher),
        Arc::clone(&parts.clock),
        Arc::clone(&parts.ids),
    );
    let sign_in = SignIn::new(
        parts.database.admins(),
        parts.database.sessions(),
        hasher,
        Arc::clone(&parts.clock),
        Arc::clone(&parts.ids),
    );
    (admins, sign_in)
}

/// The admin's Lark login.
fn connect(settings: &Settings, parts: &Parts) -> Connect {
    Connect::new(
        parts.database.integrations(),
        parts.database.grants(),
        Arc::clone(&parts.oauth),
        Arc::clone(&parts.directory),
        Arc::clone(&parts.clock),
        Arc::clone(&parts.ids),
        ConnectSettings {
            redirect_uris: RedirectUris::under(&settings.http.public_base_url()),
            // None: any scope the app lacks stops the admin on Lark's page (20027), and the
            // setup guide's permission list has no user scope. `offline_access` is asked for
            // per login (`LoginOptions`).
            scopes: Vec::new(),
        },
    )
}

/// The sync, with the process's one [`UserTokens`]: its per-integration locks serialise
/// refreshes of the admins' Lark logins.
fn sync(
    settings: &Settings,
    parts: &Parts,
    owner: String,
    user_tokens: Arc<UserTokens>,
    holders: Arc<dyn LeaseHolders>,
) -> SyncIntegration {
    SyncIntegration::new(
        parts.database.integrations(),
        parts.database.sync_store(),
        Arc::clone(&parts.directory),
        user_tokens,
        Arc::clone(&parts.clock),
        Arc::new(TokioTimer),
        Arc::clone(&parts.ids),
        settings.sync_settings(owner),
    )
    .with_lease_holders(holders)
}
