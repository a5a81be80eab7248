//! Presence and holds on every backend: accounts and departments marked `removed` or
//! `out_of_range` read back as such (and present again once written back); a held run keeps
//! what it held, record by record, for its confirmation; and a database made before presence
//! existed reads its removed rows as `removed` after migrating.

use aviary_adapters_db::{Database, MasterKey, Migrator};
use aviary_domain::model::{
    Departures, FieldGroup, HeldSubject, Hold, Presence, RunStatus, Subject, WithheldGroup,
};
use aviary_domain::ports::{AccountQuery, WriteBatch};
use sea_orm::ConnectionTrait as _;
use sea_orm_migration::MigratorTrait as _;

use super::{
    Ctx, account, at, department, did, lease_and_run, new_run, oid, on_each_backend, registered,
    write,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_marked_out_of_range_or_removed_read_back_with_their_presence() {
    on_each_backend(|ctx: Ctx| async move {
        let (store, reads) = (ctx.store(), ctx.reads());
        let integration = registered(&ctx, "Presence").await;
        let (lease, _) = lease_and_run(&ctx, &integration).await;
        let accounts: Vec<_> = ["ou_a", "ou_b", "ou_c"]
            .iter()
            .map(|id| account(&integration, id, |_| {}))
            .collect();
        let departments = vec![
            department(&integration, "od-x", Some("X"), "0"),
            department(&integration, "od-y", Some("Y"), "0"),
        ];
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: accounts.clone(),
                departments,
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;
        write(
            &ctx,
            &lease,
            WriteBatch {
                removed_accounts: vec![
                    (oid("ou_a"), Presence::OutOfRange),
                    (oid("ou_b"), Presence::Removed),
                ],
                removed_departments: vec![(did("od-x"), Presence::OutOfRange)],
                ..WriteBatch::default()
            },
            at(30),
        )
        .await;
        let read = |id: &'static str| {
            let reads = reads.clone();
            let integration = integration.id;
            async move { reads.account(integration, &oid(id)).await.unwrap().unwrap() }
        };
        let a = read("ou_a").await;
        assert_eq!(
            (a.presence, a.removed_at),
            (Presence::OutOfRange, Some(at(30)))
        );
        assert_eq!(read("ou_b").await.presence, Presence::Removed);
        assert_eq!(read("ou_c").await.presence, Presence::Present);
        let hashes = store.account_hashes(integration.id).await.unwrap();
        assert!(hashes[&oid("ou_a")].removed, "out of range is not present");
        let current = reads
            .accounts(&AccountQuery::all(integration.id))
            .await
            .unwrap();
        assert_eq!(current.len(), 1);
        let everyone = AccountQuery {
            include_removed: true,
            ..AccountQuery::all(integration.id)
        };
        assert_eq!(reads.accounts(&everyone).await.unwrap().len(), 3);
        let departments = reads.departments(integration.id, true).await.unwrap();
        let x = departments
            .iter()
            .find(|d| d.state.open_department_id.as_str() == "od-x")
            .unwrap();
        assert_eq!(x.presence, Presence::OutOfRange);

        // Back in range: written back whole, present again.
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts: vec![accounts[0].clone()],
                ..WriteBatch::default()
            },
            at(40),
        )
        .await;
        let a = read("ou_a").await;
        assert_eq!((a.presence, a.removed_at), (Presence::Present, None));
    })
    .await;
}

fn a_hold() -> Hold {
    Hold {
        accounts: Departures {
            removed: 1,
            out_of_range: 2,
        },
        accounts_stored: 10,
        departments: Departures::default(),
        departments_stored: 2,
        groups: Departures::default(),
        groups_stored: 0,
        apps: Departures::default(),
        apps_stored: 0,
        withheld: vec![WithheldGroup {
            group: FieldGroup::Email,
            permission: FieldGroup::Email.permission().to_owned(),
            records: 9,
            of: 10,
        }],
        threshold_percent: 20.0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_run_keeps_what_it_held_until_a_newer_run_supersedes_it() {
    on_each_backend(|ctx: Ctx| async move {
        let (store, reads) = (ctx.store(), ctx.reads());
        let integration = registered(&ctx, "Held").await;
        let (lease, mut run) = lease_and_run(&ctx, &integration).await;
        run.status = RunStatus::Held;
        run.finished_at = Some(at(40));
        run.hold = Some(a_hold());
        let held: Vec<HeldSubject> = ["ou_1", "ou_2", "ou_3"]
            .iter()
            .enumerate()
            .map(|(i, id)| HeldSubject {
                subject: Subject::Account(oid(id)),
                outcome: if i == 0 {
                    Presence::Removed
                } else {
                    Presence::OutOfRange
                },
            })
            .chain([HeldSubject {
                subject: Subject::Department(did("od-gone")),
                outcome: Presence::Removed,
            }])
            .collect();
        store.finish_run(&lease, &run, &held).await.unwrap();
        assert_eq!(reads.run(run.id).await.unwrap().unwrap(), run);

        let stored = store
            .held_run(integration.id, run.id)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.newest);
        assert_eq!(stored.run.hold, Some(a_hold()));
        let mut subjects = stored.subjects.clone();
        subjects.sort_by(|a, b| format!("{:?}", a.subject).cmp(&format!("{:?}", b.subject)));
        let mut expected = held.clone();
        expected.sort_by(|a, b| format!("{:?}", a.subject).cmp(&format!("{:?}", b.subject)));
        assert_eq!(subjects, expected);
        assert_eq!(reads.held_subjects(run.id, 2).await.unwrap().len(), 2);
        let listed = reads.held_subjects(run.id, 10).await.unwrap();
        assert_eq!(listed[0].subject, Subject::Account(oid("ou_1")));
        assert_eq!(listed[3].subject, Subject::Department(did("od-gone")));

        // Another integration cannot confirm it; a run that was not held is nothing to confirm.
        let other = registered(&ctx, "Other").await;
        assert!(store.held_run(other.id, run.id).await.unwrap().is_none());

        // A later run supersedes it.
        store.release_lease(&lease).await.unwrap();
        let lease = store
            .acquire_lease(integration.id, "worker-2", super::TTL, at(50))
            .await
            .unwrap();
        let mut later = new_run(&integration, at(60));
        store.begin_run(&lease, &later).await.unwrap();
        let stored = store
            .held_run(integration.id, run.id)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.newest);
        later.status = RunStatus::Succeeded;
        later.finished_at = Some(at(70));
        later.confirms = Some(run.id);
        later.confirmed_by = Some("Ada <ada@acme.example>".to_owned());
        store.finish_run(&lease, &later, &[]).await.unwrap();
        assert_eq!(reads.run(later.id).await.unwrap().unwrap(), later);
        assert!(
            store
                .held_run(integration.id, later.id)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_presence_reads_its_removed_rows_as_removed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let old = sea_orm::Database::connect(url.as_str()).await.unwrap();
    // The schema as the previous release left it: every migration before presence.
    Migrator::up(&old, Some(6)).await.unwrap();
    let integration = uuid::Uuid::from_u128(1);
    // Each row's state as that release stored it (later migrations read it).
    let state = |id: &str| {
        let profile = aviary_domain::model::UserProfile::new(oid(id));
        let state = aviary_domain::model::AccountState::derive(profile, &Default::default());
        serde_json::to_string(&state).unwrap()
    };
    let (gone, here) = (state("ou_gone"), state("ou_here"));
    // SQLite holds a UUID as its 16 bytes, as the adapter binds it.
    let integration = format!("x'{}'", integration.simple());
    let sql = format!(
        "INSERT INTO integrations (id, label, region, app_id, app_secret_ciphertext, \
         app_secret_nonce, app_secret_key_id, status, created_at, updated_at) VALUES \
         ({integration}, 'old', 'lark', 'cli_old', x'00', x'00', 'k', 'active', 0, 0);
         INSERT INTO accounts (integration_id, open_id, status, is_tenant_admin, \
         is_department_leader, state_json, raw_json, content_hash, first_seen_at, \
         last_changed_at, removed_at) VALUES \
         ({integration}, 'ou_gone', 'active', false, false, '{gone}', '{{}}', 'h', 0, 0, 5), \
         ({integration}, 'ou_here', 'active', false, false, '{here}', '{{}}', 'h', 0, 0, NULL);"
    );
    old.execute_unprepared(&sql).await.unwrap();
    old.close().await.unwrap();

    let db = Database::open(&url, MasterKey::generate()).await.unwrap();
    let rows = db
        .connection()
        .query_all_raw(sea_orm::Statement::from_string(
            db.connection().get_database_backend(),
            "SELECT open_id, presence FROM accounts ORDER BY open_id",
        ))
        .await
        .unwrap();
    let presence: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<String>("", "open_id").unwrap(),
                r.try_get::<String>("", "presence").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        presence,
        [
            ("ou_gone".to_owned(), "removed".to_owned()),
            ("ou_here".to_owned(), "present".to_owned())
        ]
    );
    db.close().await.unwrap();
}
