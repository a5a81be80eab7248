//! `aviary serve` as a child process on a free port, and a cookie-keeping HTTP client that
//! walks the web UI like a browser without JavaScript (for the end-to-end tests).

use std::io::BufRead as _;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Client;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

use crate::{Installation, free_port};

const SESSION_COOKIE: &str = "__Host-aviary_session";

/// `aviary serve` on a free port of this installation; stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    stderr: Arc<Mutex<String>>,
    drain: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `aviary serve` and waits until `/healthz` answers (30 s at most).
    pub async fn start(aviary: &Installation) -> Self {
        let port = free_port();
        let mut child = aviary.spawn(&["serve", "--port", &port.to_string()]);
        // Drained line by line so that the server never blocks on a full pipe and `logs()`
        // shows what it said so far when a step fails.
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
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            stderr,
            drain: Some(drain),
        };
        let client = Client::new();
        let started = Instant::now();
        loop {
            let healthy = client
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "aviary serve did not start: {}",
                server.stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's peak resident memory so far (`VmHWM`), in KiB; `None` where `/proc` does not
    /// tell.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        crate::peak_rss_kib(self.child.id())
    }
}

impl Server {
    /// What the server has logged so far (its stderr).
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM (what systemd, Docker and Kubernetes send) and waits up to `patience` for
    /// the server to exit; returns its exit status and how long it took (`None`: still running).
    pub fn terminate(
        &mut self,
        patience: Duration,
    ) -> Option<(std::process::ExitStatus, Duration)> {
        let sent = Instant::now();
        crate::send_sigterm(self.child.id());
        while sent.elapsed() < patience {
            if let Some(status) = self.child.try_wait().expect("the server can be waited for") {
                return Some((status, sent.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Kills the server and returns everything it logged, to the last line.
    pub fn stop(mut self) -> String {
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

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser as far as this flow needs one: no automatic redirects (each hop is checked), and
/// the session cookie kept for Aviary's origin only.
pub struct WebClient {
    pub http: Client,
    aviary: String,
    session: Option<String>,
}

impl WebClient {
    pub fn new(server: &Server) -> Self {
        Self {
            http: Client::builder().redirect(Policy::none()).build().unwrap(),
            aviary: server.base.clone(),
            session: None,
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder, url: &str) -> reqwest::RequestBuilder {
        match &self.session {
            Some(cookie) if url.starts_with(&self.aviary) => request.header(COOKIE, cookie),
            _ => request,
        }
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let request = self.with_cookie(self.http.get(url), url);
        self.keep_cookie(request.send().await.unwrap())
    }

    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let request = self.with_cookie(self.http.post(url).form(form), url);
        self.keep_cookie(request.send().await.unwrap())
    }

    /// Whether the client holds a session cookie.
    pub fn signed_in(&self) -> bool {
        self.session.is_some()
    }

    fn keep_cookie(&mut self, response: reqwest::Response) -> reqwest::Response {
        let set = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.starts_with(&format!("{SESSION_COOKIE}=")))
            .map(str::to_owned);
        if set.is_some() {
            self.session = set;
        }
        response
    }
}

/// The CSRF token of the first form on `page`.
pub fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a CSRF field") + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}
