//! The web UI through `actix_web::test`: sign-in (cookie attributes, one answer for every
//! wrong credential, per-client throttling), the session guard, CSRF on sign-out, the
//! integrations overview with real data, the stylesheet and the security headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_app_http::ui::session::COOKIE;
use aviary_app_http::{Services, Settings};
use aviary_domain::model::AccountStatus;
use aviary_domain::usecases::AccountFilter;
use secrecy::SecretString;

use common::{Fixture, Resp, fixture};

const EMAIL: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// The fixture with an admin account.
async fn with_admin() -> Fixture {
    let fx = fixture().await;
    fx.services
        .admins
        .create(EMAIL, SecretString::from(PASSWORD))
        .await
        .unwrap();
    fx
}

fn client(n: u8) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, n], 40000))
}

/// Sends `$req` (a `TestRequest`), reads the response and checks what every UI response must
/// hold: the security headers, and no password in the body.
macro_rules! send {
    ($app:expr, $req:expr $(,)?) => {{
        let req: TestRequest = $req;
        check(Resp::read(test::call_service($app, req.to_request()).await).await)
    }};
}

fn check(res: Resp) -> Resp {
    assert!(!res.body.contains(PASSWORD), "the password was echoed");
    // The overview adds the accounts hosts its "Connect with Lark" forms redirect to.
    let csp = res.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.starts_with("default-src 'self'; base-uri 'none'; form-action 'self'")
            && csp.ends_with("; frame-ancestors 'none'")
            && csp.matches(';').count() == 3,
        "{csp}"
    );
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    res
}

fn sign_in_request(email: &str, password: &str, from: SocketAddr) -> TestRequest {
    TestRequest::post()
        .uri("/signin")
        .peer_addr(from)
        .set_form([("email", email), ("password", password)])
}

/// The session cookie a response sets.
fn set_cookie(res: &Resp) -> Option<Cookie<'static>> {
    res.headers
        .get_all("set-cookie")
        .map(|v| Cookie::parse(v.to_str().unwrap().to_owned()).unwrap())
        .find(|c| c.name() == COOKIE)
}

/// Signs in and returns the session cookie (as a browser sends it back).
macro_rules! signed_in {
    ($app:expr) => {{
        let res = send!($app, sign_in_request(EMAIL, PASSWORD, client(1)));
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let cookie = set_cookie(&res).expect("a session cookie");
        Cookie::new(COOKIE, cookie.value().to_owned())
    }};
}

fn get(uri: &str, cookie: &Cookie<'static>) -> TestRequest {
    TestRequest::get().uri(uri).cookie(cookie.clone())
}

/// The CSRF token rendered into the page's sign-out form.
fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a CSRF field") + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

fn sign_out(cookie: &Cookie<'static>, token: Option<&str>) -> TestRequest {
    let req = TestRequest::post().uri("/signout").cookie(cookie.clone());
    match token {
        Some(token) => req.set_form([("csrf_token", token)]),
        None => req,
    }
}

#[actix_web::test]
async fn signing_in_sets_the_host_cookie_and_lands_on_the_overview() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;

    let form = send!(&app, TestRequest::get().uri("/signin"));
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"password\" type=\"password\""));
    assert_eq!(form.header("cache-control"), Some("no-store"));

    let res = send!(&app, sign_in_request(EMAIL, PASSWORD, client(1)));
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some("/"));
    let cookie = set_cookie(&res).expect("a session cookie");
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(cookie.same_site(), Some(SameSite::Lax));
    assert_eq!(cookie.domain(), None);
    assert_eq!(
        cookie.max_age(),
        Some(actix_web::cookie::time::Duration::days(7))
    );
    assert!(cookie.value().len() >= 43, "256 random bits");

    let cookie = Cookie::new(COOKIE, cookie.value().to_owned());
    let page = send!(&app, get("/", &cookie));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    // Synced with the app's credentials but never connected through a Lark login: the
    // "Connect with Lark" form may send the browser to the tenant's accounts host.
    let origin = url::Url::parse(fx.integration.base_url.as_ref().unwrap().as_str())
        .unwrap()
        .origin()
        .ascii_serialization();
    assert_eq!(
        page.header("content-security-policy"),
        Some(
            format!(
                "default-src 'self'; base-uri 'none'; form-action 'self' {origin}; \
                 frame-ancestors 'none'"
            )
            .as_str()
        ),
    );
    assert!(page.body.contains("Connect with Lark"), "{}", page.body);
    assert!(page.body.contains("Sync now"), "{}", page.body);
    assert!(page.body.contains(EMAIL), "the header names the admin");
    assert!(page.body.contains("action=\"/signout\""));
    assert!(!csrf_of(&page.body).is_empty());
    // The integration seeded through the real use cases, with its data.
    // Each label links to the integration's page.
    let label_link = format!(
        "<strong><a href=\"/admin/integrations/{}\">acme</a></strong>",
        fx.integration.id
    );
    assert!(page.body.contains(&label_link), "{}", page.body);
    let stored = fx.services.integrations.list().await.unwrap();
    if let Some(tenant) = &stored[0].tenant {
        assert!(page.body.contains(&tenant.name), "{}", page.body);
    }
    let accounts = fx
        .services
        .queries
        .accounts(fx.integration.id, &AccountFilter::default())
        .await
        .unwrap();
    assert_eq!(accounts.len(), 39, "40 users, one deleted");
    assert!(page.body.contains("<td>39<div"), "{}", page.body);
    let active = accounts
        .iter()
        .filter(|a| a.state.profile.status == AccountStatus::Active)
        .count();
    assert!(
        page.body.contains(&format!("{active} active, ")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(" suspended"),
        "the frozen user: {}",
        page.body
    );
    assert!(
        page.body.contains("users: 0 added, 1 changed, 1 removed"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("never"), "{}", page.body);
}

#[actix_web::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_page_and_status() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let other = "nobody@example.com";
    let wrong = send!(
        &app,
        sign_in_request(EMAIL, "not the password at all", client(1))
    );
    let unknown = send!(&app, sign_in_request(other, PASSWORD, client(2)));
    for res in [&wrong, &unknown] {
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(set_cookie(res).is_none());
        assert!(
            res.body.contains("Wrong email or password."),
            "{}",
            res.body
        );
    }
    assert!(!wrong.body.contains("not the password at all"));
    assert!(
        wrong.body.contains(&format!("value=\"{EMAIL}\"")),
        "the email is kept"
    );
    assert_eq!(wrong.body, unknown.body.replace(other, EMAIL));
}

#[actix_web::test]
async fn the_eleventh_failed_sign_in_from_one_address_is_429() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    for _ in 0..10 {
        let res = send!(
            &app,
            sign_in_request("guess@example.com", "guess guess guess", client(7))
        );
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // Refused before the credentials are checked: even the right ones.
    let res = send!(&app, sign_in_request(EMAIL, PASSWORD, client(7)));
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(res.body.contains("Too many failed sign-ins"));
    assert!(set_cookie(&res).is_none());
    // Another address is not affected.
    let res = send!(&app, sign_in_request(EMAIL, PASSWORD, client(8)));
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn forms_sent_from_another_site_are_refused_before_anything_is_read() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    // Login CSRF: another site posting the sign-in form signs the visitor in as nobody.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let res = send!(
            &app,
            sign_in_request(EMAIL, PASSWORD, client(9)).insert_header((name, value))
        );
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(res.body.contains("came from another site"), "{}", res.body);
        assert!(set_cookie(&res).is_none(), "no session was started");
    }
    // From Aviary's own page (the browser says same-origin, or the Origin is this host).
    let same = send!(
        &app,
        sign_in_request(EMAIL, PASSWORD, client(9))
            .insert_header(("sec-fetch-site", "same-origin"))
    );
    assert_eq!(same.status, StatusCode::SEE_OTHER, "{}", same.body);
    let cookie = Cookie::new(COOKIE, set_cookie(&same).unwrap().value().to_owned());
    let token = csrf_of(&send!(&app, get("/admin/keys", &cookie)).body);
    // A valid session and CSRF token do not make a cross-site form acceptable.
    let res = send!(
        &app,
        TestRequest::post()
            .uri("/admin/keys")
            .cookie(cookie.clone())
            .insert_header(("sec-fetch-site", "cross-site"))
            .set_form([
                ("name", "planted"),
                ("scope", "manage"),
                ("expires_in_days", ""),
                ("csrf_token", token.as_str()),
            ])
    );
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(fx.services.api_keys.list().await.unwrap().len(), 3);
}

#[actix_web::test]
async fn pages_need_a_session() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    for uri in ["/", "/no-such-page"] {
        let res = send!(&app, TestRequest::get().uri(uri));
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(res.header("location"), Some("/signin"));
    }
    let bogus = Cookie::new(COOKIE, "not-a-session");
    let res = send!(&app, get("/", &bogus));
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let cleared = set_cookie(&res).expect("the stale cookie is cleared");
    assert_eq!(cleared.value(), "");
    let res = send!(&app, sign_out(&bogus, Some("whatever")));
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("Please sign in"));

    let cookie = signed_in!(&app);
    let res = send!(&app, get("/no-such-page", &cookie));
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = send!(&app, get("/signout", &cookie));
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn signing_out_needs_the_csrf_token_and_ends_the_session() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let page = send!(&app, get("/", &cookie));
    let token = csrf_of(&page.body);

    for attempt in [None, Some("wrong-token"), Some("")] {
        let res = send!(&app, sign_out(&cookie, attempt));
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{attempt:?}");
        assert!(res.body.contains("This form has expired"));
        let still = send!(&app, get("/", &cookie));
        assert_eq!(
            still.status,
            StatusCode::OK,
            "the session survives {attempt:?}"
        );
    }

    let res = send!(&app, sign_out(&cookie, Some(&token)));
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some("/signin"));
    let cleared = set_cookie(&res).expect("the cookie is cleared");
    assert_eq!(cleared.value(), "");
    assert_eq!(cleared.path(), Some("/"));
    assert_eq!(cleared.secure(), Some(true));
    assert_eq!(
        cleared.max_age(),
        Some(actix_web::cookie::time::Duration::ZERO)
    );
    let after = send!(&app, get("/", &cookie));
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
}

#[actix_web::test]
async fn a_new_sign_in_ends_the_session_the_browser_still_presents() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let first = signed_in!(&app);
    let res = send!(
        &app,
        sign_in_request(EMAIL, PASSWORD, client(1)).cookie(first.clone()),
    );
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let second = Cookie::new(COOKIE, set_cookie(&res).unwrap().value().to_owned());
    assert_ne!(first.value(), second.value());
    assert_eq!(send!(&app, get("/", &first)).status, StatusCode::SEE_OTHER);
    assert_eq!(send!(&app, get("/", &second)).status, StatusCode::OK);
}

#[actix_web::test]
async fn the_stylesheet_is_served_from_the_binary_with_a_long_cache() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let res = send!(&app, TestRequest::get().uri("/static/aviary.css"));
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        res.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(res.body.contains("font-family"));
}

#[actix_web::test]
async fn without_integrations_the_overview_says_how_to_add_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults();
    settings.data.dir = dir.path().join("aviary-data");
    settings.database.url = SecretString::from(String::new());
    let services = Services::build(settings).await.unwrap();
    services
        .admins
        .create(EMAIL, SecretString::from(PASSWORD))
        .await
        .unwrap();
    let app = test::init_service(app(services)).await;
    let cookie = signed_in!(&app);
    let page = send!(&app, get("/", &cookie));
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("There are no integrations yet"));
    assert!(page.body.contains("aviary integration add"));
    assert!(!page.body.contains("<table>"));
}

/// Connecting an integration with the admin's Lark login (`ui/connect.rs`).
#[path = "ui/connect.rs"]
mod connect;

/// Adding, editing and deleting integrations (`ui/integration_*.rs`).
#[path = "ui/integrations.rs"]
mod integrations;

/// API keys (`ui/keys.rs`).
#[path = "ui/keys.rs"]
mod keys;

/// The permission doctor's page (`ui/doctor.rs`).
#[path = "ui/doctor.rs"]
mod doctor;

/// The browse pages: an integration's accounts, an account, departments, runs (`ui/browse.rs`).
#[path = "ui/browse.rs"]
mod browse;

#[path = "ui/sync.rs"]
mod sync;

#[path = "ui/inventory.rs"]
mod inventory;

/// The API's rule for pages too: a stored integration that no longer maps is the 500 page on
/// every page that reads it (the overview, its page, its tabs), not the 503 "unavailable" page.
#[actix_web::test]
async fn an_undecryptable_secret_is_shown_on_its_integration_in_plain_words_and_the_overview_works()
{
    use sea_orm::ConnectionTrait as _;
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    fx.services
        .database()
        .connection()
        .execute_unprepared("UPDATE integrations SET app_secret_key_id = 'a-lost-key'")
        .await
        .unwrap();
    let overview = send!(&app, get("/", &cookie));
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert!(
        overview
            .body
            .contains("cannot be decrypted with any master key"),
        "the overview names the integration's problem: {}",
        overview.body
    );
    let page = send!(
        &app,
        get(
            &format!("/admin/integrations/{}", fx.integration.id),
            &cookie
        )
    );
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        page.body.contains("credentials cannot be read")
            && page.body.contains("Other integrations are not affected"),
        "{}",
        page.body
    );
}

#[actix_web::test]
async fn a_corrupt_stored_integration_is_the_same_500_page_everywhere() {
    use sea_orm::ConnectionTrait as _;
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    fx.services
        .database()
        .connection()
        .execute_unprepared("UPDATE integrations SET region = 'mars'")
        .await
        .unwrap();
    let base = format!("/admin/integrations/{}", fx.integration.id);
    for uri in [
        "/".to_owned(),
        base.clone(),
        format!("{base}/departments"),
        format!("{base}/runs"),
        format!("{base}/doctor"),
    ] {
        let res = send!(&app, get(&uri, &cookie));
        assert_eq!(
            res.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "GET {uri}: {}",
            res.body
        );
    }
}
