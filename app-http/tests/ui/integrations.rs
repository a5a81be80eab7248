//! Adding, editing and deleting integrations in the web UI: the guard (sign-in, CSRF) in front
//! of every form, field errors next to their fields with the values kept, the App Secret never
//! sent back, the credential check, and the links from the overview.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_domain::model::{Integration, IntegrationStatus};

use aviary_app_http::ui::session::COOKIE;

use super::{
    EMAIL, PASSWORD, check, client, csrf_of, get, set_cookie, sign_in_request, with_admin,
};
use crate::common::{Fixture, Resp};

/// A POST of `fields` (plus the CSRF token, when given) with the session cookie.
fn post(
    uri: &str,
    cookie: &Cookie<'static>,
    token: Option<&str>,
    fields: &[(&str, &str)],
) -> TestRequest {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    if let Some(token) = token {
        form.push(("csrf_token", token));
    }
    TestRequest::post()
        .uri(uri)
        .cookie(cookie.clone())
        .set_form(form)
}

/// The fixture's simulated tenant as the add form takes it: App ID, App Secret, base URL.
fn tenant(fx: &Fixture) -> (String, String, String) {
    (
        fx.simulator.app_id(),
        fx.app_secret.clone(),
        fx.simulator.base_url(),
    )
}

/// The add form's fields for `tenant`, labelled `label`, hourly.
fn add_fields<'a>(tenant: &'a (String, String, String), label: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("label", label),
        ("region", "lark"),
        ("app_id", tenant.0.as_str()),
        ("app_secret", tenant.1.as_str()),
        ("base_url", tenant.2.as_str()),
        ("sync_interval_minutes", "60"),
    ]
}

/// `fields` with `name` set to `value`.
fn replaced<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    for field in &mut fields {
        if field.0 == name {
            field.1 = value;
        }
    }
    fields
}

/// The text of the field error after `id="{field}-error"`, if the page has one.
fn field_error(page: &str, field: &str) -> Option<String> {
    let marker = format!("id=\"{field}-error\">");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('<').next()?.to_owned())
}

/// Asserts that the page never shows an App Secret: not the fixture's, not `typed`.
fn no_secret(fx: &Fixture, page: &Resp, typed: &str) {
    assert!(
        !page.body.contains(&fx.app_secret),
        "the App Secret was echoed"
    );
    assert!(!page.body.contains(typed), "the typed secret was echoed");
}

async fn stored(fx: &Fixture, integration: &Integration) -> Option<Integration> {
    fx.services.integrations.get(integration.id).await.unwrap()
}

#[actix_web::test]
async fn the_forms_are_behind_the_sign_in_and_the_csrf_check() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let id = fx.integration.id;
    for page in [
        "/admin/integrations/new".to_owned(),
        format!("/admin/integrations/{id}/edit"),
        format!("/admin/integrations/{id}/delete"),
    ] {
        let res = send!(&app, TestRequest::get().uri(&page));
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(res.header("location"), Some("/signin"), "{page}");
    }
    let cookie = signed_in!(&app);
    let tenant = tenant(&fx);
    let fields = add_fields(&tenant, "globex");
    let posts = [
        ("/admin/integrations".to_owned(), fields.clone()),
        (
            format!("/admin/integrations/{id}/edit"),
            vec![("label", "renamed"), ("sync_interval_minutes", "")],
        ),
        (format!("/admin/integrations/{id}/delete"), Vec::new()),
    ];
    for (uri, fields) in &posts {
        let anonymous = send!(&app, TestRequest::post().uri(uri).set_form(fields.clone()));
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{uri}");
        let missing = send!(&app, post(uri, &cookie, None, fields));
        assert_eq!(missing.status, StatusCode::FORBIDDEN, "{uri}");
        let wrong = send!(&app, post(uri, &cookie, Some("forged"), fields));
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(wrong.body.contains("This form has expired"), "{uri}");
    }
    // Nothing changed.
    let all = fx.services.integrations.list().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].label.as_str(), "acme");
}

#[actix_web::test]
async fn the_overview_links_to_adding_editing_deleting_and_the_keys() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let page = send!(&app, get("/", &cookie));
    let id = fx.integration.id;
    for link in [
        "href=\"/admin/integrations/new\"".to_owned(),
        format!("href=\"/admin/integrations/{id}/edit\""),
        format!("href=\"/admin/integrations/{id}/delete\""),
        "href=\"/admin/keys\"".to_owned(),
    ] {
        assert!(page.body.contains(&link), "{link}: {}", page.body);
    }
    let form = send!(&app, get("/admin/integrations/new", &cookie));
    assert_eq!(form.status, StatusCode::OK);
    for field in [
        "name=\"label\"",
        "<select id=\"region\" name=\"region\"",
        "name=\"app_id\"",
        "name=\"app_secret\" type=\"password\"",
        "name=\"base_url\"",
        "name=\"sync_interval_minutes\"",
        "name=\"csrf_token\"",
    ] {
        assert!(form.body.contains(field), "{field}");
    }
    assert!(
        form.body
            .contains("name=\"skip_verify\" type=\"checkbox\" value=\"on\">"),
        "unchecked"
    );
    assert!(form.body.contains("value=\"60\""), "hourly by default");
}

#[actix_web::test]
async fn adding_stores_the_integration_and_returns_to_the_overview() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let token = csrf_of(&send!(&app, get("/admin/integrations/new", &cookie)).body);
    let tenant = tenant(&fx);
    let fields = replaced(
        add_fields(&tenant, "  Globex  "),
        "sync_interval_minutes",
        "15",
    );
    let res = send!(
        &app,
        post("/admin/integrations", &cookie, Some(&token), &fields)
    );
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), Some("/"));
    let all = fx.services.integrations.list().await.unwrap();
    let globex = all.iter().find(|i| i.label.as_str() == "Globex").unwrap();
    assert_eq!(globex.sync_interval_minutes(), Some(15));
    assert!(globex.tenant.is_some(), "checked with Lark, tenant read");
    let overview = send!(&app, get("/", &cookie));
    assert!(overview.body.contains("Globex"));
    no_secret(&fx, &overview, &fx.app_secret);

    // Skipping the check stores even a wrong secret; empty interval = on demand.
    let skipped = [
        ("label", "Initech"),
        ("region", "feishu"),
        ("app_id", "cli_initech"),
        ("app_secret", "unchecked-secret"),
        ("base_url", ""),
        ("sync_interval_minutes", ""),
        ("skip_verify", "on"),
    ];
    let res = send!(
        &app,
        post("/admin/integrations", &cookie, Some(&token), &skipped)
    );
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let all = fx.services.integrations.list().await.unwrap();
    let initech = all.iter().find(|i| i.label.as_str() == "Initech").unwrap();
    assert_eq!(initech.sync_interval_minutes(), None);
    assert_eq!(initech.base_url, None);
    assert!(initech.tenant.is_none());
    assert_eq!(initech.status, IntegrationStatus::PendingAuthorization);
}

#[actix_web::test]
async fn field_errors_are_shown_next_to_each_field_with_the_values_kept() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let token = csrf_of(&send!(&app, get("/admin/integrations/new", &cookie)).body);
    let typed_secret = "typed-secret-value";
    let fields = [
        ("label", "  "),
        ("region", "mars"),
        ("app_id", "not-an-app"),
        ("app_secret", typed_secret),
        ("base_url", "ftp://files.example"),
        ("sync_interval_minutes", "3"),
    ];
    let res = send!(
        &app,
        post("/admin/integrations", &cookie, Some(&token), &fields)
    );
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    no_secret(&fx, &res, typed_secret);
    assert_eq!(
        field_error(&res.body, "label").as_deref(),
        Some("The label is empty.")
    );
    assert_eq!(
        field_error(&res.body, "region").as_deref(),
        Some("Choose Lark or Feishu.")
    );
    assert!(field_error(&res.body, "app_id").is_some());
    assert!(
        field_error(&res.body, "base_url")
            .unwrap()
            .contains("http://")
    );
    assert!(
        field_error(&res.body, "interval")
            .unwrap()
            .contains("from 5 to 10080 minutes")
    );
    assert!(
        field_error(&res.body, "app_secret").is_none(),
        "a secret was given"
    );
    assert!(
        res.body.contains("value=\"not-an-app\""),
        "the App ID is kept"
    );
    assert!(res.body.contains("value=\"ftp://files.example\""));
    assert!(res.body.contains("value=\"3\""));
    assert!(res.body.contains("aria-invalid=\"true\""));

    // A missing secret, a non-number interval and a taken label.
    let fields = [
        ("label", "acme"),
        ("region", "feishu"),
        ("app_id", "cli_acme"),
        ("app_secret", ""),
        ("sync_interval_minutes", "hourly"),
    ];
    let res = send!(
        &app,
        post("/admin/integrations", &cookie, Some(&token), &fields)
    );
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(field_error(&res.body, "app_secret").is_some());
    assert!(
        field_error(&res.body, "interval")
            .unwrap()
            .contains("whole number")
    );
    assert!(res.body.contains("value=\"hourly\""));
    assert!(
        res.body.contains("<option value=\"feishu\" selected>"),
        "the region is kept"
    );
    // The label is free as far as the form can tell; the store says otherwise once the rest
    // is right.
    let tenant = tenant(&fx);
    let fields = add_fields(&tenant, "acme");
    let res = send!(
        &app,
        post("/admin/integrations", &cookie, Some(&token), &fields)
    );
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        field_error(&res.body, "label")
            .unwrap()
            .contains("already has this label")
    );
    no_secret(&fx, &res, &fx.app_secret);
    assert_eq!(fx.services.integrations.list().await.unwrap().len(), 1);
}

#[actix_web::test]
async fn a_failed_credential_check_is_a_form_error_in_plain_words() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let token = csrf_of(&send!(&app, get("/admin/integrations/new", &cookie)).body);
    let wrong = "wrong-secret-typed";
    let tenant = tenant(&fx);
    let fields = replaced(add_fields(&tenant, "globex"), "app_secret", wrong);
    let res = send!(
        &app,
        post("/admin/integrations", &cookie, Some(&token), &fields)
    );
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("role=\"alert\""));
    assert!(
        res.body.contains("Lark rejected the App ID or App Secret"),
        "{}",
        res.body
    );
    assert!(res.body.contains("value=\"globex\""), "the label is kept");
    no_secret(&fx, &res, wrong);

    // Nothing listens on the discard port.
    let unreachable = replaced(add_fields(&tenant, "far"), "base_url", "http://127.0.0.1:9");
    let res = send!(
        &app,
        post("/admin/integrations", &cookie, Some(&token), &unreachable)
    );
    assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{}", res.body);
    assert!(res.body.contains("could not be reached"), "{}", res.body);
    assert!(res.body.contains("Skip the credential check"));
    assert_eq!(fx.services.integrations.list().await.unwrap().len(), 1);
}

#[actix_web::test]
async fn editing_changes_the_label_and_schedule() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let uri = format!("/admin/integrations/{}/edit", fx.integration.id);
    let form = send!(&app, get(&uri, &cookie));
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"acme\""));
    assert!(form.body.contains("value=\"60\""));
    assert!(
        form.body.contains(&fx.simulator.app_id()),
        "the App ID is shown, read-only"
    );
    no_secret(&fx, &form, &fx.app_secret);
    let token = csrf_of(&form.body);

    let fields = [("label", "Acme HQ"), ("sync_interval_minutes", "")];
    let res = send!(&app, post(&uri, &cookie, Some(&token), &fields));
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), Some("/"));
    let after = stored(&fx, &fx.integration).await.unwrap();
    assert_eq!(after.label.as_str(), "Acme HQ");
    assert_eq!(after.sync_interval_minutes(), None);
    assert!(
        send!(&app, get(&uri, &cookie)).body.contains("value=\"\""),
        "on demand"
    );

    // Errors next to the fields, what was typed kept, nothing changed.
    fx.services
        .register
        .execute_with_schedule(
            aviary_domain::usecases::NewIntegration {
                label: "Globex".into(),
                region: aviary_domain::model::Region::Lark,
                base_url: None,
                app_id: "cli_globex".into(),
                app_secret: "other".into(),
                verify: false,
                rate_limits: None,
            },
            None,
        )
        .await
        .unwrap();
    let fields = [("label", "Globex"), ("sync_interval_minutes", "20000")];
    let res = send!(&app, post(&uri, &cookie, Some(&token), &fields));
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        field_error(&res.body, "interval")
            .unwrap()
            .contains("10080")
    );
    assert!(res.body.contains("value=\"20000\""));
    let fields = [("label", "Globex"), ("sync_interval_minutes", "30")];
    let res = send!(&app, post(&uri, &cookie, Some(&token), &fields));
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        field_error(&res.body, "label")
            .unwrap()
            .contains("already has this label")
    );
    assert!(res.body.contains("value=\"Globex\""));
    assert!(res.body.contains("value=\"30\""));
    let unchanged = stored(&fx, &fx.integration).await.unwrap();
    assert_eq!(unchanged.label.as_str(), "Acme HQ");
    assert_eq!(unchanged.sync_interval_minutes(), None);

    let missing = format!("/admin/integrations/{}/edit", uuid::Uuid::new_v4());
    assert_eq!(
        send!(&app, get(&missing, &cookie)).status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send!(&app, get("/admin/integrations/not-an-id/edit", &cookie)).status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn deleting_asks_first_with_the_counts_then_removes_everything() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let uri = format!("/admin/integrations/{}/delete", fx.integration.id);
    let confirm = send!(&app, get(&uri, &cookie));
    assert_eq!(confirm.status, StatusCode::OK);
    let data = fx
        .services
        .remove
        .stored_data(fx.integration.id)
        .await
        .unwrap();
    assert!(
        data.accounts > 0 && data.departments > 0 && data.runs == 2,
        "{data:?}"
    );
    for line in [
        format!("<strong>{}</strong> accounts", data.accounts),
        format!("<strong>{}</strong> departments", data.departments),
        format!("<strong>{}</strong> sync runs", data.runs),
    ] {
        assert!(confirm.body.contains(&line), "{line}: {}", confirm.body);
    }
    assert!(
        stored(&fx, &fx.integration).await.is_some(),
        "asking deletes nothing"
    );
    let token = csrf_of(&confirm.body);
    let res = send!(&app, post(&uri, &cookie, Some(&token), &[]));
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), Some("/"));
    assert!(stored(&fx, &fx.integration).await.is_none());
    assert!(
        fx.services
            .queries
            .runs(fx.integration.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        send!(&app, get(&uri, &cookie)).status,
        StatusCode::NOT_FOUND
    );
    let again = send!(&app, post(&uri, &cookie, Some(&token), &[]));
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
