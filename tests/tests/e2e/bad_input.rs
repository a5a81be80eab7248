//! Bad input gives one clear line on stderr and a non-zero exit, never a panic, and changes nothing.

use aviary_tests::{Installation, SimulatorConfig, simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_cleanly_and_changes_nothing() {
    let sim = simulator(SimulatorConfig {
        users: 30,
        departments: 4,
        seed: 2,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    let (base_url, app_id, app_secret) = (sim.base_url(), sim.app_id(), sim.app_secret());

    let unknown = aviary.run(&["sync", "nope"]);
    unknown.clean_failure(1);
    assert!(
        unknown
            .stderr
            .contains("no integration with id or label \"nope\""),
        "{}",
        unknown.stderr
    );
    aviary
        .run(&["accounts", "list", "-i", "nope"])
        .clean_failure(1);
    aviary.run(&["runs", "show", "not-a-uuid"]).clean_failure(1);

    let wrong_secret = aviary.run_with_stdin(
        &[
            "integration",
            "add",
            "--label",
            "acme",
            "--app-id",
            &app_id,
            "--base-url",
            &base_url,
            "--app-secret-stdin",
        ],
        "definitely-wrong\n",
    );
    wrong_secret.clean_failure(1);
    assert!(
        wrong_secret.stderr.contains("credentials"),
        "{}",
        wrong_secret.stderr
    );

    let bad_app_id = aviary.run_with_stdin(
        &[
            "integration",
            "add",
            "--label",
            "acme",
            "--app-id",
            "nope",
            "--base-url",
            &base_url,
            "--app-secret-stdin",
        ],
        &app_secret,
    );
    bad_app_id.clean_failure(1);
    assert_eq!(
        bad_app_id.stderr.matches("cli_").count(),
        1,
        "the cause is said once: {}",
        bad_app_id.stderr
    );

    let unreachable = aviary.run_with_stdin(
        &[
            "integration",
            "add",
            "--label",
            "acme",
            "--app-id",
            &app_id,
            "--base-url",
            "http://127.0.0.1:9",
            "--app-secret-stdin",
        ],
        &app_secret,
    );
    unreachable.clean_failure(1);
    assert!(
        unreachable.stderr.contains("could not be reached"),
        "{}",
        unreachable.stderr
    );

    let no_secret = aviary.run(&["integration", "add", "--label", "acme", "--app-id", &app_id]);
    no_secret.clean_failure(1);
    let bad_app_id = aviary.run_with_stdin(
        &[
            "integration",
            "add",
            "--label",
            "acme",
            "--app-id",
            "12345",
            "--app-secret-stdin",
        ],
        "x\n",
    );
    bad_app_id.clean_failure(1);
    assert!(bad_app_id.stderr.contains("cli_"), "{}", bad_app_id.stderr);

    let listed = aviary
        .run(&["integration", "list", "--output", "json"])
        .success()
        .json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        0,
        "nothing was stored: {listed}"
    );

    // A malformed flag is a usage error (clap, exit 2); a malformed value is exit 1.
    aviary.run(&["sync", "--frobnicate"]).clean_failure(2);
    aviary.run(&["accounts", "list"]).clean_failure(2);

    aviary.add_integration("acme", &sim);
    let bad_status = aviary.run(&["accounts", "list", "-i", "acme", "--status", "sleeping"]);
    bad_status.clean_failure(1);
    assert!(
        bad_status.stderr.contains("unknown account status"),
        "{}",
        bad_status.stderr
    );
    aviary
        .run(&["accounts", "list", "-i", "acme", "--department", "Nowhere"])
        .clean_failure(1);
    let duplicate = aviary.run_with_stdin(
        &[
            "integration",
            "add",
            "--label",
            "acme",
            "--app-id",
            &app_id,
            "--base-url",
            &base_url,
            "--app-secret-stdin",
        ],
        &app_secret,
    );
    duplicate.clean_failure(1);
    assert!(
        duplicate.stderr.contains("already exists"),
        "{}",
        duplicate.stderr
    );

    // Lark goes away after registration: the run fails with exit 3.
    sim.tenant().fail_always(503);
    let failed = aviary.run(&["sync", "acme"]);
    failed.clean_failure(3);
    let remove = aviary.run(&["integration", "remove", "acme"]);
    remove.clean_failure(2);
    assert!(remove.stderr.contains("--yes"), "{}", remove.stderr);
    aviary
        .run(&["integration", "remove", "acme", "--yes"])
        .success();
    assert_eq!(
        aviary
            .run(&["integration", "list", "--output", "json"])
            .success()
            .json(),
        serde_json::json!([])
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_base_url_is_refused_unless_the_operator_allows_it() {
    let sim = simulator(SimulatorConfig {
        users: 5,
        departments: 2,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new().with_env("AVIARY_LARK__ALLOW_CUSTOM_BASE_URL", "false");
    let refused = aviary.run_with_stdin(
        &[
            "integration",
            "add",
            "--label",
            "acme",
            "--app-id",
            &sim.app_id(),
            "--base-url",
            &sim.base_url(),
            "--app-secret-stdin",
        ],
        &sim.app_secret(),
    );
    refused.clean_failure(1);
    assert!(
        refused.stderr.contains("lark.allow_custom_base_url"),
        "{}",
        refused.stderr
    );
    assert_eq!(sim.stats().total_requests, 0, "nothing was sent");
    let listed = aviary
        .run(&["integration", "list", "--output", "json"])
        .success()
        .json();
    assert_eq!(listed, serde_json::json!([]), "nothing was stored");
    sim.stop().await;
}

#[test]
fn unknown_settings_are_warned_about_and_refused_with_strict_and_bad_values_name_their_setting() {
    let typo = Installation::new().with_env("AVIARY_HTTP_PORT", "9000");
    let warned = typo.run(&["integration", "list"]).success();
    assert!(
        warned
            .stderr
            .contains("warning: AVIARY_HTTP_PORT is not a setting (ignored)"),
        "{}",
        warned.stderr
    );
    let refused = typo.run(&["--strict", "integration", "list"]);
    refused.clean_failure(1);
    assert!(
        refused
            .stderr
            .contains("unknown settings (refused with --strict)")
            && refused.stderr.contains("AVIARY_HTTP_PORT"),
        "{}",
        refused.stderr
    );

    let zero = Installation::new().with_env("AVIARY_SYNC__BATCH_SIZE", "0");
    let invalid = zero.run(&["integration", "list"]);
    invalid.clean_failure(1);
    assert!(
        invalid
            .stderr
            .contains("invalid setting sync.batch_size (AVIARY_SYNC__BATCH_SIZE)"),
        "{}",
        invalid.stderr
    );
}
