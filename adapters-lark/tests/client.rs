//! The Lark client against a mock Lark (wiremock) serving the verbatim doc payloads in
//! `tests/fixtures/`, and against the simulated tenant (`aviary-lark-simulator`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aviary_adapters_lark::{LarkClientSettings, LarkGateway};
use aviary_domain::model::{AccountStatus, Region, TenantInfo};
use aviary_domain::ports::{
    ContactScope, DirectoryConnection, DirectoryError, DirectoryGateway, DirectorySession,
    RateLimits, RemoteDepartment,
};
use aviary_domain::values::{AppId, BaseUrl, DepartmentId, OpenId};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const APP_ID: &str = "cli_slkdjalasdkjasd";
const APP_SECRET: &str = "dskLLdkasdjlasdKK";
const FIXTURE_TOKEN: &str = "t-caecc734c2e3328a62489fe0648c4b98779515d3";
const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";
const USERS_PATH: &str = "/open-apis/contact/v3/users/find_by_department";
const TENANT_PATH: &str = "/open-apis/tenant/v2/tenant/query";

fn fixture(name: &str) -> String {
    let file = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn answer(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

fn fixture_answer(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

fn ok_data(data: Value) -> Value {
    json!({"code": 0, "msg": "success", "data": data})
}

/// The mock server is a custom base URL on this machine.
fn settings() -> LarkClientSettings {
    LarkClientSettings {
        request_timeout_secs: 5,
        backoff_base_ms: 1,
        backoff_max_ms: 5,
        allow_custom_base_url: true,
        ..LarkClientSettings::default()
    }
}

fn connection(server: &MockServer) -> DirectoryConnection {
    DirectoryConnection {
        region: Region::Lark,
        base_url: Some(BaseUrl::parse(&server.uri()).unwrap()),
        app_id: AppId::parse(APP_ID).unwrap(),
        app_secret: SecretString::from(APP_SECRET.to_owned()),
        rate_limits: None,
    }
}

/// A mock Lark whose token endpoint answers with the doc's token for the doc's credentials.
async fn lark() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_json(
            json!({"app_id": APP_ID, "app_secret": APP_SECRET}),
        ))
        .respond_with(fixture_answer(200, "tenant_access_token.json"))
        .mount(&server)
        .await;
    server
}

async fn open_with(server: &MockServer, settings: LarkClientSettings) -> Arc<dyn DirectorySession> {
    LarkGateway::new(settings)
        .unwrap()
        .open(&connection(server))
        .await
        .unwrap()
}

async fn open(server: &MockServer) -> Arc<dyn DirectorySession> {
    open_with(server, settings()).await
}

async fn requests_to(server: &MockServer, wanted: &str) -> Vec<Request> {
    let all = server.received_requests().await.unwrap();
    all.into_iter().filter(|r| r.url.path() == wanted).collect()
}

fn dept(id: &str) -> DepartmentId {
    DepartmentId::parse(id).unwrap()
}

fn user_id(id: &str) -> OpenId {
    OpenId::parse(id).unwrap()
}

/// The doc's user object with another open_id.
fn user_item(open_id: &str) -> Value {
    let mut item = json_fixture("users_find_by_department.json")["data"]["items"][0].clone();
    item["open_id"] = json!(open_id);
    item
}

/// The doc's department object with other ids.
fn department_item(open_id: &str, parent: &str) -> Value {
    let mut item = json_fixture("departments_children.json")["data"]["items"][0].clone();
    item["open_department_id"] = json!(open_id);
    item["parent_department_id"] = json!(parent);
    item["name"] = json!(format!("Dept {open_id}"));
    item
}

fn sorted(mut departments: Vec<RemoteDepartment>) -> Vec<RemoteDepartment> {
    departments.sort_by(|a, b| a.state.open_department_id.cmp(&b.state.open_department_id));
    departments
}

// ---------------------------------------------------------------------------------------------
// Tenant token
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_with_a_numeric_code_is_sent_as_bearer_and_the_tenant_is_read() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .and(header(
            "authorization",
            format!("Bearer {FIXTURE_TOKEN}").as_str(),
        ))
        .respond_with(fixture_answer(200, "tenant_query.json"))
        .expect(1)
        .mount(&server)
        .await;
    let session = open(&server).await;
    let tenant = session.tenant().await.unwrap();
    assert_eq!(
        tenant,
        TenantInfo {
            name: "企业名称".to_owned(),
            tenant_key: "abcdefghi".to_owned()
        }
    );
    let counters = session.counters();
    assert_eq!(
        (counters.calls, counters.retries, counters.rate_limit_waits),
        (2, 0, 0)
    );
}

#[tokio::test]
async fn a_token_with_a_string_code_is_accepted() {
    let server = MockServer::start().await;
    let mut token = json_fixture("tenant_access_token.json");
    token["code"] = json!("0");
    token["tenant_access_token"] = json!("t-string-code");
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(answer(200, &token))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .and(header("authorization", "Bearer t-string-code"))
        .respond_with(fixture_answer(200, "tenant_query.json"))
        .mount(&server)
        .await;
    let session = open(&server).await;
    assert_eq!(session.tenant().await.unwrap().tenant_key, "abcdefghi");
}

#[tokio::test]
async fn a_wrong_secret_fails_at_open_with_invalid_credentials_and_no_secret_in_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(answer(
            400,
            &json!({"code": 10014, "msg": "app secret invalid"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let gateway = LarkGateway::new(settings()).unwrap();
    let err = gateway.open(&connection(&server)).await.err().unwrap();
    assert!(
        matches!(&err, DirectoryError::InvalidCredentials { detail } if detail.contains("10014")),
        "{err:?}"
    );
    assert!(!err.to_string().contains(APP_SECRET));
    assert!(!format!("{err:?}").contains(APP_SECRET));
    assert!(!format!("{gateway:?}").contains(APP_SECRET));
}

#[tokio::test]
async fn sessions_of_one_app_share_the_cached_token_but_another_secret_is_checked() {
    let server = lark().await;
    let gateway = LarkGateway::new(settings()).unwrap();
    let first = gateway.open(&connection(&server)).await.unwrap();
    let second = gateway.open(&connection(&server)).await.unwrap();
    assert_eq!(first.counters().calls, 1);
    assert_eq!(
        second.counters().calls,
        0,
        "the second session reuses the cached token"
    );
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1);
    assert!(
        !format!("{gateway:?}").contains(FIXTURE_TOKEN),
        "tokens are redacted in Debug output"
    );

    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(answer(
            400,
            &json!({"code": 10014, "msg": "app secret invalid"}),
        ))
        .with_priority(10)
        .mount(&server)
        .await;
    let mut wrong = connection(&server);
    wrong.app_secret = SecretString::from("not-the-secret".to_owned());
    let err = gateway.open(&wrong).await.err().unwrap();
    assert!(
        matches!(err, DirectoryError::InvalidCredentials { .. }),
        "{err:?}"
    );
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
}

#[tokio::test]
async fn an_invalid_tenant_token_is_refetched_once_and_the_request_retried() {
    let server = MockServer::start().await;
    let mut second_token = json_fixture("tenant_access_token.json");
    second_token["tenant_access_token"] = json!("t-second");
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(fixture_answer(200, "tenant_access_token.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(answer(200, &second_token))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .and(header(
            "authorization",
            format!("Bearer {FIXTURE_TOKEN}").as_str(),
        ))
        .respond_with(fixture_answer(
            400,
            "error_tenant_token_invalid_99991663_feishu.json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .and(header("authorization", "Bearer t-second"))
        .respond_with(fixture_answer(200, "tenant_query.json"))
        .mount(&server)
        .await;

    let session = open(&server).await;
    assert_eq!(session.tenant().await.unwrap().name, "企业名称");
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(requests_to(&server, TENANT_PATH).await.len(), 2);
    let counters = session.counters();
    assert_eq!((counters.calls, counters.retries), (4, 1));
}

#[tokio::test]
async fn a_second_consecutive_invalid_token_answer_is_an_error_not_a_loop() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(fixture_answer(
            400,
            "error_tenant_token_invalid_99991663_feishu.json",
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let err = session.tenant().await.unwrap_err();
    match err {
        DirectoryError::Api { code, log_id, .. } => {
            assert_eq!(code, 99_991_663);
            assert_eq!(
                log_id.as_deref(),
                Some("202408271038458450E8497E60835abcef")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(requests_to(&server, TENANT_PATH).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Listings and mapping
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_users_page_maps_the_doc_payload() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(USERS_PATH))
        .and(query_param(
            "department_id",
            "od-4e6ac4d14bcd5071a37a39de902c7141",
        ))
        .and(query_param("user_id_type", "open_id"))
        .and(query_param("department_id_type", "open_department_id"))
        .and(query_param("page_size", "50"))
        .and(query_param_is_missing("page_token"))
        .respond_with(fixture_answer(200, "users_find_by_department.json"))
        .expect(1)
        .mount(&server)
        .await;
    let session = open(&server).await;
    let page = session
        .users_page(&dept("od-4e6ac4d14bcd5071a37a39de902c7141"), None)
        .await
        .unwrap();

    let doc = json_fixture("users_find_by_department.json");
    assert_eq!(
        page.next_page_token.as_deref(),
        doc["data"]["page_token"].as_str()
    );
    assert_eq!(page.users.len(), 1);
    let user = &page.users[0];
    assert_eq!(
        user.raw, doc["data"]["items"][0],
        "the whole item is kept as raw JSON"
    );
    let p = &user.profile;
    assert_eq!(p.open_id.as_str(), "ou_7dab8a3d3cdcc9da365777c7ad535d62");
    assert_eq!(
        p.union_id.as_deref(),
        Some("on_94a1ee5551019f18cd73d9f111898cf2")
    );
    assert_eq!(p.user_id.as_deref(), Some("3e3cf96b"));
    assert_eq!(p.name.as_deref(), Some("张三"));
    assert_eq!(p.en_name.as_deref(), Some("San Zhang"));
    assert_eq!(p.nickname.as_deref(), Some("Alex Zhang"));
    assert_eq!(p.email.as_deref(), Some("zhangsan@gmail.com"));
    assert_eq!(p.enterprise_email.as_deref(), Some("demo@mail.com"));
    assert_eq!(p.gender, Some(1));
    assert_eq!(p.status, AccountStatus::Active);
    assert!(!p.is_tenant_manager);
    assert_eq!(
        p.department_ids,
        [dept("od-4e6ac4d14bcd5071a37a39de902c7141")]
    );
    assert_eq!(
        p.primary_department_id,
        Some(dept("od-4e6ac4d14bcd5071a37a39de902c7141"))
    );
    assert_eq!(p.designation.as_deref(), Some("xxxxx"));
    assert_eq!(p.employee_no.as_deref(), Some("1"));
    assert_eq!(p.employee_type, Some(1));
    assert_eq!(
        p.leader_open_id,
        Some(user_id("ou_7dab8a3d3cdcc9da365777c7ad535d62"))
    );
    assert_eq!(
        p.dotted_line_leader_open_ids,
        [user_id("ou_7dab8a3d3cdcc9da365777c7ad535d62")]
    );
    assert_eq!(p.city.as_deref(), Some("杭州"));
    assert_eq!(p.country.as_deref(), Some("CN"));
    assert_eq!(p.work_station.as_deref(), Some("北楼-H34"));
    assert_eq!(p.geo.as_deref(), Some("cn"));
    assert_eq!(p.join_time, Some(2_147_483_647));
    assert_eq!(p.avatar_url.as_deref(), Some("https://foo.icon.com/xxxx"));
    assert!(p.mobile.as_deref().unwrap().starts_with("13011111111"));
}

#[tokio::test]
async fn user_statuses_map_from_the_flags() {
    let server = lark().await;
    let mut resigned = user_item("ou_resigned");
    resigned["status"]["is_resigned"] = json!(true);
    let mut frozen = user_item("ou_frozen");
    frozen["status"]["is_frozen"] = json!(true);
    let mut not_activated = user_item("ou_new");
    not_activated["status"]["is_activated"] = json!(false);
    let mut no_status = user_item("ou_noscope");
    no_status.as_object_mut().unwrap().remove("status");
    Mock::given(method("GET"))
        .and(path(USERS_PATH))
        .respond_with(answer(
            200,
            &ok_data(
                json!({"has_more": false, "items": [resigned, frozen, not_activated, no_status]}),
            ),
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let page = session
        .users_page(&DepartmentId::root(), None)
        .await
        .unwrap();
    let statuses: Vec<AccountStatus> = page.users.iter().map(|u| u.profile.status).collect();
    assert_eq!(
        statuses,
        [
            AccountStatus::Resigned,
            AccountStatus::Suspended,
            AccountStatus::NotActivated,
            // Without `status` (the employment permission withheld) nothing is known: never
            // "active".
            AccountStatus::Unknown,
        ]
    );
    assert_eq!(page.next_page_token, None);
    let sent = &requests_to(&server, USERS_PATH).await[0];
    assert!(sent.url.query().unwrap().contains("department_id=0"));
}

#[tokio::test]
async fn page_tokens_are_passed_back_byte_for_byte() {
    let server = lark().await;
    // The doc's token already contains a literal "%2B"; ours adds '+', '/' and '='.
    let doc_token = json_fixture("users_find_by_department.json")["data"]["page_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for token in [doc_token.as_str(), "ab+/cd==", "a b&c=d"] {
        Mock::given(method("GET"))
            .and(path(USERS_PATH))
            .and(query_param("page_token", token))
            .respond_with(answer(
                200,
                &ok_data(json!({"has_more": false, "items": [user_item("ou_x")]})),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let session = open(&server).await;
    for token in [doc_token.as_str(), "ab+/cd==", "a b&c=d"] {
        let page = session
            .users_page(&dept("od-1"), Some(token.to_owned()))
            .await
            .unwrap();
        assert_eq!(
            page.users.len(),
            1,
            "token {token:?} reached the server intact"
        );
    }
    let queries: Vec<String> = requests_to(&server, USERS_PATH)
        .await
        .iter()
        .map(|r| r.url.query().unwrap().to_owned())
        .collect();
    assert!(
        queries[0].contains("QLZ%252BG8JG6tK7%252BZnHiT7COhD2hMSICh%2FeBl7"),
        "{}",
        queries[0]
    );
    assert!(
        queries[1].contains("page_token=ab%2B%2Fcd%3D%3D"),
        "{}",
        queries[1]
    );
    assert!(
        queries[2].contains("page_token=a+b%26c%3Dd"),
        "{}",
        queries[2]
    );
}

#[tokio::test]
async fn department_children_follow_page_tokens_with_plus_and_slash() {
    let server = lark().await;
    let doc = json_fixture("departments_children.json");
    let doc_token = doc["data"]["page_token"].as_str().unwrap().to_owned();
    assert!(doc_token.contains('+') && doc_token.contains('/'));
    let children = "/open-apis/contact/v3/departments/0/children";
    Mock::given(method("GET"))
        .and(path(children))
        .and(query_param("fetch_child", "true"))
        .and(query_param("page_size", "50"))
        .and(query_param("department_id_type", "open_department_id"))
        .and(query_param("user_id_type", "open_id"))
        .and(query_param_is_missing("page_token"))
        .respond_with(fixture_answer(200, "departments_children.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(children))
        .and(query_param("page_token", doc_token.as_str()))
        .respond_with(answer(
            200,
            &ok_data(json!({"has_more": false, "items": [department_item("od-second", "0")]})),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let session = open(&server).await;
    let departments = session
        .departments_under(&DepartmentId::root())
        .await
        .unwrap();
    assert_eq!(departments.len(), 2);
    let first = &departments[0];
    assert_eq!(first.raw, doc["data"]["items"][0]);
    let s = &first.state;
    assert_eq!(
        s.open_department_id,
        dept("od-4e6ac4d14bcd5071a37a39de902c7141")
    );
    assert_eq!(s.department_id.as_deref(), Some("D096"));
    assert_eq!(s.name.as_deref(), Some("DemoName"));
    assert_eq!(s.name_en.as_deref(), Some("Demo Name"));
    assert_eq!(s.parent_id, Some(dept("D067")));
    assert_eq!(
        s.order,
        Some(100),
        "order \"100\" is a string in API answers"
    );
    assert_eq!(s.member_count, Some(100));
    assert_eq!(
        s.leader_open_id,
        Some(user_id("ou_7dab8a3d3cdcc9da365777c7ad535d62"))
    );
    assert_eq!(
        s.leader_open_ids,
        [user_id("ou_7dab8a3d3cdcc9da365777c7ad535d62")],
        "leaders[] deduplicated"
    );
    assert_eq!(departments[1].state.open_department_id, dept("od-second"));

    let second = &requests_to(&server, children).await[1];
    let raw_query = second.url.query().unwrap();
    assert!(
        raw_query.contains("page_token=AQD9%2FRn9eij9Pm39ED40%2FRD%2FcIFmu77WxpxPB%2F2oHfQLZ%2BG8JG6tK7%2BZnHiT7COhD2hMSICh%2FeBl7cpzU6JEC3J7COKNe4jrQ8ExwBCR"),
        "{raw_query}"
    );
}

#[tokio::test]
async fn the_contact_scope_is_read_page_by_page() {
    let server = lark().await;
    let doc = json_fixture("contact_scopes_feishu.json");
    let scopes = "/open-apis/contact/v3/scopes";
    Mock::given(method("GET"))
        .and(path(scopes))
        .and(query_param("page_size", "100"))
        .and(query_param_is_missing("page_token"))
        .respond_with(fixture_answer(200, "contact_scopes_feishu.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(scopes))
        .and(query_param("page_token", doc["data"]["page_token"].as_str().unwrap()))
        .respond_with(answer(
            200,
            &ok_data(json!({"department_ids": ["od-2"], "user_ids": ["9b2fabg6", "ou_2"], "group_ids": ["g2"], "has_more": false})),
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let scope = session.contact_scope().await.unwrap();
    assert_eq!(
        scope,
        ContactScope {
            department_ids: vec![dept("75217143312g9842"), dept("od-2")],
            user_ids: vec![user_id("9b2fabg6"), user_id("ou_2")],
            group_ids: vec!["4bgga762".to_owned(), "g2".to_owned()],
        }
    );
    assert_eq!(requests_to(&server, scopes).await.len(), 2);
}

/// Answers `/…/batch` with one item per requested id (built by `item`), recording each batch;
/// a batch containing one of the `refused` ids is refused whole with that id's error code.
fn batch_responder(
    param: &'static str,
    item: fn(&str) -> Value,
    refused: &'static [(&'static str, i64)],
    seen: Arc<Mutex<Vec<Vec<String>>>>,
) -> impl Fn(&Request) -> ResponseTemplate + Send + Sync {
    move |request: &Request| {
        let ids: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(k, _)| k == param)
            .map(|(_, v)| v.into_owned())
            .collect();
        seen.lock().unwrap().push(ids.clone());
        if let Some((_, code)) = refused
            .iter()
            .find(|(bad, _)| ids.iter().any(|id| id == bad))
        {
            return answer(400, &json!({"code": code, "msg": "refused"}));
        }
        let items: Vec<Value> = ids.iter().map(|id| item(id)).collect();
        answer(200, &ok_data(json!({"items": items})))
    }
}

#[tokio::test]
async fn users_are_fetched_in_batches_of_50_and_users_outside_the_scope_are_absent() {
    let server = lark().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/users/batch"))
        .and(query_param("user_id_type", "open_id"))
        .respond_with(batch_responder(
            "user_ids",
            user_item,
            &[("ou_77", 41_050), ("ou_101", 41_012)],
            Arc::clone(&seen),
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let mut ids: Vec<OpenId> = (0..120).map(|i| user_id(&format!("ou_{i}"))).collect();
    ids.push(user_id("ou_3")); // duplicates are asked for once
    let users = session.users(&ids).await.unwrap();
    let got: Vec<&str> = users.iter().map(|u| u.profile.open_id.as_str()).collect();
    let expected: Vec<String> = (0..120)
        .filter(|i| *i != 77 && *i != 101)
        .map(|i| format!("ou_{i}"))
        .collect();
    assert_eq!(got, expected);
    let batches = seen.lock().unwrap().clone();
    let range = |r: std::ops::Range<i32>| -> Vec<String> { r.map(|i| format!("ou_{i}")).collect() };
    for first_try in [range(0..50), range(50..100), range(100..120)] {
        assert!(batches.contains(&first_try), "batches of 50, 50 and 20 ids");
    }
    // The refused batches were split until the refused ids stood alone.
    assert!(batches.iter().any(|b| b == &["ou_77".to_owned()]));
    assert!(batches.iter().any(|b| b == &["ou_101".to_owned()]));
    assert!(batches.iter().all(|b| b.len() <= 50));
}

#[tokio::test]
async fn departments_are_fetched_in_batches_of_50() {
    let server = lark().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    fn item(id: &str) -> Value {
        let mut item = json_fixture("departments_batch_feishu.json")["data"]["items"][0].clone();
        item["open_department_id"] = json!(id);
        item
    }
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/departments/batch"))
        .and(query_param("department_id_type", "open_department_id"))
        .respond_with(batch_responder(
            "department_ids",
            item,
            &[],
            Arc::clone(&seen),
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let ids: Vec<DepartmentId> = (0..60).map(|i| dept(&format!("od-{i}"))).collect();
    let departments = session.departments(&ids).await.unwrap();
    assert_eq!(departments.len(), 60);
    assert_eq!(departments[59].state.open_department_id, dept("od-59"));
    assert_eq!(departments[0].state.order, Some(100));
    assert_eq!(departments[0].state.name_en.as_deref(), Some("Demo Name"));
    let sizes: Vec<usize> = seen.lock().unwrap().iter().map(Vec::len).collect();
    assert_eq!(sizes, [50, 10]);
    assert!(session.departments(&[]).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 43010: level-by-level fallback
// ---------------------------------------------------------------------------------------------

/// The tree 0 → {A, B}, A → {A1}, A1 → {A1x}, B → {}.
fn tree() -> Vec<(&'static str, &'static str)> {
    vec![
        ("od-a", "0"),
        ("od-b", "0"),
        ("od-a1", "od-a"),
        ("od-a1x", "od-a1"),
    ]
}

fn descendants(parent: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut frontier = vec![parent.to_owned()];
    while let Some(p) = frontier.pop() {
        for (id, par) in tree() {
            if par == p {
                out.push(department_item(id, par));
                frontier.push(id.to_owned());
            }
        }
    }
    out
}

async fn mount_tree(server: &MockServer, recursion_allowed: bool) {
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(
            r"^/open-apis/contact/v3/departments/[^/]+/children$",
        ))
        .respond_with(move |request: &Request| {
            let segments: Vec<&str> = request.url.path_segments().unwrap().collect();
            let parent = segments[4];
            let fetch_child = request
                .url
                .query_pairs()
                .any(|(k, v)| k == "fetch_child" && v == "true");
            if fetch_child && !recursion_allowed {
                return answer(
                    400,
                    &json!({"code": 43010, "msg": "big dept forbid recursion"}),
                );
            }
            let items: Vec<Value> = if fetch_child {
                descendants(parent)
            } else {
                tree()
                    .into_iter()
                    .filter(|(_, p)| *p == parent)
                    .map(|(id, p)| department_item(id, p))
                    .collect()
            };
            answer(200, &ok_data(json!({"has_more": false, "items": items})))
        })
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_refused_recursion_falls_back_level_by_level_and_yields_the_same_departments() {
    let recursive = lark().await;
    mount_tree(&recursive, true).await;
    let refusing = lark().await;
    mount_tree(&refusing, false).await;

    let expected = sorted(
        open(&recursive)
            .await
            .departments_under(&DepartmentId::root())
            .await
            .unwrap(),
    );
    let session = open(&refusing).await;
    let walked = sorted(
        session
            .departments_under(&DepartmentId::root())
            .await
            .unwrap(),
    );
    assert_eq!(walked.len(), 4);
    assert_eq!(walked, expected);
    // 1 refused recursive call + one call per department with children or not (0, a, b, a1, a1x).
    let calls: Vec<Request> = refusing
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .collect();
    assert_eq!(calls.len(), 6);

    let under_a = sorted(session.departments_under(&dept("od-a")).await.unwrap());
    let ids: Vec<&str> = under_a
        .iter()
        .map(|d| d.state.open_department_id.as_str())
        .collect();
    assert_eq!(ids, ["od-a1", "od-a1x"]);
}

// ---------------------------------------------------------------------------------------------
// Error catalogue
// ---------------------------------------------------------------------------------------------

fn rate_limited(status: u16, reset: &str) -> ResponseTemplate {
    fixture_answer(status, "error_rate_limited.json")
        .insert_header("x-ogw-ratelimit-limit", "100")
        .insert_header("x-ogw-ratelimit-reset", reset)
}

async fn rate_limited_once_then_ok(status: u16, reset: &str, expected_wait: Duration) {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(rate_limited(status, reset))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(fixture_answer(200, "tenant_query.json"))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let started = Instant::now();
    assert_eq!(session.tenant().await.unwrap().tenant_key, "abcdefghi");
    let waited = started.elapsed();
    assert!(
        waited >= expected_wait,
        "waited {waited:?}, the reset header said {reset}"
    );
    assert!(
        waited < expected_wait + Duration::from_secs(2),
        "waited {waited:?}"
    );
    let counters = session.counters();
    assert_eq!(
        (counters.calls, counters.retries, counters.rate_limit_waits),
        (3, 1, 1)
    );
}

#[tokio::test]
async fn a_429_rate_limit_waits_for_the_reset_header_then_retries() {
    rate_limited_once_then_ok(429, "1", Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_400_rate_limit_is_handled_like_a_429() {
    rate_limited_once_then_ok(400, "2", Duration::from_secs(2)).await;
}

#[tokio::test]
async fn persistent_rate_limiting_ends_after_the_bounded_attempts() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(rate_limited(429, "0"))
        .mount(&server)
        .await;
    let session = open_with(
        &server,
        LarkClientSettings {
            max_rate_limit_retries: 2,
            ..settings()
        },
    )
    .await;
    assert_eq!(
        session.tenant().await.unwrap_err(),
        DirectoryError::RateLimited { attempts: 3 }
    );
    assert_eq!(requests_to(&server, TENANT_PATH).await.len(), 3);
    assert_eq!(session.counters().rate_limit_waits, 2);
}

#[tokio::test]
async fn a_missing_app_scope_names_the_scope() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(fixture_answer(
            400,
            "error_app_scope_missing_99991672_feishu.json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/scopes"))
        .respond_with(fixture_answer(
            400,
            "error_user_scope_missing_99991679.json",
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    match session.tenant().await.unwrap_err() {
        DirectoryError::MissingScope { scope, detail } => {
            assert_eq!(scope.as_deref(), Some("contact:user.id:readonly"));
            assert!(
                detail.contains("202307211618216F3E9EB64DC7E1234"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    match session.contact_scope().await.unwrap_err() {
        DirectoryError::MissingScope { scope, .. } => {
            assert_eq!(scope.as_deref(), Some("task:task:read"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        requests_to(&server, TENANT_PATH).await.len(),
        1,
        "not retried"
    );
}

#[tokio::test]
async fn no_department_authority_is_a_typed_error() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(USERS_PATH))
        .respond_with(
            answer(
                403,
                &json!({"code": 40004, "msg": "no dept authority error"}),
            )
            .insert_header("x-tt-logid", "log-40004"),
        )
        .mount(&server)
        .await;
    let session = open(&server).await;
    match session
        .users_page(&dept("od-secret"), None)
        .await
        .unwrap_err()
    {
        DirectoryError::NoAuthority { resource, detail } => {
            assert_eq!(resource, "department od-secret");
            assert!(
                detail.contains("40004") && detail.contains("log-40004"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn other_codes_surface_with_msg_and_header_log_id() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(
            answer(404, &json!({"code": 1_184_000, "msg": "tenant not found"}))
                .insert_header("x-tt-logid", "log-1184"),
        )
        .mount(&server)
        .await;
    let session = open(&server).await;
    assert_eq!(
        session.tenant().await.unwrap_err(),
        DirectoryError::Api {
            code: 1_184_000,
            msg: "tenant not found".to_owned(),
            log_id: Some("log-1184".to_owned())
        }
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_until_success() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>upstream busy</html>"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(answer(
            500,
            &json!({"code": 40003, "msg": "internal error"}),
        ))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(fixture_answer(200, "tenant_query.json"))
        .with_priority(3)
        .mount(&server)
        .await;
    let session = open(&server).await;
    assert_eq!(session.tenant().await.unwrap().name, "企业名称");
    let counters = session.counters();
    assert_eq!(
        (counters.calls, counters.retries, counters.rate_limit_waits),
        (5, 3, 0)
    );
}

#[tokio::test]
async fn persistent_server_errors_end_unavailable_after_the_bounded_attempts() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let err = session.tenant().await.unwrap_err();
    assert!(
        matches!(&err, DirectoryError::Unavailable { detail } if detail.contains("502")),
        "{err:?}"
    );
    assert_eq!(
        requests_to(&server, TENANT_PATH).await.len(),
        4,
        "1 attempt + max_retries (3)"
    );
}

#[tokio::test]
async fn timeouts_are_retried_then_unavailable() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(fixture_answer(200, "tenant_query.json").set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let session = open_with(
        &server,
        LarkClientSettings {
            request_timeout_secs: 1,
            max_retries: 1,
            ..settings()
        },
    )
    .await;
    let err = session.tenant().await.unwrap_err();
    assert!(
        matches!(&err, DirectoryError::Unavailable { detail } if detail.contains("timed out")),
        "{err:?}"
    );
    assert_eq!(requests_to(&server, TENANT_PATH).await.len(), 2);
}

#[tokio::test]
async fn connection_failures_are_unavailable() {
    // A port that was just free: nothing listens there once the listener is dropped.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let server = MockServer::start().await;
    let mut unreachable = connection(&server);
    unreachable.base_url = Some(BaseUrl::parse(&format!("http://{address}")).unwrap());
    let gateway = LarkGateway::new(LarkClientSettings {
        max_retries: 1,
        ..settings()
    })
    .unwrap();
    let err = gateway.open(&unreachable).await.err().unwrap();
    assert!(
        matches!(&err, DirectoryError::Unavailable { detail } if detail.contains("could not connect")),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_an_invalid_response() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(USERS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"code":0,"data":{"items":["#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(TENANT_PATH))
        .respond_with(answer(200, &ok_data(json!({"tenant": {"name": 42}}))))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let err = session.users_page(&dept("od-1"), None).await.unwrap_err();
    assert!(
        matches!(err, DirectoryError::InvalidResponse { .. }),
        "{err:?}"
    );
    assert_eq!(
        requests_to(&server, USERS_PATH).await.len(),
        1,
        "not retried"
    );
    let err = session.tenant().await.unwrap_err();
    assert!(
        matches!(err, DirectoryError::InvalidResponse { .. }),
        "wrong shape: {err:?}"
    );
}

#[tokio::test]
async fn a_user_without_open_id_fails_the_page_instead_of_vanishing() {
    let server = lark().await;
    let mut broken = user_item("ou_x");
    broken.as_object_mut().unwrap().remove("open_id");
    Mock::given(method("GET"))
        .and(path(USERS_PATH))
        .respond_with(answer(
            200,
            &ok_data(json!({"has_more": false, "items": [user_item("ou_ok"), broken]})),
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let err = session.users_page(&dept("od-1"), None).await.unwrap_err();
    assert!(
        matches!(&err, DirectoryError::InvalidResponse { detail } if detail.contains("open_id")),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Pacing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn requests_are_paced_under_the_configured_limits() {
    let server = lark().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&arrivals);
    Mock::given(method("GET"))
        .and(path(USERS_PATH))
        .respond_with(move |_: &Request| {
            log.lock().unwrap().push(Instant::now());
            answer(200, &ok_data(json!({"has_more": false, "items": []})))
        })
        .mount(&server)
        .await;
    let mut paced = connection(&server);
    paced.rate_limits = Some(RateLimits {
        per_second: 3,
        per_minute: 1000,
    });
    let session = LarkGateway::new(settings())
        .unwrap()
        .open(&paced)
        .await
        .unwrap();
    let started = Instant::now();
    let root = DepartmentId::root();
    let calls: Vec<_> = (0..7).map(|_| session.users_page(&root, None)).collect();
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    // Slots: 3 at once, 3 after 1.05 s, 1 after 2.1 s (1 s window + 50 ms margin).
    assert!(
        started.elapsed() >= Duration::from_millis(2_100),
        "{:?}",
        started.elapsed()
    );
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 7);
    for (i, first) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .filter(|t| t.duration_since(*first) < Duration::from_secs(1))
            .count();
        assert!(in_window <= 3, "{in_window} requests within one second");
    }
    assert_eq!(session.counters().rate_limit_waits, 0);
}

// ---------------------------------------------------------------------------------------------
// Against the simulated tenant
// ---------------------------------------------------------------------------------------------

mod simulated {
    use std::collections::{HashMap, HashSet};

    use aviary_domain::ports::RemoteUser;
    use aviary_lark_simulator::{NewUser, Simulator, SimulatorConfig, SimulatorHandle, endpoints};

    use super::*;

    async fn simulator(users: usize, departments: usize, rate_limits: bool) -> SimulatorHandle {
        let config = SimulatorConfig {
            users,
            departments,
            seed: 7,
            rate_limits,
            ..SimulatorConfig::seeded(7)
        };
        Simulator::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    }

    fn sim_connection(
        sim: &SimulatorHandle,
        rate_limits: Option<RateLimits>,
    ) -> DirectoryConnection {
        DirectoryConnection {
            region: Region::Feishu,
            base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
            app_id: AppId::parse(&sim.app_id()).unwrap(),
            app_secret: SecretString::from(sim.app_secret()),
            rate_limits,
        }
    }

    async fn open_sim(
        sim: &SimulatorHandle,
        rate_limits: Option<RateLimits>,
    ) -> Arc<dyn DirectorySession> {
        LarkGateway::new(settings())
            .unwrap()
            .open(&sim_connection(sim, rate_limits))
            .await
            .unwrap()
    }

    struct Listing {
        departments: HashMap<DepartmentId, RemoteDepartment>,
        users: HashMap<OpenId, RemoteUser>,
    }

    async fn all_members(
        session: &Arc<dyn DirectorySession>,
        department: DepartmentId,
    ) -> Vec<RemoteUser> {
        let mut users = Vec::new();
        let mut token = None;
        loop {
            let page = session.users_page(&department, token).await.unwrap();
            users.extend(page.users);
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => return users,
            }
        }
    }

    /// Everything a full sync lists: the scope, its departments and their subtrees, the members
    /// of the root and of every department (concurrently), and the users granted directly.
    async fn list_everything(session: &Arc<dyn DirectorySession>) -> Listing {
        let scope = session.contact_scope().await.unwrap();
        let mut departments = HashMap::new();
        for department in session.departments(&scope.department_ids).await.unwrap() {
            departments.insert(department.state.open_department_id.clone(), department);
        }
        for root in &scope.department_ids {
            for department in session.departments_under(root).await.unwrap() {
                departments.insert(department.state.open_department_id.clone(), department);
            }
        }
        let mut targets = vec![DepartmentId::root()];
        targets.extend(departments.keys().cloned());
        let members =
            futures::future::join_all(targets.into_iter().map(|d| all_members(session, d))).await;
        let mut users = HashMap::new();
        for user in members
            .into_iter()
            .flatten()
            .chain(session.users(&scope.user_ids).await.unwrap())
        {
            users.insert(user.profile.open_id.clone(), user);
        }
        Listing { departments, users }
    }

    /// `users/find_by_department` requests a complete listing needs, from the simulator's model.
    fn expected_member_pages(sim: &SimulatorHandle) -> u64 {
        let control = sim.tenant();
        let mut ids = vec!["0".to_owned()];
        ids.extend(
            control
                .departments()
                .into_iter()
                .map(|d| d.open_department_id),
        );
        ids.iter()
            .map(|id| {
                control
                    .department_members(id)
                    .unwrap()
                    .len()
                    .div_ceil(50)
                    .max(1) as u64
            })
            .sum()
    }

    #[tokio::test]
    async fn a_simulated_tenant_is_listed_completely_and_matches_the_model() {
        let sim = simulator(300, 30, false).await;
        let control = sim.tenant();
        // One big department, so that member listings span several pages.
        let big = control.departments()[0].open_department_id.clone();
        for i in 0..60 {
            control
                .add_user(NewUser::new(format!("Paging {i}"), big.clone()))
                .unwrap();
        }
        let session = open_sim(&sim, None).await;
        let listing = list_everything(&session).await;

        assert_eq!(
            listing.departments.len(),
            control.visible_department_count()
        );
        let model_departments: HashSet<String> = control
            .departments()
            .into_iter()
            .map(|d| d.open_department_id)
            .collect();
        let listed_departments: HashSet<String> = listing
            .departments
            .keys()
            .map(|d| d.as_str().to_owned())
            .collect();
        assert_eq!(listed_departments, model_departments);

        assert_eq!(listing.users.len(), 360);
        assert_eq!(listing.users.len(), control.visible_user_count());
        let model_users: HashSet<String> = control
            .users()
            .into_iter()
            .filter(|u| !u.status.is_resigned)
            .map(|u| u.open_id)
            .collect();
        let listed_users: HashSet<String> = listing
            .users
            .keys()
            .map(|u| u.as_str().to_owned())
            .collect();
        assert_eq!(listed_users, model_users);

        // Field by field for a user in several departments, a leader and a tenant admin.
        let multi = control
            .multi_department_user()
            .expect("the generator makes one");
        let mut samples = vec![multi];
        samples.extend(control.tenant_manager());
        samples.extend(control.department_leader().map(|(user, _)| user));
        for model in samples {
            let listed = &listing.users[&user_id(&model.open_id)].profile;
            assert_eq!(listed.name.as_deref(), Some(model.name.as_str()));
            assert_eq!(
                listed.designation.as_deref(),
                Some(model.job_title.as_str()).filter(|t| !t.is_empty())
            );
            assert_eq!(listed.is_tenant_manager, model.is_tenant_manager);
            let listed_depts: HashSet<&str> = listed
                .department_ids
                .iter()
                .map(DepartmentId::as_str)
                .collect();
            let model_depts: HashSet<&str> =
                model.department_ids.iter().map(String::as_str).collect();
            assert_eq!(listed_depts, model_depts);
            assert_eq!(
                listed.leader_open_id.as_ref().map(OpenId::as_str),
                model.leader_open_id.as_deref()
            );
            let expected_status = AccountStatus::from_flags(aviary_domain::model::StatusFlags {
                is_frozen: model.status.is_frozen,
                is_resigned: model.status.is_resigned,
                is_activated: model.status.is_activated,
                is_exited: model.status.is_exited,
                is_unjoin: model.status.is_unjoin,
            });
            assert_eq!(listed.status, expected_status);
        }
        let (leader, department) = control.department_leader().unwrap();
        let listed = &listing.departments[&dept(&department.open_department_id)].state;
        assert!(listed.leader_open_ids.contains(&user_id(&leader.open_id)));
        assert_eq!(listed.name.as_deref(), Some(department.name.as_str()));
        assert_eq!(listed.order, Some(department.order));
        assert_eq!(
            listed.parent_id.as_ref().map(DepartmentId::as_str),
            Some(department.parent_open_department_id.as_str())
        );

        let tenant = session.tenant().await.unwrap();
        assert_eq!(tenant.name, control.tenant_info().name);
        assert_eq!(tenant.tenant_key, control.tenant_info().tenant_key);

        let stats = sim.stats();
        assert_eq!(
            stats.requests_to(endpoints::USERS_FIND_BY_DEPARTMENT),
            expected_member_pages(&sim)
        );
        assert!(control.department_members(&big).unwrap().len() > 50);
        assert_eq!(
            session.counters().calls,
            stats.total_requests,
            "both sides count every request"
        );
        assert_eq!(stats.rate_limited, 0);
    }

    #[tokio::test]
    async fn pacing_at_the_real_limits_meets_no_429() {
        // 120 departments: more find_by_department requests than 50/s allows in one burst.
        let sim = simulator(300, 120, true).await;
        let session = open_sim(&sim, Some(RateLimits::default())).await;
        let listing = list_everything(&session).await;
        assert_eq!(listing.users.len(), sim.tenant().visible_user_count());
        assert_eq!(
            listing.departments.len(),
            sim.tenant().visible_department_count()
        );
        assert!(sim.stats().requests_to(endpoints::USERS_FIND_BY_DEPARTMENT) > 120);
        assert_eq!(
            sim.stats().rate_limited,
            0,
            "the client paced itself under 50/s"
        );
        assert_eq!(session.counters().rate_limit_waits, 0);
    }

    #[tokio::test]
    async fn without_pacing_the_same_burst_is_rate_limited_and_still_completes() {
        let sim = simulator(300, 120, true).await;
        let session = open_sim(&sim, None).await;
        let listing = list_everything(&session).await;
        assert_eq!(listing.users.len(), sim.tenant().visible_user_count());
        let stats = sim.stats();
        assert!(
            stats.rate_limited > 0,
            "the burst must exceed the simulator's 50/s"
        );
        assert_eq!(session.counters().rate_limit_waits, stats.rate_limited);
    }

    #[tokio::test]
    async fn simulated_faults_are_survived_or_reported_as_typed_errors() {
        let sim = simulator(40, 6, false).await;
        let control = sim.tenant();
        let session = open_sim(&sim, None).await;
        let expected = sorted(
            session
                .departments_under(&DepartmentId::root())
                .await
                .unwrap(),
        );

        control.expire_tokens();
        assert_eq!(
            sorted(
                session
                    .departments_under(&DepartmentId::root())
                    .await
                    .unwrap()
            ),
            expected
        );
        assert_eq!(
            sim.stats().token_requests,
            2,
            "one fetch at open, one after the revocation"
        );

        control.rate_limit_next_with_status(1, 400);
        control.fail_next(2, 503);
        assert_eq!(
            session.tenant().await.unwrap().tenant_key,
            control.tenant_info().tenant_key
        );

        control.set_recursion_limit(2);
        let walked = sorted(
            session
                .departments_under(&DepartmentId::root())
                .await
                .unwrap(),
        );
        assert_eq!(walked, expected, "43010 → level by level, same departments");
        assert!(sim.stats().errors_with_code(43_010) >= 1);

        control.malformed_next(1);
        let err = session.contact_scope().await.unwrap_err();
        assert!(
            matches!(err, DirectoryError::InvalidResponse { .. }),
            "{err:?}"
        );

        control.fail_always(502);
        let err = session.tenant().await.unwrap_err();
        assert!(matches!(err, DirectoryError::Unavailable { .. }), "{err:?}");
        control.clear_faults();

        let mut wrong = sim_connection(&sim, None);
        wrong.app_secret = SecretString::from("x".repeat(32));
        let err = LarkGateway::new(settings())
            .unwrap()
            .open(&wrong)
            .await
            .err()
            .unwrap();
        assert!(
            matches!(err, DirectoryError::InvalidCredentials { .. }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_oauth_login_round_trips_against_the_simulator() {
        use aviary_domain::ports::{AuthorizeRequest, OAuthError, OAuthGateway};
        use aviary_domain::values::{OAuthState, PkceVerifier};
        use aviary_lark_simulator::ConsentMode;
        use secrecy::ExposeSecret as _;

        let sim = simulator(20, 3, false).await;
        sim.tenant().set_consent_mode(ConsentMode::AutoApprove);
        let gateway = LarkGateway::new(settings()).unwrap();
        let connection = sim_connection(&sim, None);
        let verifier = PkceVerifier::from_random([9; 32]);
        let state = OAuthState::from_random([8; 32]);
        let redirect = "http://127.0.0.1:9/admin/integrations/callback/feishu?x=1";
        let request = |scopes: &[&str]| AuthorizeRequest {
            redirect_uri: redirect.to_owned(),
            state: state.clone(),
            code_challenge: verifier.challenge_s256(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        };
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();

        // The guide's app (no offline_access): a login that asks for nothing is approved and
        // gives an access token without a refresh token; asking for offline_access is refused
        // on Lark's own page (20027) and never comes back to Aviary.
        let plain = gateway.authorize_url(&connection, &request(&[]));
        assert!(!plain.contains("scope="), "no empty scope: {plain}");
        let answer = browser.get(&plain).send().await.unwrap();
        assert_eq!(answer.status(), 302);
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let code = url::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let plain_tokens = gateway
            .exchange_code(&connection, &code, redirect, &verifier)
            .await
            .unwrap();
        assert!(
            plain_tokens.refresh_token.is_none(),
            "no offline_access, no refresh token"
        );
        assert!(plain_tokens.refresh_expires_in.is_none());
        let signed_in = gateway
            .user_info(&connection, &plain_tokens.access_token)
            .await
            .unwrap();
        assert!(!signed_in.tenant_key.is_empty(), "user_info needs no scope");
        let refused = browser
            .get(gateway.authorize_url(&connection, &request(&["offline_access"])))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("20027"));

        // The admin adds offline_access but turns the refresh switch (on by default) off: tokens
        // come with a refresh token, and renewing it is refused with 20074.
        sim.tenant().add_scope("offline_access").unwrap();
        sim.tenant().set_refresh_enabled(false);
        let url = gateway.authorize_url(
            &connection,
            &request(&["contact:user.base:readonly", "offline_access"]),
        );
        assert!(url.starts_with(&format!(
            "{}/open-apis/authen/v1/authorize?",
            sim.base_url()
        )));
        assert!(
            url.contains("scope=contact%3Auser.base%3Areadonly%20offline_access"),
            "{url}"
        );
        assert!(url.contains("code_challenge_method=S256"));
        let code = {
            let answer = browser.get(&url).send().await.unwrap();
            let location = answer.headers()["location"].to_str().unwrap().to_owned();
            url::Url::parse(&location)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        let switched_off = gateway
            .exchange_code(&connection, &code, redirect, &verifier)
            .await
            .unwrap();
        let disabled = gateway
            .refresh(&connection, switched_off.refresh_token.as_ref().unwrap())
            .await;
        assert!(
            matches!(disabled, Err(OAuthError::RefreshDisabled { .. })),
            "{disabled:?}"
        );
        sim.tenant().set_refresh_enabled(true);

        let answer = browser.get(&url).send().await.unwrap();
        assert_eq!(answer.status(), 302);
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let back = url::Url::parse(&location).unwrap();
        let param = |name: &str| {
            back.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        assert!(location.starts_with("http://127.0.0.1:9/admin/integrations/callback/feishu?x=1&"));
        assert_eq!(param("state").as_deref(), Some(state.as_str()));
        let code = param("code").unwrap();

        let wrong = PkceVerifier::from_random([1; 32]);
        let refused = gateway
            .exchange_code(&connection, &code, redirect, &wrong)
            .await;
        assert!(
            matches!(refused, Err(OAuthError::InvalidCode { .. })),
            "{refused:?}"
        );
        // Lark does not say whether a failed PKCE check spends the code; sign in again for a
        // fresh one.
        let code = {
            let answer = browser.get(&url).send().await.unwrap();
            let location = answer.headers()["location"].to_str().unwrap().to_owned();
            url::Url::parse(&location)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        let issued = gateway
            .exchange_code(&connection, &code, redirect, &verifier)
            .await
            .unwrap();
        assert!(issued.scopes.contains(&"offline_access".to_owned()));
        assert!(issued.expires_in >= Duration::from_secs(3600));
        let first_refresh = issued.refresh_token.clone().unwrap();
        let reused = gateway
            .exchange_code(&connection, &code, redirect, &verifier)
            .await;
        assert!(
            matches!(reused, Err(OAuthError::InvalidCode { .. })),
            "{reused:?}"
        );

        let user = gateway
            .user_info(&connection, &issued.access_token)
            .await
            .unwrap();
        let tenant = open_sim(&sim, None).await.tenant().await.unwrap();
        assert_eq!(user.tenant_key, tenant.tenant_key);

        let renewed = gateway.refresh(&connection, &first_refresh).await.unwrap();
        let second_refresh = renewed.refresh_token.clone().unwrap();
        assert_ne!(
            second_refresh.expose_secret(),
            first_refresh.expose_secret()
        );
        let spent = gateway.refresh(&connection, &first_refresh).await;
        assert!(
            matches!(spent, Err(OAuthError::RefreshRejected { .. })),
            "{spent:?}"
        );

        sim.tenant().expire_user_tokens();
        let expired = gateway.user_info(&connection, &renewed.access_token).await;
        assert!(
            matches!(expired, Err(OAuthError::AccessTokenRejected { .. })),
            "{expired:?}"
        );
        let stats = sim.stats();
        assert_eq!((stats.oauth_code_exchanges, stats.oauth_refreshes), (5, 3));
        sim.stop().await;
    }
}

#[path = "client/doctor.rs"]
mod doctor;

#[path = "client/recheck.rs"]
mod recheck;

#[path = "client/inventory.rs"]
mod inventory;

#[path = "client/egress.rs"]
mod egress;

#[tokio::test]
async fn an_answer_larger_than_four_mib_is_refused_without_reading_it_whole_or_retrying() {
    let server = lark().await;
    let huge = format!(
        r#"{{"code":0,"data":{{"items":[],"padding":"{}"}}}}"#,
        "x".repeat(5 * 1024 * 1024)
    );
    Mock::given(method("GET"))
        .and(path(USERS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json"))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let err = session.users_page(&dept("od-1"), None).await.unwrap_err();
    match &err {
        DirectoryError::InvalidResponse { detail } => {
            assert!(detail.contains("larger than 4 MiB"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        requests_to(&server, USERS_PATH).await.len(),
        1,
        "not retried"
    );
}
