//! The README flow: register, sync, list as table/JSON/CSV, resync unchanged, see runs.

use aviary_tests::{Installation, SimulatorConfig, account, simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_then_unchanged_resync() {
    let sim = simulator(SimulatorConfig {
        users: 180,
        departments: 18,
        seed: 11,
        ..SimulatorConfig::default()
    })
    .await;
    let tenant = sim.tenant();
    let aviary = Installation::new();

    let integration = aviary.add_integration("acme", &sim);
    assert_eq!(integration["label"], "acme");
    assert_eq!(integration["app_id"], sim.app_id().as_str());
    assert!(
        integration["tenant_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{integration}"
    );
    assert!(integration.get("app_secret").is_none());

    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    assert_eq!(run["status"], "succeeded");
    let visible = tenant.visible_user_count() as u64;
    assert_eq!(run["counts"]["users"]["added"], visible);
    assert_eq!(
        run["counts"]["departments"]["added"],
        tenant.visible_department_count() as u64
    );
    assert_eq!(
        sim.stats().rate_limited,
        0,
        "client pacing keeps a normal sync clear of 429s"
    );

    let accounts = aviary.accounts("acme");
    assert_eq!(accounts.len() as u64, visible);
    let multi = tenant
        .multi_department_user()
        .expect("the generator puts someone in two departments");
    let listed = account(&accounts, &multi.open_id);
    assert_eq!(
        listed["departments"].as_array().unwrap().len(),
        2,
        "{listed}"
    );
    assert!(listed["departments"][0]["name"].is_string());
    for key in [
        "open_id",
        "union_id",
        "user_id",
        "name",
        "en_name",
        "email",
        "enterprise_email",
        "mobile",
        "status",
        "roles",
        "departments",
        "primary_department_id",
        "designation",
        "employee_no",
        "employee_type",
        "leader_open_id",
        "removed_at",
    ] {
        assert!(
            listed.get(key).is_some(),
            "account JSON lacks {key}: {listed}"
        );
    }
    assert_eq!(listed["name"], multi.name.as_str());
    let admin = tenant
        .tenant_manager()
        .expect("the generator makes a tenant manager");
    assert!(
        account(&accounts, &admin.open_id)["roles"]
            .as_array()
            .unwrap()
            .contains(&"tenant_super_admin".into())
    );
    let (leader, _) = tenant
        .department_leader()
        .expect("departments have leaders");
    assert!(
        account(&accounts, &leader.open_id)["roles"]
            .as_array()
            .unwrap()
            .contains(&"department_leader".into())
    );

    let list_role = |role: &str| {
        aviary
            .run(&[
                "accounts", "list", "-i", "acme", "--role", role, "--output", "json",
            ])
            .success()
            .json()
    };
    let admins = list_role("tenant_super_admin");
    assert!(admins.as_array().unwrap().iter().all(|a| {
        a["roles"]
            .as_array()
            .unwrap()
            .contains(&"tenant_super_admin".into())
    }));
    assert!(!admins.as_array().unwrap().is_empty());
    assert_eq!(
        list_role("tenant_admin"),
        admins,
        "the old name still filters"
    );

    let csv = aviary
        .run(&["accounts", "list", "-i", "acme", "--output", "csv"])
        .success()
        .stdout;
    assert!(csv.starts_with("open_id,union_id,user_id,name,"), "{csv}");
    assert_eq!(csv.lines().count() as u64, visible + 1);
    let table = aviary.run(&["accounts", "list", "-i", "acme"]).success();
    assert!(table.stdout.contains(&multi.open_id));
    assert!(table.stderr.contains(&format!("{visible} accounts")));

    let closed =
        aviary.run_with_closed_stdout(&["accounts", "list", "-i", "acme", "--output", "json"]);
    assert_eq!(
        (closed.code, closed.stderr.as_str()),
        (Some(0), ""),
        "a closed stdout is not an error"
    );

    let departments = aviary
        .run(&["departments", "list", "-i", "acme", "--output", "json"])
        .success()
        .json();
    let departments = departments.as_array().unwrap();
    assert_eq!(departments.len(), tenant.visible_department_count());
    assert!(departments.iter().any(|d| d["parent_id"] == "0"));
    assert!(
        departments
            .iter()
            .all(|d| d["member_count"].is_number() && d["removed_at"].is_null())
    );

    let (code, resync) = aviary.sync("acme");
    assert_eq!(code, Some(0));
    assert_eq!(resync["counts"]["users"]["unchanged"], visible);
    for kind in ["added", "changed", "removed", "restored"] {
        assert_eq!(resync["counts"]["users"][kind], 0, "{resync}");
        assert_eq!(resync["counts"]["departments"][kind], 0, "{resync}");
    }

    let runs = aviary
        .run(&["runs", "list", "-i", "acme", "--output", "json"])
        .success()
        .json();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["id"], resync["id"], "newest first");
    let run_id = run["id"].as_str().unwrap();
    let recorded = visible
        + tenant.visible_department_count() as u64
        + tenant.groups().len() as u64
        + tenant.apps().len() as u64;
    let changes = |shown: &serde_json::Value| shown["changes"].as_array().unwrap().len() as u64;
    let shown = aviary
        .run(&["runs", "show", run_id, "--all", "--output", "json"])
        .success()
        .json();
    assert_eq!(changes(&shown), recorded);
    assert!(shown["next_cursor"].is_null());
    // Without `--all`: a page of 100, and the cursor that continues after it.
    let first = aviary
        .run(&["runs", "show", run_id, "--output", "json"])
        .success()
        .json();
    assert_eq!(changes(&first), 100);
    let cursor = first["next_cursor"].as_str().expect("more changes follow");
    let rest = aviary
        .run(&[
            "runs", "show", run_id, "--cursor", cursor, "--limit", "1000", "--output", "json",
        ])
        .success()
        .json();
    assert_eq!(changes(&first) + changes(&rest), recorded);
    assert!(rest["next_cursor"].is_null());
    let table = aviary.run(&["runs", "show", run_id]).success().stdout;
    assert!(
        table.contains("100 changes on this page:")
            && table.contains(&format!("aviary runs show {run_id} --cursor {cursor}")),
        "{table}"
    );

    let integrations = aviary
        .run(&["integration", "list", "--output", "json"])
        .success()
        .json();
    assert_eq!(integrations[0]["status"], "active");
    let secret = sim.app_secret().as_bytes().to_vec();
    assert!(
        !aviary
            .data_bytes()
            .windows(secret.len())
            .any(|w| w == secret.as_slice()),
        "the App Secret is readable in the data directory"
    );

    // Rotating the master key re-encrypts the App Secret; syncing still works with the new key.
    let key_file = aviary.data_dir().join("master.key");
    let key_before = std::fs::read_to_string(&key_file).unwrap();
    let rotated = aviary.run(&["db", "rotate-key"]).success();
    assert!(
        rotated.stderr.contains("re-encrypted 1 secrets"),
        "{}",
        rotated.stderr
    );
    assert_ne!(std::fs::read_to_string(&key_file).unwrap(), key_before);
    assert!(!aviary.data_dir().join("rotation").exists());
    let (code, after_rotation) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{after_rotation}");
    assert!(
        !aviary
            .data_bytes()
            .windows(secret.len())
            .any(|w| w == secret.as_slice()),
        "the App Secret is readable in the data directory after rotation"
    );
    sim.stop().await;
}

/// An installation with one integration, "acme", stored without asking Lark.
fn with_unverified_integration() -> Installation {
    let aviary = Installation::new();
    aviary
        .run_with_stdin(
            &[
                "integration",
                "add",
                "--label",
                "acme",
                "--app-id",
                "cli_0123456789abcdef",
                "--no-verify",
                "--app-secret-stdin",
            ],
            "s3cret-canary\n",
        )
        .success();
    aviary
}

#[test]
fn an_interrupted_key_rotation_is_finished_at_the_next_start_and_a_staged_key_is_never_lost() {
    let aviary = with_unverified_integration();
    let key_file = aviary.data_dir().join("master.key");
    let staged_dir = aviary.data_dir().join("rotation");

    // Staged, the database not switched yet — a rotation under way in another process, or one
    // that died before committing: a process starting now keeps the staged key (discarding it
    // would lose every secret that rotation is about to commit) and works with the old one.
    std::fs::create_dir_all(&staged_dir).unwrap();
    let staged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    std::fs::write(staged_dir.join("master.key"), staged).unwrap();
    let listed = aviary
        .run(&["integration", "list", "--output", "json"])
        .success()
        .json();
    assert_eq!(listed[0]["label"], "acme");
    assert_eq!(
        std::fs::read_to_string(staged_dir.join("master.key")).unwrap(),
        staged,
        "the staged key is kept"
    );
    std::fs::remove_dir_all(&staged_dir).unwrap();

    // Stopped after the database switched but before the key file was replaced: finished.
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    aviary.run(&["db", "rotate-key"]).success();
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    let retired: Vec<String> = std::fs::read_dir(aviary.data_dir().join("keys"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(
        retired,
        vec![old_key.clone()],
        "the old key is kept in keys/"
    );
    std::fs::create_dir_all(&staged_dir).unwrap();
    std::fs::write(staged_dir.join("master.key"), &new_key).unwrap();
    std::fs::write(&key_file, &old_key).unwrap();
    let shown = aviary
        .run(&["integration", "show", "acme", "--output", "json"])
        .success()
        .json();
    assert_eq!(shown["label"], "acme");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        new_key,
        "the staged key became the key file"
    );
    assert!(!staged_dir.exists());
}

#[test]
fn retired_keys_are_deleted_once_no_secret_uses_them() {
    let aviary = with_unverified_integration();
    let none = aviary.run(&["db", "retire-keys"]).success();
    assert!(
        none.stderr.contains("no retired master keys"),
        "{}",
        none.stderr
    );
    aviary.run(&["db", "rotate-key"]).success();
    let keys = aviary.data_dir().join("keys");
    assert_eq!(
        std::fs::read_dir(&keys).unwrap().count(),
        1,
        "the old key is kept"
    );
    // The rotation re-encrypted everything: the old key is unused and goes.
    let retired = aviary.run(&["db", "retire-keys"]).success();
    assert!(
        retired.stderr.contains("deleted retired master key"),
        "{}",
        retired.stderr
    );
    assert_eq!(std::fs::read_dir(&keys).unwrap().count(), 0);
    let shown = aviary
        .run(&["integration", "show", "acme", "--output", "json"])
        .success()
        .json();
    assert_eq!(shown["label"], "acme", "the secret still opens");
}
