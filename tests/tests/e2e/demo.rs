//! `aviary demo --exit`: the simulated tenant is connected through the OAuth login and synced,
//! the demo admin exists, and its printed password is not stored in the data directory.

use aviary_tests::Installation;

const ADMIN: &str = "admin@demo.aviary.invalid";

fn password(stdout: &str) -> Option<String> {
    stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("password: "))
        .map(str::to_owned)
}

#[test]
fn the_demo_connects_and_syncs_the_tenant_and_prints_a_stored_admin_once() {
    let aviary = Installation::new();
    let args = ["demo", "--exit", "--users", "40", "--departments", "5"];
    let first = aviary.run(&args).success();
    assert!(first.stdout.contains(ADMIN), "{}", first.stdout);
    let printed = password(&first.stdout).expect("the first demo prints a password");
    assert!(printed.len() >= 12, "{printed}");
    assert!(!first.stderr.contains(&printed), "{}", first.stderr);

    let integration = aviary
        .run(&["integration", "show", "demo", "--output", "json"])
        .success()
        .json();
    assert_eq!(integration["status"], "active", "{integration}");
    assert!(
        integration["tenant_name"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{integration}"
    );
    assert_eq!(aviary.accounts("demo").len(), 40);

    let admins = aviary
        .run(&["admin", "list", "--output", "json"])
        .success()
        .json();
    let admins = admins.as_array().cloned().unwrap_or_default();
    assert_eq!(admins.len(), 1, "{admins:?}");
    assert_eq!(admins[0]["email"], ADMIN);

    // A second demo replaces the integration, keeps the admin and shows no new password.
    let second = aviary.run(&args).success();
    assert!(second.stdout.contains(ADMIN), "{}", second.stdout);
    assert!(!second.stdout.contains(&printed), "{}", second.stdout);
    let integration = aviary
        .run(&["integration", "show", "demo", "--output", "json"])
        .success()
        .json();
    assert_eq!(integration["status"], "active", "{integration}");

    let stored = aviary.data_bytes();
    assert!(
        stored.windows(ADMIN.len()).any(|w| w == ADMIN.as_bytes()),
        "the data directory holds the database"
    );
    assert!(
        !stored
            .windows(printed.len())
            .any(|w| w == printed.as_bytes()),
        "the demo admin's password is readable in the data directory"
    );
}
