//! The web UI in a real headless Chromium, the way an IT admin uses it, against a simulated app
//! set up exactly as the setup guide says (its 16 permissions, no `offline_access`): sign in,
//! add an integration with the form, connect it through the simulated tenant's Lark authorize
//! page, wait for the first sync, change a user at Lark and sync again, filter the accounts
//! table and open the account's history, then the departments, user groups and installed apps.
//! Run twice: as set up by the guide (the sign-in is not renewable, never refreshed), and with
//! `offline_access` enabled and "Keep the sign-in renewable" ticked (the grant is stored and
//! refreshed when Lark expires it). Screenshots of every step are saved under the test's output
//! (`target/tmp/browser/<run>/`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aviary_tests::browser::Browser;
use aviary_tests::server::Server;
use aviary_tests::{Installation, SimulatorConfig, SimulatorHandle, simulator};
use fantoccini::Locator;

const EMAIL: &str = "it-admin@example.com";
const PASSWORD: &str = "a long and fine passphrase";

fn screenshot_dir(run: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(run)
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
async fn an_admin_connects_a_guide_app_and_browses_everything_in_chromium() {
    connect_sync_and_browse(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewable_sign_in_is_stored_and_refreshed_when_lark_expires_it() {
    connect_sync_and_browse(true).await;
}

async fn connect_sync_and_browse(offline_access: bool) {
    let run = if offline_access { "renewable" } else { "guide" };
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
    let shots = screenshot_dir(run);
    let browser = Browser::start(&shots).await;
    if offline_access {
        lark.tenant().enable_offline_access();
    }
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
    if offline_access {
        browser
            .click("form[action$=\"/connect\"] input[name=\"offline_access\"]")
            .await;
    }
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

    browse_departments_groups_and_apps(&browser, &lark).await;
    check_the_sign_in(&browser, &lark, &overview, offline_access).await;

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

/// The Departments, Groups and Apps tabs show what the sync stored; a group's **Accounts** lists
/// its members.
async fn browse_departments_groups_and_apps(browser: &Browser, lark: &SimulatorHandle) {
    let tenant = lark.tenant();
    browser
        .follow("nav.browse-tabs a[href$=\"/departments\"]")
        .await;
    let text = browser.text().await;
    let department = tenant.departments()[0].name.clone();
    assert!(text.contains(&department), "{department} in {text}");
    browser.shot("10-departments").await;

    browser.follow("nav.browse-tabs a[href$=\"/groups\"]").await;
    let text = browser.text().await;
    let groups = tenant.groups();
    assert!(!groups.is_empty());
    for group in &groups {
        assert!(text.contains(&group.name), "{} in {text}", group.name);
    }
    let rows = browser
        .client
        .find_all(Locator::Css("table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), groups.len());
    browser.shot("11-groups").await;
    let group = groups
        .iter()
        .find(|g| !g.member_user_ids.is_empty() && g.member_department_ids.is_empty())
        .expect("a group of users only");
    browser
        .follow(&format!("tr#group-{} a[href*=\"?group=\"]", group.id))
        .await;
    let members = browser
        .client
        .find_all(Locator::Css("table tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        members.len(),
        group.member_user_ids.len(),
        "{}",
        browser.text().await
    );
    browser.shot("12-group-members").await;

    browser.follow("nav.browse-tabs a[href$=\"/apps\"]").await;
    let text = browser.text().await;
    let apps = tenant.apps();
    assert!(apps.len() > 1);
    for app in &apps {
        assert!(text.contains(&app.app_id), "{} in {text}", app.app_id);
    }
    assert!(text.contains("Who may use it"), "{text}");
    browser.shot("13-apps").await;
}

/// As the guide sets the app up, the sign-in is connected with advice and never refreshed;
/// with `offline_access`, it is renewable, and an access token Lark expires is refreshed once
/// by the next sync.
async fn check_the_sign_in(
    browser: &Browser,
    lark: &SimulatorHandle,
    overview: &str,
    offline_access: bool,
) {
    browser.follow("nav.browse-tabs a:first-child").await;
    let text = browser.text().await;
    if !offline_access {
        // The badge is upper-cased by the style sheet.
        assert!(
            text.contains("ADVICE") && text.contains("Advice: Optional"),
            "{text}"
        );
        assert_eq!(lark.stats().oauth_refreshes, 0);
        return;
    }
    assert!(
        text.contains("renewable (offline_access granted)"),
        "{text}"
    );
    browser.shot("14-renewable").await;
    let refreshes = lark.stats().oauth_refreshes;
    lark.tenant().expire_user_tokens();
    browser
        .follow("form[action$=\"/sync\"] button[type=submit]")
        .await;
    let started = Instant::now();
    while lark.stats().oauth_refreshes == refreshes {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the sync never refreshed the expired sign-in"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let text = wait_for_sync(browser, overview, "Working").await;
    assert_eq!(lark.stats().oauth_refreshes, refreshes + 1, "{text}");
}
