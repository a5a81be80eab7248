//! The HTTP server and its JSON API through `actix_web::test`: every route, filter, page,
//! export and error mapping, against real services on a temporary SQLite installation seeded
//! through the real use cases from an in-process simulated Lark tenant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use aviary_app_http::views::csv::ACCOUNT_HEADER;
use aviary_domain::model::{AccountStatus, Role};
use aviary_domain::usecases::AccountFilter;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use common::{Fixture, Resp, fixture};

/// Sends a request (`$req`: a `TestRequest`), checks that the body holds no secret and that
/// the security headers are there, and reads it.
macro_rules! send {
    ($fx:expr, $app:expr, $req:expr) => {{
        let res = Resp::read(test::call_service($app, $req.to_request()).await).await;
        assert!(!res.body.contains(&$fx.app_secret), "app secret leaked");
        assert!(!res.body.contains(&$fx.key), "API key leaked");
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(res.header("cache-control"), Some("no-store"));
        res
    }};
}

/// GET `$uri` with the fixture's API key.
macro_rules! get {
    ($fx:expr, $app:expr, $uri:expr) => {{
        let uri: &str = &$uri;
        send!(
            $fx,
            $app,
            test::TestRequest::get()
                .uri(uri)
                .insert_header(("Authorization", format!("Bearer {}", $fx.key)))
        )
    }};
}

fn base(fx: &Fixture) -> String {
    format!("/api/v1/integrations/{}", fx.integration.id)
}

fn open_ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["open_id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn health_and_readiness_answer_without_a_key() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let health = send!(fx, &app, test::TestRequest::get().uri("/healthz"));
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json(), serde_json::json!({"status": "ok"}));
    let ready = send!(fx, &app, test::TestRequest::get().uri("/readyz"));
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");
}

#[actix_web::test]
async fn responses_ask_browsers_to_keep_to_https_only_when_aviary_is_served_over_https() {
    let fx = fixture().await;
    let plain = test::init_service(app(fx.services.clone())).await;
    let health = send!(fx, &plain, test::TestRequest::get().uri("/healthz"));
    assert_eq!(health.header("strict-transport-security"), None);

    let mut services = fx.services.clone();
    services.settings.http.public_base_url = Some("https://aviary.example.com".to_owned());
    let secure = test::init_service(app(services)).await;
    for uri in ["/healthz", "/signin", "/api/v1/integrations"] {
        let res = send!(fx, &secure, test::TestRequest::get().uri(uri));
        assert_eq!(
            res.header("strict-transport-security"),
            Some(aviary_app_http::server::HSTS),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn a_closed_database_is_503_for_readiness_and_the_api() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    fx.services.database().clone().close().await.unwrap();
    send!(fx, &app, test::TestRequest::get().uri("/readyz"))
        .error(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable");
    get!(fx, &app, "/api/v1/integrations")
        .error(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable");
    // Liveness does not depend on the database.
    let health = send!(fx, &app, test::TestRequest::get().uri("/healthz"));
    assert_eq!(health.status, StatusCode::OK);
}

/// One fault, one answer: a stored integration that no longer maps (its region corrupted) is
/// the same 500 `internal_error` on every route that reads it, never a 503 on one path and a
/// 404 on another.
#[actix_web::test]
async fn a_corrupt_stored_integration_is_the_same_500_on_every_route_that_reads_it() {
    use sea_orm::ConnectionTrait as _;
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let id = fx.integration.id;
    let open_id = fx.frozen.clone();
    fx.services
        .database()
        .connection()
        .execute_unprepared("UPDATE integrations SET region = 'mars'")
        .await
        .unwrap();
    let reads = [
        "/api/v1/integrations".to_owned(),
        format!("/api/v1/integrations/{id}"),
        "/api/v1/integrations/acme".to_owned(),
        format!("/api/v1/integrations/{id}/status"),
        format!("/api/v1/integrations/{id}/accounts?limit=5"),
        format!("/api/v1/integrations/{id}/accounts/{open_id}"),
        format!("/api/v1/integrations/{id}/departments"),
        format!("/api/v1/integrations/{id}/groups"),
        format!("/api/v1/integrations/{id}/apps"),
        format!("/api/v1/integrations/{id}/runs"),
        format!("/api/v1/integrations/{id}/doctor"),
    ];
    for uri in &reads {
        let res = get!(fx, &app, uri);
        assert_eq!(
            res.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "GET {uri}: {}",
            res.body
        );
        res.error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    }
    for uri in [
        format!("/api/v1/integrations/{id}/sync"),
        format!("/api/v1/integrations/{id}/connect"),
    ] {
        let res = send!(
            fx,
            &app,
            test::TestRequest::post()
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {}", fx.key)))
                .set_json(serde_json::json!({}))
        );
        res.error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    }
}

/// A secret stored under a key this server does not know is that integration's problem, in
/// plain words; the list and every other integration keep answering.
#[actix_web::test]
async fn an_undecryptable_secret_is_its_integrations_problem_not_an_outage() {
    use sea_orm::ConnectionTrait as _;
    let fx = fixture().await;
    let other = fx
        .services
        .register
        .execute(aviary_domain::usecases::NewIntegration {
            label: "globex".into(),
            region: aviary_domain::model::Region::Lark,
            base_url: Some(fx.simulator.base_url()),
            app_id: fx.simulator.app_id(),
            app_secret: SecretString::from(fx.app_secret.clone()),
            verify: false,
            rate_limits: None,
        })
        .await
        .unwrap();
    let app = test::init_service(app(fx.services.clone())).await;
    let id = fx.integration.id;
    fx.services
        .database()
        .connection()
        .execute_unprepared(&format!(
            "UPDATE integrations SET app_secret_key_id = 'a-lost-key' WHERE label = '{}'",
            fx.integration.label
        ))
        .await
        .unwrap();
    for uri in [
        format!("/api/v1/integrations/{id}"),
        format!("/api/v1/integrations/{id}/doctor"),
    ] {
        let res = get!(fx, &app, uri);
        let message = res.error(StatusCode::INTERNAL_SERVER_ERROR, "secret_undecryptable");
        assert!(
            message.contains("other integrations are not affected"),
            "{message}"
        );
    }
    let listed = get!(fx, &app, "/api/v1/integrations");
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json()["items"].as_array().unwrap().len(), 2);
    for uri in [
        format!("/api/v1/integrations/{}", other.id),
        format!("/api/v1/integrations/{}/status", other.id),
        format!("/api/v1/integrations/{}/doctor", other.id),
    ] {
        assert_eq!(get!(fx, &app, uri).status, StatusCode::OK, "GET {uri}");
    }
}

#[actix_web::test]
async fn every_refused_key_gets_the_same_401() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let revoked = fx
        .services
        .api_keys
        .create(common::new_key(
            "revoked",
            aviary_domain::model::KeyScope::Read,
        ))
        .await
        .unwrap();
    fx.services.api_keys.revoke(revoked.key.id).await.unwrap();
    let revoked = format!("Bearer {}", revoked.secret.expose_secret());
    let unknown = format!("Bearer avk_{}", "A".repeat(43));
    let attempts: Vec<Option<String>> = vec![
        None,
        Some("Basic dXNlcjpwYXNz".into()),
        Some("Bearer".into()),
        Some("Bearer not-a-key".into()),
        Some(fx.key.clone()),
        Some(unknown),
        Some(revoked),
    ];
    let mut bodies = Vec::new();
    for attempt in attempts {
        let mut req = test::TestRequest::get().uri("/api/v1/integrations");
        if let Some(value) = &attempt {
            req = req.insert_header(("Authorization", value.as_str()));
        }
        let res = send!(fx, &app, req);
        res.error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(
            res.header("www-authenticate"),
            Some("Bearer"),
            "{attempt:?}"
        );
        bodies.push(res.body);
    }
    // A signed-in admin's browser session is not an API credential.
    fx.services
        .admins
        .create(
            "admin@example.com",
            SecretString::from("a long admin password"),
        )
        .await
        .unwrap();
    let signed_in = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/signin")
            .peer_addr(std::net::SocketAddr::from(([192, 0, 2, 1], 40000)))
            .set_form([
                ("email", "admin@example.com"),
                ("password", "a long admin password"),
            ])
            .to_request(),
    )
    .await;
    let session = signed_in
        .response()
        .cookies()
        .find(|c| c.name() == "__Host-aviary_session")
        .expect("a session cookie")
        .into_owned();
    let res = send!(
        fx,
        &app,
        test::TestRequest::get()
            .uri("/api/v1/integrations")
            .cookie(session)
    );
    res.error(StatusCode::UNAUTHORIZED, "unauthorized");
    bodies.push(res.body);
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    // The same key with its scheme works.
    assert_eq!(
        get!(fx, &app, "/api/v1/integrations").status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn integrations_are_listed_and_found_by_id_or_label() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let list = get!(fx, &app, "/api/v1/integrations");
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let items = list.json()["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["id"], fx.integration.id.to_string());
    assert_eq!(items[0]["label"], "acme");
    for key in [fx.integration.id.to_string(), "acme".to_owned()] {
        let one = get!(fx, &app, format!("/api/v1/integrations/{key}"));
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(one.json(), items[0]);
    }
    get!(fx, &app, "/api/v1/integrations/nope")
        .error(StatusCode::NOT_FOUND, "integration_not_found");
    get!(
        fx,
        &app,
        "/api/v1/integrations/00000000-0000-0000-0000-000000000000/accounts"
    )
    .error(StatusCode::NOT_FOUND, "integration_not_found");
}

#[actix_web::test]
async fn account_pages_follow_the_cursor_and_deep_pages_are_slices_of_the_full_list() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let full = get!(fx, &app, format!("{}/accounts?limit=500", base(&fx))).json();
    assert!(full["next_cursor"].is_null());
    let all = open_ids(&full["items"]);
    assert_eq!(all.len(), 39, "40 users, one removed");
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "ordered by open_id");
    // The default page is 50: everything here.
    assert_eq!(
        open_ids(&get!(fx, &app, format!("{}/accounts", base(&fx))).json()["items"]),
        all
    );

    let mut collected = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let uri = match &cursor {
            None => format!("{}/accounts?limit=7", base(&fx)),
            Some(c) => format!("{}/accounts?limit=7&cursor={c}", base(&fx)),
        };
        let page = get!(fx, &app, uri).json();
        let ids = open_ids(&page["items"]);
        assert_eq!(
            ids[..],
            all[pages * 7..(pages * 7 + ids.len())],
            "page {pages}"
        );
        collected.extend(ids);
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert!(!next.contains("ou_"), "the cursor is opaque");
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(pages, 6);
    assert_eq!(collected, all);
}

#[actix_web::test]
async fn account_filters_match_the_cli_use_case() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let departments = fx
        .services
        .queries
        .departments(fx.integration.id, false)
        .await
        .unwrap();
    let department = departments
        .iter()
        .find(|d| {
            d.state
                .parent_id
                .as_ref()
                .is_some_and(|p| p.as_str() == "0")
        })
        .unwrap();
    let department_name = department.state.name.clone().unwrap();
    let cases: Vec<(String, AccountFilter)> = vec![
        (
            "status=suspended".into(),
            AccountFilter {
                status: Some(AccountStatus::Suspended),
                ..AccountFilter::default()
            },
        ),
        (
            "role=tenant_super_admin".into(),
            AccountFilter {
                role: Some(Role::TenantSuperAdmin),
                ..AccountFilter::default()
            },
        ),
        // The role's old name keeps working in scripts.
        (
            "role=tenant_admin".into(),
            AccountFilter {
                role: Some(Role::TenantSuperAdmin),
                ..AccountFilter::default()
            },
        ),
        (
            format!("department={}", department.state.open_department_id),
            AccountFilter {
                department: Some(department.state.open_department_id.to_string()),
                ..AccountFilter::default()
            },
        ),
        (
            format!("department={}", department_name.replace(' ', "%20")),
            AccountFilter {
                department: Some(department_name.clone()),
                ..AccountFilter::default()
            },
        ),
        (
            format!("search={}", fx.frozen),
            AccountFilter {
                search: Some(fx.frozen.clone()),
                ..AccountFilter::default()
            },
        ),
        (
            "include_removed=true".into(),
            AccountFilter {
                include_removed: true,
                ..AccountFilter::default()
            },
        ),
    ];
    for (query, filter) in cases {
        let expected: Vec<String> = fx
            .services
            .queries
            .accounts(fx.integration.id, &filter)
            .await
            .unwrap()
            .iter()
            .map(|a| a.state.profile.open_id.to_string())
            .collect();
        let res = get!(
            fx,
            &app,
            format!("{}/accounts?{query}&limit=500", base(&fx))
        );
        assert_eq!(res.status, StatusCode::OK, "{query}: {}", res.body);
        assert_eq!(open_ids(&res.json()["items"]), expected, "{query}");
    }
    let suspended = get!(fx, &app, format!("{}/accounts?status=suspended", base(&fx))).json();
    assert!(open_ids(&suspended["items"]).contains(&fx.frozen));
    let with_removed = get!(
        fx,
        &app,
        format!("{}/accounts?include_removed=true&limit=500", base(&fx))
    )
    .json();
    let removed: Vec<&Value> = with_removed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["removed_at"].is_null())
        .collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["open_id"], fx.deleted.as_str());
}

#[actix_web::test]
async fn accounts_export_as_csv_with_the_cli_columns() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let res = get!(
        fx,
        &app,
        format!("{}/accounts?format=csv&limit=500", base(&fx))
    );
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").unwrap().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(res.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, ACCOUNT_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 39);
    let json = get!(fx, &app, format!("{}/accounts?limit=500", base(&fx))).json();
    let ids: Vec<String> = rows.iter().map(|r| r[0].to_owned()).collect();
    assert_eq!(ids, open_ids(&json["items"]));
    // A CSV page says where the next one starts in a header.
    let page = get!(
        fx,
        &app,
        format!("{}/accounts?format=csv&limit=10", base(&fx))
    );
    let cursor = page.header("x-next-cursor").unwrap().to_owned();
    let next = get!(
        fx,
        &app,
        format!("{}/accounts?limit=1&cursor={cursor}", base(&fx))
    )
    .json();
    assert_eq!(open_ids(&next["items"]), ids[10..11]);
}

#[actix_web::test]
async fn an_account_comes_with_its_history() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let res = get!(fx, &app, format!("{}/accounts/{}", base(&fx), fx.frozen));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let account = res.json();
    assert_eq!(account["open_id"], fx.frozen.as_str());
    assert_eq!(account["integration_id"], fx.integration.id.to_string());
    assert_eq!(account["status"], "suspended");
    let kinds: Vec<&str> = account["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["added", "changed"]);
    // Removed accounts are still shown, by label as well as id.
    let removed = get!(
        fx,
        &app,
        format!("/api/v1/integrations/acme/accounts/{}", fx.deleted)
    );
    assert!(!removed.json()["removed_at"].is_null());
    get!(fx, &app, format!("{}/accounts/ou_nobody", base(&fx)))
        .error(StatusCode::NOT_FOUND, "account_not_found");
}

#[actix_web::test]
async fn departments_come_flat_or_as_a_tree() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let flat = get!(fx, &app, format!("{}/departments", base(&fx))).json()["items"].clone();
    let flat = flat.as_array().unwrap();
    assert_eq!(flat.len(), 6);
    assert!(flat.iter().all(|d| d.get("member_count").is_some()));
    let tree = get!(fx, &app, format!("{}/departments?shape=tree", base(&fx))).json();
    fn walk(node: &Value, parent: Option<&str>, seen: &mut Vec<String>) {
        if let Some(parent) = parent {
            assert_eq!(node["parent_id"], parent);
        }
        assert!(node.get("member_count").is_some());
        seen.push(node["id"].as_str().unwrap().to_owned());
        for child in node["children"].as_array().unwrap() {
            walk(child, node["id"].as_str(), seen);
        }
    }
    let mut seen = Vec::new();
    for root in tree["items"].as_array().unwrap() {
        walk(root, None, &mut seen);
    }
    let mut expected: Vec<String> = flat
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected, "every department exactly once");
    let explicit = get!(fx, &app, format!("{}/departments?shape=flat", base(&fx))).json();
    assert_eq!(explicit["items"].as_array().unwrap().len(), 6);
}

#[actix_web::test]
async fn runs_are_listed_and_shown_with_their_changes() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let runs = get!(fx, &app, format!("{}/runs", base(&fx))).json()["items"].clone();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["counts"]["users"]["removed"], 1, "newest first");
    let one = get!(fx, &app, format!("{}/runs?limit=1", base(&fx))).json();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let id = runs[0]["id"].as_str().unwrap();
    let run = get!(fx, &app, format!("/api/v1/runs/{id}")).json();
    assert_eq!(run["id"], id);
    assert!(
        run["next_cursor"].is_null(),
        "one page holds them all: {run}"
    );
    let changes = run["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "removed" && c["subject_id"] == fx.deleted.as_str())
    );
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "changed" && c["subject_id"] == fx.frozen.as_str())
    );
    get!(
        fx,
        &app,
        "/api/v1/runs/00000000-0000-0000-0000-000000000000"
    )
    .error(StatusCode::NOT_FOUND, "run_not_found");
    let message = get!(fx, &app, "/api/v1/runs/not-a-uuid")
        .error(StatusCode::BAD_REQUEST, "invalid_parameter");
    assert!(message.contains("run_id"), "{message}");
}

#[actix_web::test]
async fn bad_parameters_are_a_json_400_naming_the_parameter() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let accounts = format!("{}/accounts", base(&fx));
    let cases = [
        (format!("{accounts}?limit=0"), "limit"),
        (format!("{accounts}?limit=501"), "limit"),
        (format!("{accounts}?limit=ten"), "limit"),
        (format!("{accounts}?status=happy"), "status"),
        (format!("{accounts}?role=king"), "role"),
        (
            format!("{accounts}?include_removed=maybe"),
            "include_removed",
        ),
        (format!("{accounts}?cursor=%21%21%21"), "cursor"),
        (format!("{accounts}?cursor=AAAA"), "cursor"),
        (format!("{accounts}?format=xml"), "format"),
        (format!("{accounts}?limit=1&limit=2"), "query"),
        (format!("{}/departments?shape=round", base(&fx)), "shape"),
        (
            format!("{}/departments?include_removed=1", base(&fx)),
            "include_removed",
        ),
        (format!("{}/runs?limit=-1", base(&fx)), "limit"),
    ];
    for (uri, parameter) in cases {
        let message = get!(fx, &app, uri).error(StatusCode::BAD_REQUEST, "invalid_parameter");
        assert!(
            message.contains(&format!("`{parameter}`")),
            "{uri}: {message}"
        );
    }
    let message = get!(fx, &app, format!("{accounts}?department=Nowhere"))
        .error(StatusCode::BAD_REQUEST, "unknown_department");
    assert!(message.contains("Nowhere"));
}

#[actix_web::test]
async fn unknown_routes_and_methods_answer_json() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    get!(fx, &app, "/api/v1/nothing-here").error(StatusCode::NOT_FOUND, "not_found");
    get!(fx, &app, "/api/v2/integrations").error(StatusCode::NOT_FOUND, "not_found");
    get!(fx, &app, "/api").error(StatusCode::NOT_FOUND, "not_found");
    // Under /api/v1 the key comes first: nothing is revealed to anonymous callers.
    send!(
        fx,
        &app,
        test::TestRequest::get().uri("/api/v1/nothing-here")
    )
    .error(StatusCode::UNAUTHORIZED, "unauthorized");
    send!(
        fx,
        &app,
        test::TestRequest::put()
            .uri("/api/v1/integrations")
            .insert_header(("Authorization", format!("Bearer {}", fx.key)))
    )
    .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[path = "api/sync.rs"]
mod sync;

/// Managing integrations: register, change, delete, connect, status (`api/manage.rs`).
#[path = "api/manage.rs"]
mod manage;

/// Sorted account listings and their cursors (`api/sorting.rs`).
#[path = "api/sorting.rs"]
mod sorting;

/// The permission doctor's report (`api/doctor.rs`).
#[path = "api/doctor.rs"]
mod doctor;

/// The OpenAPI document against the routes and responses it describes (`api/openapi.rs`).
#[path = "api/openapi.rs"]
mod openapi;

#[path = "api/inventory.rs"]
mod inventory;

/// With the master key in the settings, the earlier keys listed in
/// `secrets.previous_master_keys` decrypt what was stored under them.
#[actix_web::test]
async fn configured_previous_master_keys_decrypt_what_was_stored_under_them() {
    use aviary_domain::ports::IntegrationStoreError;
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let encode = |byte: u8| base64::engine::general_purpose::STANDARD.encode([byte; 32]);
    let services = |primary: u8, previous: &[u8]| {
        let mut settings = aviary_app_http::Settings::defaults();
        settings.data.dir = dir.path().join("aviary-data");
        settings.database.url = secrecy::SecretString::from(String::new());
        settings.secrets.master_key = Some(secrecy::SecretString::from(encode(primary)));
        settings.secrets.previous_master_keys = previous
            .iter()
            .map(|byte| secrecy::SecretString::from(encode(*byte)))
            .collect();
        aviary_app_http::Services::build(settings)
    };
    let old = services(1, &[]).await.unwrap();
    let stored = old
        .register
        .execute(aviary_domain::usecases::NewIntegration {
            label: "acme".into(),
            region: aviary_domain::model::Region::Lark,
            base_url: None,
            app_id: "cli_0123456789abcdef".into(),
            app_secret: secrecy::SecretString::from("s3cret"),
            verify: false,
            rate_limits: None,
        })
        .await
        .unwrap();
    old.database().clone().close().await.unwrap();

    let without = services(2, &[]).await.unwrap();
    assert!(matches!(
        without.integrations.get(stored.id).await,
        Err(IntegrationStoreError::Undecryptable(_))
    ));
    without.database().clone().close().await.unwrap();
    let with = services(2, &[1]).await.unwrap();
    assert!(with.integrations.get(stored.id).await.unwrap().is_some());
}

/// A key's requests per minute and the body timeout (`api/limits.rs`).
#[path = "api/limits.rs"]
mod limits;

/// What a key may do by its scope (`api/scopes.rs`).
#[path = "api/scopes.rs"]
mod scopes;

/// A run's changes in keyset pages (`api/run_changes.rs`).
#[path = "api/run_changes.rs"]
mod run_changes;

/// Prometheus metrics (`api/metrics.rs`).
#[path = "api/metrics.rs"]
mod metrics;
