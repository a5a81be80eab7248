//! User groups and installed apps on every backend: written in a batch, read back by id and in
//! name order, hashed and loaded for diffs, marked removed or out of range, their history kept
//! per subject, their run counts stored with the run, accounts filtered by a group's members,
//! and everything gone with the integration.

use aviary_domain::model::{
    App, AppState, AppStatus, ChangeKind, Group, GroupKind, GroupState, Presence, RunStatus,
    Subject,
};
use aviary_domain::ports::{AccountQuery, GroupMembers, WriteBatch};
use aviary_domain::values::{ContentHash, GroupId, InstalledAppId};
use serde_json::json;

use super::{
    Ctx, account, at, change, count_rows, did, lease_and_run, oid, on_each_backend, registered,
    write,
};
use aviary_domain::model::Integration;

fn gid(id: &str) -> GroupId {
    GroupId::parse(id).unwrap()
}

fn app_id(id: &str) -> InstalledAppId {
    InstalledAppId::parse(id).unwrap()
}

fn group(integration: &Integration, id: &str, name: Option<&str>, users: &[&str]) -> Group {
    let mut state = GroupState::new(gid(id), GroupKind::Normal);
    state.name = name.map(str::to_owned);
    state.group_id = Some(format!("custom-{id}"));
    state.users = users.iter().map(|u| oid(u)).collect();
    state.departments = vec![did("od-eng")];
    let raw = json!({ "id": id, "name": name });
    Group {
        integration_id: integration.id,
        content_hash: ContentHash::of_json(
            &json!({ "state": serde_json::to_value(&state).unwrap() }),
        ),
        state,
        raw,
        first_seen_at: at(1_000),
        last_changed_at: at(1_000),
        removed_at: None,
        presence: Presence::Present,
    }
}

fn app(integration: &Integration, id: &str, name: &str) -> App {
    let mut state = AppState::new(app_id(id));
    state.name = Some(name.to_owned());
    state.status = AppStatus::Enabled;
    state.scopes = vec!["contact:user.base:readonly".to_owned()];
    App {
        integration_id: integration.id,
        content_hash: ContentHash::of_json(
            &json!({ "state": serde_json::to_value(&state).unwrap() }),
        ),
        state,
        raw: json!({ "app_id": id, "app_name": name }),
        first_seen_at: at(1_000),
        last_changed_at: at(1_000),
        removed_at: None,
        presence: Presence::Present,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_apps_are_written_read_back_marked_removed_and_counted() {
    on_each_backend(|ctx: Ctx| async move {
        let (store, reads) = (ctx.store(), ctx.reads());
        let integration = registered(&ctx, "Objects").await;
        let other = registered(&ctx, "Other").await;
        let (lease, mut run) = lease_and_run(&ctx, &integration).await;
        let groups = vec![
            group(&integration, "g2", Some("Sales"), &["ou_b"]),
            group(&integration, "g1", Some("Admins"), &["ou_a"]),
            group(&integration, "g3", None, &[]),
        ];
        let apps = vec![
            app(&integration, "cli_2", "Wiki"),
            app(&integration, "cli_1", "Approval"),
        ];
        write(
            &ctx,
            &lease,
            WriteBatch {
                groups: groups.clone(),
                apps: apps.clone(),
                changes: vec![change(
                    &run,
                    Subject::Group(aviary_domain::values::GroupId::parse("g1").unwrap()),
                    ChangeKind::Added,
                    at(20),
                )],
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;

        let listed = reads.groups(integration.id, false).await.unwrap();
        let names: Vec<_> = listed.iter().map(|g| g.state.id.as_str()).collect();
        assert_eq!(names, ["g1", "g2", "g3"], "by name, unnamed last");
        assert_eq!(
            reads
                .group(integration.id, &gid("g2"))
                .await
                .unwrap()
                .unwrap(),
            groups[0]
        );
        assert_eq!(reads.group(other.id, &gid("g2")).await.unwrap(), None);
        let listed_apps = reads.apps(integration.id, false).await.unwrap();
        assert_eq!(listed_apps, vec![apps[1].clone(), apps[0].clone()]);
        assert_eq!(
            reads
                .app(integration.id, &app_id("cli_2"))
                .await
                .unwrap()
                .unwrap(),
            apps[0]
        );
        let hashes = store.group_hashes(integration.id).await.unwrap();
        assert_eq!(hashes[&gid("g1")].hash, groups[1].content_hash);
        assert!(!hashes[&gid("g1")].removed);
        assert_eq!(store.app_hashes(integration.id).await.unwrap().len(), 2);
        let loaded = store
            .load_groups(integration.id, &[gid("g3"), gid("nope")])
            .await
            .unwrap();
        assert_eq!(loaded, vec![groups[2].clone()]);
        assert_eq!(
            store
                .load_apps(integration.id, &[app_id("cli_1")])
                .await
                .unwrap(),
            vec![apps[1].clone()]
        );

        write(
            &ctx,
            &lease,
            WriteBatch {
                removed_groups: vec![(gid("g2"), Presence::OutOfRange)],
                removed_apps: vec![(app_id("cli_2"), Presence::Removed)],
                ..WriteBatch::default()
            },
            at(30),
        )
        .await;
        assert_eq!(reads.groups(integration.id, false).await.unwrap().len(), 2);
        let g2 = reads
            .group(integration.id, &gid("g2"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (g2.presence, g2.removed_at),
            (Presence::OutOfRange, Some(at(30)))
        );
        assert!(store.group_hashes(integration.id).await.unwrap()[&gid("g2")].removed);
        assert_eq!(reads.apps(integration.id, true).await.unwrap().len(), 2);
        assert_eq!(reads.apps(integration.id, false).await.unwrap().len(), 1);

        let history = reads
            .subject_history(
                integration.id,
                &Subject::Group(aviary_domain::values::GroupId::parse("g1").unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            history[0].subject,
            Subject::Group(aviary_domain::values::GroupId::parse("g1").unwrap())
        );

        run.status = RunStatus::Succeeded;
        run.finished_at = Some(at(40));
        run.counts.groups.added = 3;
        run.counts.groups.out_of_range = 1;
        run.counts.apps.removed = 1;
        store.finish_run(&lease, &run, &[]).await.unwrap();
        let stored = reads.run(run.id).await.unwrap().unwrap();
        assert_eq!(stored.counts, run.counts);

        assert_eq!(
            count_rows(&ctx, "directory_objects", integration.id).await,
            5
        );
        ctx.integrations().delete(integration.id).await.unwrap();
        assert_eq!(
            count_rows(&ctx, "directory_objects", integration.id).await,
            0
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_filtered_by_a_groups_users_and_departments() {
    on_each_backend(|ctx: Ctx| async move {
        let reads = ctx.reads();
        let integration = registered(&ctx, "Members").await;
        let (lease, _) = lease_and_run(&ctx, &integration).await;
        let accounts = vec![
            account(&integration, "ou_a", |_| {}),
            account(&integration, "ou_b", |p| {
                p.department_ids = vec![did("od-eng")]
            }),
            account(&integration, "ou_c", |p| {
                p.department_ids = vec![did("od-ops")]
            }),
        ];
        write(
            &ctx,
            &lease,
            WriteBatch {
                accounts,
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;
        let members = |users: &[&str], departments: &[&str]| AccountQuery {
            members_of: Some(GroupMembers {
                users: users.iter().map(|u| oid(u)).collect(),
                departments: departments.iter().map(|d| did(d)).collect(),
            }),
            ..AccountQuery::all(integration.id)
        };
        let found = |query: AccountQuery| {
            let reads = reads.clone();
            async move {
                let mut ids: Vec<String> = reads
                    .accounts(&query)
                    .await
                    .unwrap()
                    .iter()
                    .map(|a| a.state.open_id().as_str().to_owned())
                    .collect();
                ids.sort();
                ids
            }
        };
        assert_eq!(
            found(members(&["ou_a"], &["od-eng"])).await,
            ["ou_a", "ou_b"]
        );
        assert_eq!(found(members(&[], &["od-ops"])).await, ["ou_c"]);
        assert_eq!(found(members(&["ou_c"], &[])).await, ["ou_c"]);
        assert!(
            found(members(&[], &[])).await.is_empty(),
            "no members, nobody"
        );
    })
    .await;
}
