//! The web UI in a real headless Chromium, the way an IT admin uses it: sign in, add an
//! integration with the form, connect it through the simulated tenant's Lark authorize page,
//! wait for the first sync, change a user at Lark and sync again, filter the accounts table and
//! open the account's history. Screenshots of every step are saved under the test's output
//! (`target/tmp/browser/`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aviary_tests::browser::Browser;
use aviary_tests::server::Server;
use aviary_tests::{Installation, SimulatorConfig, simulator};
use fantoccini::Locator;

const EMAIL: &str = "it-admin@example.com";
const PASSWORD: &str = "a long and fine passphrase";

fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")
}

/// Follows the overview until the integration's first good sync shows (60 s at most).
async fn wait_for_sync(browser: &Browser, overview: &str, needle: &str) -> String {
    let started = Instant::now();
    loop {
        browser
            .client
            .goto(overview)
            .await
            .expect("the overview loads");
        let text = browser.text().await;
        if text.contains(needle) && !text.contains("Syncing now") {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the overview never showed {needle:?}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_a_tenant_and_browses_its_accounts_in_chromium() {
    let lark = simulator(SimulatorConfig {
        users: 30,
        departments: 4,
        seed: 5,
        rate_limits: false,
        ..SimulatorConfig::default()
    })
    .await;
    let aviary = Installation::new();
    aviary
        .run_with_stdin(
            &["admin", "create", "--email", EMAIL],
            &format!("{PASSWORD}\n"),
        )
        .success();
    let server = Server::start(&aviary).await;
    let browser = Browser::start(&screenshot_dir()).await;
    let shots = screenshot_dir();
    eprintln!("browser screenshots: {}", shots.display());

    // Sign in.
    browser.client.goto(&server.url("/")).await.unwrap();
    assert!(browser.client.current_url().await.unwrap().path() == "/signin");
    browser.fill("email", EMAIL).await;
    browser.fill("password", PASSWORD).await;
    browser.shot("01-sign-in").await;
    browser.follow("form button[type=submit]").await;
    let text = browser.text().await;
    assert!(text.contains("There are no integrations yet"), "{text}");
    browser.shot("02-overview-empty").await;

    // Add the integration with the form (the base URL points at the simulated tenant).
    browser.follow("a[href=\"/admin/integrations/new\"]").await;
    browser.fill("label", "acme").await;
    browser.fill("app_id", &lark.app_id()).await;
    browser.fill("app_secret", &lark.app_secret()).await;
    browser.fill("sync_interval_minutes", "60").await;
    browser.click("details.field summary").await;
    browser.fill("base_url", &lark.base_url()).await;
    browser.shot("03-add-integration").await;
    browser.follow("button.primary[type=submit]").await;
    let text = browser.text().await;
    assert!(text.contains("acme"), "{text}");
    assert!(text.contains("Waiting for a Lark login"), "{text}");
    assert!(
        !text.contains(&lark.app_secret()),
        "the secret is never shown"
    );
    browser.shot("04-overview-added").await;

    // Connect with Lark: the simulated tenant's authorize page, approved by clicking.
    browser
        .follow("form[action$=\"/connect\"] button[type=submit]")
        .await;
    let consent = browser.client.current_url().await.unwrap();
    assert!(
        consent.as_str().starts_with(&lark.base_url()),
        "on the tenant's authorize page: {consent}"
    );
    browser.shot("05-lark-authorize").await;
    browser
        .follow("button[name=\"decision\"][value=\"approve\"]")
        .await;
    let back = browser.client.current_url().await.unwrap();
    assert!(back.as_str().starts_with(&server.url("/")), "{back}");

    let overview = server.url("/");
    let text = wait_for_sync(&browser, &overview, "30 added").await;
    assert!(text.contains("Working"), "{text}");
    assert!(
        text.contains(&lark.tenant().tenant_info().name),
        "the tenant is named: {text}"
    );
    browser.shot("06-overview-connected-synced").await;

    // Someone changes a user at Lark; "Sync now" records the change.
    let tenant = lark.tenant();
    let changed = tenant.users()[7].clone();
    tenant
        .update_user(&changed.open_id, |user| {
            user.job_title = "Chief Browser Tester".to_owned();
        })
        .unwrap();
    browser
        .follow("form[action$=\"/sync\"] button[type=submit]")
        .await;
    wait_for_sync(&browser, &overview, "1 changed").await;

    // The integration page: filter the accounts table by searching for that user.
    browser
        .follow("td strong a[href^=\"/admin/integrations/\"]")
        .await;
    let text = browser.text().await;
    assert!(text.contains("Export CSV"), "{text}");
    browser.shot("07-integration-accounts").await;
    let rows = browser
        .client
        .find_all(Locator::Css("table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 30, "all accounts fit on the first page");
    browser.fill("search", &changed.name).await;
    browser
        .follow("form.browse-filters button[type=submit]")
        .await;
    let rows = browser
        .client
        .find_all(Locator::Css("table tbody tr"))
        .await
        .unwrap();
    assert!(!rows.is_empty() && rows.len() < 30, "{} rows", rows.len());
    assert!(browser.text().await.contains(&changed.name));
    browser.scroll_to("table").await;
    browser.shot("08-accounts-filtered").await;

    // The account page with its change history.
    browser
        .follow(&format!("a[href$=\"/accounts/{}\"]", changed.open_id))
        .await;
    let text = browser.text().await;
    assert!(text.contains("History"), "{text}");
    assert!(text.contains("Chief Browser Tester"), "{text}");
    assert!(
        text.contains(&changed.job_title),
        "the old title too: {text}"
    );
    browser.scroll_to("h2").await;
    browser.shot("09-account-history").await;

    for step in [
        "01-sign-in",
        "04-overview-added",
        "05-lark-authorize",
        "09-account-history",
    ] {
        let png = std::fs::read(shots.join(format!("{step}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{step} is a PNG");
    }
    browser.close().await;
}
