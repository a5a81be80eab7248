//! User groups and installed apps end to end through the CLI: a contact range granted through
//! a group brings in a user who is in no granted department; groups and apps are listed and
//! shown with their history; accounts filter by group; and a group that leaves the range takes
//! the user it granted with it: both `out_of_range`, never `removed`.

use aviary_lark_simulator::NewGroup;
use aviary_tests::{Installation, SimulatorConfig, account, simulator};
use serde_json::Value;

fn json(aviary: &Installation, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    aviary.run(&all).success().json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_in_range_only_through_a_group_is_synced() {
    let sim = simulator(SimulatorConfig {
        users: 60,
        departments: 6,
        seed: 3,
        rate_limits: false,
        ..SimulatorConfig::default()
    })
    .await;
    let tenant = sim.tenant();
    let first_level: Vec<String> = tenant
        .departments()
        .into_iter()
        .filter(|d| d.parent_open_department_id == "0")
        .map(|d| d.open_department_id)
        .collect();
    assert!(first_level.len() >= 2, "{first_level:?}");
    let granted = first_level[0].clone();
    let outsider = tenant
        .users()
        .into_iter()
        .find(|u| !u.status.is_resigned && u.department_ids == [first_level[1].clone()])
        .expect("a user of the second first-level department only");
    let group = tenant
        .add_group(NewGroup::with_users(
            "Contractors",
            [outsider.open_id.clone()],
        ))
        .unwrap();
    tenant.set_scope([granted], [group.clone()]).unwrap();

    let aviary = Installation::new();
    aviary.add_integration("acme", &sim);
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    let accounts = aviary.accounts("acme");
    assert_eq!(account(&accounts, &outsider.open_id)["presence"], "present");

    let groups = json(&aviary, &["groups", "list", "-i", "acme"]);
    let groups = groups.as_array().unwrap();
    assert_eq!(
        groups.len(),
        1,
        "only the granted group is in range: {groups:?}"
    );
    assert_eq!(groups[0]["name"], "Contractors");
    assert_eq!(groups[0]["users"], serde_json::json!([outsider.open_id]));
    let members = json(
        &aviary,
        &["accounts", "list", "-i", "acme", "--group", "Contractors"],
    );
    let members: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["open_id"].as_str().unwrap())
        .collect();
    assert_eq!(members, [outsider.open_id.as_str()]);
    let shown = json(&aviary, &["groups", "show", &group, "-i", "acme"]);
    assert_eq!(shown["history"][0]["kind"], "added", "{shown}");
    let missing = aviary.run(&["groups", "show", "nobody", "-i", "acme"]);
    missing.clean_failure(1);

    let apps = json(&aviary, &["apps", "list", "-i", "acme"]);
    assert_eq!(apps.as_array().unwrap().len(), tenant.apps().len());
    let own = json(&aviary, &["apps", "show", &sim.app_id(), "-i", "acme"]);
    assert_eq!(own["app_id"], sim.app_id());
    assert!(!own["scopes"].as_array().unwrap().is_empty(), "{own}");

    // The group leaves the range, and with it the only user it granted: both are out of range,
    // not removed (one departure is under the threshold).
    tenant
        .set_scope([first_level[0].clone()], Vec::<String>::new())
        .unwrap();
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(run["counts"]["groups"]["out_of_range"], 1, "{run}");
    assert_eq!(run["counts"]["users"]["out_of_range"], 1, "{run}");
    assert_eq!(run["counts"]["users"]["removed"], 0, "{run}");
    let accounts = aviary.accounts("acme");
    assert_eq!(
        account(&accounts, &outsider.open_id)["presence"],
        "out_of_range"
    );
    let groups = json(
        &aviary,
        &["groups", "list", "-i", "acme", "--include-removed"],
    );
    assert_eq!(groups[0]["presence"], "out_of_range", "{groups}");
    sim.stop().await;
}
