//! `aviary db backup FILE` while `aviary serve` runs: a private copy that never overwrites a
//! file; restored over a wiped database (with the data directory's keys kept), the server shows
//! the same integration, accounts, runs and API keys, and syncs go on.

use aviary_tests::server::Server;
use aviary_tests::{Installation, SimulatorConfig, simulator};
use serde_json::Value;

fn runs(aviary: &Installation) -> Value {
    aviary
        .run(&["runs", "list", "-i", "acme", "--output", "json"])
        .success()
        .json()
}

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
    aviary.add_integration("acme", &sim);
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "{run}");
    let key = aviary.create_key("backup", "read");
    let server = Server::start(&aviary).await;
    let accounts = aviary.accounts("acme");
    let history = runs(&aviary);
    let served = api_accounts(&server, &key).await;
    assert_eq!(served["items"].as_array().unwrap().len(), 300);

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
    assert_eq!(runs(&aviary), history);
    let (code, run) = aviary.sync("acme");
    assert_eq!(code, Some(0), "the restored App Secret opens: {run}");
    assert_eq!(run["counts"]["users"]["unchanged"], 300, "{run}");
    server.stop();
    sim.stop().await;
}
