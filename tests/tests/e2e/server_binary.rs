//! `aviary-server`, the server without the CLI: on the embedded default with no set-up it
//! serves the health checks, the sign-in page and the API (which wants a key), logs where it
//! listens, and stops cleanly on Ctrl-C; `--check-health` (the container health check) exits 0
//! while it serves and 1 once it stopped; `--help` prints its usage, other arguments are refused
//! with it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aviary_tests::{Installation, Run, free_port, server_binary};

#[tokio::test]
async fn the_server_binary_serves_on_the_embedded_default_and_stops_on_ctrl_c() {
    let port = free_port();
    let aviary = Installation::new().with_env("AVIARY_HTTP__PORT", &port.to_string());
    let mut child = aviary.spawn_program(&server_binary(), &[]);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map_or(true, |res| !res.status().is_success())
    {
        if child.try_wait().unwrap().is_some() {
            panic!("aviary-server exited early: {:?}", Run::of(child));
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let signin = client.get(format!("{base}/signin")).send().await.unwrap();
    assert_eq!(signin.status(), 200);
    assert!(signin.text().await.unwrap().contains("name=\"password\""));
    let api = client
        .get(format!("{base}/api/v1/integrations"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    assert!(
        aviary
            .data_files()
            .iter()
            .any(|(path, _)| path.ends_with("aviary.db")),
        "the embedded database was created in the data directory"
    );

    // The container health check: ready while it serves.
    let healthy = Run::of(aviary.spawn_program(&server_binary(), &["--check-health"]));
    assert_eq!(healthy.code, Some(0), "{healthy:?}");

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(interrupted.success());
    let run = Run::of(child);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stderr.contains("Aviary is serving"),
        "it says where it listens: {}",
        run.stderr
    );
    let stopped = Run::of(aviary.spawn_program(&server_binary(), &["--check-health"]));
    assert_eq!(stopped.code, Some(1), "{stopped:?}");
    assert!(
        stopped
            .stderr
            .contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{}",
        stopped.stderr
    );

    let help = Command::new(server_binary())
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("usage: aviary-server"));
    let refused = Command::new(server_binary())
        .arg("--port")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("usage: aviary-server"));
}
