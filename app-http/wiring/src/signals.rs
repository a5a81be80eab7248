//! Stop signals shared by every long-running command.

/// Completes when the process gets Ctrl-C (SIGINT); never, when no handler can be installed,
/// so that what waits on it runs until the process is terminated.
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
