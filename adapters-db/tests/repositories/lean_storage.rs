//! Migrations 10–12 (lean accounts, lean search, lean departments) on a database as the
//! previous release made it: schema 9, each account's and department's state and Lark's JSON
//! stored as JSON text beside copies of some fields, exactly as that release's
//! `account_values` and `department_values` wrote them. Every account and department must read
//! back as it was, on both backends, with its raw JSON compressed (an account's with a
//! dictionary when its tenant is large enough to train one), and the search must still find.

use aviary_adapters_db::Migrator;
use aviary_domain::model::FieldGroup;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{DatabaseConnection, DbBackend, Statement};
use sea_orm_migration::MigratorTrait as _;

use super::*;

/// Accounts of the large integration: enough to train a dictionary on.
const MANY: usize = 300;

/// The last migration of the previous release.
const PREVIOUS_SCHEMA: u32 = 9;

/// An account with every tracked field set in some rows and empty in others.
fn rich_account(integration: IntegrationId, i: usize) -> UserAccount {
    let open_id = format!("ou_{i:05}");
    let mut p = UserProfile::new(oid(&open_id));
    p.union_id = Some(format!("on_{i:05}"));
    p.user_id = (!i.is_multiple_of(5)).then(|| format!("u{i}"));
    p.name = Some(format!("Name {i}"));
    p.en_name = i.is_multiple_of(2).then(|| format!("English {i}"));
    p.nickname = i.is_multiple_of(3).then(|| format!("Nick {i}"));
    p.email = Some(format!("user{i}@example.com"));
    p.enterprise_email = i
        .is_multiple_of(4)
        .then(|| format!("user{i}@corp.example.com"));
    p.mobile = (!i.is_multiple_of(6)).then(|| format!("+8613800{i:06}"));
    p.gender = Some((i % 3) as i64);
    p.status = [
        AccountStatus::Active,
        AccountStatus::Suspended,
        AccountStatus::Resigned,
    ][i % 3];
    p.is_tenant_manager = i.is_multiple_of(97);
    p.department_ids = (0..i % 3)
        .map(|d| did(&format!("od-{}", (i + d) % 11)))
        .collect();
    p.primary_department_id = p.department_ids.first().cloned();
    p.designation = (!i.is_multiple_of(2)).then(|| "Engineer".to_owned());
    p.employee_no = Some(format!("E{i:04}"));
    p.employee_type = Some(1 + (i % 2) as i64);
    p.leader_open_id = (i > 0).then(|| oid(&format!("ou_{:05}", i / 2)));
    p.dotted_line_leader_open_ids = if i.is_multiple_of(10) {
        vec![oid("ou_00001")]
    } else {
        Vec::new()
    };
    p.city = Some("Shenzhen".to_owned());
    p.country = i.is_multiple_of(2).then(|| "CN".to_owned());
    p.work_station = i.is_multiple_of(7).then(|| format!("F{}", i % 30));
    p.geo = Some("cn".to_owned());
    p.join_time = Some(1_600_000_000 + i as i64);
    p.avatar_url = Some(format!(
        "https://s1-imfile.feishucdn.com/avatar/{i}~72x72.png"
    ));
    p.withheld = if i.is_multiple_of(13) {
        vec![FieldGroup::Gender, FieldGroup::Geo]
    } else {
        Vec::new()
    };
    let leaders: HashSet<OpenId> = i
        .is_multiple_of(17)
        .then(|| p.open_id.clone())
        .into_iter()
        .collect();
    let state = AccountState::derive(p, &leaders);
    let raw = json!({
        "open_id": state.open_id().as_str(),
        "union_id": format!("on_{i:05}"),
        "name": format!("Name {i}"),
        "avatar": {
            "avatar_72": format!("https://s1-imfile.feishucdn.com/avatar/{i}~72x72.png"),
            "avatar_240": format!("https://s1-imfile.feishucdn.com/avatar/{i}~240x240.png"),
        },
        "status": {"is_frozen": false, "is_resigned": i % 3 == 2, "is_activated": true},
        "department_ids": state.profile.department_ids.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "custom_attrs": [{"type": "TEXT", "id": "C-1", "value": {"text": format!("value {i}")}}],
    });
    let removed = i.is_multiple_of(11);
    UserAccount {
        integration_id: integration,
        content_hash: ContentHash::of_json(&json!({ "n": i })),
        state,
        raw,
        first_seen_at: at(i as i64),
        last_changed_at: at(2 * i as i64),
        removed_at: removed.then(|| at(3 * i as i64)),
        presence: if removed {
            Presence::Removed
        } else {
            Presence::Present
        },
    }
}

/// A department with every tracked field set in some rows and empty in others.
fn rich_department(integration: IntegrationId, i: usize) -> Department {
    let mut state = DepartmentState::new(did(&format!("od-{i}")));
    state.department_id = i.is_multiple_of(2).then(|| format!("D{i:03}"));
    state.name = Some(format!("Department {i}"));
    state.name_en = i.is_multiple_of(3).then(|| format!("Dept {i}"));
    state.parent_id = Some(did(if i == 0 { "0" } else { "od-0" }));
    state.leader_open_id = (!i.is_multiple_of(2)).then(|| oid(&format!("ou_{i:05}")));
    state.leader_open_ids = state.leader_open_id.iter().cloned().collect();
    state.member_count = Some(10 * i as i64);
    state.order = (i > 2).then_some(i as i64 * 1000);
    state.withheld = if i == 4 {
        vec![FieldGroup::DepartmentOrganisation]
    } else {
        Vec::new()
    };
    let raw = json!({
        "open_department_id": format!("od-{i}"),
        "name": format!("Department {i}"),
        "i18n_name": {"en_us": format!("Dept {i}")},
        "status": {"is_deleted": false},
    });
    Department {
        integration_id: integration,
        content_hash: ContentHash::of_json(&json!({ "d": i })),
        state,
        raw,
        first_seen_at: at(i as i64),
        last_changed_at: at(2 * i as i64),
        removed_at: (i == 5).then(|| at(99)),
        presence: if i == 5 {
            Presence::Removed
        } else {
            Presence::Present
        },
    }
}

/// Inserts a department row exactly as the previous release's `department_values` wrote it.
async fn insert_old_department(db: &DatabaseConnection, department: &Department) {
    let s = &department.state;
    let columns = [
        "integration_id",
        "open_department_id",
        "department_id",
        "name",
        "parent_id",
        "state_json",
        "raw_json",
        "content_hash",
        "first_seen_at",
        "last_changed_at",
        "removed_at",
        "presence",
    ];
    let values: Vec<SimpleExpr> = vec![
        Expr::val(department.integration_id.as_uuid()),
        Expr::val(s.open_department_id.as_str()),
        Expr::val(s.department_id.clone()),
        Expr::val(s.name.clone()),
        Expr::val(s.parent_id.as_ref().map(|d| d.as_str().to_owned())),
        Expr::val(serde_json::to_string(s).unwrap()),
        Expr::val(serde_json::to_string(&department.raw).unwrap()),
        Expr::val(department.content_hash.as_str()),
        Expr::val(department.first_seen_at.timestamp_micros()),
        Expr::val(department.last_changed_at.timestamp_micros()),
        Expr::val(department.removed_at.map(|t| t.timestamp_micros())),
        Expr::val(department.presence.as_str()),
    ];
    insert(db, "departments", &columns, values).await;
}

/// Inserts one row of `values` for `columns` into `table`.
async fn insert(db: &DatabaseConnection, table: &str, columns: &[&str], values: Vec<SimpleExpr>) {
    let insert = Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .values(values)
        .unwrap()
        .to_owned();
    db.execute(&insert).await.unwrap();
}

/// Inserts an integration row as schema 9 has it.
async fn insert_old_integration(db: &DatabaseConnection, id: Uuid, label: &str) {
    let columns = [
        "id",
        "label",
        "region",
        "app_id",
        "app_secret_ciphertext",
        "app_secret_nonce",
        "app_secret_key_id",
        "status",
        "created_at",
        "updated_at",
    ];
    let values: Vec<SimpleExpr> = vec![
        Expr::val(id),
        Expr::val(label),
        Expr::val("feishu"),
        Expr::val("cli_a1b2c3d4e5f60718"),
        Expr::val(vec![0u8]),
        Expr::val(vec![0u8]),
        Expr::val("k"),
        Expr::val("active"),
        Expr::val(0i64),
        Expr::val(0i64),
    ];
    insert(db, "integrations", &columns, values).await;
}

/// Inserts an account row exactly as the previous release's `account_values` wrote it.
async fn insert_old_account(db: &DatabaseConnection, account: &UserAccount) {
    let p = &account.state.profile;
    let roles = &account.state.roles;
    let columns = [
        "integration_id",
        "open_id",
        "union_id",
        "user_id",
        "name",
        "en_name",
        "email",
        "enterprise_email",
        "mobile",
        "employee_no",
        "status",
        "is_tenant_admin",
        "is_department_leader",
        "primary_department_id",
        "designation",
        "state_json",
        "raw_json",
        "content_hash",
        "first_seen_at",
        "last_changed_at",
        "removed_at",
        "presence",
    ];
    let values: Vec<SimpleExpr> = vec![
        Expr::val(account.integration_id.as_uuid()),
        Expr::val(p.open_id.as_str()),
        Expr::val(p.union_id.clone()),
        Expr::val(p.user_id.clone()),
        Expr::val(p.name.clone()),
        Expr::val(p.en_name.clone()),
        Expr::val(p.email.clone()),
        Expr::val(p.enterprise_email.clone()),
        Expr::val(p.mobile.clone()),
        Expr::val(p.employee_no.clone()),
        Expr::val(p.status.as_str()),
        Expr::val(roles.contains(&Role::TenantSuperAdmin)),
        Expr::val(roles.contains(&Role::DepartmentLeader)),
        Expr::val(
            p.primary_department_id
                .as_ref()
                .map(|d| d.as_str().to_owned()),
        ),
        Expr::val(p.designation.clone()),
        Expr::val(serde_json::to_string(&account.state).unwrap()),
        Expr::val(serde_json::to_string(&account.raw).unwrap()),
        Expr::val(account.content_hash.as_str()),
        Expr::val(account.first_seen_at.timestamp_micros()),
        Expr::val(account.last_changed_at.timestamp_micros()),
        Expr::val(account.removed_at.map(|t| t.timestamp_micros())),
        Expr::val(account.presence.as_str()),
    ];
    insert(db, "accounts", &columns, values).await;
}

/// One integration of the previous release's database.
struct Tenant {
    id: Uuid,
    accounts: Vec<UserAccount>,
    departments: Vec<Department>,
}

/// A database at the previous schema holding `tenants`.
async fn make_previous_release_database(url: &str, tenants: &[Tenant]) {
    let old = sea_orm::Database::connect(url).await.unwrap();
    Migrator::up(&old, Some(PREVIOUS_SCHEMA)).await.unwrap();
    for tenant in tenants {
        insert_old_integration(&old, tenant.id, &format!("old {}", tenant.id)).await;
        for account in &tenant.accounts {
            insert_old_account(&old, account).await;
        }
        for department in &tenant.departments {
            insert_old_department(&old, department).await;
        }
    }
    old.close().await.unwrap();
}

async fn count(db: &Database, sql: &str) -> i64 {
    let backend = db.connection().get_database_backend();
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Opens (and so migrates) the database at `url`, then checks every record of `tenants`.
async fn check_upgraded(url: &str, tenants: &[Tenant]) {
    let db = Database::open(url, MasterKey::generate()).await.unwrap();
    for Tenant {
        id,
        accounts,
        departments,
    } in tenants
    {
        let id = IntegrationId::from_uuid(*id);
        let ids: Vec<OpenId> = accounts.iter().map(|a| a.state.open_id().clone()).collect();
        let loaded = db.sync_store().load_accounts(id, &ids).await.unwrap();
        assert_eq!(
            loaded, *accounts,
            "every account with its raw JSON, as it was"
        );
        let ids: Vec<DepartmentId> = departments
            .iter()
            .map(|d| d.state.open_department_id.clone())
            .collect();
        let loaded = db.sync_store().load_departments(id, &ids).await.unwrap();
        assert_eq!(
            loaded, *departments,
            "every department with its raw JSON, as it was"
        );
        let mut listed = db.read_model().departments(id, true).await.unwrap();
        listed.sort_by(|a, b| a.state.open_department_id.cmp(&b.state.open_department_id));
        let without_raw: Vec<Department> = departments
            .iter()
            .map(|d| Department {
                raw: serde_json::Value::Null,
                ..d.clone()
            })
            .collect();
        assert_eq!(
            listed, without_raw,
            "department queries read every field but the raw JSON"
        );
        let search = AccountQuery {
            search: Some("name 12".to_owned()),
            include_removed: true,
            ..AccountQuery::all(id)
        };
        let found: Vec<String> = db
            .read_model()
            .accounts(&search)
            .await
            .unwrap()
            .iter()
            .map(|a| a.state.open_id().as_str().to_owned())
            .collect();
        let expected: Vec<String> = accounts
            .iter()
            .filter(|a| {
                a.state
                    .profile
                    .name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains("name 12"))
            })
            .map(|a| a.state.open_id().as_str().to_owned())
            .collect();
        assert_eq!(
            found, expected,
            "the rebuilt search index finds what a scan finds"
        );
        let last = accounts.last().map(|a| &a.state.profile).unwrap();
        let union = last.union_id.clone().unwrap();
        for (text, expected) in [
            (union.clone(), vec![last.open_id.clone()]),
            (union[..6].to_owned(), vec![]),
        ] {
            let search = AccountQuery {
                search: Some(text),
                include_removed: true,
                ..AccountQuery::all(id)
            };
            let found = db.read_model().accounts(&search).await.unwrap();
            let found: Vec<OpenId> = found.iter().map(|a| a.state.open_id().clone()).collect();
            assert_eq!(found, expected, "a union id matches whole, never by a part");
        }
        let everything = AccountQuery {
            include_removed: true,
            ..AccountQuery::all(id)
        };
        let listed = db.read_model().accounts(&everything).await.unwrap();
        let without_raw: Vec<UserAccount> = accounts.iter().map(as_listed).collect();
        assert_eq!(
            listed, without_raw,
            "listings read every field but the raw JSON"
        );
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM raw_dictionaries").await, 1);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM accounts WHERE raw_dictionary_id IS NOT NULL"
        )
        .await,
        MANY as i64,
        "the large tenant's rows use its dictionary, the small one's none"
    );
    let columns = match db.backend() {
        Backend::Sqlite => {
            "SELECT (SELECT COUNT(*) FROM pragma_table_info('accounts') \
             WHERE name IN ('state_json', 'raw_json')) + (SELECT COUNT(*) FROM \
             pragma_table_info('departments') WHERE name IN ('state_json', 'raw_json'))"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name IN \
             ('accounts', 'departments') AND column_name IN ('state_json', 'raw_json')"
        }
    };
    assert_eq!(count(&db, columns).await, 0, "the JSON copies are gone");
    db.close().await.unwrap();
}

fn previous_release_data() -> Vec<Tenant> {
    let of = |n: usize, departments: usize| -> Tenant {
        let id = Uuid::new_v4();
        let integration = IntegrationId::from_uuid(id);
        let mut accounts: Vec<UserAccount> = (0..n).map(|i| rich_account(integration, i)).collect();
        accounts.sort_by(|a, b| a.state.open_id().cmp(b.state.open_id()));
        let mut departments: Vec<Department> = (0..departments)
            .map(|i| rich_department(integration, i))
            .collect();
        departments.sort_by(|a, b| a.state.open_department_id.cmp(&b.state.open_department_id));
        Tenant {
            id,
            accounts,
            departments,
        }
    };
    vec![of(MANY, 12), of(3, 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_of_the_previous_release_keeps_every_record_through_the_lean_storage_migrations()
 {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let data = previous_release_data();
    make_previous_release_database(&url, &data).await;
    let pages = "SELECT page_count FROM pragma_page_count()";
    let old = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let row = old.query_one_raw(Statement::from_string(DbBackend::Sqlite, pages));
    let before = row
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    old.close().await.unwrap();

    check_upgraded(&url, &data).await;
    let db = Database::open(&url, MasterKey::generate()).await.unwrap();
    let after = count(&db, pages).await;
    assert!(
        after * 4 < before * 3,
        "the upgrade compacted the file: {before} pages before, {after} after"
    );
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_of_the_previous_release_keeps_every_record_through_the_lean_storage_migrations()
 {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let data = previous_release_data();
    let url = pg.url.clone();
    let outcome = tokio::spawn(async move {
        make_previous_release_database(&url, &data).await;
        check_upgraded(&url, &data).await;
    })
    .await;
    pg.drop_database().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_stored_state_stops_the_upgrade_and_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let id = Uuid::new_v4();
    let tenant = Tenant {
        id,
        accounts: vec![rich_account(IntegrationId::from_uuid(id), 1)],
        departments: Vec::new(),
    };
    make_previous_release_database(&url, &[tenant]).await;
    let old = sea_orm::Database::connect(url.as_str()).await.unwrap();
    old.execute_unprepared("UPDATE accounts SET state_json = '{\"open_id\": 7}'")
        .await
        .unwrap();
    old.close().await.unwrap();

    let err = Database::open(&url, MasterKey::generate())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ou_00001"), "{err}");
    let old = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let kept = old
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT state_json FROM accounts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.try_get_by_index::<String>(0).unwrap(),
        "{\"open_id\": 7}"
    );
    old.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_written_side_by_side_train_one_dictionary_and_read_back_whole() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let integration = registered(&ctx, "Side by side").await;
        let (lease, _run) = lease_and_run(&ctx, &integration).await;
        let batches: Vec<Vec<UserAccount>> = (0..4)
            .map(|b| {
                (0..MANY)
                    .map(|i| rich_account(integration.id, b * MANY + i))
                    .collect()
            })
            .collect();
        let writes = batches.iter().map(|accounts| {
            let batch = WriteBatch {
                accounts: accounts.clone(),
                ..WriteBatch::default()
            };
            store.write_batch(&lease, batch, at(20))
        });
        for written in futures::future::join_all(writes).await {
            written.unwrap();
        }
        assert_eq!(
            count(&ctx.db, "SELECT COUNT(*) FROM raw_dictionaries").await,
            1,
            "the first batch trained it, the others waited and used it"
        );
        let all: Vec<UserAccount> = batches.concat();
        let ids: Vec<OpenId> = all.iter().map(|a| a.state.open_id().clone()).collect();
        let mut loaded = store.load_accounts(integration.id, &ids).await.unwrap();
        loaded.sort_by(|a, b| a.state.open_id().cmp(b.state.open_id()));
        let mut expected = all;
        expected.sort_by(|a, b| a.state.open_id().cmp(b.state.open_id()));
        assert_eq!(loaded, expected);
    })
    .await;
}
