//! `aviary integration doctor`: the table and JSON reports of the real binary against the
//! simulated tenant, and its exit codes — 1 while something is missing (no admin login yet, a
//! scope taken away in the console), 0 once everything Aviary needs works.

use std::time::Duration;

use aviary_app_http::{Services, Settings};
use aviary_domain::model::{AuthorizedUser, Grant, TokenSet};
use aviary_domain::ports::{Clock as _, IssuedTokens};
use aviary_domain::values::{IntegrationId, OpenId};
use aviary_tests::{Installation, SimulatorConfig, simulator};
use secrecy::SecretString;
use serde_json::Value;

/// Stores a grant for the integration, as a completed "Connect with Lark" does.
async fn connect(aviary: &Installation, id: IntegrationId, admin: &str, tenant_key: &str) {
    let mut settings = Settings::defaults();
    settings.data.dir = aviary.data_dir();
    settings.database.url = SecretString::from(String::new());
    settings.secrets.master_key = None;
    settings.lark.client.allow_custom_base_url = true;
    let services = Services::build(settings).await.unwrap();
    let now = aviary_wiring::system::SystemClock.now();
    let tokens = TokenSet::issued_at(
        now,
        IssuedTokens {
            access_token: SecretString::from("u-e2e-access".to_owned()),
            expires_in: Duration::from_secs(7200),
            refresh_token: Some(SecretString::from("ur-e2e-refresh".to_owned())),
            refresh_expires_in: Some(Duration::from_secs(604_800)),
            scopes: vec!["offline_access".to_owned()],
        },
    );
    let grant = Grant {
        integration_id: id,
        tokens,
        authorized_by: AuthorizedUser {
            open_id: OpenId::parse(admin).unwrap(),
            name: "Ada".to_owned(),
            email: None,
            tenant_key: tenant_key.to_owned(),
        },
        granted_at: now,
        generation: 0,
    };
    services
        .database()
        .grants()
        .save_grant(&grant)
        .await
        .unwrap();
}

fn outcome<'a>(report: &'a Value, capability: &str) -> &'a str {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["capability"] == capability)
        .and_then(|c| c["outcome"].as_str())
        .unwrap_or_else(|| panic!("no {capability} in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doctor_exits_one_while_something_is_missing() {
    let sim = simulator(SimulatorConfig {
        users: 30,
        departments: 5,
        seed: 5,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    let integration = aviary.add_integration("acme", &sim);
    let id: IntegrationId = integration["id"].as_str().unwrap().parse().unwrap();

    // Registered, never connected: the table says what to do, the exit code says "not yet".
    let table = aviary.run(&["integration", "doctor", "acme"]);
    assert_eq!(table.code, Some(1), "{}\n{}", table.stdout, table.stderr);
    for needle in [
        "CAPABILITY",
        "user_login",
        "missing",
        "Connect with Lark",
        "app_credentials",
    ] {
        assert!(table.stdout.contains(needle), "{needle}:\n{}", table.stdout);
    }
    assert!(table.stderr.contains("1 missing"), "{}", table.stderr);
    assert!(
        !table.stdout.contains(&sim.app_secret()),
        "never the secret"
    );

    let admin = sim.tenant().tenant_manager().unwrap().open_id;
    connect(&aviary, id, &admin, &sim.tenant().tenant_info().tenant_key).await;
    let healthy = aviary
        .run(&["integration", "doctor", &id.to_string(), "--output", "json"])
        .success()
        .json();
    assert_eq!(healthy["healthy"], true, "{healthy:#}");
    assert_eq!(outcome(&healthy, "user_login"), "ok");

    assert!(sim.tenant().remove_scope("contact:user.phone:readonly"));
    let run = aviary.run(&["integration", "doctor", "acme", "-o", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["healthy"], false);
    assert_eq!(outcome(&report, "user_mobiles"), "missing");
    assert_eq!(outcome(&report, "user_emails"), "ok");

    aviary
        .run(&["integration", "doctor", "nope"])
        .clean_failure(1);
    sim.stop().await;
}
