//! A resync after the tenant changed: field change, department move, new user, resigned user,
//! vanished user, user added to a second department — right statuses, removals and history.

use aviary_lark_simulator::{NewUser, SimUser};
use aviary_tests::{Installation, SimulatorConfig, account, simulator};
use serde_json::Value;

/// Ordinary members: active, one department, managing nobody, not admins.
fn ordinary(users: &[SimUser], leaders: &[String]) -> Vec<SimUser> {
    users
        .iter()
        .filter(|u| {
            u.status.is_activated
                && !u.status.is_frozen
                && !u.status.is_resigned
                && !u.status.is_exited
                && !u.status.is_unjoin
                && u.department_ids.len() == 1
                && u.department_ids[0] != "0"
                && !u.is_tenant_manager
                && !leaders.contains(&u.open_id)
        })
        .cloned()
        .collect()
}

fn history_fields(history: &Value, kind: &str) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .flat_map(|c| {
            c["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["field"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_records_every_kind_of_change() {
    let sim = simulator(SimulatorConfig {
        users: 160,
        departments: 16,
        seed: 23,
        ..SimulatorConfig::default()
    })
    .await;
    let tenant = sim.tenant();
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    assert_eq!(aviary.sync("acme").0, Some(0));

    // Nobody may report to the users we resign or delete, or their reports would change too.
    let users = tenant.users();
    let mut leaders: Vec<String> = tenant
        .departments()
        .iter()
        .filter_map(|d| d.leader_open_id.clone())
        .collect();
    for user in &users {
        leaders.extend(user.leader_open_id.iter().cloned());
        leaders.extend(user.dotted_line_leader_open_ids.iter().cloned());
    }
    let candidates = ordinary(&users, &leaders);
    assert!(
        candidates.len() >= 5,
        "need five ordinary users, have {}",
        candidates.len()
    );
    let (renamed, moved, resigned, vanished, doubled) = (
        &candidates[0],
        &candidates[1],
        &candidates[2],
        &candidates[3],
        &candidates[4],
    );
    let target = tenant
        .departments()
        .into_iter()
        .map(|d| d.open_department_id)
        .find(|d| *d != moved.department_ids[0] && *d != doubled.department_ids[0])
        .expect("another department");

    tenant
        .update_user(&renamed.open_id, |u| {
            u.job_title = "Chief Pigeon Officer".into()
        })
        .unwrap();
    tenant.move_user(&moved.open_id, &target).unwrap();
    tenant.resign_user(&resigned.open_id).unwrap();
    tenant.delete_user(&vanished.open_id).unwrap();
    tenant
        .add_user_to_department(&doubled.open_id, &target)
        .unwrap();
    let newcomer = tenant
        .add_user(NewUser::new("Nora Newcomer", target.clone()))
        .unwrap();

    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(run["status"], "succeeded");
    let users = &run["counts"]["users"];
    assert_eq!(users["added"], 1, "{run}");
    assert_eq!(users["removed"], 1, "{run}");
    assert_eq!(
        users["changed"], 4,
        "renamed, moved, resigned, doubled: {run}"
    );

    let accounts = aviary.accounts("acme");
    assert_eq!(
        account(&accounts, &renamed.open_id)["designation"],
        "Chief Pigeon Officer"
    );
    let moved_now = account(&accounts, &moved.open_id);
    assert_eq!(moved_now["departments"].as_array().unwrap().len(), 1);
    assert_eq!(moved_now["departments"][0]["id"], target.as_str());
    assert_eq!(moved_now["primary_department_id"], target.as_str());
    let resigned_now = account(&accounts, &resigned.open_id);
    assert_eq!(resigned_now["status"], "resigned");
    assert!(
        resigned_now["removed_at"].is_null(),
        "a resigned user is kept, flagged: {resigned_now}"
    );
    assert!(
        account(&accounts, &vanished.open_id)["removed_at"].is_string(),
        "a vanished user is removed"
    );
    let doubled_now = account(&accounts, &doubled.open_id);
    assert_eq!(doubled_now["departments"].as_array().unwrap().len(), 2);
    assert_eq!(account(&accounts, &newcomer)["name"], "Nora Newcomer");

    // Removed accounts are hidden unless asked for.
    let current = aviary
        .run(&["accounts", "list", "-i", "acme", "--output", "json"])
        .success()
        .json();
    assert!(
        current
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["open_id"] != vanished.open_id.as_str())
    );
    let in_target = aviary
        .run(&[
            "accounts",
            "list",
            "-i",
            "acme",
            "--department",
            &target,
            "--output",
            "json",
        ])
        .success()
        .json();
    let ids: Vec<&str> = in_target
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["open_id"].as_str().unwrap())
        .collect();
    for expected in [
        moved.open_id.as_str(),
        doubled.open_id.as_str(),
        newcomer.as_str(),
    ] {
        assert!(
            ids.contains(&expected),
            "{expected} not in the target department: {ids:?}"
        );
    }

    let shown = aviary
        .run(&["accounts", "show", &renamed.open_id, "--output", "json"])
        .success()
        .json();
    assert_eq!(shown["history"][0]["kind"], "added");
    assert_eq!(
        history_fields(&shown["history"], "changed"),
        vec!["designation"]
    );
    let changed = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "changed")
        .unwrap();
    assert_eq!(changed["fields"][0]["old"], renamed.job_title.as_str());
    assert_eq!(changed["fields"][0]["new"], "Chief Pigeon Officer");
    let resigned_history = aviary
        .run(&["accounts", "show", &resigned.open_id, "--output", "json"])
        .success()
        .json();
    assert!(history_fields(&resigned_history["history"], "changed").contains(&"status".to_owned()));
    let vanished_history = aviary
        .run(&["accounts", "show", &vanished.open_id, "--output", "json"])
        .success()
        .json();
    assert_eq!(
        vanished_history["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["kind"],
        "removed"
    );

    let table = aviary
        .run(&["runs", "show", run["id"].as_str().unwrap()])
        .success()
        .stdout;
    assert!(
        table.contains("removed") && table.contains(&vanished.open_id),
        "{table}"
    );
    sim.stop().await;
}
