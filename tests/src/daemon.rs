//! A long-running Aviary process (`aviary serve`, `aviary-server`, `aviary worker`) as a child
//! whose stderr is drained line by line, so that it never blocks on a full pipe and a failing
//! test can show what it logged so far.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Installation;

/// A child process of an installation; killed when dropped.
pub struct Daemon {
    child: Child,
    stderr: Arc<Mutex<String>>,
    drain: Option<std::thread::JoinHandle<()>>,
}

impl Daemon {
    /// Starts `program ARGS` with the installation's data directory and environment.
    pub fn spawn(aviary: &Installation, program: &Path, args: &[&str]) -> Self {
        Self::spawn_with_env(aviary, program, args, &[])
    }

    /// Like [`Daemon::spawn`], with `env` set on top.
    pub fn spawn_with_env(
        aviary: &Installation,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut child = aviary.spawn_program_with_env(program, args, env);
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = std::io::BufReader::new(child.stderr.take().expect("stderr is piped"));
        let sink = Arc::clone(&stderr);
        let drain = std::thread::spawn(move || {
            let mut line = Vec::new();
            while pipe.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&line));
                line.clear();
            }
        });
        Self {
            child,
            stderr,
            drain: Some(drain),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process has logged so far (its stderr).
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .try_wait()
            .expect("the process can be waited for")
    }

    /// Sends SIGTERM (what systemd, Docker and Kubernetes send) and waits up to `patience` for
    /// the process to exit; returns its exit status and how long it took (`None`: still running).
    pub async fn terminate(&mut self, patience: Duration) -> Option<(ExitStatus, Duration)> {
        crate::terminate_within(&mut self.child, patience).await
    }

    /// Kills the process (SIGKILL) and returns everything it logged, to the last line.
    pub fn kill(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(drain) = self.drain.take() {
            drain
                .join()
                .expect("the stderr reader ends with the process");
        }
        self.logs()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
