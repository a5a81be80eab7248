//! A real headless Chromium for the browser test, driven over WebDriver (Debian's `chromium`
//! and `chromium-driver`, which `scripts/test.sh` installs): started on a free port with a
//! fresh profile, and screenshots saved under the test's output directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::free_port;

/// A headless Chromium session; the driver process ends with it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: PathBuf,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("shots", &self.shots)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium (1366×768, like a laptop screen); screenshots
    /// go to `shots`.
    pub async fn start(shots: &Path) -> Self {
        for program in ["chromium", "chromedriver"] {
            assert!(
                Command::new(program)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success()),
                "`{program}` is missing: install Debian's chromium and chromium-driver \
                 (scripts/test.sh does)"
            );
        }
        std::fs::create_dir_all(shots).expect("the screenshot directory");
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut capabilities = serde_json::Map::new();
        // The flags keep Chromium from reaching for Google's services, which this
        // machine's closed network refuses.
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1366,768",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(err) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => panic!("cannot start a Chromium session: {err}"),
            }
        };
        Self {
            client,
            driver,
            shots: shots.to_owned(),
            _profile: profile,
        }
    }

    /// Saves a screenshot of the page as `<shots>/<name>.png` and returns its path.
    pub async fn shot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is saved");
        path
    }

    /// Fills the form field named `name` on the current page.
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|err| panic!("no field named {name}: {err}"));
        field.clear().await.expect("the field clears");
        field.send_keys(value).await.expect("the field takes text");
    }

    /// Clicks the first element matching the CSS selector and waits until the page it leads to
    /// has replaced the current one (10 s at most): for links and form buttons.
    pub async fn follow(&self, css: &str) {
        let current = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page is shown");
        self.click(css).await;
        let started = Instant::now();
        // The old document's root goes stale once the new page has been committed.
        while current.tag_name().await.is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "clicking {css} did not lead to another page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("body"))
            .await
            .unwrap_or_else(|err| panic!("the page after {css} did not load: {err}"));
    }

    /// Clicks the first element matching the CSS selector.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("nothing matches {css}: {err}"))
            .click()
            .await
            .unwrap_or_else(|err| panic!("cannot click {css}: {err}"));
    }

    /// Scrolls the last element matching the CSS selector into view (for the screenshot).
    pub async fn scroll_to(&self, css: &str) {
        self.client
            .execute(
                "const all = document.querySelectorAll(arguments[0]); \
                 if (all.length) { all[all.length - 1].scrollIntoView(); }",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|err| panic!("cannot scroll to {css}: {err}"));
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("the body's text")
    }

    /// Reloads `url` until its text contains `needle` (30 s at most), returning the text.
    pub async fn wait_for_text(&self, url: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            self.client.goto(url).await.expect("the page loads");
            let text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{url} never showed {needle:?}; it shows:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
