//! `aviary db backup FILE` while `aviary serve` runs: a private copy that never overwrites a
//! file; restored over a wiped database (with the data directory's keys kept), the server shows
//! the same integration, accounts, runs and API keys — through the API and in the web UI, whose
//! accounts export and runs page are the same — and syncs go on.

use aviary_tests::server::{Server, WebClient};
use aviary_tests::{Installation, SimulatorConfig, simulator};
use serde_json::Value;

async fn api_accounts(server: &Server, key: &str) -> Value {
    reqwest::Client::new()
        .get(server.url("/api/v1/integrations/acme/accounts?limit=500"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// What the web UI shows of the integration, signed in as the admin: its accounts export (CSV)
/// and its runs page.
async fn in_the_ui(server: &Server, id: &str) -> (String, String) {
    let mut browser = WebClient::new(server);
    let signed_in = browser
        .post_form(
            &server.url("/signin"),
            &[("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    let csv = browser
        .get(&server.url(&format!("/admin/integrations/{id}/accounts.csv")))
        .await;
    assert_eq!(csv.status(), 200);
    let runs = browser
        .get(&server.url(&format!("/admin/integrations/{id}/runs")))
        .await;
    assert_eq!(runs.status(), 200);
    (csv.text().await.unwrap(), runs.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_runs_restores_the_same_data() {
    let sim = simulator(SimulatorConfig {
        users: 300,
        departments: 12,
        seed: 71,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    let id = aviary.add_integration("acme", &sim)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    aviary
        .run_with_stdin(
            &["admin", "create", "--email", EMAIL],
            &format!("{PASSWORD}\n"),
        )
        .success();
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    let key = aviary.create_key("backup", "read");
    let server = Server::start(&aviary).await;
    let accounts = aviary.accounts("acme");
    let history = aviary.runs("acme");
    let served = api_accounts(&server, &key).await;
    assert_eq!(served["items"].as_array().unwrap().len(), 300);
    let (csv, runs_page) = in_the_ui(&server, &id).await;
    assert_eq!(csv.lines().count(), 301, "a header and 300 accounts");

    let file = aviary.data_dir().with_file_name("aviary-backup.db");
    let target = file.to_str().unwrap();
    let made = aviary.run(&["db", "backup", target]).success();
    assert!(
        made.stderr.contains("master keys are not in it"),
        "{}",
        made.stderr
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner reads the backup");
    }
    let copy = std::fs::read(&file).unwrap();
    aviary.run(&["db", "backup", target]).clean_failure(1);
    assert_eq!(std::fs::read(&file).unwrap(), copy, "never overwritten");
    server.stop();

    // Wiped: the database and its WAL are gone; the keys stay.
    for name in ["aviary.db", "aviary.db-wal", "aviary.db-shm"] {
        let _ = std::fs::remove_file(aviary.data_dir().join(name));
    }
    let empty = aviary
        .run(&["integration", "list", "--output", "json"])
        .success()
        .json();
    assert_eq!(empty, serde_json::json!([]), "wiped: a new, empty database");
    for name in ["aviary.db", "aviary.db-wal", "aviary.db-shm"] {
        let _ = std::fs::remove_file(aviary.data_dir().join(name));
    }
    std::fs::copy(&file, aviary.data_dir().join("aviary.db")).unwrap();

    let server = Server::start(&aviary).await;
    assert_eq!(
        api_accounts(&server, &key).await,
        served,
        "the API shows the same accounts"
    );
    assert_eq!(aviary.accounts("acme"), accounts);
    assert_eq!(aviary.runs("acme"), history);
    let (restored_csv, restored_runs) = in_the_ui(&server, &id).await;
    assert_eq!(restored_csv, csv, "the web UI exports the same accounts");
    for run in &history {
        let run_id = run["id"].as_str().unwrap();
        assert!(
            runs_page.contains(run_id) && restored_runs.contains(run_id),
            "{run_id}"
        );
    }
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "the restored App Secret opens: {run}");
    assert_eq!(run["counts"]["users"]["unchanged"], 300, "{run}");
    server.stop();
    sim.stop().await;
}
