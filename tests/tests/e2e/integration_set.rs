//! `aviary integration set`: the label and the sync schedule change, bad values change nothing,
//! and `integration remove` deletes through the same use cases the web UI and the API call.

use aviary_tests::{Installation, SimulatorConfig, simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_changes_the_label_and_schedule_and_refuses_bad_values() {
    let sim = simulator(SimulatorConfig {
        users: 10,
        departments: 2,
        seed: 5,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    let added = aviary.add_integration("acme", &sim);
    assert_eq!(added["sync_interval_minutes"], 60);
    aviary.add_integration("globex", &sim);

    let set = |args: &[&str]| {
        let mut all = vec!["integration", "set"];
        all.extend_from_slice(args);
        aviary.run(&all)
    };
    let renamed = set(&[
        "acme",
        "--label",
        "Acme HQ",
        "--interval-minutes",
        "30",
        "--output",
        "json",
    ])
    .success()
    .json();
    assert_eq!(renamed["label"], "Acme HQ");
    assert_eq!(renamed["sync_interval_minutes"], 30);
    assert_eq!(renamed["id"], added["id"]);

    let on_demand = set(&["Acme HQ", "--on-demand"]).success();
    assert!(
        on_demand.stderr.contains("syncs on demand only"),
        "{}",
        on_demand.stderr
    );
    assert!(on_demand.stdout.contains("Acme HQ"), "{}", on_demand.stdout);

    let out_of_range = set(&["Acme HQ", "--interval-minutes", "4"]);
    out_of_range.clean_failure(1);
    assert!(
        out_of_range.stderr.contains("from 5 to 10080 minutes"),
        "{}",
        out_of_range.stderr
    );
    set(&["Acme HQ", "--interval-minutes", "-5"]).clean_failure(1);
    let taken = set(&["Acme HQ", "--label", "globex"]);
    taken.clean_failure(1);
    assert!(taken.stderr.contains("already exists"), "{}", taken.stderr);
    set(&["nope", "--on-demand"]).clean_failure(1);
    // Usage errors: nothing to change, or both schedules at once.
    assert_eq!(set(&["Acme HQ"]).code, Some(2));
    assert_eq!(
        set(&["Acme HQ", "--interval-minutes", "30", "--on-demand"]).code,
        Some(2)
    );

    let shown = aviary
        .run(&["integration", "show", "Acme HQ", "--output", "json"])
        .success()
        .json();
    assert!(shown["sync_interval_minutes"].is_null(), "{shown}");

    aviary
        .run(&["integration", "remove", "Acme HQ", "--yes"])
        .success();
    aviary
        .run(&["integration", "show", "Acme HQ"])
        .clean_failure(1);
}
