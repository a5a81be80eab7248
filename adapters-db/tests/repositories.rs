//! The repository test suite of the database adapter, written once and run against SQLite (a
//! temporary file) and PostgreSQL (a fresh database per test, dropped afterwards).
//!
//! PostgreSQL: `AVIARY_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`) must
//! allow `CREATE DATABASE`. When it is unreachable the suite runs on SQLite only and says so on
//! stderr — except with `CI=true`, where that fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aviary_adapters_db::{Backend, Database, MasterKey};
use aviary_domain::model::{
    AccountCursor, AccountSort, AccountState, AccountStatus, ApiCounters, AuthorizedUser,
    ChangeKind, ChangePage, ChangeRecord, Department, DepartmentState, EntityCounts, FieldChange,
    Grant, Integration, IntegrationStatus, LeaseView, PendingLogin, Presence, Region, Role,
    RunStatus, RunTrigger, SortValue, Subject, SyncCounts, SyncRun, TenantInfo, TokenSet,
    UserAccount, UserProfile,
};
use aviary_domain::ports::{
    AccountQuery, GrantStore, GrantStoreError, IntegrationRepository, IntegrationStoreError, Lease,
    QueryError, ReadModel, SyncStore, SyncStoreError, WriteBatch,
};
use aviary_domain::values::{
    ContentHash, DepartmentId, IntegrationId, IntegrationLabel, OAuthState, OpenId, PkceVerifier,
    RunId,
};
use chrono::{DateTime, TimeZone as _, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
use sea_orm::{ConnectOptions, ConnectionTrait as _};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::json;
use uuid::Uuid;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const INTERRUPTED: &str = "interrupted: the process running this sync stopped before it finished";
const TTL: Duration = Duration::from_secs(60);

// ---- running one scenario on every backend ---------------------------------------------------

/// What a scenario gets: a migrated database and how to open it again.
#[derive(Debug, Clone)]
struct Ctx {
    db: Database,
    url: String,
    key: MasterKey,
    /// The SQLite database file (None on PostgreSQL).
    sqlite_file: Option<PathBuf>,
}

impl Ctx {
    fn backend(&self) -> Backend {
        self.db.backend()
    }

    fn integrations(&self) -> Arc<dyn IntegrationRepository> {
        self.db.integrations()
    }

    fn store(&self) -> Arc<dyn SyncStore> {
        self.db.sync_store()
    }

    fn reads(&self) -> Arc<dyn ReadModel> {
        self.db.read_model()
    }

    fn grants(&self) -> Arc<dyn GrantStore> {
        self.db.grants()
    }
}

/// Runs `scenario` on SQLite, then on PostgreSQL when available.
async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data").join("nested").join("aviary.db");
    let url = format!("sqlite://{}", file.display());
    run_scenario(&scenario, url, Some(file)).await;
    drop(dir);

    if let Some(pg) = TestPostgres::create().await {
        let url = pg.url.clone();
        let outcome = tokio::spawn(async move {
            let key = MasterKey::generate();
            let db = Database::open(&url, key.clone()).await.unwrap();
            (db, url, key)
        })
        .await;
        let result = match outcome {
            Ok((db, url, key)) => {
                let ctx = Ctx {
                    db: db.clone(),
                    url,
                    key,
                    sqlite_file: None,
                };
                let result = tokio::spawn(scenario(ctx)).await;
                let _ = db.close().await;
                result
            }
            Err(err) => Err(err),
        };
        pg.drop_database().await;
        if let Err(err) = result {
            eprintln!("the scenario failed on PostgreSQL");
            std::panic::resume_unwind(err.into_panic());
        }
    }
}

async fn run_scenario<F, Fut>(scenario: &F, url: String, sqlite_file: Option<PathBuf>)
where
    F: Fn(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let key = MasterKey::generate();
    let db = Database::open(&url, key.clone()).await.unwrap();
    let ctx = Ctx {
        db: db.clone(),
        url,
        key,
        sqlite_file,
    };
    let result = tokio::spawn(scenario(ctx)).await;
    let _ = db.close().await;
    if let Err(err) = result {
        eprintln!("the scenario failed on SQLite");
        std::panic::resume_unwind(err.into_panic());
    }
}

/// A fresh PostgreSQL database for one test.
struct TestPostgres {
    admin_url: String,
    name: String,
    url: String,
}

impl TestPostgres {
    async fn admin(url: &str) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        sea_orm::Database::connect(options).await
    }

    async fn create() -> Option<Self> {
        let admin_url = std::env::var("AVIARY_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let admin = match Self::admin(&admin_url).await {
            Ok(admin) => admin,
            Err(err) => {
                if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                    panic!(
                        "PostgreSQL is unreachable at AVIARY_TEST_DATABASE_URL ({err}); CI=true requires the \
                         repository suite to run on PostgreSQL too"
                    );
                }
                eprintln!(
                    "notice: PostgreSQL unreachable ({err}); running this test on SQLite only"
                );
                return None;
            }
        };
        let name = format!("aviary_test_{}", Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    async fn drop_database(self) {
        let admin = Self::admin(&self.admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
        let _ = admin.close().await;
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{name}{query}", &base[..path])
}

// ---- test data -------------------------------------------------------------------------------

/// A fixed instant plus `ms` milliseconds (with a microsecond part, to check precision).
fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(1_750_000_000_000_123 + ms * 1000)
        .unwrap()
}

fn oid(id: &str) -> OpenId {
    OpenId::parse(id).unwrap()
}

fn did(id: &str) -> DepartmentId {
    DepartmentId::parse(id).unwrap()
}

/// A Feishu integration waiting for its login, with a fresh id (tests register several).
fn new_integration(label: &str, secret: &str) -> Integration {
    let mut integration = aviary_domain::testing::integration()
        .id(IntegrationId::from_uuid(Uuid::new_v4()))
        .label(label)
        .secret(secret)
        .region(Region::Feishu)
        .base_url("http://127.0.0.1:9999")
        .app_id("cli_a1b2c3d4e5f60718")
        .status(IntegrationStatus::PendingAuthorization)
        .every(aviary_domain::values::SyncInterval::DEFAULT.minutes())
        .created_at(at(0))
        .build();
    integration.authorized_by = Some("ou_admin".to_owned());
    integration.updated_at = at(1);
    integration
}

fn assert_same_integration(actual: &Integration, expected: &Integration) {
    assert_eq!(actual.id, expected.id);
    assert_eq!(actual.label, expected.label);
    assert_eq!(actual.region, expected.region);
    assert_eq!(actual.base_url, expected.base_url);
    assert_eq!(actual.app_id, expected.app_id);
    assert_eq!(
        actual.app_secret.expose_secret(),
        expected.app_secret.expose_secret()
    );
    assert_eq!(actual.status, expected.status);
    assert_eq!(actual.tenant, expected.tenant);
    assert_eq!(actual.authorized_by, expected.authorized_by);
    assert_eq!(
        actual.sync_interval_minutes(),
        expected.sync_interval_minutes()
    );
    assert_eq!(actual.created_at, expected.created_at);
    assert_eq!(actual.updated_at, expected.updated_at);
}

async fn registered(ctx: &Ctx, label: &str) -> Integration {
    let integration = new_integration(label, &format!("secret-of-{label}"));
    ctx.integrations().insert(&integration).await.unwrap();
    integration
}

/// An active member of `od-sales` named after its id; `tweak` adjusts the profile.
fn account(
    integration: &Integration,
    open_id: &str,
    tweak: impl FnOnce(&mut UserProfile),
) -> UserAccount {
    let mut profile = UserProfile::new(oid(open_id));
    profile.union_id = Some(format!("on_{open_id}"));
    profile.user_id = Some(format!("u{open_id}"));
    profile.name = Some(format!("Name {open_id}"));
    profile.email = Some(format!("{open_id}@example.com"));
    profile.department_ids = vec![did("od-sales")];
    profile.primary_department_id = Some(did("od-sales"));
    profile.designation = Some("Engineer".to_owned());
    tweak(&mut profile);
    with_state(integration, AccountState::derive(profile, &HashSet::new()))
}

/// An account as queries return it: everything but Lark's raw JSON (`ReadModel::accounts`).
fn as_listed(account: &UserAccount) -> UserAccount {
    UserAccount {
        raw: serde_json::Value::Null,
        ..account.clone()
    }
}

fn with_state(integration: &Integration, state: AccountState) -> UserAccount {
    let raw = json!({ "open_id": state.open_id().as_str(), "custom_attrs": [{ "id": "C-1", "value": "x" }] });
    UserAccount {
        integration_id: integration.id,
        content_hash: ContentHash::of_json(
            &json!({ "state": serde_json::to_value(&state).unwrap(), "raw": raw }),
        ),
        state,
        raw,
        first_seen_at: at(1_000),
        last_changed_at: at(1_000),
        removed_at: None,
        presence: Presence::Present,
    }
}

/// The account as a leader of some department (roles re-derived).
fn leader(integration: &Integration, account: UserAccount) -> UserAccount {
    let leaders = HashSet::from([account.state.open_id().clone()]);
    with_state(
        integration,
        AccountState::derive(account.state.profile, &leaders),
    )
}

fn department(integration: &Integration, id: &str, name: Option<&str>, parent: &str) -> Department {
    let mut state = DepartmentState::new(did(id));
    state.name = name.map(str::to_owned);
    state.parent_id = Some(did(parent));
    state.member_count = Some(3);
    state.leader_open_ids = vec![oid("ou_boss")];
    let raw = json!({ "open_department_id": id, "name": name });
    Department {
        integration_id: integration.id,
        content_hash: ContentHash::of_json(
            &json!({ "state": serde_json::to_value(&state).unwrap(), "raw": raw }),
        ),
        state,
        raw,
        first_seen_at: at(1_000),
        last_changed_at: at(1_000),
        removed_at: None,
        presence: Presence::Present,
    }
}

fn change(
    run: &SyncRun,
    subject: Subject,
    kind: ChangeKind,
    recorded_at: DateTime<Utc>,
) -> ChangeRecord {
    ChangeRecord {
        run_id: run.id,
        integration_id: run.integration_id,
        subject,
        kind,
        fields: vec![FieldChange {
            field: "name".to_owned(),
            old: json!(null),
            new: json!("Ann"),
        }],
        recorded_at,
    }
}

fn new_run(integration: &Integration, started_at: DateTime<Utc>) -> SyncRun {
    SyncRun::start(
        RunId::from_uuid(Uuid::new_v4()),
        integration.id,
        RunTrigger::Manual,
        started_at,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_one_run_written_at_once_all_land() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let parallel = store.parallel_writes();
        match ctx.backend() {
            Backend::Sqlite => assert_eq!(parallel, 1, "SQLite takes one writer at a time"),
            Backend::Postgres => assert!(parallel > 1, "PostgreSQL takes concurrent writers"),
        }
        let integration = registered(&ctx, "Parallel").await;
        let (lease, run) = lease_and_run(&ctx, &integration).await;
        // One more batch than the store asks for, to show extra writers wait rather than fail.
        let batches: Vec<WriteBatch> = (0..=parallel)
            .map(|b| {
                let accounts: Vec<UserAccount> = (0..300)
                    .map(|i| {
                        account(&integration, &format!("ou_{b}_{i:03}"), |p| {
                            p.department_ids = vec![did("od-all"), did(&format!("od-{b}"))];
                        })
                    })
                    .collect();
                let changes = accounts
                    .iter()
                    .map(|a| {
                        change(
                            &run,
                            Subject::Account(a.state.open_id().clone()),
                            ChangeKind::Added,
                            at(20),
                        )
                    })
                    .collect();
                WriteBatch {
                    accounts,
                    changes,
                    ..WriteBatch::default()
                }
            })
            .collect();
        let writes = batches
            .iter()
            .map(|batch| store.write_batch(&lease, batch.clone(), at(20)));
        for result in futures::future::join_all(writes).await {
            result.unwrap();
        }
        let total = 300 * (parallel + 1);
        assert_eq!(
            store.account_hashes(integration.id).await.unwrap().len(),
            total
        );
        assert_eq!(
            count_rows(&ctx, "account_departments", integration.id).await,
            (total * 2) as i64
        );
        assert_eq!(
            every_run_change(ctx.reads().as_ref(), run.id).await.len(),
            total
        );
    })
    .await;
}

/// Takes the lease at `at(0)` and begins a run at `at(10)`.
async fn lease_and_run(ctx: &Ctx, integration: &Integration) -> (Lease, SyncRun) {
    let store = ctx.store();
    let lease = store
        .acquire_lease(integration.id, "worker-1", TTL, at(0))
        .await
        .unwrap();
    let run = new_run(integration, at(10));
    store.begin_run(&lease, &run).await.unwrap();
    (lease, run)
}

async fn write(ctx: &Ctx, lease: &Lease, batch: WriteBatch, now: DateTime<Utc>) {
    ctx.store().write_batch(lease, batch, now).await.unwrap();
}

/// Every change a run recorded, read as clients read them: page after page of the largest
/// size, each continuing after the previous one's `next`.
async fn every_run_change(reads: &dyn ReadModel, run: RunId) -> Vec<ChangeRecord> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = reads
            .run_changes(run, after, ChangePage::MAX)
            .await
            .unwrap();
        all.extend(page.changes);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

fn ids(accounts: &[UserAccount]) -> Vec<&str> {
    accounts
        .iter()
        .map(|a| a.state.open_id().as_str())
        .collect()
}

/// Rows of `table` belonging to `integration`, counted with plain SQL.
async fn count_rows(ctx: &Ctx, table: &str, integration: IntegrationId) -> i64 {
    let query = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("integration_id")).eq(integration.as_uuid()))
        .to_owned();
    let row = ctx
        .db
        .connection()
        .query_one(&query)
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn stored_secret_columns(ctx: &Ctx, id: IntegrationId) -> (Vec<u8>, Vec<u8>) {
    let query = Query::select()
        .columns([
            Alias::new("app_secret_ciphertext"),
            Alias::new("app_secret_nonce"),
        ])
        .from(Alias::new("integrations"))
        .and_where(Expr::col(Alias::new("id")).eq(id.as_uuid()))
        .to_owned();
    let row = ctx
        .db
        .connection()
        .query_one(&query)
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
    )
}

async fn overwrite_secret_columns(
    ctx: &Ctx,
    id: IntegrationId,
    (ciphertext, nonce): (Vec<u8>, Vec<u8>),
) {
    let update = Query::update()
        .table(Alias::new("integrations"))
        .values([
            (Alias::new("app_secret_ciphertext"), ciphertext.into()),
            (Alias::new("app_secret_nonce"), nonce.into()),
        ])
        .and_where(Expr::col(Alias::new("id")).eq(id.as_uuid()))
        .to_owned();
    ctx.db.connection().execute(&update).await.unwrap();
}

// ---- migrations --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_and_safe_to_run_concurrently() {
    on_each_backend(|ctx: Ctx| async move {
        let integration = registered(&ctx, "Before migrating again").await;
        ctx.db.migrate().await.unwrap();
        let other = Database::connect(&ctx.url, ctx.key.clone()).await.unwrap();
        let (a, b) = tokio::join!(ctx.db.migrate(), other.migrate());
        a.unwrap();
        b.unwrap();
        other.close().await.unwrap();

        let applied = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(Alias::new("seaql_migrations"))
            .to_owned();
        let row = ctx
            .db
            .connection()
            .query_one(&applied)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get_by_index::<i64>(0).unwrap(),
            i64::try_from(aviary_adapters_db::Migrator::count()).unwrap(),
            "each migration applied once"
        );
        let found = ctx
            .integrations()
            .get(integration.id)
            .await
            .unwrap()
            .unwrap();
        assert_same_integration(&found, &integration);
        if let Some(file) = &ctx.sqlite_file {
            assert!(
                file.exists(),
                "the SQLite file and its directories are created"
            );
        }
    })
    .await;
}

// ---- integrations ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_insert_get_find_list_and_set_status() {
    on_each_backend(|ctx: Ctx| async move {
        let repo = ctx.integrations();
        let zulu = registered(&ctx, "Zulu tenant").await;
        let mut alpha = new_integration("Alpha tenant", "alpha-secret");
        alpha.region = Region::Lark;
        alpha.base_url = None;
        alpha.sync_interval = None;
        alpha.authorized_by = None;
        repo.insert(&alpha).await.unwrap();

        assert_same_integration(&repo.get(alpha.id).await.unwrap().unwrap(), &alpha);
        assert_same_integration(&repo.get(zulu.id).await.unwrap().unwrap(), &zulu);
        assert!(
            repo.get(IntegrationId::from_uuid(Uuid::new_v4()))
                .await
                .unwrap()
                .is_none()
        );
        let found = repo
            .find_by_label(&IntegrationLabel::parse("Zulu tenant").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_same_integration(&found, &zulu);
        assert!(
            repo.find_by_label(&IntegrationLabel::parse("zulu tenant").unwrap())
                .await
                .unwrap()
                .is_none()
        );

        let listed = repo.list().await.unwrap();
        let labels: Vec<&str> = listed.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, ["Alpha tenant", "Zulu tenant"]);

        let tenant = TenantInfo {
            name: "Acme".to_owned(),
            tenant_key: "tk_1".to_owned(),
        };
        repo.set_status(
            zulu.id,
            IntegrationStatus::Active,
            Some(tenant.clone()),
            at(5_000),
        )
        .await
        .unwrap();
        let updated = repo.get(zulu.id).await.unwrap().unwrap();
        assert_eq!(updated.status, IntegrationStatus::Active);
        assert_eq!(updated.tenant, Some(tenant.clone()));
        assert_eq!(updated.updated_at, at(5_000));
        assert_eq!(updated.created_at, zulu.created_at);

        // Without tenant information the stored tenant is kept.
        repo.set_status(zulu.id, IntegrationStatus::Degraded, None, at(6_000))
            .await
            .unwrap();
        let degraded = repo.get(zulu.id).await.unwrap().unwrap();
        assert_eq!(degraded.status, IntegrationStatus::Degraded);
        assert_eq!(degraded.tenant, Some(tenant));

        let missing = IntegrationId::from_uuid(Uuid::new_v4());
        assert_eq!(
            repo.set_status(missing, IntegrationStatus::Active, None, at(0))
                .await,
            Err(IntegrationStoreError::NotFound(missing))
        );
        assert_eq!(
            repo.delete(missing).await,
            Err(IntegrationStoreError::NotFound(missing))
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_label_is_label_taken() {
    on_each_backend(|ctx: Ctx| async move {
        let repo = ctx.integrations();
        let first = registered(&ctx, "Acme").await;
        let second = new_integration("Acme", "another-secret");
        assert_eq!(
            repo.insert(&second).await,
            Err(IntegrationStoreError::LabelTaken(second.label.clone()))
        );
        // Same id again (another label): a plain backend error, not LabelTaken.
        let mut same_id = new_integration("Other", "x");
        same_id.id = first.id;
        assert!(matches!(
            repo.insert(&same_id).await,
            Err(IntegrationStoreError::Backend(_))
        ));
        assert_eq!(repo.list().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_integration_removes_all_its_rows_and_only_its_rows() {
    on_each_backend(|ctx: Ctx| async move {
        let doomed = registered(&ctx, "Doomed").await;
        let kept = registered(&ctx, "Kept").await;
        for integration in [&doomed, &kept] {
            let (lease, run) = lease_and_run(&ctx, integration).await;
            let batch = WriteBatch {
                accounts: vec![
                    account(integration, "ou_1", |_| {}),
                    account(integration, "ou_2", |_| {}),
                ],
                departments: vec![department(integration, "od-sales", Some("Sales"), "0")],
                changes: vec![change(
                    &run,
                    Subject::Account(oid("ou_1")),
                    ChangeKind::Added,
                    at(20),
                )],
                ..WriteBatch::default()
            };
            write(&ctx, &lease, batch, at(20)).await;
        }
        let tables = [
            "accounts",
            "account_departments",
            "departments",
            "changes",
            "sync_runs",
            "sync_leases",
            "integrations",
        ];
        let id_column_counts = |integration: IntegrationId| {
            let ctx = ctx.clone();
            async move {
                let mut counts = Vec::new();
                for table in tables {
                    let count = if table == "integrations" {
                        i64::from(ctx.integrations().get(integration).await.unwrap().is_some())
                    } else {
                        count_rows(&ctx, table, integration).await
                    };
                    counts.push(count);
                }
                counts
            }
        };
        assert_eq!(id_column_counts(doomed.id).await, vec![2, 2, 1, 1, 1, 1, 1]);

        ctx.integrations().delete(doomed.id).await.unwrap();
        assert_eq!(id_column_counts(doomed.id).await, vec![0; 7]);
        assert_eq!(id_column_counts(kept.id).await, vec![2, 2, 1, 1, 1, 1, 1]);
        assert!(
            ctx.reads()
                .accounts(&AccountQuery::all(doomed.id))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            ctx.reads()
                .accounts(&AccountQuery::all(kept.id))
                .await
                .unwrap()
                .len(),
            2
        );
    })
    .await;
}

// ---- secrets at rest -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_secrets_are_not_readable_in_the_database() {
    on_each_backend(|ctx: Ctx| async move {
        let canary = "CANARY-7f3a9c1e-app-secret-never-in-plaintext";
        let integration = new_integration("Canary tenant", canary);
        ctx.integrations().insert(&integration).await.unwrap();

        let (ciphertext, nonce) = stored_secret_columns(&ctx, integration.id).await;
        assert_eq!(nonce.len(), 12);
        assert_eq!(
            ciphertext.len(),
            canary.len() + 16,
            "ciphertext plus a 16-byte tag"
        );
        assert!(
            !ciphertext
                .windows(canary.len())
                .any(|w| w == canary.as_bytes())
        );

        if ctx.sqlite_file.is_some() {
            // Everything on disk: the database file and its write-ahead log.
            let bytes = sqlite_bytes(&ctx).await;
            let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
            assert!(
                contains(b"Canary tenant"),
                "the test must read the file the integration is in"
            );
            assert!(
                !contains(canary.as_bytes()),
                "the app secret is readable in the SQLite file"
            );
        }
        let read = ctx
            .integrations()
            .get(integration.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.app_secret.expose_secret(), canary);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ciphertext_copied_to_another_row_does_not_decrypt() {
    on_each_backend(|ctx: Ctx| async move {
        let a = registered(&ctx, "Tenant A").await;
        let b = registered(&ctx, "Tenant B").await;
        let a_secret = stored_secret_columns(&ctx, a.id).await;
        let b_secret = stored_secret_columns(&ctx, b.id).await;
        overwrite_secret_columns(&ctx, a.id, b_secret).await;
        overwrite_secret_columns(&ctx, b.id, a_secret).await;

        for id in [a.id, b.id] {
            let err = ctx.integrations().get(id).await.unwrap_err();
            assert!(
                matches!(err, IntegrationStoreError::Undecryptable(_)),
                "{err:?}"
            );
        }
        // Listing decrypts nothing: both are still listed, without their secrets.
        let listed = ctx.integrations().list().await.unwrap();
        assert_eq!(listed.len(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_master_key_is_undecryptable() {
    on_each_backend(|ctx: Ctx| async move {
        let integration = registered(&ctx, "Keyed").await;
        let wrong = MasterKey::generate();
        let other = Database::connect(&ctx.url, wrong.clone()).await.unwrap();
        let err = other.integrations().get(integration.id).await.unwrap_err();
        match &err {
            IntegrationStoreError::Undecryptable(detail) => {
                assert!(
                    detail.contains(ctx.key.id()) && detail.contains(wrong.id()),
                    "{detail}"
                );
                assert!(!detail.contains("secret-of-Keyed"));
            }
            other => panic!("expected Undecryptable, got {other:?}"),
        }
        let by_label = other.integrations().find_by_label(&integration.label).await;
        assert!(matches!(
            by_label,
            Err(IntegrationStoreError::Undecryptable(_))
        ));
        other.close().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_master_key_re_encrypts_every_secret() {
    on_each_backend(|ctx: Ctx| async move {
        let a = registered(&ctx, "Rotate A").await;
        let b = registered(&ctx, "Rotate B").await;
        let before = stored_secret_columns(&ctx, a.id).await;
        let new = MasterKey::generate();
        assert_eq!(
            ctx.db
                .rotate_master_key(new.clone(), &mut |_| ())
                .await
                .unwrap(),
            2
        );
        assert_eq!(ctx.db.master_key_id(), new.id());
        assert_ne!(stored_secret_columns(&ctx, a.id).await, before);

        // This database now uses the new key…
        assert_same_integration(&ctx.integrations().get(a.id).await.unwrap().unwrap(), &a);
        // …and so does a fresh connection with it, while the old key no longer works.
        let with_new = Database::connect(&ctx.url, new.clone()).await.unwrap();
        assert_same_integration(
            &with_new.integrations().get(b.id).await.unwrap().unwrap(),
            &b,
        );
        with_new.close().await.unwrap();
        let with_old = Database::connect(&ctx.url, ctx.key.clone()).await.unwrap();
        assert!(matches!(
            with_old.integrations().get(a.id).await,
            Err(IntegrationStoreError::Undecryptable(_))
        ));
        // Rotating from a wrong key changes nothing.
        let err = with_old
            .rotate_master_key(MasterKey::generate(), &mut |_| ())
            .await
            .unwrap_err();
        assert!(
            matches!(err, aviary_adapters_db::DbError::Undecryptable(_)),
            "{err:?}"
        );
        with_old.close().await.unwrap();
        assert_same_integration(&ctx.integrations().get(b.id).await.unwrap().unwrap(), &b);
    })
    .await;
}

// ---- OAuth logins and grants ---------------------------------------------------------------------

fn pending_login(integration: &Integration, seed: u8) -> PendingLogin {
    PendingLogin {
        state: OAuthState::from_random([seed; 32]),
        integration_id: integration.id,
        started_by: "session-hash".to_owned(),
        verifier: PkceVerifier::from_random([seed.wrapping_add(100); 32]),
        redirect_uri: "https://aviary.example/admin/integrations/callback/feishu".to_owned(),
        expires_at: at(600_000),
    }
}

fn grant_of(integration: &Integration, access: &str, refresh: &str) -> Grant {
    Grant {
        integration_id: integration.id,
        tokens: TokenSet {
            access_token: SecretString::from(access.to_owned()),
            access_expires_at: at(7_200_000),
            refresh_token: Some(SecretString::from(refresh.to_owned())),
            refresh_expires_at: Some(at(604_800_000)),
            scopes: vec![
                "offline_access".to_owned(),
                "contact:user.base:readonly".to_owned(),
            ],
        },
        authorized_by: AuthorizedUser {
            open_id: oid("ou_admin"),
            name: "Ada Admin".to_owned(),
            email: Some("ada@acme.example".to_owned()),
            tenant_key: "tenant-acme".to_owned(),
        },
        granted_at: at(5),
        generation: 0,
    }
}

/// Every byte of the SQLite database (file and WAL) after a checkpoint; empty on PostgreSQL.
async fn sqlite_bytes(ctx: &Ctx) -> Vec<u8> {
    let Some(file) = &ctx.sqlite_file else {
        return Vec::new();
    };
    ctx.db
        .connection()
        .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    let mut bytes = std::fs::read(file).unwrap();
    let wal = file.with_extension("db-wal");
    if wal.exists() {
        bytes.extend(std::fs::read(wal).unwrap());
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_single_use_and_grants_are_encrypted_and_swapped_by_generation() {
    on_each_backend(|ctx: Ctx| async move {
        let grants = ctx.grants();
        let integration = registered(&ctx, "OAuth").await;
        let login = pending_login(&integration, 1);
        grants.save_login(&login).await.unwrap();
        let taken = grants.take_login(&login.state).await.unwrap().unwrap();
        assert_eq!(taken.integration_id, integration.id);
        assert_eq!(taken.started_by, "session-hash");
        assert_eq!(taken.redirect_uri, login.redirect_uri);
        assert_eq!(taken.expires_at, login.expires_at);
        assert_eq!(
            taken.verifier.challenge_s256(),
            login.verifier.challenge_s256()
        );
        assert!(
            grants.take_login(&login.state).await.unwrap().is_none(),
            "single use"
        );
        let ghost = new_integration("Ghost", "s");
        assert_eq!(
            grants
                .save_login(&pending_login(&ghost, 2))
                .await
                .unwrap_err(),
            GrantStoreError::NoIntegration(ghost.id)
        );

        let access = "CANARY-access-token-0a1b2c";
        let refresh = "CANARY-refresh-token-3d4e5f";
        let saved = grants
            .save_grant(&grant_of(&integration, access, refresh))
            .await
            .unwrap();
        assert_eq!(saved.generation, 1);
        let read = grants.grant(integration.id).await.unwrap().unwrap();
        assert_eq!(read.tokens.access_token.expose_secret(), access);
        assert_eq!(
            read.tokens.refresh_token.as_ref().unwrap().expose_secret(),
            refresh
        );
        assert_eq!(read.tokens.access_expires_at, at(7_200_000));
        assert_eq!(read.tokens.refresh_expires_at, Some(at(604_800_000)));
        assert_eq!(read.tokens.scopes, saved.tokens.scopes);
        assert_eq!(read.authorized_by, saved.authorized_by);
        assert_eq!((read.granted_at, read.generation), (at(5), 1));
        let verifier_canary = pending_login(&integration, 3);
        grants.save_login(&verifier_canary).await.unwrap();
        let bytes = sqlite_bytes(&ctx).await;
        if ctx.sqlite_file.is_some() {
            let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
            assert!(
                contains(b"Ada Admin"),
                "the test must read the file the grant is in"
            );
            for secret in [
                access,
                refresh,
                verifier_canary.verifier.secret().expose_secret(),
            ] {
                assert!(
                    !contains(secret.as_bytes()),
                    "a secret is readable in the SQLite file"
                );
            }
        }

        // A refresh is kept only over the generation it started from.
        let refreshed = Grant {
            tokens: grant_of(&integration, "access-2", "refresh-2").tokens,
            ..read.clone()
        };
        let stored = grants.replace_refreshed(&refreshed).await.unwrap().unwrap();
        assert_eq!(stored.generation, 2);
        assert!(
            grants
                .replace_refreshed(&refreshed)
                .await
                .unwrap()
                .is_none(),
            "stale generation"
        );
        let now = grants.grant(integration.id).await.unwrap().unwrap();
        assert_eq!(now.tokens.access_token.expose_secret(), "access-2");
        assert_eq!(now.generation, 2);
        // A new login replaces the grant and moves the generation on.
        let again = grants
            .save_grant(&grant_of(&integration, "access-3", "refresh-3"))
            .await
            .unwrap();
        assert_eq!(again.generation, 3);
        assert!(grants.replace_refreshed(&stored).await.unwrap().is_none());

        // Rotation re-encrypts tokens and verifiers: 1 app secret + 1 grant + 1 login.
        let new = MasterKey::generate();
        assert_eq!(
            ctx.db
                .rotate_master_key(new.clone(), &mut |_| ())
                .await
                .unwrap(),
            3
        );
        let with_new = Database::connect(&ctx.url, new).await.unwrap();
        let rotated = with_new
            .grants()
            .grant(integration.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rotated.tokens.access_token.expose_secret(), "access-3");
        assert!(
            with_new
                .grants()
                .take_login(&verifier_canary.state)
                .await
                .unwrap()
                .is_some()
        );
        with_new.close().await.unwrap();

        // Deleting the integration takes its grant and logins with it.
        grants
            .save_login(&pending_login(&integration, 4))
            .await
            .unwrap();
        ctx.integrations().delete(integration.id).await.unwrap();
        assert!(grants.grant(integration.id).await.unwrap().is_none());
        let orphan = pending_login(&integration, 4);
        assert!(grants.take_login(&orphan.state).await.unwrap().is_none());
    })
    .await;
}

// ---- leases and runs -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_of_a_holder_that_is_gone_is_taken_over_with_the_next_token_and_fences_it() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let integration = registered(&ctx, "Orphaned").await;
        let crashed = store
            .acquire_lease(integration.id, "host:41", TTL, at(0))
            .await
            .unwrap();
        // Unexpired, taken over from its holder at once.
        let taken = store
            .take_over_lease(integration.id, "host:41", "host:42", TTL, at(1_000))
            .await
            .unwrap();
        assert_eq!(taken.owner, "host:42");
        assert_eq!(taken.token, crashed.token + 1);
        assert_eq!(taken.expires_at, at(61_000));
        let run = new_run(&integration, at(1_000));
        assert_eq!(
            store.begin_run(&crashed, &run).await,
            Err(SyncStoreError::LeaseLost),
            "whatever the old holder still writes is refused"
        );
        store.begin_run(&taken, &run).await.unwrap();
        // A holder that no longer holds it: the lease is not taken from its current holder.
        assert_eq!(
            store
                .take_over_lease(integration.id, "host:41", "host:43", TTL, at(2_000))
                .await,
            Err(SyncStoreError::LeaseHeld {
                owner: "host:42".to_owned(),
                until: at(61_000)
            })
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_are_exclusive_expire_renew_release_and_fence_writers() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let integration = registered(&ctx, "Leased").await;
        assert_eq!(ctx.reads().lease(integration.id).await.unwrap(), None);
        let first = store
            .acquire_lease(integration.id, "worker-1", TTL, at(0))
            .await
            .unwrap();
        assert_eq!(first.owner, "worker-1");
        assert_eq!(first.expires_at, at(60_000));
        // The read model shows who holds it until when (the schedule judges whether it lapsed).
        assert_eq!(
            ctx.reads().lease(integration.id).await.unwrap(),
            Some(LeaseView {
                owner: "worker-1".to_owned(),
                expires_at: at(60_000)
            })
        );

        let held = store
            .acquire_lease(integration.id, "worker-2", TTL, at(59_999))
            .await;
        assert_eq!(
            held,
            Err(SyncStoreError::LeaseHeld {
                owner: "worker-1".to_owned(),
                until: at(60_000)
            })
        );
        let same_owner = store
            .acquire_lease(integration.id, "worker-1", TTL, at(1))
            .await;
        assert!(matches!(same_owner, Err(SyncStoreError::LeaseHeld { .. })));

        // Renewal extends from `now`.
        let renewed = store.renew_lease(&first, TTL, at(30_000)).await.unwrap();
        assert_eq!(renewed.expires_at, at(90_000));
        assert_eq!(renewed.token, first.token);
        assert!(matches!(
            store
                .acquire_lease(integration.id, "worker-2", TTL, at(60_000))
                .await,
            Err(SyncStoreError::LeaseHeld { .. })
        ));

        // Expired: another worker takes over with a higher token; the old holder is fenced.
        let second = store
            .acquire_lease(integration.id, "worker-2", TTL, at(90_000))
            .await
            .unwrap();
        assert!(second.token > first.token);
        assert_eq!(
            store.renew_lease(&renewed, TTL, at(90_001)).await,
            Err(SyncStoreError::LeaseLost)
        );
        let run = new_run(&integration, at(90_001));
        assert_eq!(
            store.begin_run(&renewed, &run).await,
            Err(SyncStoreError::LeaseLost)
        );
        let stale_batch = WriteBatch {
            accounts: vec![account(&integration, "ou_stale", |_| {})],
            ..WriteBatch::default()
        };
        assert_eq!(
            store
                .write_batch(&renewed, stale_batch.clone(), at(90_002))
                .await,
            Err(SyncStoreError::LeaseLost)
        );
        assert!(
            store
                .account_hashes(integration.id)
                .await
                .unwrap()
                .is_empty(),
            "nothing was written"
        );

        // The current holder may write; once its lease expires (not taken over) it may not.
        store.begin_run(&second, &run).await.unwrap();
        store
            .write_batch(&second, stale_batch.clone(), at(90_003))
            .await
            .unwrap();
        assert_eq!(store.account_hashes(integration.id).await.unwrap().len(), 1);
        let late = WriteBatch {
            accounts: vec![account(&integration, "ou_late", |_| {})],
            ..WriteBatch::default()
        };
        assert_eq!(
            store.write_batch(&second, late.clone(), at(150_000)).await,
            Err(SyncStoreError::LeaseLost)
        );
        assert_eq!(
            store.renew_lease(&second, TTL, at(150_000)).await,
            Err(SyncStoreError::LeaseLost)
        );
        assert_eq!(store.account_hashes(integration.id).await.unwrap().len(), 1);

        // Releasing a stale lease is a no-op; releasing the current one frees it at once, and
        // tokens keep increasing.
        let third = store
            .acquire_lease(integration.id, "worker-3", TTL, at(150_000))
            .await
            .unwrap();
        assert!(third.token > second.token);
        store.release_lease(&second).await.unwrap();
        assert!(matches!(
            store
                .acquire_lease(integration.id, "worker-4", TTL, at(150_001))
                .await,
            Err(SyncStoreError::LeaseHeld { .. })
        ));
        store.release_lease(&third).await.unwrap();
        let released = ctx.reads().lease(integration.id).await.unwrap().unwrap();
        assert_eq!(
            released.lapsed_at(false, at(150_001)),
            Some(DateTime::UNIX_EPOCH),
            "a released lease lapsed long ago"
        );
        let fourth = store
            .acquire_lease(integration.id, "worker-4", TTL, at(150_002))
            .await
            .unwrap();
        assert!(fourth.token > third.token);
        assert_eq!(
            store.write_batch(&third, late.clone(), at(150_003)).await,
            Err(SyncStoreError::LeaseLost)
        );

        // Leases are per integration.
        let other = registered(&ctx, "Other").await;
        store
            .acquire_lease(other.id, "worker-1", TTL, at(150_003))
            .await
            .unwrap();
        let unknown = IntegrationId::from_uuid(Uuid::new_v4());
        assert!(matches!(
            store.acquire_lease(unknown, "worker-1", TTL, at(0)).await,
            Err(SyncStoreError::Backend(_))
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn begin_run_marks_interrupted_runs_failed_and_finish_run_stores_the_result() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let reads = ctx.reads();
        let integration = registered(&ctx, "Runs").await;
        let other = registered(&ctx, "Other runs").await;
        let (crashed_lease, crashed) = lease_and_run(&ctx, &integration).await;
        let (_other_lease, other_running) = lease_and_run(&ctx, &other).await;
        // Before dying it committed a batch: two accounts added, one department removed.
        let batch = WriteBatch {
            accounts: vec![
                account(&integration, "ou_kept_1", |_| {}),
                account(&integration, "ou_kept_2", |_| {}),
            ],
            changes: vec![
                change(
                    &crashed,
                    Subject::Account(oid("ou_kept_1")),
                    ChangeKind::Added,
                    at(20),
                ),
                change(
                    &crashed,
                    Subject::Account(oid("ou_kept_2")),
                    ChangeKind::Added,
                    at(20),
                ),
                change(
                    &crashed,
                    Subject::Department(did("od_gone")),
                    ChangeKind::Removed,
                    at(20),
                ),
            ],
            ..WriteBatch::default()
        };
        write(&ctx, &crashed_lease, batch, at(20)).await;

        // The process died; after the lease expired another one starts a run.
        let lease = store
            .acquire_lease(integration.id, "worker-2", TTL, at(120_000))
            .await
            .unwrap();
        let mut run = new_run(&integration, at(120_001));
        store.begin_run(&lease, &run).await.unwrap();

        let interrupted = reads.run(crashed.id).await.unwrap().unwrap();
        assert_eq!(interrupted.status, RunStatus::Failed);
        // It shows what it committed, and says that a removal was among it.
        assert_eq!(
            interrupted.error.as_deref(),
            Some(
                format!(
                    "{INTERRUPTED}; the 3 changes it committed before stopping are kept (its \
                     account and department counts show them), 1 of them removals"
                )
                .as_str()
            )
        );
        assert_eq!(interrupted.counts.users.added, 2);
        assert_eq!(interrupted.counts.departments.removed, 1);
        assert_eq!(interrupted.finished_at, Some(at(120_001)));
        assert_eq!(reads.run(run.id).await.unwrap().unwrap(), run);
        assert_eq!(
            reads.run(other_running.id).await.unwrap().unwrap().status,
            RunStatus::Running
        );

        run.status = RunStatus::Succeeded;
        run.finished_at = Some(at(130_000));
        run.counts = SyncCounts {
            users: EntityCounts {
                added: 5,
                changed: 4,
                removed: 3,
                restored: 2,
                out_of_range: 11,
                unchanged: 1,
            },
            departments: EntityCounts {
                added: 10,
                changed: 9,
                removed: 8,
                restored: 7,
                out_of_range: 12,
                unchanged: 6,
            },
            ..SyncCounts::default()
        };
        run.api = ApiCounters {
            calls: 120,
            retries: 3,
            rate_limit_waits: 1,
        };
        store.finish_run(&lease, &run, &[]).await.unwrap();
        assert_eq!(reads.run(run.id).await.unwrap().unwrap(), run);
        assert_eq!(
            reads.last_succeeded_run(integration.id).await.unwrap(),
            Some(run.clone())
        );
        assert_eq!(reads.last_succeeded_run(other.id).await.unwrap(), None);

        let mut held = run.clone();
        held.status = RunStatus::Held;
        held.error = Some("held: too many removals".to_owned());
        assert_eq!(
            store.finish_run(&crashed_lease, &held, &[]).await,
            Err(SyncStoreError::LeaseLost)
        );
        assert_eq!(reads.run(run.id).await.unwrap().unwrap(), run);
        let never_begun = new_run(&integration, at(125_000));
        assert!(matches!(
            store.finish_run(&lease, &never_begun, &[]).await,
            Err(SyncStoreError::Backend(_))
        ));

        let runs = reads.runs(integration.id, 10).await.unwrap();
        assert_eq!(
            runs.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![run.id, crashed.id]
        );
        assert_eq!(reads.runs(integration.id, 1).await.unwrap().len(), 1);
        assert!(
            reads
                .run(RunId::from_uuid(Uuid::new_v4()))
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

// ---- batched writes ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_batch_upserts_removes_restores_and_records_changes_atomically() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let reads = ctx.reads();
        let integration = registered(&ctx, "Batches").await;
        let (lease, run) = lease_and_run(&ctx, &integration).await;

        let ann = account(&integration, "ou_ann", |p| {
            p.name = Some("Ann".to_owned());
            p.department_ids = vec![did("od-sales"), did("od-eng")];
        });
        let bob = account(&integration, "ou_bob", |_| {});
        let cat = account(&integration, "ou_cat", |_| {});
        let sales = department(&integration, "od-sales", Some("Sales"), "0");
        let eng = department(&integration, "od-eng", Some("Engineering"), "od-sales");
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: vec![ann.clone(), bob.clone(), cat.clone()],
                departments: vec![sales.clone(), eng.clone()],
                changes: vec![
                    change(
                        &run,
                        Subject::Account(oid("ou_ann")),
                        ChangeKind::Added,
                        at(20),
                    ),
                    change(
                        &run,
                        Subject::Department(did("od-sales")),
                        ChangeKind::Added,
                        at(20),
                    ),
                ],
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;

        let hashes = store.account_hashes(integration.id).await.unwrap();
        assert_eq!(hashes.len(), 3);
        assert_eq!(hashes[&oid("ou_ann")].hash, ann.content_hash);
        assert!(!hashes[&oid("ou_bob")].removed);
        let department_hashes = store.department_hashes(integration.id).await.unwrap();
        assert_eq!(department_hashes[&did("od-eng")].hash, eng.content_hash);
        assert_eq!(department_hashes.len(), 2);

        let loaded = store
            .load_accounts(
                integration.id,
                &[oid("ou_cat"), oid("ou_ann"), oid("ou_none")],
            )
            .await
            .unwrap();
        assert_eq!(
            loaded,
            vec![ann.clone(), cat.clone()],
            "whole accounts round-trip, missing ids skipped"
        );
        let loaded = store
            .load_departments(integration.id, &[did("od-sales"), did("od-none")])
            .await
            .unwrap();
        assert_eq!(loaded, vec![sales.clone()]);

        // Ann changes (and leaves Engineering), Bob and Engineering are removed.
        let mut ann2 = account(&integration, "ou_ann", |p| {
            p.name = Some("Ann Smith".to_owned());
            p.department_ids = vec![did("od-sales")];
        });
        ann2.first_seen_at = ann.first_seen_at;
        ann2.last_changed_at = at(40);
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: vec![ann2.clone()],
                removed_accounts: vec![(oid("ou_bob"), Presence::Removed)],
                removed_departments: vec![(did("od-eng"), Presence::Removed)],
                changes: vec![
                    change(
                        &run,
                        Subject::Account(oid("ou_ann")),
                        ChangeKind::Changed,
                        at(40),
                    ),
                    change(
                        &run,
                        Subject::Account(oid("ou_bob")),
                        ChangeKind::Removed,
                        at(40),
                    ),
                ],
                ..WriteBatch::default()
            },
            at(40),
        )
        .await;
        let hashes = store.account_hashes(integration.id).await.unwrap();
        assert_eq!(hashes[&oid("ou_ann")].hash, ann2.content_hash);
        assert!(hashes[&oid("ou_bob")].removed);
        assert!(!hashes[&oid("ou_cat")].removed);
        assert!(store.department_hashes(integration.id).await.unwrap()[&did("od-eng")].removed);
        let bob_stored = reads
            .account(integration.id, &oid("ou_bob"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bob_stored.removed_at, Some(at(40)));
        assert_eq!(
            reads
                .account(integration.id, &oid("ou_ann"))
                .await
                .unwrap()
                .unwrap(),
            as_listed(&ann2)
        );
        let in_eng = AccountQuery {
            departments: Some(vec![did("od-eng")]),
            ..AccountQuery::all(integration.id)
        };
        assert!(
            reads.accounts(&in_eng).await.unwrap().is_empty(),
            "memberships were replaced"
        );

        // Removing again keeps the first removal time; writing Bob back restores him.
        write(
            &ctx,
            &lease,
            WriteBatch {
                removed_accounts: vec![(oid("ou_bob"), Presence::Removed)],
                ..WriteBatch::default()
            },
            at(50),
        )
        .await;
        assert_eq!(
            reads
                .account(integration.id, &oid("ou_bob"))
                .await
                .unwrap()
                .unwrap()
                .removed_at,
            Some(at(40))
        );
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: vec![bob.clone()],
                ..WriteBatch::default()
            },
            at(60),
        )
        .await;
        assert!(!store.account_hashes(integration.id).await.unwrap()[&oid("ou_bob")].removed);
        assert_eq!(
            reads
                .account(integration.id, &oid("ou_bob"))
                .await
                .unwrap()
                .unwrap(),
            as_listed(&bob)
        );

        // A batch that fails part-way (a change of an unknown run) writes nothing at all.
        let ghost_run = new_run(&integration, at(70));
        let dave = account(&integration, "ou_dave", |_| {});
        let failing = WriteBatch {
            accounts: vec![dave],
            removed_accounts: vec![(oid("ou_cat"), Presence::Removed)],
            changes: vec![change(
                &ghost_run,
                Subject::Account(oid("ou_dave")),
                ChangeKind::Added,
                at(70),
            )],
            ..WriteBatch::default()
        };
        assert!(matches!(
            store.write_batch(&lease, failing.clone(), at(70)).await,
            Err(SyncStoreError::Backend(_))
        ));
        let hashes = store.account_hashes(integration.id).await.unwrap();
        assert!(!hashes.contains_key(&oid("ou_dave")));
        assert!(!hashes[&oid("ou_cat")].removed);
        assert_eq!(every_run_change(reads.as_ref(), run.id).await.len(), 4);

        // Rows of another integration are refused.
        let other = registered(&ctx, "Not leased").await;
        let foreign = WriteBatch {
            accounts: vec![account(&other, "ou_x", |_| {})],
            ..WriteBatch::default()
        };
        assert!(matches!(
            store.write_batch(&lease, foreign.clone(), at(80)).await,
            Err(SyncStoreError::Backend(_))
        ));
        assert!(store.account_hashes(other.id).await.unwrap().is_empty());
    })
    .await;
}

// ---- read model ----------------------------------------------------------------------------------

/// Seeds accounts with varied statuses, roles, departments and names.
async fn seed_directory(ctx: &Ctx, integration: &Integration) -> Vec<UserAccount> {
    let (lease, _run) = lease_and_run(ctx, integration).await;
    let accounts = vec![
        account(integration, "ou_a_admin", |p| {
            p.name = Some("Zoë Admin".to_owned());
            p.is_tenant_manager = true;
            p.department_ids = vec![did("od-it")];
        }),
        leader(
            integration,
            account(integration, "ou_b_lead", |p| {
                p.name = Some("Bob Lead".to_owned());
                p.department_ids = vec![did("od-sales"), did("od-it")];
            }),
        ),
        account(integration, "ou_c_frozen", |p| {
            p.name = Some("Carl Frozen".to_owned());
            p.status = AccountStatus::Suspended;
            p.en_name = Some("CARL_100%".to_owned());
        }),
        account(integration, "ou_d_mobile", |p| {
            p.name = Some("Dana".to_owned());
            p.email = None;
            p.mobile = Some("+86 138 0000 1234".to_owned());
            p.employee_no = Some("EMP-0042".to_owned());
            p.department_ids = vec![];
        }),
        account(integration, "ou_e_gone", |p| {
            p.name = Some("Eve Gone".to_owned());
            p.status = AccountStatus::Resigned;
        }),
    ];
    write(
        ctx,
        &lease,
        WriteBatch {
            accounts: accounts.clone(),
            ..WriteBatch::default()
        },
        at(20),
    )
    .await;
    write(
        ctx,
        &lease,
        WriteBatch {
            removed_accounts: vec![(oid("ou_e_gone"), Presence::Removed)],
            ..WriteBatch::default()
        },
        at(30),
    )
    .await;
    accounts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_listing_filters_one_by_one_and_together() {
    on_each_backend(|ctx: Ctx| async move {
        let reads = ctx.reads();
        let integration = registered(&ctx, "Directory").await;
        let noise = registered(&ctx, "Noise").await;
        let seeded = seed_directory(&ctx, &integration).await;
        seed_directory(&ctx, &noise).await;
        let all = AccountQuery::all(integration.id);
        let list = |query: AccountQuery| {
            let reads = Arc::clone(&reads);
            async move { reads.accounts(&query).await.unwrap() }
        };

        let current = list(all.clone()).await;
        assert_eq!(
            ids(&current),
            ["ou_a_admin", "ou_b_lead", "ou_c_frozen", "ou_d_mobile"]
        );
        assert_eq!(
            current[0],
            as_listed(&seeded[0]),
            "listed accounts are whole but raw"
        );
        assert!(current.iter().all(|a| a.integration_id == integration.id));
        let everything = list(AccountQuery {
            include_removed: true,
            ..all.clone()
        })
        .await;
        assert_eq!(everything.len(), 5);
        assert_eq!(everything[4].removed_at, Some(at(30)));
        assert_eq!(
            reads.account_status_counts(integration.id).await.unwrap(),
            [(AccountStatus::Active, 3), (AccountStatus::Suspended, 1)],
            "current accounts per status, removed ones left out, other integrations too"
        );

        let suspended = list(AccountQuery {
            status: Some(AccountStatus::Suspended),
            ..all.clone()
        })
        .await;
        assert_eq!(ids(&suspended), ["ou_c_frozen"]);
        let resigned = AccountQuery {
            status: Some(AccountStatus::Resigned),
            ..all.clone()
        };
        assert!(list(resigned.clone()).await.is_empty());
        assert_eq!(
            ids(&list(AccountQuery {
                include_removed: true,
                ..resigned
            })
            .await),
            ["ou_e_gone"]
        );

        assert_eq!(
            ids(&list(AccountQuery {
                role: Some(Role::TenantSuperAdmin),
                ..all.clone()
            })
            .await),
            ["ou_a_admin"]
        );
        assert_eq!(
            ids(&list(AccountQuery {
                role: Some(Role::DepartmentLeader),
                ..all.clone()
            })
            .await),
            ["ou_b_lead"]
        );
        assert_eq!(
            ids(&list(AccountQuery {
                role: Some(Role::Member),
                ..all.clone()
            })
            .await),
            ["ou_c_frozen", "ou_d_mobile"]
        );

        let in_it = AccountQuery {
            departments: Some(vec![did("od-it")]),
            ..all.clone()
        };
        assert_eq!(ids(&list(in_it).await), ["ou_a_admin", "ou_b_lead"]);
        let in_sales = AccountQuery {
            departments: Some(vec![did("od-sales")]),
            ..all.clone()
        };
        assert_eq!(ids(&list(in_sales).await), ["ou_b_lead", "ou_c_frozen"]);
        let either = AccountQuery {
            departments: Some(vec![did("od-it"), did("od-sales")]),
            ..all.clone()
        };
        assert_eq!(
            ids(&list(either).await),
            ["ou_a_admin", "ou_b_lead", "ou_c_frozen"]
        );
        assert!(
            list(AccountQuery {
                departments: Some(vec![]),
                ..all.clone()
            })
            .await
            .is_empty()
        );

        let search = |text: &str| AccountQuery {
            search: Some(text.to_owned()),
            ..all.clone()
        };
        assert_eq!(
            ids(&list(search("bob LEAD")).await),
            ["ou_b_lead"],
            "case-insensitive name"
        );
        assert_eq!(
            ids(&list(search("OU_C_FROZEN@EXAMPLE")).await),
            ["ou_c_frozen"],
            "email"
        );
        assert_eq!(
            ids(&list(search("0000 1234")).await),
            ["ou_d_mobile"],
            "mobile"
        );
        assert_eq!(
            ids(&list(search("emp-0042")).await),
            ["ou_d_mobile"],
            "employee number"
        );
        assert_eq!(
            ids(&list(search("on_ou_a_admin")).await),
            ["ou_a_admin"],
            "the whole union id"
        );
        assert!(
            list(search("on_ou_a")).await.is_empty(),
            "not a part of one"
        );
        assert_eq!(
            ids(&list(search("carl_100%")).await),
            ["ou_c_frozen"],
            "English name, wildcards literal"
        );
        assert!(
            list(search("ou_c%example")).await.is_empty(),
            "% is not a wildcard"
        );
        assert!(
            list(search("a_min")).await.is_empty(),
            "_ is not a wildcard"
        );
        assert!(
            list(search("eve")).await.is_empty(),
            "removed accounts are not found"
        );
        assert_eq!(
            list(search("  ")).await.len(),
            4,
            "blank search matches everything"
        );

        let combined = AccountQuery {
            departments: Some(vec![did("od-it"), did("od-sales")]),
            role: Some(Role::Member),
            search: Some("frozen".to_owned()),
            status: Some(AccountStatus::Suspended),
            ..all.clone()
        };
        assert_eq!(ids(&list(combined).await), ["ou_c_frozen"]);

        // Keyset pagination: pages of 2 walk everything in order.
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let page = list(AccountQuery {
                after: after.clone(),
                limit: Some(2),
                include_removed: true,
                ..all.clone()
            })
            .await;
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 2);
            after = page
                .last()
                .map(|a| AccountCursor::after(AccountSort::default(), a));
            pages.push(
                ids(&page)
                    .into_iter()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(
            pages,
            vec![
                vec!["ou_a_admin".to_owned(), "ou_b_lead".to_owned()],
                vec!["ou_c_frozen".to_owned(), "ou_d_mobile".to_owned()],
                vec!["ou_e_gone".to_owned()],
            ]
        );
        let after_b = AccountQuery {
            after: Some(AccountCursor::new(
                SortValue::OpenId,
                false,
                oid("ou_b_lead"),
            )),
            limit: Some(1),
            ..all.clone()
        };
        assert_eq!(ids(&list(after_b).await), ["ou_c_frozen"]);

        assert_eq!(
            reads
                .account(integration.id, &oid("ou_d_mobile"))
                .await
                .unwrap()
                .unwrap(),
            as_listed(&seeded[3])
        );
        assert!(
            reads
                .account(integration.id, &oid("ou_nobody"))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            reads
                .account(noise.id, &oid("ou_nobody"))
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_departments_and_run_changes_come_back_in_order() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let reads = ctx.reads();
        let integration = registered(&ctx, "History").await;
        let (lease, run1) = lease_and_run(&ctx, &integration).await;
        let first_changes = vec![
            change(
                &run1,
                Subject::Department(did("od-b")),
                ChangeKind::Added,
                at(20),
            ),
            change(
                &run1,
                Subject::Account(oid("ou_ann")),
                ChangeKind::Added,
                at(20),
            ),
            change(
                &run1,
                Subject::Account(oid("ou_bob")),
                ChangeKind::Added,
                at(20),
            ),
        ];
        write(
            &ctx,
            &lease,
            WriteBatch {
                departments: vec![
                    department(&integration, "od-b", Some("Beta"), "0"),
                    department(&integration, "od-a", Some("Alpha"), "0"),
                    department(&integration, "od-c", None, "od-a"),
                    department(&integration, "od-d", Some("Delta"), "od-a"),
                ],
                changes: first_changes.clone(),
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;
        let mut run1_done = run1.clone();
        run1_done.status = RunStatus::Succeeded;
        run1_done.finished_at = Some(at(30));
        store.finish_run(&lease, &run1_done, &[]).await.unwrap();

        let run2 = new_run(&integration, at(40));
        store.begin_run(&lease, &run2).await.unwrap();
        let mut changed = change(
            &run2,
            Subject::Account(oid("ou_ann")),
            ChangeKind::Changed,
            at(50),
        );
        changed.fields = vec![
            FieldChange {
                field: "designation".to_owned(),
                old: json!("Engineer"),
                new: json!("Lead"),
            },
            FieldChange {
                field: "roles".to_owned(),
                old: json!(["member"]),
                new: json!(["department_leader"]),
            },
        ];
        let removed = change(
            &run2,
            Subject::Account(oid("ou_ann")),
            ChangeKind::Removed,
            at(51),
        );
        write(
            &ctx,
            &lease,
            WriteBatch {
                changes: vec![changed.clone()],
                ..WriteBatch::default()
            },
            at(50),
        )
        .await;
        write(
            &ctx,
            &lease,
            WriteBatch {
                changes: vec![removed.clone()],
                removed_departments: vec![(did("od-d"), Presence::Removed)],
                ..WriteBatch::default()
            },
            at(51),
        )
        .await;

        let history = reads
            .account_history(integration.id, &oid("ou_ann"))
            .await
            .unwrap();
        assert_eq!(
            history,
            vec![first_changes[1].clone(), changed.clone(), removed.clone()]
        );
        assert!(
            reads
                .account_history(integration.id, &oid("ou_nobody"))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            every_run_change(reads.as_ref(), run1.id).await,
            first_changes
        );
        assert_eq!(
            every_run_change(reads.as_ref(), run2.id).await,
            vec![changed, removed]
        );

        let names = |departments: Vec<Department>| {
            departments
                .into_iter()
                .map(|d| d.state.open_department_id.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(reads.departments(integration.id, false).await.unwrap()),
            ["od-a", "od-b", "od-c"]
        );
        let with_removed = reads.departments(integration.id, true).await.unwrap();
        assert_eq!(
            names(with_removed.clone()),
            ["od-a", "od-b", "od-d", "od-c"],
            "by name, unnamed last"
        );
        let alpha = department(&integration, "od-a", Some("Alpha"), "0");
        assert_eq!(
            with_removed[0],
            Department {
                raw: serde_json::Value::Null,
                ..alpha
            },
            "whole but the raw JSON"
        );
        assert_eq!(with_removed[2].removed_at, Some(at(51)));

        let runs = reads.runs(integration.id, 5).await.unwrap();
        assert_eq!(runs, vec![run2.clone(), run1_done]);
        assert_eq!(reads.runs(integration.id, 1).await.unwrap(), vec![run2]);
        let unknown: Result<ChangePage, QueryError> = reads
            .run_changes(RunId::from_uuid(Uuid::new_v4()), None, 10)
            .await;
        assert_eq!(
            unknown.unwrap(),
            ChangePage {
                changes: Vec::new(),
                next: None
            }
        );
    })
    .await;
}

// ---- API keys ------------------------------------------------------------------------------------

fn api_key(
    seed: u8,
    name: &str,
    created_at: DateTime<Utc>,
) -> (aviary_domain::model::ApiKey, String) {
    let generated = aviary_domain::values::GeneratedKey::from_random([seed; 32]);
    let key = aviary_domain::model::ApiKey {
        id: aviary_domain::values::ApiKeyId::from_uuid(Uuid::new_v4()),
        name: aviary_domain::values::KeyName::parse(name).unwrap(),
        prefix: generated.prefix,
        secret_hash: generated.hash,
        scope: aviary_domain::model::KeyScope::Manage,
        created_by: aviary_domain::model::KeyCreator::CommandLine,
        created_at,
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
    };
    (key, generated.secret.expose_secret().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_insert_list_find_touch_and_revoke_and_store_no_plaintext() {
    on_each_backend(|ctx: Ctx| async move {
        use aviary_domain::ports::ApiKeyStoreError;
        use aviary_domain::values::{ApiKeyId, hash_presented_key};

        let keys = ctx.db.api_keys();
        let (ci, ci_plain) = api_key(1, "CI exporter", at(20));
        let (audit, audit_plain) = api_key(2, "Audit bot", at(10));
        keys.insert(&ci).await.unwrap();
        keys.insert(&audit).await.unwrap();

        // The same digest or id twice is refused.
        let same_secret = aviary_domain::model::ApiKey {
            id: ApiKeyId::from_uuid(Uuid::new_v4()),
            ..ci.clone()
        };
        assert!(matches!(
            keys.insert(&same_secret).await,
            Err(ApiKeyStoreError::Duplicate(_))
        ));
        let (mut same_id, _) = api_key(3, "Other", at(30));
        same_id.id = ci.id;
        assert!(matches!(
            keys.insert(&same_id).await,
            Err(ApiKeyStoreError::Duplicate(_))
        ));

        assert_eq!(
            keys.list().await.unwrap(),
            vec![audit.clone(), ci.clone()],
            "oldest first"
        );
        assert_eq!(keys.get(ci.id).await.unwrap(), Some(ci.clone()));
        let unknown = ApiKeyId::from_uuid(Uuid::new_v4());
        assert_eq!(keys.get(unknown).await.unwrap(), None);
        let presented = hash_presented_key(&ci_plain).unwrap();
        assert_eq!(
            keys.find_by_hash(&presented).await.unwrap(),
            Some(ci.clone())
        );
        let (_, never_stored) = api_key(4, "Never stored", at(0));
        let never = hash_presented_key(&never_stored).unwrap();
        assert_eq!(keys.find_by_hash(&never).await.unwrap(), None);

        // last_used_at only moves forward.
        keys.touch_last_used(ci.id, at(40)).await.unwrap();
        keys.touch_last_used(ci.id, at(35)).await.unwrap();
        assert_eq!(
            keys.get(ci.id).await.unwrap().unwrap().last_used_at,
            Some(at(40))
        );
        keys.touch_last_used(ci.id, at(41)).await.unwrap();
        assert_eq!(
            keys.get(ci.id).await.unwrap().unwrap().last_used_at,
            Some(at(41))
        );
        assert_eq!(
            keys.touch_last_used(unknown, at(41)).await,
            Err(ApiKeyStoreError::NotFound(unknown))
        );

        // Revoking once returns true; again, false with the first time kept.
        assert!(keys.revoke(ci.id, at(50)).await.unwrap());
        assert!(!keys.revoke(ci.id, at(60)).await.unwrap());
        assert_eq!(
            keys.revoke(unknown, at(60)).await,
            Err(ApiKeyStoreError::NotFound(unknown))
        );
        let revoked = keys.find_by_hash(&presented).await.unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(at(50)));
        assert_eq!(revoked.last_used_at, Some(at(41)));
        let other = keys.get(audit.id).await.unwrap().unwrap();
        assert_eq!(other, audit, "the other key is untouched");

        let bytes = sqlite_bytes(&ctx).await;
        if ctx.sqlite_file.is_some() {
            let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
            assert!(
                contains(b"CI exporter"),
                "the test must read the file the keys are in"
            );
            assert!(
                contains(ci.secret_hash.to_hex().as_bytes()),
                "the digest is stored"
            );
            for plain in [&ci_plain, &audit_plain] {
                assert!(
                    !contains(plain.as_bytes()),
                    "an API key is readable in the SQLite file"
                );
                // Past the display prefix, not even a fragment of the random part is stored.
                assert!(
                    !contains(&plain.as_bytes()[12..24]),
                    "part of an API key is stored"
                );
            }
        }
    })
    .await;
}

// ---- admins and sessions -------------------------------------------------------------------------

const PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$Q0FOQVJZLXNhbHQ$Q0FOQVJZLWhhc2gtb2YtdGhlLXBhc3N3b3Jk";

fn new_admin(email: &str, created_at: DateTime<Utc>) -> aviary_domain::model::Admin {
    aviary_domain::model::Admin::new(
        aviary_domain::values::AdminId::from_uuid(Uuid::new_v4()),
        aviary_domain::values::EmailAddress::parse(email).unwrap(),
        aviary_domain::values::PasswordHash::from_phc(PHC.to_owned()),
        created_at,
    )
}

fn new_session(
    admin: &aviary_domain::model::Admin,
    seed: u8,
    now: DateTime<Utc>,
) -> (aviary_domain::model::Session, SecretString) {
    let (token, id) = aviary_domain::values::SessionId::issue([seed; 32]);
    let csrf = aviary_domain::values::CsrfToken::from_random([seed.wrapping_add(100); 32]);
    (
        aviary_domain::model::Session::start(id, admin.id, csrf, now),
        token,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_insert_find_list_count_failures_lock_and_record_sign_ins() {
    on_each_backend(|ctx: Ctx| async move {
        use aviary_domain::ports::AdminStoreError;

        let admins = ctx.db.admins();
        let zoe = new_admin("zoe@example.com", at(10));
        let ada = new_admin("ada@example.com", at(20));
        admins.insert(&zoe).await.unwrap();
        admins.insert(&ada).await.unwrap();
        let same_email = new_admin("ada@example.com", at(30));
        assert_eq!(
            admins.insert(&same_email).await.unwrap_err(),
            AdminStoreError::EmailTaken(ada.email.clone())
        );
        let same_id = aviary_domain::model::Admin {
            email: aviary_domain::values::EmailAddress::parse("other@example.com").unwrap(),
            ..ada.clone()
        };
        assert!(matches!(
            admins.insert(&same_id).await,
            Err(AdminStoreError::Backend(_))
        ));

        assert_eq!(
            admins.list().await.unwrap(),
            vec![ada.clone(), zoe.clone()],
            "ordered by email"
        );
        assert_eq!(
            admins.find_by_email(&ada.email).await.unwrap(),
            Some(ada.clone())
        );
        assert_eq!(admins.get(zoe.id).await.unwrap(), Some(zoe.clone()));
        let nobody = aviary_domain::values::EmailAddress::parse("nobody@example.com").unwrap();
        assert_eq!(admins.find_by_email(&nobody).await.unwrap(), None);
        let ghost = aviary_domain::values::AdminId::from_uuid(Uuid::new_v4());
        assert_eq!(admins.get(ghost).await.unwrap(), None);

        // Failures are counted atomically, also when they arrive together.
        assert_eq!(admins.record_failed_attempt(ada.id).await.unwrap(), 1);
        let together =
            futures::future::join_all((0..4).map(|_| admins.record_failed_attempt(ada.id))).await;
        let mut counts: Vec<u32> = together.into_iter().map(Result::unwrap).collect();
        counts.sort_unstable();
        assert_eq!(counts, vec![2, 3, 4, 5]);
        assert_eq!(
            admins.get(ada.id).await.unwrap().unwrap().failed_attempts,
            5
        );
        assert_eq!(
            admins.get(zoe.id).await.unwrap().unwrap().failed_attempts,
            0,
            "only that admin"
        );

        // A lock starts the count afresh; an unlock or a sign-in clears both.
        admins.lock_until(ada.id, at(900_000)).await.unwrap();
        let locked = admins.get(ada.id).await.unwrap().unwrap();
        assert_eq!(
            (locked.failed_attempts, locked.locked_until),
            (0, Some(at(900_000)))
        );
        assert!(locked.is_locked_at(at(899_999)));
        admins.record_failed_attempt(ada.id).await.unwrap();
        admins.reset_failed_attempts(ada.id).await.unwrap();
        let unlocked = admins.get(ada.id).await.unwrap().unwrap();
        assert_eq!((unlocked.failed_attempts, unlocked.locked_until), (0, None));
        admins.record_failed_attempt(ada.id).await.unwrap();
        admins.lock_until(ada.id, at(900_000)).await.unwrap();
        // While locked, a sign-in is not recorded and the lock stays (one conditional write).
        assert!(!admins.record_sign_in(ada.id, at(899_999)).await.unwrap());
        let still = admins.get(ada.id).await.unwrap().unwrap();
        assert_eq!(still.locked_until, Some(at(900_000)));
        assert_eq!(still.last_sign_in_at, None);
        // Once the lock has ended, it is.
        assert!(admins.record_sign_in(ada.id, at(1_000_000)).await.unwrap());
        let signed_in = admins.get(ada.id).await.unwrap().unwrap();
        assert_eq!(signed_in.last_sign_in_at, Some(at(1_000_000)));
        assert_eq!(
            (signed_in.failed_attempts, signed_in.locked_until),
            (0, None)
        );
        assert_eq!(signed_in.password_hash, ada.password_hash);
        assert_eq!(signed_in.created_at, at(20));

        assert_eq!(
            admins.record_failed_attempt(ghost).await.unwrap_err(),
            AdminStoreError::NotFound(ghost)
        );
        assert_eq!(
            admins.lock_until(ghost, at(1)).await.unwrap_err(),
            AdminStoreError::NotFound(ghost)
        );
        assert_eq!(
            admins.reset_failed_attempts(ghost).await.unwrap_err(),
            AdminStoreError::NotFound(ghost)
        );
        assert!(!admins.record_sign_in(ghost, at(1)).await.unwrap());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_found_by_token_hash_touched_expired_and_go_with_their_admin() {
    on_each_backend(|ctx: Ctx| async move {
        use aviary_domain::ports::SessionStoreError;
        use aviary_domain::values::SessionId;

        let admins = ctx.db.admins();
        let sessions = ctx.db.sessions();
        let ada = new_admin("ada@example.com", at(0));
        let bob = new_admin("bob@example.com", at(0));
        admins.insert(&ada).await.unwrap();
        admins.insert(&bob).await.unwrap();
        let (first, first_token) = new_session(&ada, 1, at(1_000));
        let (second, _) = new_session(&ada, 2, at(2_000));
        let (bobs, _) = new_session(&bob, 3, at(3_000));
        for session in [&first, &second, &bobs] {
            sessions.create(session).await.unwrap();
        }
        let ghost = new_admin("ghost@example.com", at(0));
        let (orphan, _) = new_session(&ghost, 4, at(0));
        assert_eq!(
            sessions.create(&orphan).await.unwrap_err(),
            SessionStoreError::NoAdmin(ghost.id)
        );

        let presented = SessionId::of_token(first_token.expose_secret()).unwrap();
        assert_eq!(
            sessions.find(&presented).await.unwrap(),
            Some(first.clone())
        );
        let (_, never) = SessionId::issue([5; 32]);
        assert_eq!(sessions.find(&never).await.unwrap(), None);

        sessions
            .touch(&first.id, at(60_000), at(43_260_000))
            .await
            .unwrap();
        let touched = sessions.find(&first.id).await.unwrap().unwrap();
        assert_eq!(
            (touched.last_seen_at, touched.expires_at),
            (at(60_000), at(43_260_000))
        );
        assert_eq!(
            (touched.created_at, &touched.csrf_token),
            (first.created_at, &first.csrf_token)
        );
        sessions.touch(&never, at(1), at(2)).await.unwrap();

        // Expired: second (12 h after 2 s) and bob's (12 h after 3 s), not the touched first.
        let later = second.expires_at + chrono::Duration::seconds(5);
        assert_eq!(sessions.delete_expired(later).await.unwrap(), 2);
        assert!(sessions.find(&second.id).await.unwrap().is_none());
        assert!(sessions.find(&bobs.id).await.unwrap().is_none());
        assert!(sessions.find(&first.id).await.unwrap().is_some());

        sessions.delete(&first.id).await.unwrap();
        sessions.delete(&first.id).await.unwrap();
        assert!(sessions.find(&first.id).await.unwrap().is_none());

        for seed in 6..9 {
            sessions
                .create(&new_session(&ada, seed, at(5_000)).0)
                .await
                .unwrap();
        }
        let (kept, _) = new_session(&bob, 9, at(5_000));
        sessions.create(&kept).await.unwrap();
        assert_eq!(sessions.delete_all_of(ada.id).await.unwrap(), 3);
        assert!(sessions.find(&kept.id).await.unwrap().is_some());

        // Deleting an admin takes their sessions with it.
        let delete = Query::delete()
            .from_table(Alias::new("admins"))
            .and_where(Expr::col(Alias::new("id")).eq(bob.id.as_uuid()))
            .to_owned();
        ctx.db.connection().execute(&delete).await.unwrap();
        assert!(sessions.find(&kept.id).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_session_tokens_never_reach_the_database_file() {
    on_each_backend(|ctx: Ctx| async move {
        let password = "CANARY-admin-password-7g8h9i";
        let admin = new_admin("ada@example.com", at(0));
        ctx.db.admins().insert(&admin).await.unwrap();
        let (session, token) = new_session(&admin, 11, at(0));
        ctx.db.sessions().create(&session).await.unwrap();
        let bytes = sqlite_bytes(&ctx).await;
        if ctx.sqlite_file.is_some() {
            let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
            assert!(
                contains(PHC.as_bytes()),
                "the test must read the file the admin is in"
            );
            assert!(
                contains(session.id.as_str().as_bytes()),
                "the session's hash is its key"
            );
            assert!(
                !contains(password.as_bytes()),
                "a password is readable in the SQLite file"
            );
            assert!(
                !contains(token.expose_secret().as_bytes()),
                "a session token is readable in the SQLite file"
            );
        }
    })
    .await;
}

// ---- volume --------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_accounts_in_one_batch_write_and_read_back() {
    on_each_backend(|ctx: Ctx| async move {
        const COUNT: usize = 10_000;
        let store = ctx.store();
        let reads = ctx.reads();
        let integration = registered(&ctx, "Big tenant").await;
        let (lease, run) = lease_and_run(&ctx, &integration).await;
        let accounts: Vec<UserAccount> = (0..COUNT)
            .map(|i| {
                account(&integration, &format!("ou_{i:05}"), |p| {
                    p.department_ids = vec![did(&format!("od-{}", i % 50)), did(&format!("od-{}", i % 7 + 100))];
                    p.en_name = Some(format!("User {i}"));
                    p.mobile = Some(format!("+1 555 {i:05}"));
                    p.is_tenant_manager = i % 1000 == 0;
                })
            })
            .collect();
        let changes: Vec<ChangeRecord> = accounts
            .iter()
            .map(|a| change(&run, Subject::Account(a.state.open_id().clone()), ChangeKind::Added, at(20)))
            .collect();
        let batch = WriteBatch { accounts: accounts.clone(), changes, ..WriteBatch::default() };

        let started = Instant::now();
        store.write_batch(&lease, batch, at(20)).await.unwrap();
        let elapsed = started.elapsed();
        eprintln!(
            "[{:?}] wrote {COUNT} accounts (+{} memberships, {COUNT} changes) in one batch in {:.0} ms: {:.0} accounts/s",
            ctx.backend(),
            COUNT * 2,
            elapsed.as_secs_f64() * 1000.0,
            COUNT as f64 / elapsed.as_secs_f64()
        );

        // The same batch again takes the ON CONFLICT path.
        let again = WriteBatch { accounts: accounts.clone(), ..WriteBatch::default() };
        let started = Instant::now();
        store.write_batch(&lease, again, at(21)).await.unwrap();
        eprintln!(
            "[{:?}] re-upserted {COUNT} accounts in {:.0} ms",
            ctx.backend(),
            started.elapsed().as_secs_f64() * 1000.0
        );

        let hashes = store.account_hashes(integration.id).await.unwrap();
        assert_eq!(hashes.len(), COUNT);
        assert_eq!(hashes[&oid("ou_04321")].hash, accounts[4321].content_hash);
        let listed = reads.accounts(&AccountQuery::all(integration.id)).await.unwrap();
        let whole: Vec<UserAccount> = accounts.iter().map(as_listed).collect();
        assert_eq!(listed, whole, "all accounts read back whole but raw and in open_id order");
        let wanted: Vec<OpenId> = accounts.iter().map(|a| a.state.open_id().clone()).collect();
        let loaded = store.load_accounts(integration.id, &wanted).await.unwrap();
        assert_eq!(loaded, accounts, "the sync reads every account back with its raw JSON");
        assert_eq!(every_run_change(reads.as_ref(), run.id).await.len(), COUNT);
        assert_eq!(count_rows(&ctx, "account_departments", integration.id).await, (COUNT * 2) as i64);

        let in_dept = AccountQuery { departments: Some(vec![did("od-7")]), ..AccountQuery::all(integration.id) };
        assert_eq!(reads.accounts(&in_dept).await.unwrap().len(), COUNT / 50);
        let admins = AccountQuery { role: Some(Role::TenantSuperAdmin), ..AccountQuery::all(integration.id) };
        assert_eq!(reads.accounts(&admins).await.unwrap().len(), COUNT / 1000);
        let page = AccountQuery { after: Some(AccountCursor::new(SortValue::OpenId, false, oid("ou_09990"))), limit: Some(50), ..AccountQuery::all(integration.id) };
        assert_eq!(ids(&reads.accounts(&page).await.unwrap()).len(), 9);
    })
    .await;
}

/// Updating an integration's settings and counting its stored data (`integrations.rs`).
#[path = "repositories/integration_settings.rs"]
mod integration_settings;

/// Run warnings stored with a run's result (`sync_runs.warnings`).
#[path = "repositories/run_warnings.rs"]
mod run_warnings;

/// Sorted account listings and their keyset pages (`read_model/order.rs`).
#[path = "repositories/account_sorting.rs"]
mod account_sorting;

/// Password resets in the admin store (`admins.rs`).
#[path = "repositories/admin_passwords.rs"]
mod admin_passwords;

#[path = "repositories/holds.rs"]
mod holds;

#[path = "repositories/objects.rs"]
mod objects;

#[path = "repositories/read_paths.rs"]
mod read_paths;

/// Migrations 10–12 on a database of the previous release (`migrations/m20261206_0000{10,11,12}_*.rs`).
#[path = "repositories/lean_storage.rs"]
mod lean_storage;

/// A run's changes in keyset pages (`read_model/run_changes.rs`).
#[path = "repositories/run_changes.rs"]
mod run_changes;

/// The data directory `0700` and the database files `0600` (`private_fs.rs`).
#[path = "repositories/private_files.rs"]
mod private_files;

/// Backups of the embedded database (`repositories/backup.rs`).
#[path = "repositories/backup.rs"]
mod backup;

/// Readiness with pending migrations (`repositories/readiness.rs`).
#[path = "repositories/readiness.rs"]
mod readiness;

#[path = "repositories/key_scopes.rs"]
mod key_scopes;

#[path = "repositories/keyring.rs"]
mod keyring;

/// PostgreSQL session timeouts against frozen processes (`repositories/session_timeouts.rs`).
#[path = "repositories/session_timeouts.rs"]
mod session_timeouts;

/// Refresh claims on grants, across processes (`repositories/refresh_claims.rs`).
#[path = "repositories/refresh_claims.rs"]
mod refresh_claims;

/// Retention of the run history (`repositories/run_history.rs`).
#[path = "repositories/run_history.rs"]
mod run_history;
