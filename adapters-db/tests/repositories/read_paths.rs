//! The reads that keep pages fast (migration 000009): department outlines and names by id read
//! what the whole departments do, the account search answers through its index exactly as
//! the column scan does (also after renames and removals), and the indexes exist.

use aviary_domain::model::{DepartmentOutline, Presence};
use aviary_domain::ports::{AccountQuery, WriteBatch};
use sea_orm::ConnectionTrait as _;

use super::{
    Ctx, account, at, department, did, ids, lease_and_run, on_each_backend, registered, write,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_outlines_and_names_read_the_same_as_whole_departments() {
    on_each_backend(|ctx: Ctx| async move {
        let reads = ctx.reads();
        let integration = registered(&ctx, "Outlines").await;
        let (lease, _run) = lease_and_run(&ctx, &integration).await;
        let departments = vec![
            department(&integration, "od-sales", Some("Sales"), "0"),
            department(&integration, "od-eu", Some("Sales EU"), "od-sales"),
            department(&integration, "od-x", None, "0"),
            department(&integration, "od-old", Some("Archive"), "0"),
        ];
        write(
            &ctx,
            &lease,
            WriteBatch {
                departments: departments.clone(),
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;
        write(
            &ctx,
            &lease,
            WriteBatch {
                removed_departments: vec![(did("od-old"), Presence::Removed)],
                ..WriteBatch::default()
            },
            at(30),
        )
        .await;
        for include_removed in [false, true] {
            let whole = reads
                .departments(integration.id, include_removed)
                .await
                .unwrap();
            let outlines = reads
                .department_outlines(integration.id, include_removed)
                .await
                .unwrap();
            let expected: Vec<DepartmentOutline> =
                whole.iter().map(DepartmentOutline::from).collect();
            assert_eq!(outlines, expected, "include_removed={include_removed}");
            assert_eq!(outlines.len(), if include_removed { 4 } else { 3 });
        }
        let archived = reads
            .department_outlines(integration.id, true)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.open_department_id == did("od-old"))
            .unwrap();
        assert_eq!(archived.removed_at, Some(at(30)));

        let mut names = reads
            .department_names(
                integration.id,
                &[did("od-eu"), did("od-x"), did("od-old"), did("od-none")],
            )
            .await
            .unwrap();
        names.sort();
        assert_eq!(
            names,
            [
                (did("od-eu"), Some("Sales EU".to_owned())),
                (did("od-old"), Some("Archive".to_owned())),
                (did("od-x"), None),
            ],
            "removed ones too, unknown ones left out"
        );
        assert!(
            reads
                .department_names(integration.id, &[])
                .await
                .unwrap()
                .is_empty()
        );
        let other = registered(&ctx, "Other").await;
        assert!(
            reads
                .department_names(other.id, &[did("od-eu")])
                .await
                .unwrap()
                .is_empty(),
            "only the integration's own"
        );
    })
    .await;
}

/// The open ids a search finds, current and removed accounts alike.
async fn found(
    ctx: &Ctx,
    integration: &aviary_domain::model::Integration,
    text: &str,
) -> Vec<String> {
    let mut query = AccountQuery::all(integration.id);
    query.search = Some(text.to_owned());
    query.include_removed = true;
    let accounts = ctx.reads().accounts(&query).await.unwrap();
    ids(&accounts).into_iter().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_index_finds_what_a_column_scan_finds_after_renames_and_removals() {
    on_each_backend(|ctx: Ctx| async move {
        let integration = registered(&ctx, "Search").await;
        let (lease, _run) = lease_and_run(&ctx, &integration).await;
        let people = vec![
            account(&integration, "ou_1", |p| {
                p.name = Some("Anna Smith".to_owned());
                p.en_name = Some("Smithy".to_owned());
            }),
            account(&integration, "ou_2", |p| {
                p.name = Some("Bo Smithers".to_owned());
                p.email = Some("bo@SMITH.example".to_owned());
            }),
            account(&integration, "ou_3", |p| {
                p.name = Some("Cy \"Q\" 100%_done".to_owned());
                p.employee_no = Some("EMP-7731".to_owned());
                p.mobile = Some("+86 138 5555 0001".to_owned());
            }),
            account(&integration, "ou_4", |p| {
                // "Ann" ends one column and "Smi" starts the next: no match across them.
                p.name = Some("Jo Ann".to_owned());
                p.en_name = Some("Smiley".to_owned());
                p.email = None;
            }),
        ];
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: people.clone(),
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;

        assert_eq!(found(&ctx, &integration, "smith").await, ["ou_1", "ou_2"]);
        assert_eq!(found(&ctx, &integration, "SMITHERS").await, ["ou_2"]);
        assert_eq!(found(&ctx, &integration, "smith.example").await, ["ou_2"]);
        assert_eq!(found(&ctx, &integration, "7731").await, ["ou_3"]);
        assert_eq!(found(&ctx, &integration, "5555 0").await, ["ou_3"]);
        assert_eq!(found(&ctx, &integration, "\"Q\"").await, ["ou_3"]);
        assert_eq!(found(&ctx, &integration, "100%_").await, ["ou_3"]);
        assert!(found(&ctx, &integration, "annsmi").await.is_empty());
        assert_eq!(found(&ctx, &integration, "a smi").await, ["ou_1"]);
        // Shorter than a trigram: answered by the scan alone.
        assert_eq!(found(&ctx, &integration, "Bo").await, ["ou_2"]);
        assert_eq!(
            found(&ctx, &integration, "on_ou_4").await,
            ["ou_4"],
            "union id"
        );

        // A rename moves the account in the index; a removal keeps it findable with
        // include_removed (as the scan does).
        let renamed = account(&integration, "ou_1", |p| {
            p.name = Some("Anna Jones".to_owned());
            p.en_name = None;
        });
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: vec![renamed],
                removed_accounts: vec![(super::oid("ou_2"), Presence::Removed)],
                ..WriteBatch::default()
            },
            at(30),
        )
        .await;
        assert_eq!(found(&ctx, &integration, "smith").await, ["ou_2"]);
        assert_eq!(found(&ctx, &integration, "jones").await, ["ou_1"]);
        let mut current = AccountQuery::all(integration.id);
        current.search = Some("smith".to_owned());
        assert!(ctx.reads().accounts(&current).await.unwrap().is_empty());

        // Another integration's accounts are not found; deleting an integration leaves
        // nothing behind to be found.
        let other = registered(&ctx, "Other").await;
        assert!(found(&ctx, &other, "smith").await.is_empty());
        ctx.store().release_lease(&lease).await.unwrap();
        ctx.integrations().delete(integration.id).await.unwrap();
        let again = registered(&ctx, "Search again").await;
        assert!(found(&ctx, &again, "jones").await.is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_and_union_ids_are_found_whole_and_never_by_a_part() {
    on_each_backend(|ctx: Ctx| async move {
        let integration = registered(&ctx, "Ids").await;
        let (lease, _run) = lease_and_run(&ctx, &integration).await;
        let (open, union) = (
            "ou_7d8a6e6df7621556ce0d21922b676706",
            "on_94a1ee5551019f18cd73d9f111898cf2",
        );
        let people = vec![
            account(&integration, open, |p| {
                p.union_id = Some(union.to_owned());
                p.user_id = Some("3e3cf96b".to_owned());
                p.name = Some("Dee Lin".to_owned());
                p.email = Some("dee@example.com".to_owned());
                p.employee_no = Some("7731".to_owned());
            }),
            account(&integration, "ou_5f0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d", |p| {
                p.union_id = Some("on_0123456789abcdef7731fedcba987654".to_owned());
                p.user_id = Some("g12345ab".to_owned());
                p.name = Some("Kai Wu".to_owned());
                p.email = Some("kai@example.com".to_owned());
                p.employee_no = None;
            }),
        ];
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: people,
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;

        assert_eq!(found(&ctx, &integration, open).await, [open], "open id");
        assert_eq!(found(&ctx, &integration, union).await, [open], "union id");
        assert_eq!(
            found(&ctx, &integration, " 3e3cf9").await,
            [open],
            "user id"
        );
        // Kai's union id holds 7731 and Dee's open id 7621: only Dee's employee number counts.
        assert_eq!(found(&ctx, &integration, "7731").await, [open]);
        for part in [
            "7621556",
            "ou_7d8a",
            "94a1ee",
            "on_",
            "ou_",
            "OU_7D8A6E6DF7621556CE0D21922B676706",
        ] {
            assert!(found(&ctx, &integration, part).await.is_empty(), "{part}");
        }
    })
    .await;
}

/// The names of the database's indexes (and SQLite's virtual tables) on `accounts`.
async fn account_indexes(ctx: &Ctx) -> Vec<String> {
    let sql = match ctx.backend() {
        aviary_adapters_db::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE tbl_name IN ('accounts', 'accounts_search')"
        }
        aviary_adapters_db::Backend::Postgres => {
            "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts'"
        }
    };
    let connection = ctx.db.connection();
    let rows = connection
        .query_all_raw(sea_orm::Statement::from_string(
            connection.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_and_search_indexes_exist() {
    on_each_backend(|ctx: Ctx| async move {
        let names = account_indexes(&ctx).await;
        let search = match ctx.backend() {
            aviary_adapters_db::Backend::Sqlite => "accounts_search",
            // The local test server ships pg_trgm; elsewhere the index may be missing.
            aviary_adapters_db::Backend::Postgres => "ix_accounts_search",
        };
        for index in ["ix_accounts_current_status", "ix_accounts_union_id", search] {
            assert!(names.iter().any(|n| n == index), "{index} in {names:?}");
        }
    })
    .await;
}

/// Whether PostgreSQL has analyzed `accounts` (always `false` on SQLite).
async fn accounts_analyzed(ctx: &Ctx) -> bool {
    if ctx.backend() != aviary_adapters_db::Backend::Postgres {
        return false;
    }
    let connection = ctx.db.connection();
    let row = connection
        .query_one_raw(sea_orm::Statement::from_string(
            connection.get_database_backend(),
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'accounts'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<bool>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_wrote_ten_thousand_rows_refreshes_postgresql_planner_statistics() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let integration = registered(&ctx, "Analyzed").await;
        let (lease, mut run) = lease_and_run(&ctx, &integration).await;
        run.status = aviary_domain::model::RunStatus::Succeeded;
        run.finished_at = Some(at(40));
        run.counts.users.added = 9_000;
        run.counts.departments.changed = 999;
        store.finish_run(&lease, &run, &[]).await.unwrap();
        assert!(
            !accounts_analyzed(&ctx).await,
            "a small run leaves it to autovacuum"
        );
        store.release_lease(&lease).await.unwrap();

        let (lease, mut large) = lease_and_run(&ctx, &integration).await;
        large.status = aviary_domain::model::RunStatus::Succeeded;
        large.finished_at = Some(at(50));
        large.counts.users.added = 9_000;
        large.counts.departments.added = 1_000;
        store.finish_run(&lease, &large, &[]).await.unwrap();
        assert_eq!(
            accounts_analyzed(&ctx).await,
            ctx.backend() == aviary_adapters_db::Backend::Postgres
        );
    })
    .await;
}
