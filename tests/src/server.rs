//! `aviary serve` as a child process on a free port, and a cookie-keeping HTTP client that
//! walks the web UI like a browser without JavaScript (for the end-to-end tests).

use std::time::{Duration, Instant};

use reqwest::Client;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

use crate::daemon::Daemon;
use crate::{Installation, free_port};

const SESSION_COOKIE: &str = "__Host-aviary_session";

/// `aviary serve` on a free port of this installation; stopped when dropped.
pub struct Server {
    process: Daemon,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Server {
    /// Starts `aviary serve` and waits until `/healthz` answers (30 s at most).
    pub async fn start(aviary: &Installation) -> Self {
        let port = free_port();
        let process = Daemon::spawn(
            aviary,
            &crate::aviary_binary(),
            &["serve", "--port", &port.to_string()],
        );
        let server = Self {
            process,
            base: format!("http://127.0.0.1:{port}"),
        };
        assert!(
            healthy_within(&server.base, Duration::from_secs(30)).await,
            "aviary serve did not start: {}",
            server.logs()
        );
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's peak resident memory so far (`VmHWM`), in KiB; `None` where `/proc` does not
    /// tell.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        crate::peak_rss_kib(self.process.pid())
    }

    /// What the server has logged so far (its stderr).
    pub fn logs(&self) -> String {
        self.process.logs()
    }

    /// Sends SIGTERM (what systemd, Docker and Kubernetes send) and waits up to `patience` for
    /// the server to exit; returns its exit status and how long it took (`None`: still running).
    pub async fn terminate(
        &mut self,
        patience: Duration,
    ) -> Option<(std::process::ExitStatus, Duration)> {
        self.process.terminate(patience).await
    }

    /// Kills the server and returns everything it logged, to the last line.
    pub fn stop(mut self) -> String {
        self.process.kill()
    }
}

/// Whether `<base>/healthz` answers with success within `patience`.
pub async fn healthy_within(base: &str, patience: Duration) -> bool {
    let client = Client::new();
    let started = Instant::now();
    while started.elapsed() < patience {
        let healthy = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if healthy {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
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
