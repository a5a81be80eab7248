//! The permission doctor's page: a badge, summary and fix per check, the overview's "Check
//! permissions" link to it, a broken App Secret shown as the credentials check missing, and
//! the guard in front of it.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_app_http::ui::session::COOKIE;

use super::{EMAIL, PASSWORD, check, client, get, set_cookie, sign_in_request, with_admin};
use crate::common::Resp;

#[actix_web::test]
async fn the_page_shows_each_check_with_its_badge_and_fix() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let href = format!("/admin/integrations/{}/doctor", fx.integration.id);

    let overview = send!(&app, get("/", &cookie));
    assert!(
        overview
            .body
            .contains(&format!("<a href=\"{href}\">Check permissions</a>")),
        "{}",
        overview.body
    );

    fx.simulator
        .tenant()
        .remove_scope("contact:user.phone:readonly");
    let page = send!(&app, get(&href, &cookie));
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Permissions of acme</h1>"));
    assert!(page.body.contains("2 missing"), "mobiles and the login");
    for capability in [
        "app_credentials",
        "contact_scope",
        "user_mobiles",
        "user_login",
    ] {
        assert!(
            page.body.contains(&format!("id=\"{capability}\"")),
            "{capability}"
        );
    }
    let mobiles = section(&page.body, "user_mobiles");
    assert!(
        mobiles.contains("<span class=\"badge bad\">missing</span>"),
        "{mobiles}"
    );
    assert!(mobiles.contains("Mobile numbers"));
    assert!(mobiles.contains("<strong>Fix:</strong>"));
    assert!(
        mobiles.contains("add <code>contact:user.phone:readonly</code>"),
        "{mobiles}"
    );
    let emails = section(&page.body, "user_emails");
    assert!(
        emails.contains("<span class=\"badge good\">ok</span>"),
        "{emails}"
    );
    assert!(!emails.contains("Fix:"));
    assert!(section(&page.body, "user_login").contains("Connect with Lark"));
}

/// The `<li>` of one check.
fn section<'a>(page: &'a str, capability: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{capability}\""))
        .unwrap_or_else(|| panic!("no {capability} on the page"));
    let end = page[start..].find("</li>").unwrap() + start;
    &page[start..end]
}

#[actix_web::test]
async fn a_reset_secret_fails_the_credentials_and_skips_the_rest() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    fx.simulator
        .tenant()
        .set_app_secret("reset-in-the-console")
        .unwrap();
    let page = send!(
        &app,
        get(
            &format!("/admin/integrations/{}/doctor", fx.integration.id),
            &cookie
        )
    );
    assert_eq!(page.status, StatusCode::OK);
    let creds = section(&page.body, "app_credentials");
    assert!(creds.contains("badge bad"), "{creds}");
    assert!(creds.contains("Credentials &#38; Basic Info"), "{creds}");
    assert!(section(&page.body, "read_users").contains("not checked"));
    assert!(
        !page.body.contains("reset-in-the-console"),
        "never the secret"
    );
}

#[actix_web::test]
async fn unknown_integrations_are_404_and_visitors_are_sent_to_sign_in() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    for path in [
        "/admin/integrations/not-an-id/doctor",
        "/admin/integrations/6f1c2a9e-8d8e-4f57-9c43-3c8f4e0f6a11/doctor",
    ] {
        assert_eq!(
            send!(&app, get(path, &cookie)).status,
            StatusCode::NOT_FOUND
        );
    }
    let path = format!("/admin/integrations/{}/doctor", fx.integration.id);
    let visitor = send!(&app, TestRequest::get().uri(&path));
    assert_eq!(visitor.status, StatusCode::SEE_OTHER);
    assert_eq!(visitor.header("location"), Some("/signin"));
    let post = send!(&app, TestRequest::post().uri(&path).cookie(cookie.clone()));
    // State-changing methods need the CSRF token first; the page itself only answers GET.
    assert_eq!(post.status, StatusCode::FORBIDDEN);
}
