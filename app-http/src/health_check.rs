//! `aviary-server --check-health`: asks the server running with these settings for `/readyz`,
//! for container health checks in images without curl. A bare HTTP/1.0 request over a socket,
//! bounded in time and in what it reads; the status line is all it needs.

use std::time::Duration;

use anyhow::Context;
use aviary_wiring::settings::HttpSettings;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The whole probe, connect to answer.
const PATIENCE: Duration = Duration::from_secs(5);

/// The status line fits in this, and nothing more is read.
const HEAD_BYTES: usize = 256;

/// `Ok` when `/readyz` answers `200`.
///
/// # Errors
/// When the server cannot be reached in time or answers anything else.
pub async fn ready(http: &HttpSettings) -> anyhow::Result<()> {
    // A server listening on every address is reached on the loopback one.
    let host = match http.host.as_str() {
        "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
        host => host,
    };
    let status = tokio::time::timeout(PATIENCE, status_line(host, http.port))
        .await
        .with_context(|| format!("no answer from {host}:{} within {PATIENCE:?}", http.port))??;
    anyhow::ensure!(
        status.split_whitespace().nth(1) == Some("200"),
        "not ready: /readyz answered \"{status}\""
    );
    Ok(())
}

async fn status_line(host: &str, port: u16) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect((host, port))
        .await
        .with_context(|| format!("cannot connect to {host}:{port}"))?;
    stream
        .write_all(format!("GET /readyz HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut stream)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .await?;
    let head = String::from_utf8_lossy(&head);
    Ok(head.lines().next().unwrap_or_default().trim().to_owned())
}
