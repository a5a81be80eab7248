//! Stop signals shared by every long-running command: SIGINT (Ctrl-C) and SIGTERM (what
//! systemd, Docker and Kubernetes send) both ask a process to stop cleanly.

use tokio_util::sync::CancellationToken;

/// Completes when the process gets Ctrl-C (SIGINT); never, when no handler can be installed,
/// so that what waits on it runs until the process is terminated.
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Completes when the process gets SIGTERM; never elsewhere, or when no handler can be
/// installed.
async fn terminate() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            term.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await;
}

/// Completes when the process is asked to stop: SIGINT or SIGTERM.
pub async fn stop_requested() {
    let name = tokio::select! {
        () = ctrl_c() => "SIGINT",
        () = terminate() => "SIGTERM",
    };
    tracing::info!(signal = name, "asked to stop");
}

/// A token cancelled when the process is asked to stop (SIGINT or SIGTERM). Call it from
/// within the runtime; the handlers are installed at once.
pub fn stop_token() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        stop_requested().await;
        trigger.cancel();
    });
    token
}
