//! API keys in the web UI: the list, creating a key (shown once, then only its prefix), a
//! refused name next to its field, revoking, and the guard in front of it all.

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;

use actix_web::cookie::Cookie;
use aviary_app_http::ui::session::COOKIE;

use super::{
    EMAIL, PASSWORD, check, client, csrf_of, get, set_cookie, sign_in_request, with_admin,
};
use crate::common::Resp;
use aviary_domain::model::KeyScope;

/// The key shown on a creation page (`<code class="secret">…</code>`).
fn shown_key(page: &str) -> String {
    let marker = "<code class=\"secret\">";
    let start = page.find(marker).expect("a new key on the page") + marker.len();
    page[start..].split('<').next().unwrap().to_owned()
}

#[actix_web::test]
async fn a_new_key_is_shown_once_then_only_its_prefix() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let list = send!(&app, get("/admin/keys", &cookie));
    assert_eq!(list.status, StatusCode::OK);
    let existing = fx.services.api_keys.list().await.unwrap();
    assert_eq!(
        existing.len(),
        3,
        "the fixture's manage, read and sync keys"
    );
    assert!(list.body.contains("api tests"));
    assert!(list.body.contains(existing[0].prefix.as_str()));
    assert!(!list.body.contains(&fx.key), "never a whole key");
    assert!(!list.body.contains("code class=\"secret\""));

    let token = csrf_of(&list.body);
    let res = send!(
        &app,
        TestRequest::post()
            .uri("/admin/keys")
            .cookie(cookie.clone())
            .set_form([
                ("name", "  nightly export "),
                ("scope", "read"),
                ("expires_in_days", "90"),
                ("csrf_token", &token),
            ])
    );
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert!(res.body.contains("it will not be shown again"));
    let key = shown_key(&res.body);
    assert!(key.starts_with("avk_") && key.len() == 47, "{key}");
    // It works, and only its digest is stored.
    let authenticated = fx.services.api_keys.authenticate(&key).await.unwrap();
    assert_eq!(authenticated.name.as_str(), "nightly export");
    assert_eq!(authenticated.scope, KeyScope::Read);
    assert_eq!(
        authenticated.expires_at,
        Some(authenticated.created_at + chrono::Duration::days(90))
    );
    assert_eq!(authenticated.created_by.to_string(), EMAIL);

    let later = send!(&app, get("/admin/keys", &cookie));
    assert!(!later.body.contains(&key), "shown once only");
    assert!(later.body.contains(&key[..12]), "the display prefix stays");
    assert!(later.body.contains("nightly export"));
    assert!(
        later.body.contains(&format!("by {EMAIL}")),
        "{}",
        later.body
    );
}

#[actix_web::test]
async fn the_form_offers_read_first_and_refuses_a_lifetime_or_scope_it_does_not_offer() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let page = send!(&app, get("/admin/keys", &cookie));
    assert!(
        page.body.contains("<option value=\"read\" selected>"),
        "the narrowest scope is the default: {}",
        page.body
    );
    let token = csrf_of(&page.body);
    let post = |fields: [(&'static str, &'static str); 3]| {
        TestRequest::post()
            .uri("/admin/keys")
            .cookie(cookie.clone())
            .set_form([
                (fields[0].0, fields[0].1),
                (fields[1].0, fields[1].1),
                (fields[2].0, fields[2].1),
                ("csrf_token", token.as_str()),
            ])
    };
    let res = send!(
        &app,
        post([
            ("name", "ci"),
            ("scope", "sync"),
            ("expires_in_days", "4000")
        ])
    );
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"lifetime-error\""), "{}", res.body);
    assert!(
        res.body.contains("<option value=\"sync\" selected>"),
        "the choice is kept"
    );
    let res = send!(
        &app,
        post([("name", "ci"), ("scope", "root"), ("expires_in_days", "")])
    );
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert_eq!(fx.services.api_keys.list().await.unwrap().len(), 3);
}

#[actix_web::test]
async fn a_refused_name_is_shown_next_to_the_field_and_kept() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let token = csrf_of(&send!(&app, get("/admin/keys", &cookie)).body);
    let long = "k".repeat(101);
    let res = send!(
        &app,
        TestRequest::post()
            .uri("/admin/keys")
            .cookie(cookie.clone())
            .set_form([
                ("name", long.as_str()),
                ("scope", "read"),
                ("expires_in_days", ""),
                ("csrf_token", &token),
            ])
    );
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body
            .contains("id=\"name-error\">The key name is longer than 100 characters.<"),
        "{}",
        res.body
    );
    assert!(res.body.contains(&format!("value=\"{long}\"")));
    assert!(!res.body.contains("code class=\"secret\""));
    assert_eq!(fx.services.api_keys.list().await.unwrap().len(), 3);
}

#[actix_web::test]
async fn revoking_stops_the_key_at_once_and_is_checked_by_the_guard() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let id = fx.services.api_keys.list().await.unwrap()[0].id;
    let uri = format!("/admin/keys/{id}/revoke");

    assert_eq!(
        send!(&app, TestRequest::get().uri("/admin/keys")).header("location"),
        Some("/signin")
    );
    assert_eq!(
        send!(&app, TestRequest::post().uri(&uri)).status,
        StatusCode::UNAUTHORIZED
    );
    let cookie = signed_in!(&app);
    let token = csrf_of(&send!(&app, get("/admin/keys", &cookie)).body);
    for forged in [None, Some("forged")] {
        let mut req = TestRequest::post().uri(&uri).cookie(cookie.clone());
        if let Some(forged) = forged {
            req = req.set_form([("csrf_token", forged)]);
        }
        assert_eq!(send!(&app, req).status, StatusCode::FORBIDDEN);
        let create = TestRequest::post()
            .uri("/admin/keys")
            .cookie(cookie.clone())
            .set_form([("name", "sneaky"), ("csrf_token", forged.unwrap_or(""))]);
        assert_eq!(send!(&app, create).status, StatusCode::FORBIDDEN);
    }
    assert!(fx.services.api_keys.authenticate(&fx.key).await.is_ok());
    assert_eq!(fx.services.api_keys.list().await.unwrap().len(), 3);

    let revoke = || {
        TestRequest::post()
            .uri(&uri)
            .cookie(cookie.clone())
            .set_form([("csrf_token", token.as_str())])
    };
    let res = send!(&app, revoke());
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin/keys"));
    assert!(fx.services.api_keys.authenticate(&fx.key).await.is_err());
    let list = send!(&app, get("/admin/keys", &cookie));
    assert!(list.body.contains("Revoked"));
    assert!(
        !list.body.contains(&format!("action=\"{uri}\"")),
        "no button any more"
    );
    // Twice is the same outcome.
    assert_eq!(send!(&app, revoke()).status, StatusCode::SEE_OTHER);

    let unknown = format!("/admin/keys/{}/revoke", uuid::Uuid::new_v4());
    let res = send!(
        &app,
        TestRequest::post()
            .uri(&unknown)
            .cookie(cookie.clone())
            .set_form([("csrf_token", token.as_str())])
    );
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}
