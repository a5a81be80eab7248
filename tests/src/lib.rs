//! Harness for the end-to-end tests: a private data directory, the real `aviary` binary run as
//! a child process, and an in-process simulated Lark tenant to point it at.

pub mod browser;
pub mod daemon;
pub mod postgres;
pub mod server;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

pub use aviary_lark_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use serde_json::Value;

/// The `aviary` binary built next to this test executable (`target/<profile>/aviary`), or the
/// one named by `AVIARY_BIN`. `scripts/test.sh` builds it before running the tests.
pub fn aviary_binary() -> PathBuf {
    if let Some(explicit) = std::env::var_os("AVIARY_BIN") {
        return PathBuf::from(explicit);
    }
    built_binary("aviary")
}

/// The `aviary-server` binary built next to this test executable.
pub fn server_binary() -> PathBuf {
    built_binary("aviary-server")
}

fn built_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let binary = profile_dir.join(name);
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build --bins` (scripts/test.sh does)",
        binary.display()
    );
    binary
}

/// One isolated Aviary installation: its own data directory and embedded database.
#[derive(Debug)]
pub struct Installation {
    dir: tempfile::TempDir,
    binary: PathBuf,
    /// Set on every `aviary` process after the defaults of `command()` (see [`Self::with_env`]).
    env: Vec<(String, String)>,
}

/// What a finished `aviary` process printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Waits for a spawned `aviary` and collects what it printed.
    pub fn of(child: std::process::Child) -> Self {
        Self::from_output(child.wait_with_output().expect("aviary finishes"))
    }

    fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the process exited 0.
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "aviary failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics unless the process failed with `code` and printed exactly one line, `error: …`, on stderr.
    #[track_caller]
    pub fn clean_failure(&self, code: i32) {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one line on stderr, got:\n{}",
            self.stderr
        );
        assert!(lines[0].starts_with("error:"), "{}", self.stderr);
    }
}

impl Installation {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
            binary: aviary_binary(),
            env: Vec::new(),
        }
    }

    /// Sets `key=value` for every `aviary` process of this installation (CLI commands and
    /// `aviary serve`), overriding the defaults (e.g. `AVIARY_LOG`, which is otherwise removed).
    #[must_use]
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Sets `key=value` for the processes started from now on, replacing an earlier value.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(known, _)| known != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("aviary-data")
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_of(&self.binary, args)
    }

    /// `program ARGS` with this installation's data directory and environment.
    fn command_of(&self, program: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("AVIARY_DATA__DIR", self.data_dir())
            .env_remove("AVIARY_DATABASE__URL")
            .env_remove("AVIARY_SECRETS__MASTER_KEY")
            .env_remove("AVIARY_APP_SECRET")
            .env_remove("AVIARY_LOG")
            // The simulator is a custom base URL on this machine; a test may turn it off.
            .env("AVIARY_LARK__ALLOW_CUSTOM_BASE_URL", "true")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `aviary ARGS` with no stdin.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .expect("aviary starts");
        Run::from_output(output)
    }

    /// Runs `aviary ARGS` with its stdout closed by the reader right away (`aviary … | head -0`).
    pub fn run_with_closed_stdout(&self, args: &[&str]) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("aviary starts");
        drop(child.stdout.take());
        Run::from_output(child.wait_with_output().expect("aviary finishes"))
    }

    /// Starts another program of the installation (e.g. [`server_binary`]) with its data
    /// directory and environment, without waiting for it.
    pub fn spawn_program(&self, program: &Path, args: &[&str]) -> std::process::Child {
        self.spawn_program_with_env(program, args, &[])
    }

    /// Like [`Installation::spawn_program`], with `env` set on top (one server's port, say).
    pub fn spawn_program_with_env(
        &self,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> std::process::Child {
        self.command_of(program, args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .spawn()
            .expect("the program starts")
    }

    /// Starts `aviary ARGS` without waiting for it; finish it with [`Run::of`].
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("aviary starts")
    }

    /// Starts `aviary ARGS` with stdin, stdout and stderr piped, without waiting for it.
    pub fn spawn_piped(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("aviary starts")
    }

    /// Runs `aviary ARGS` with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("aviary starts");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .expect("stdin accepts the input");
        }
        Run::from_output(child.wait_with_output().expect("aviary finishes"))
    }

    /// Creates an API key with `scope` (`read`, `sync` or `manage`) and returns its secret.
    pub fn create_key(&self, name: &str, scope: &str) -> String {
        self.run(&[
            "key", "create", "--name", name, "--scope", scope, "--output", "json",
        ])
        .success()
        .json()["key"]
            .as_str()
            .expect("the key's secret")
            .to_owned()
    }

    /// Registers the simulator as an integration and returns its JSON.
    pub fn add_integration(&self, label: &str, simulator: &SimulatorHandle) -> Value {
        let (base_url, app_id) = (simulator.base_url(), simulator.app_id());
        self.run_with_stdin(
            &[
                "integration",
                "add",
                "--label",
                label,
                "--app-id",
                &app_id,
                "--base-url",
                &base_url,
                "--app-secret-stdin",
                "--output",
                "json",
            ],
            &format!("{}\n", simulator.app_secret()),
        )
        .success()
        .json()
    }

    /// `aviary sync LABEL --output json`, whatever its exit code.
    pub fn sync(&self, label: &str) -> (Option<i32>, Value) {
        let run = self.run(&["sync", label, "--output", "json"]);
        let json = run.json();
        (run.code, json)
    }

    /// `aviary runs list -i LABEL --output json`: the integration's runs, newest first.
    pub fn runs(&self, label: &str) -> Vec<Value> {
        self.run(&["runs", "list", "-i", label, "--output", "json"])
            .success()
            .json()
            .as_array()
            .cloned()
            .expect("runs list answers a JSON array")
    }

    /// `aviary accounts list -i LABEL --include-removed --output json`.
    pub fn accounts(&self, label: &str) -> Vec<Value> {
        let run = self
            .run(&[
                "accounts",
                "list",
                "-i",
                label,
                "--include-removed",
                "--output",
                "json",
            ])
            .success();
        run.json().as_array().cloned().unwrap_or_default()
    }

    /// Every file below the data directory, concatenated (to search for secrets).
    pub fn data_bytes(&self) -> Vec<u8> {
        self.data_files()
            .into_iter()
            .flat_map(|(_, content)| content)
            .collect()
    }

    /// Every file below the data directory (the database, its WAL and journal files, the key
    /// file…) with its content, to say which file a secret was found in.
    pub fn data_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![self.data_dir()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(content) = std::fs::read(&path) {
                    files.push((path, content));
                }
            }
        }
        files
    }
}

impl Default for Installation {
    fn default() -> Self {
        Self::new()
    }
}

/// A free local port (the listener is dropped so a child process can bind it).
/// The peak resident memory (`VmHWM`) of process `pid` so far, in KiB; `None` where `/proc`
/// does not tell (another OS, or the process has gone).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

/// Starts a simulated tenant on a free local port.
pub async fn simulator(config: SimulatorConfig) -> SimulatorHandle {
    Simulator::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("the simulator starts")
}

/// Sends SIGTERM to process `pid` (with `kill`, as an init system would).
pub fn send_sigterm(pid: u32) {
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -TERM {pid} failed");
}

/// Sends SIGTERM (what systemd, Docker and Kubernetes send) to `child` and waits up to
/// `patience` for it to exit, without blocking the test's runtime; returns its exit status and
/// how long it took (`None`: still running).
pub async fn terminate_within(
    child: &mut Child,
    patience: Duration,
) -> Option<(ExitStatus, Duration)> {
    let sent = Instant::now();
    send_sigterm(child.id());
    while sent.elapsed() < patience {
        if let Some(status) = child.try_wait().expect("the process can be waited for") {
            return Some((status, sent.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Whether the simulator accepts `token` as a user access token right now.
pub async fn simulator_accepts(simulator: &SimulatorHandle, token: &str) -> bool {
    let answer: Value = reqwest::Client::new()
        .get(format!(
            "{}/open-apis/authen/v1/user_info",
            simulator.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("the simulator answers JSON");
    answer["code"] == 0
}

/// Finds the account with `open_id` in a JSON account list.
pub fn account<'a>(accounts: &'a [Value], open_id: &str) -> &'a Value {
    accounts
        .iter()
        .find(|a| a["open_id"] == open_id)
        .unwrap_or_else(|| panic!("account {open_id} not listed"))
}
