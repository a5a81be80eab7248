//! When Lark returns less than before, Aviary says so instead of rewriting or removing accounts:
//! a withdrawn field permission holds the run and overwrites nothing (and re-granting it changes
//! nothing); a contact range narrowed below the threshold marks the users who left it
//! `out_of_range`, never `removed`; a real deletion of as many users is `removed`.

use aviary_tests::{Installation, SimulatorConfig, simulator};
use serde_json::Value;

/// Each account's status and email, by open_id.
fn statuses_and_emails(accounts: &[Value]) -> Vec<(String, Value, Value)> {
    let mut out: Vec<(String, Value, Value)> = accounts
        .iter()
        .map(|a| {
            (
                a["open_id"].as_str().unwrap().to_owned(),
                a["status"].clone(),
                a["email"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn changes(run: &Value) -> u64 {
    let users = &run["counts"]["users"];
    ["added", "changed", "removed", "restored", "out_of_range"]
        .iter()
        .map(|k| users[k].as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_permission_holds_the_run_and_rewrites_nothing() {
    let sim = simulator(SimulatorConfig {
        users: 120,
        departments: 10,
        seed: 31,
        rate_limits: false,
        ..SimulatorConfig::default()
    })
    .await;
    let tenant = sim.tenant();
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    assert_eq!(aviary.sync("acme").0, Some(0));
    let before = statuses_and_emails(&aviary.accounts("acme"));
    assert!(
        before.iter().any(|(_, s, _)| s != "active"),
        "some are not active"
    );

    for permission in [
        "contact:user.employee:readonly",
        "contact:user.email:readonly",
    ] {
        assert!(tenant.remove_scope(permission), "{permission}");
        let (code, run) = aviary.sync("acme");
        assert_eq!(code, Some(4), "held: {run}");
        assert_eq!(run["status"], "held");
        let error = run["error"].as_str().unwrap();
        assert!(error.contains(permission), "{error}");
        assert!(error.contains("aviary integration doctor acme"), "{error}");
        assert_eq!(changes(&run), 0, "{run}");
        assert!(
            run["hold"]["withheld"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["permission"] == permission),
            "{run}"
        );
        assert_eq!(
            statuses_and_emails(&aviary.accounts("acme")),
            before,
            "no stored status or email changed"
        );
    }

    // Granted again: nothing changed, so the run records no changes.
    tenant.add_scope("contact:user.employee:readonly").unwrap();
    tenant.add_scope("contact:user.email:readonly").unwrap();
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(changes(&run), 0, "{run}");
    assert_eq!(statuses_and_emails(&aviary.accounts("acme")), before);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrowed_contact_range_is_out_of_range_and_a_deletion_is_removed() {
    // No user groups: narrowing an everyone-range to departments also hides every group (Lark
    // lists only the groups in range), which holds the run on its own — `groups.rs` tests that.
    let sim = simulator(SimulatorConfig {
        users: 300,
        departments: 24,
        groups: 0,
        seed: 5,
        rate_limits: false,
        ..SimulatorConfig::default()
    })
    .await;
    let tenant = sim.tenant();
    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    assert_eq!(aviary.sync("acme").0, Some(0));
    let visible = tenant.visible_user_count();

    // Narrow the range: every first-level department but the smallest ones, until about a
    // tenth of the users is outside it (root-level users leave it too).
    let mut first_level: Vec<(u32, String)> = tenant
        .departments()
        .into_iter()
        .filter(|d| d.parent_open_department_id == "0")
        .map(|d| {
            let members = tenant.member_count(&d.open_department_id).unwrap();
            (members, d.open_department_id)
        })
        .collect();
    first_level.sort();
    let root_users = tenant.root_users().len();
    let mut excluded = root_users;
    let mut kept: Vec<String> = Vec::new();
    for (members, id) in first_level {
        if (excluded + members as usize) * 100 <= visible * 12 {
            excluded += members as usize;
        } else {
            kept.push(id);
        }
    }
    tenant.set_scope_departments(kept).unwrap();
    let left = visible - tenant.visible_user_count();
    assert!(
        left * 100 >= visible * 5 && left * 100 < visible * 20,
        "about a tenth left the range: {left} of {visible}"
    );

    // The summary says so, in words.
    let synced = aviary.run(&["sync", "acme"]).success();
    assert!(
        synced
            .stdout
            .contains(&format!("{left} left the contact range")),
        "{}",
        synced.stdout
    );
    let run = aviary
        .run(&["runs", "list", "-i", "acme", "--output", "json"])
        .success()
        .json()[0]
        .clone();
    let users = &run["counts"]["users"];
    assert_eq!(users["out_of_range"], left as u64, "{run}");
    assert_eq!(users["removed"], 0, "{run}");
    let accounts = aviary.accounts("acme");
    let out: Vec<&Value> = accounts
        .iter()
        .filter(|a| a["presence"] == "out_of_range")
        .collect();
    assert_eq!(out.len(), left);
    assert!(out.iter().all(|a| !a["removed_at"].is_null()));
    let shown = aviary
        .run(&["runs", "show", run["id"].as_str().unwrap()])
        .success();
    assert!(shown.stdout.contains("out_of_range"), "{}", shown.stdout);

    // A real deletion of a tenth of the (remaining) users is `removed`.
    tenant.full_scope();
    assert_eq!(aviary.sync("acme").0, Some(0));
    let deleted: Vec<String> = tenant
        .users()
        .into_iter()
        .filter(|u| !u.status.is_resigned && !u.department_ids.is_empty())
        .take(visible / 10)
        .map(|u| u.open_id)
        .collect();
    for id in &deleted {
        tenant.delete_user(id).unwrap();
    }
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(
        run["counts"]["users"]["removed"],
        deleted.len() as u64,
        "{run}"
    );
    assert_eq!(run["counts"]["users"]["out_of_range"], 0, "{run}");
    sim.stop().await;
}
