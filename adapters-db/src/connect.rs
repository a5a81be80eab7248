//! `Database`: connects to SQLite (embedded default: WAL, `synchronous=NORMAL`, foreign keys,
//! busy timeout) or PostgreSQL (pool), runs migrations, and hands out the port implementations.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use aviary_domain::ports::ApiKeyStore;
use aviary_domain::ports::{AdminStore, SessionStore};
use aviary_domain::ports::{
    GrantStore, IntegrationRepository, ReadModel, RunHistoryStore, SyncStore,
};
use aviary_domain::ports::{StoreFault, StoreHealth, StoreUnavailable};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait as _, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait as _,
};

use crate::admins::SqlAdmins;
use crate::api_keys::SqlApiKeys;
use crate::error::DbError;
use crate::grants::SqlGrants;
use crate::integrations::SqlIntegrations;
use crate::keyring::KeySlot;
use crate::master_key::MasterKey;
use crate::raw_json::Dictionaries;
use crate::read_model::SqlReadModel;
use crate::sessions::SqlSessions;
use crate::sync_store::SqlSyncStore;

/// Page cache per connection, in KiB (negative `cache_size` means KiB in SQLite); the pool
/// has several connections, so this is multiplied in the worst case.
const SQLITE_CACHE_KIB: i64 = -16 * 1024;
/// WAL pages between automatic checkpoints (64 MiB of 4 KiB pages).
const SQLITE_WAL_AUTOCHECKPOINT_PAGES: u32 = 16 * 1024;
/// Prepared statements kept per connection. Few: a batch's multi-row statements have programs
/// of megabytes, each connection of the pool caches its own, and a sync's batches rotate over
/// the connections — with 16 a 100k-user sync peaked at 151 MiB, with 8 at 141–144 MiB; 4 saved
/// a little more but slowed pages that run many different queries (docs/benchmarks.md).
const SQLITE_STATEMENT_CACHE: usize = 8;
/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections in the SQLite pool (WAL: many readers, one writer at a time).
const SQLITE_POOL_SIZE: u32 = 4;
/// Connections in the PostgreSQL pool of one process.
const POSTGRES_POOL_SIZE: u32 = 10;

/// The database engine behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names: `sqlite:…` or `postgres://…` / `postgresql://…`.
    ///
    /// # Errors
    /// [`DbError::UnsupportedUrl`] for any other scheme.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(DbError::UnsupportedUrl { scheme }),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Everything a repository needs: the pool, which backend it is, the master key and the raw
/// JSON dictionaries.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub conn: DatabaseConnection,
    pub backend: Backend,
    pub keys: KeySlot,
    /// Prepared dictionaries of compressed raw JSON.
    pub dictionaries: Dictionaries,
}

impl Shared {
    /// The key to encrypt with now: the primary the database records, if this process knows
    /// it (see [`KeySlot::primary_for`]). Sealing is rare (a registration, a sign-in's tokens,
    /// a refresh), so the record is read each time.
    pub(crate) async fn sealing_key(&self) -> Result<Arc<MasterKey>, DbErr> {
        let recorded = crate::key_record::recorded_primary(&self.conn).await?;
        Ok(self.keys.primary_for(recorded.as_deref()))
    }

    /// Starts a read-write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes never dead-ends on a busy
    /// upgrade; writers queue on the busy timeout instead.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == Backend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        self.conn.begin_with_options(options).await
    }
}

/// Creates the SQLite database's directory (`0700`) and file (`0600`) before SQLite opens it,
/// and tightens them and the `-wal`/`-shm` files when an earlier release left them open to
/// others (`private_fs.rs`).
fn private_database_files(file: &std::path::Path) -> Result<(), DbError> {
    let failed = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| DbError::PrivateFiles { path, source }
    };
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        crate::private_fs::private_dir(dir).map_err(failed(dir))?;
    }
    crate::private_fs::private_file(file).map_err(failed(file))?;
    for suffix in ["-wal", "-shm"] {
        let mut companion = file.as_os_str().to_owned();
        companion.push(suffix);
        let companion = std::path::PathBuf::from(companion);
        crate::private_fs::private_if_present(&companion).map_err(failed(&companion))?;
    }
    Ok(())
}

/// Aviary's database: SQLite or PostgreSQL, with secrets encrypted under a [`MasterKey`].
#[derive(Debug, Clone)]
pub struct Database {
    shared: Shared,
}

/// How the pool and, on PostgreSQL, every session behave. The PostgreSQL timeouts keep one
/// frozen or stuck process from freezing the others: a statement waiting on a lock (a lease
/// row, say, share-locked by a holder that stopped mid-transaction) fails instead of waiting
/// forever, a runaway statement is cancelled, and a transaction left open is ended by the server,
/// releasing its locks. Migrations and the key rotation lift the first two for their own
/// transaction: they may legitimately wait for each other and take long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Pooled connections at most (`None`: 4 for SQLite, whose WAL serialises writers anyway;
    /// 10 for PostgreSQL). An in-memory SQLite database always has one.
    pub max_connections: Option<u32>,
    /// PostgreSQL `lock_timeout`.
    pub lock_timeout: Duration,
    /// PostgreSQL `statement_timeout`.
    pub statement_timeout: Duration,
    /// PostgreSQL `idle_in_transaction_session_timeout`.
    pub idle_in_transaction_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: None,
            lock_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(120),
            idle_in_transaction_timeout: Duration::from_secs(60),
        }
    }
}

/// Lifts `lock_timeout` and `statement_timeout` for the rest of the transaction `txn` on
/// PostgreSQL (migrations and the key rotation wait for each other's advisory locks and may run
/// long); a no-op on SQLite.
///
/// # Errors
/// When the statement fails.
pub(crate) async fn without_statement_timeouts(
    shared: &Shared,
    txn: &DatabaseTransaction,
) -> Result<(), DbErr> {
    if shared.backend == Backend::Postgres {
        txn.execute_unprepared("SET LOCAL lock_timeout = 0; SET LOCAL statement_timeout = 0")
            .await?;
    }
    Ok(())
}

/// A PostgreSQL duration setting in milliseconds (`"10000ms"`).
fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis())
}

impl Database {
    /// Connects (without migrating). SQLite: creates the file and its directory when missing.
    ///
    /// # Errors
    /// [`DbError::UnsupportedUrl`], [`DbError::PrivateFiles`], [`DbError::Connect`].
    pub async fn connect(url: &str, key: MasterKey) -> Result<Self, DbError> {
        Self::connect_with(url, key, PoolSettings::default()).await
    }

    /// [`Database::connect`] with the given pool and session settings.
    ///
    /// # Errors
    /// As [`Database::connect`].
    pub async fn connect_with(
        url: &str,
        key: MasterKey,
        pool: PoolSettings,
    ) -> Result<Self, DbError> {
        let max_connections = pool.max_connections;
        let backend = Backend::from_url(url)?;
        let mut options = ConnectOptions::new(url);
        options.sqlx_logging(false);
        match backend {
            Backend::Sqlite => {
                let parsed = SqliteConnectOptions::from_str(url)
                    .map_err(|err| DbError::Connect(err.to_string()))?;
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                if !in_memory {
                    private_database_files(parsed.get_filename())?;
                }
                options.map_sqlx_sqlite_opts(|opts| {
                    opts.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .foreign_keys(true)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        // A larger page cache and fewer, larger WAL checkpoints: a first sync
                        // writes every page of the accounts table, and the defaults (2 MiB
                        // cache, checkpoint every 4 MiB) rewrite hot pages many times over.
                        .pragma("cache_size", SQLITE_CACHE_KIB.to_string())
                        .pragma(
                            "wal_autocheckpoint",
                            SQLITE_WAL_AUTOCHECKPOINT_PAGES.to_string(),
                        )
                        // Multi-row upserts inside a transaction keep a statement journal
                        // (to undo just that statement on error); in memory rather than in a
                        // temporary file. It is discarded at the statement's end either way, so
                        // durability is unchanged.
                        .pragma("temp_store", "MEMORY")
                        // Bulk upserts prepare statements with thousands of parameters whose
                        // programs are large; caching a hundred of them costs tens of MB.
                        .statement_cache_capacity(SQLITE_STATEMENT_CACHE)
                });
                // An in-memory database lives as long as its one connection.
                let pool = if in_memory {
                    1
                } else {
                    max_connections.unwrap_or(SQLITE_POOL_SIZE)
                };
                options.max_connections(pool).min_connections(1);
                if in_memory {
                    options.idle_timeout(None).max_lifetime(None);
                }
            }
            Backend::Postgres => {
                options
                    .max_connections(max_connections.unwrap_or(POSTGRES_POOL_SIZE))
                    .min_connections(1)
                    .connect_timeout(Duration::from_secs(10))
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire_if_idle_for(Duration::from_secs(30))
                    .map_sqlx_postgres_opts(move |opts| {
                        opts.options([
                            ("lock_timeout", millis(pool.lock_timeout)),
                            ("statement_timeout", millis(pool.statement_timeout)),
                            (
                                "idle_in_transaction_session_timeout",
                                millis(pool.idle_in_transaction_timeout),
                            ),
                        ])
                    });
            }
        }
        let conn = sea_orm::Database::connect(options)
            .await
            .map_err(|err| DbError::Connect(err.to_string()))?;
        tracing::debug!(
            backend = backend.as_str(),
            key_id = key.id(),
            "connected to the database"
        );
        Ok(Self {
            shared: Shared {
                conn,
                backend,
                keys: KeySlot::new(key),
                dictionaries: Dictionaries::default(),
            },
        })
    }

    /// Connects and applies pending migrations: what the apps do on start.
    ///
    /// # Errors
    /// As [`Database::connect`] and [`Database::migrate`].
    pub async fn open(url: &str, key: MasterKey) -> Result<Self, DbError> {
        let db = Self::connect(url, key).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Applies pending migrations; a no-op when the schema is current. Safe to run from several
    /// processes at once (serialised by a lock).
    ///
    /// # Errors
    /// [`DbError::Migration`], e.g. when the database was migrated by a newer Aviary.
    pub async fn migrate(&self) -> Result<(), DbError> {
        crate::migrations::apply(&self.shared).await
    }

    /// The integration repository (secrets encrypted with the master key).
    pub fn integrations(&self) -> Arc<dyn IntegrationRepository> {
        Arc::new(SqlIntegrations::new(self.shared.clone()))
    }

    /// The sync store (leases, runs, fenced batched writes).
    pub fn sync_store(&self) -> Arc<dyn SyncStore> {
        Arc::new(SqlSyncStore::new(self.shared.clone()))
    }

    /// The read model (queries for the CLI, API and UI).
    pub fn read_model(&self) -> Arc<dyn ReadModel> {
        Arc::new(SqlReadModel::new(self.shared.clone()))
    }

    /// Logins in progress and OAuth grants (tokens encrypted with the master key).
    pub fn grants(&self) -> Arc<dyn GrantStore> {
        Arc::new(SqlGrants::new(self.shared.clone()))
    }

    /// API keys for automation (digests only, never the keys).
    pub fn api_keys(&self) -> Arc<dyn ApiKeyStore> {
        Arc::new(SqlApiKeys::new(self.shared.clone()))
    }

    /// Admin users (password hashes only) and their sign-in throttling state.
    pub fn admins(&self) -> Arc<dyn AdminStore> {
        Arc::new(SqlAdmins::new(self.shared.clone()))
    }

    /// Server-side admin sessions (token hashes only).
    pub fn sessions(&self) -> Arc<dyn SessionStore> {
        Arc::new(SqlSessions::new(self.shared.clone()))
    }

    /// Deleting old runs (retention).
    pub fn run_history(&self) -> Arc<dyn RunHistoryStore> {
        Arc::new(crate::run_history::SqlRunHistory::new(self.shared.clone()))
    }

    /// Whether the database answers (readiness).
    pub fn health(&self) -> Arc<dyn StoreHealth> {
        Arc::new(Pinger(self.shared.clone()))
    }

    pub fn backend(&self) -> Backend {
        self.shared.backend
    }

    /// The id of the master key in use (safe to show).
    /// Adds keys that decrypt what was written under them but never encrypt: the keys a
    /// rotation retired, or one it staged. With them, a row under any of these keys opens.
    pub fn add_decryption_keys(&self, keys: Vec<MasterKey>) {
        self.shared.keys.add_others(keys);
    }

    /// Follows the key directory `dir` (the data directory of the embedded default): its key
    /// file, retired and staged keys are known keys, read again when the database records a
    /// primary (or a ciphertext names a key) this process lacks — so a rotation made by
    /// another process takes effect here without a restart. Until a rotation records a
    /// primary, the key file names it.
    pub fn follow_key_directory(&self, dir: std::path::PathBuf) {
        self.shared.keys.watch(dir);
    }

    /// Makes `key` the key that encrypts (the previous one keeps decrypting): a rotation
    /// finished by another process.
    pub fn use_primary_key(&self, key: MasterKey) {
        self.shared.keys.replace(Arc::new(key));
    }

    /// Switches to the primary key the database records, if this process knows it (a
    /// rotation by another process); warns when it does not. Returns the key in use's id.
    ///
    /// # Errors
    /// [`DbError::Backend`] when the record cannot be read.
    pub async fn follow_recorded_primary(&self) -> Result<String, DbError> {
        Ok(self.shared.sealing_key().await?.id().to_owned())
    }

    /// The id of the primary key the database records (`None`: no rotation recorded one).
    ///
    /// # Errors
    /// [`DbError::Backend`] when the record cannot be read.
    pub async fn recorded_primary_key_id(&self) -> Result<Option<String>, DbError> {
        Ok(crate::key_record::recorded_primary(&self.shared.conn).await?)
    }

    /// Writes the key that encrypts now to `<dir>/keys/<id>.key` (see
    /// [`MasterKey::retire_in`]), before a rotation replaces it.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn retire_primary_key_in(
        &self,
        dir: &std::path::Path,
    ) -> Result<std::path::PathBuf, crate::MasterKeyError> {
        self.shared.keys.current().retire_in(dir)
    }

    /// Ids of the keys this database handle knows, the primary first.
    pub fn known_key_ids(&self) -> Vec<String> {
        self.shared.keys.ids()
    }

    pub fn master_key_id(&self) -> String {
        self.shared.keys.current().id().to_owned()
    }

    /// Re-encrypts every stored secret under `new` in one transaction, which also records
    /// `new` as the primary: from its commit on, every process that knows `new` encrypts with
    /// it (this one included); the old key keeps decrypting. Returns how many secrets were
    /// re-encrypted; `before_commit` is told that number just before the commit. A secret
    /// another process replaced while this ran is left as that process wrote it. Rotations
    /// are serialised (the write lock on SQLite, an advisory lock on PostgreSQL). Keep the
    /// old key (e.g. [`MasterKey::retire_in`]) until no secret uses it ([`Database::key_usage`]).
    ///
    /// # Errors
    /// [`DbError::Undecryptable`] when a secret cannot be decrypted with any known key
    /// (nothing is changed), [`DbError::Backend`] on database failure.
    pub async fn rotate_master_key(
        &self,
        new: MasterKey,
        before_commit: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64, DbError> {
        crate::integrations::rotate_secrets(&self.shared, new, before_commit).await
    }

    /// Every master key with the number of stored secrets under it, the primary the database
    /// records, and each stored secret that no key this process knows opens.
    ///
    /// # Errors
    /// [`DbError::Backend`] on database failure.
    pub async fn key_usage(&self) -> Result<crate::KeyUsage, DbError> {
        crate::key_usage::key_usage(&self.shared).await
    }

    /// How many stored secrets (App Secrets, grants' tokens, logins' verifiers) are encrypted
    /// under the key `key_id`.
    ///
    /// # Errors
    /// [`DbError::Backend`] on database failure.
    pub async fn secrets_under(&self, key_id: &str) -> Result<u64, DbError> {
        let sql = "SELECT \
            (SELECT COUNT(*) FROM integrations WHERE app_secret_key_id = $1) + \
            (SELECT COUNT(*) FROM grants WHERE tokens_key_id = $1) + \
            (SELECT COUNT(*) FROM oauth_logins WHERE verifier_key_id = $1) AS n";
        let backend = self.shared.conn.get_database_backend();
        let row = self
            .shared
            .conn
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                sql,
                [key_id.into()],
            ))
            .await?;
        let count: i64 = row.map_or(Ok(0), |row| row.try_get("", "n"))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Copies the embedded SQLite database, consistently and while others use it, into the
    /// new file `target` (mode 0600); returns its size in bytes. The master key is not in it.
    ///
    /// # Errors
    /// [`crate::BackupError`]: `target` exists, the database is PostgreSQL, or the copy failed
    /// (then no file is left).
    pub async fn backup_to(&self, target: &std::path::Path) -> Result<u64, crate::BackupError> {
        crate::backup::backup_to(&self.shared, target).await
    }

    /// The underlying sea-orm connection pool.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.shared.conn
    }

    /// Checks that the database answers (readiness probes).
    ///
    /// # Errors
    /// [`DbError::Backend`] when it does not.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.shared.conn.ping().await.map_err(DbError::from)
    }

    /// The database server's current time (PostgreSQL's `clock_timestamp()`); `None` on
    /// SQLite, whose clock is this host's. Processes on several hosts judge lease expiry by it
    /// (the wiring's `DatabaseClock`).
    ///
    /// # Errors
    /// [`DbError::Backend`] when the query fails.
    pub async fn server_time(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, DbError> {
        if self.shared.backend != Backend::Postgres {
            return Ok(None);
        }
        let row = self
            .shared
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT) AS micros",
            ))
            .await?
            .ok_or_else(|| {
                DbError::Backend(StoreFault::failed(
                    "the server's time query returned no row",
                ))
            })?;
        let micros: i64 = row.try_get("", "micros")?;
        Ok(chrono::DateTime::from_timestamp_micros(micros))
    }

    /// Closes the pool (SQLite: checkpoints the WAL).
    ///
    /// # Errors
    /// [`DbError::Backend`] when closing fails.
    pub async fn close(self) -> Result<(), DbError> {
        self.shared.conn.close().await.map_err(DbError::from)
    }
}

/// [`StoreHealth`] over the shared pool.
#[derive(Debug)]
struct Pinger(Shared);

#[async_trait::async_trait]
impl StoreHealth for Pinger {
    async fn ping(&self) -> Result<(), StoreUnavailable> {
        let unavailable = |err: DbErr| StoreUnavailable(Box::new(err));
        self.0.conn.ping().await.map_err(unavailable)?;
        // Pending migrations (a database restored from an older backup, say): not ready. More
        // applied than known is a newer version's upgrade during a rolling deploy: still ready.
        let applied = self
            .0
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                self.0.conn.get_database_backend(),
                "SELECT COUNT(*) AS n FROM seaql_migrations",
            ))
            .await
            .map_err(unavailable)?
            .map_or(Ok(0), |row| row.try_get::<i64>("", "n"))
            .map_err(unavailable)?;
        let known = i64::try_from(crate::Migrator::count()).unwrap_or(i64::MAX);
        if applied < known {
            let pending = known - applied;
            return Err(StoreUnavailable(
                format!("{pending} schema migrations are pending; start Aviary (or run `aviary db migrate`) to apply them").into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_backends_by_scheme_without_echoing_the_url() {
        assert_eq!(
            Backend::from_url("sqlite://data/aviary.db?mode=rwc").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u:pw@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("PostgreSQL://h/db").unwrap(),
            Backend::Postgres
        );
        let err = Backend::from_url("mysql://user:hunter2@host/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains("mysql"), "{err}");
    }

    #[tokio::test]
    async fn an_in_memory_sqlite_database_works_for_scripts_and_tests() {
        let db = Database::open("sqlite::memory:", MasterKey::generate())
            .await
            .unwrap();
        assert_eq!(db.backend(), Backend::Sqlite);
        db.migrate().await.unwrap();
        assert!(db.integrations().list().await.unwrap().is_empty());
    }
}
