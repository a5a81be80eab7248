//! Stop signals shared by every long-running command: SIGINT (Ctrl-C) and SIGTERM (what
//! systemd, Docker and Kubernetes send) both ask a process to stop cleanly.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// Completes when the process gets Ctrl-C (SIGINT); never, when no handler can be installed,
/// so that what waits on it runs until the process is terminated.
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Installs the SIGTERM handler now (from then on SIGTERM no longer kills the process) and
/// returns what completes when it arrives; never elsewhere, or when it cannot be installed.
fn terminate() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            term.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    }
}

/// What completes when the process is asked to stop (SIGINT or SIGTERM), with the SIGTERM
/// handler installed before it returns.
fn stop_signal() -> impl Future<Output = ()> {
    let terminated = terminate();
    async move {
        let name = tokio::select! {
            () = ctrl_c() => "SIGINT",
            () = terminated => "SIGTERM",
        };
        tracing::info!(signal = name, "asked to stop");
    }
}

/// Completes when the process is asked to stop: SIGINT or SIGTERM.
pub async fn stop_requested() {
    stop_signal().await;
}

/// A token cancelled when the process is asked to stop (SIGINT or SIGTERM). Call it from
/// within the runtime; the SIGTERM handler is installed before it returns.
pub fn stop_token() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    let stopped = stop_signal();
    tokio::spawn(async move {
        stopped.await;
        trigger.cancel();
    });
    token
}
