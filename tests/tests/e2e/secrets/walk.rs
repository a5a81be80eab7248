//! Going through `aviary serve` for the secret-canary test: web UI pages and forms with the
//! session, JSON API calls with a key, the Lark login through the simulator, and a crawl of
//! every page the overview leads to — every answer of Aviary's recorded as evidence.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use aviary_lark_simulator::SimulatorHandle;
use aviary_tests::server::{Server, WebClient};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use super::evidence::{Answer, Evidence};

/// More pages than the UI of a few small integrations links to; reaching it means the crawl
/// did not end, and the test says so rather than searching part of the pages.
const MAX_PAGES: usize = 1500;

/// A signed-in browser (once signed in) and an API client with a key, on one server.
pub struct Walk<'a> {
    evidence: Evidence,
    pub server: &'a Server,
    browser: WebClient,
    api: Client,
    key: String,
}

impl<'a> Walk<'a> {
    pub fn new(evidence: Evidence, server: &'a Server, key: &str) -> Self {
        Self {
            evidence,
            server,
            browser: WebClient::new(server),
            api: Client::builder().redirect(Policy::none()).build().unwrap(),
            key: key.to_owned(),
        }
    }

    /// Everything recorded so far.
    pub fn into_evidence(self) -> Evidence {
        self.evidence
    }

    /// The web UI's page at `path`.
    pub async fn page(&mut self, path: &str) -> Answer {
        let response = self.browser.get(&self.server.url(path)).await;
        self.evidence.http(format!("UI GET {path}"), response).await
    }

    /// A form posted to the web UI.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = self.browser.post_form(&self.server.url(path), form).await;
        self.evidence
            .http(format!("UI POST {path}"), response)
            .await
    }

    /// `METHOD /api/v1{path}` with the key (and a JSON body).
    pub async fn api(&mut self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let key = self.key.clone();
        self.api_as(&key, method, path, body).await
    }

    /// [`Self::api`] with another key.
    pub async fn api_as(
        &mut self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let url = self.server.url(&format!("/api/v1{path}"));
        let mut request = self.api.request(method.clone(), url).bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        self.evidence
            .http(format!("API {method} {path}"), response)
            .await
    }

    /// `POST /api/v1{path}` with a raw body (`what` describes it: the body may hold a secret,
    /// and the name of a place is printed when a secret is found there).
    pub async fn api_raw(
        &mut self,
        path: &str,
        content_type: &str,
        body: String,
        what: &str,
    ) -> Answer {
        let response = self
            .api
            .post(self.server.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.key)
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        self.evidence
            .http(format!("API POST {path}, a body {what}"), response)
            .await
    }

    /// `GET path` outside the API's key check (e.g. an OpenAPI document), with the key.
    pub async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .api
            .get(self.server.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        self.evidence.http(format!("GET {path}"), response).await
    }

    /// Polls the API until `integration` has runs and none is running; returns the newest.
    pub async fn settled(&mut self, integration: &str) -> Value {
        let started = Instant::now();
        let path = format!("/integrations/{integration}/runs");
        loop {
            let runs = self.api(Method::GET, &path, None).await.json();
            let items = runs["items"].as_array().cloned().unwrap_or_default();
            if !items.is_empty() && items.iter().all(|r| r["status"] != "running") {
                return items[0].clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{integration}: no finished run: {runs}\n{}",
                self.server.logs()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Goes through Lark's (the simulator's) authorize page, which approves at once, and back
    /// to Aviary's callback. The simulator's answers are not Aviary's and are not recorded.
    pub async fn lark_login(&mut self, sim: &SimulatorHandle, authorize: &str) {
        assert!(authorize.starts_with(&sim.base_url()), "{authorize}");
        let approved = self.browser.get(authorize).await;
        assert_eq!(approved.status(), StatusCode::FOUND);
        let callback = approved
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("the simulator redirects to the callback")
            .to_owned();
        assert!(callback.starts_with(&self.server.base), "{callback}");
        let route = callback[self.server.base.len()..]
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let response = self.browser.get(&callback).await;
        // Named without the query, which carries the authorization code.
        let landed = self
            .evidence
            .http(format!("UI GET {route}?code=…&state=…"), response)
            .await;
        assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
        assert_eq!(landed.location.as_deref(), Some("/"));
    }

    /// Every page reachable by links from the overview, each fetched once; returns the status
    /// of each path. A refusal page (4xx, e.g. a link whose filter the page refuses) is
    /// evidence like any other; a server error fails the test.
    pub async fn crawl(&mut self) -> HashMap<String, StatusCode> {
        let mut visited = HashMap::new();
        let mut seen = HashSet::from(["/".to_owned()]);
        let mut queue = VecDeque::from(["/".to_owned()]);
        while let Some(path) = queue.pop_front() {
            assert!(
                seen.len() <= MAX_PAGES,
                "the crawl did not end: {} pages",
                seen.len()
            );
            let answer = self.page(&path).await;
            assert!(
                !answer.status.is_server_error(),
                "{path}: HTTP {}\n{}",
                answer.status,
                answer.body
            );
            if answer.content_type.starts_with("text/html") {
                for link in links(&path, &answer.body) {
                    if seen.insert(link.clone()) {
                        queue.push_back(link);
                    }
                }
            }
            visited.insert(path, answer.status);
        }
        visited
    }
}

/// Same-origin links of the HTML page at `path` (`href="/…"`, and `href="?…"` relative to
/// it), without fragments.
fn links(path: &str, page: &str) -> Vec<String> {
    let here = path.split('?').next().unwrap_or_default();
    page.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .filter_map(|href| match href.as_bytes() {
            [b'/', b'/', ..] => None,
            [b'/', ..] => Some(href),
            [b'?', ..] => Some(format!("{here}{href}")),
            _ => None,
        })
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .collect()
}
