//! Black-box tests of the Lark simulator over real HTTP, with `reqwest` as a raw client (never
//! Aviary's Lark client, so the simulator's payloads are checked against the reference, not
//! against the code under test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use aviary_lark_simulator::{
    ConsentMode, NewUser, SimError, SimUser, Simulator, SimulatorConfig, SimulatorHandle, endpoints,
};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

struct Sim {
    handle: SimulatorHandle,
    http: reqwest::Client,
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn code(&self) -> i64 {
        self.json()["code"].as_i64().expect("numeric code")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Lark error: HTTP status, code, and the log id in body and headers.
    fn assert_error(&self, status: u16, code: i64) {
        assert_eq!((self.status, self.code()), (status, code), "{}", self.text);
        let log_id = self.json()["error"]["log_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!log_id.is_empty(), "error.log_id missing: {}", self.text);
        assert_eq!(self.header("x-tt-logid"), Some(log_id.as_str()));
    }
}

fn config() -> SimulatorConfig {
    SimulatorConfig {
        rate_limits: false,
        ..SimulatorConfig::default()
    }
}

impl Sim {
    async fn start(config: SimulatorConfig) -> Self {
        let handle = Simulator::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("simulator starts");
        // Redirects are observed, never followed (the OAuth authorize flow answers 302s).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { handle, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    async fn reply(response: reqwest::Response) -> Reply {
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    async fn post_token(&self, body: &Value) -> Reply {
        let response = self
            .http
            .post(self.url(endpoints::TENANT_ACCESS_TOKEN))
            .json(body)
            .send()
            .await
            .unwrap();
        Self::reply(response).await
    }

    async fn token(&self) -> String {
        let body = json!({"app_id": self.handle.app_id(), "app_secret": self.handle.app_secret()});
        let reply = self.post_token(&body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["tenant_access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn get(&self, path: &str, query: &[(&str, &str)], token: Option<&str>) -> Reply {
        let mut request = self.http.get(self.url(path)).query(query);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Self::reply(request.send().await.unwrap()).await
    }

    /// GET that must succeed with code 0; returns `data`.
    async fn data(&self, path: &str, query: &[(&str, &str)], token: &str) -> Value {
        let reply = self.get(path, query, Some(token)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (200, 0),
            "{path}: {}",
            reply.text
        );
        reply.json()["data"].clone()
    }

    /// Every page of `find_by_department`, as open ids.
    async fn list_department(&self, dept: &str, token: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut query = vec![("department_id", dept), ("page_size", "50")];
            if !page_token.is_empty() {
                query.push(("page_token", &page_token));
            }
            let data = self
                .data(endpoints::USERS_FIND_BY_DEPARTMENT, &query, token)
                .await;
            for item in data["items"].as_array().unwrap() {
                out.push(item["open_id"].as_str().unwrap().to_owned());
            }
            if !data["has_more"].as_bool().unwrap() {
                assert!(
                    data.get("page_token").is_none(),
                    "no page_token on the last page"
                );
                return out;
            }
            page_token = data["page_token"].as_str().unwrap().to_owned();
        }
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(&format!("/_simulator{path}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::reply(request.send().await.unwrap()).await
    }
}

fn children_path(dept: &str) -> String {
    format!("/open-apis/contact/v3/departments/{dept}/children")
}

fn ids(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_issuance_reuse_rotation_and_bad_credentials() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let creds = json!({"app_id": sim.handle.app_id(), "app_secret": sim.handle.app_secret()});

    let first = sim.post_token(&creds).await;
    assert_eq!(first.status, 200);
    let body = first.json();
    assert_eq!(
        (body["code"].as_i64(), body["msg"].as_str()),
        (Some(0), Some("ok"))
    );
    assert!(body.get("data").is_none(), "token responses are flat");
    let token = body["tenant_access_token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("t-") && token.len() == 42, "{token}");
    assert!(token[2..].chars().all(|c| c.is_ascii_hexdigit()));
    assert!((7199..=7200).contains(&body["expire"].as_u64().unwrap()));

    // Reused while ≥ 30 min remain.
    assert_eq!(sim.token().await, token);

    // Under 30 minutes left: a new token, and the old one still works until it expires.
    tenant.advance_token_clock(Duration::from_secs(5401));
    let rotated = sim.post_token(&creds).await.json();
    let second = rotated["tenant_access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, token);
    assert_eq!(rotated["expire"].as_u64(), Some(7200));
    sim.data(endpoints::TENANT_QUERY, &[], &token).await;
    sim.data(endpoints::TENANT_QUERY, &[], &second).await;
    tenant.advance_token_clock(Duration::from_secs(1800));
    sim.get(endpoints::TENANT_QUERY, &[], Some(&token))
        .await
        .assert_error(400, 99_991_663);
    sim.data(endpoints::TENANT_QUERY, &[], &second).await;

    let wrong_secret = json!({"app_id": sim.handle.app_id(), "app_secret": "x".repeat(32)});
    let reply = sim.post_token(&wrong_secret).await;
    assert_eq!((reply.status, reply.code()), (400, 10_014));
    let unknown_app =
        json!({"app_id": "cli_0000000000000000", "app_secret": sim.handle.app_secret()});
    let reply = sim.post_token(&unknown_app).await;
    assert_eq!((reply.status, reply.code()), (400, 10_003));
    let reply = sim
        .post_token(&json!({"app_id": sim.handle.app_id()}))
        .await;
    assert_eq!((reply.status, reply.code()), (400, 10_003));

    let stats = sim.handle.stats();
    assert_eq!(stats.token_requests, 6);
    assert_eq!(stats.tokens_issued, 2);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_missing_invalid_and_expired_tokens() {
    let sim = Sim::start(config()).await;
    let scopes = endpoints::SCOPES;

    sim.get(scopes, &[], None)
        .await
        .assert_error(400, 99_991_661);
    let reply = sim
        .get(
            scopes,
            &[],
            Some("t-0000000000000000000000000000000000000000"),
        )
        .await;
    reply.assert_error(400, 99_991_663);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("99991663")
    );
    assert!(reply.header("x-request-id").is_some());

    let token = sim.token().await;
    let ok = sim.get(scopes, &[], Some(&token)).await;
    assert_eq!((ok.status, ok.code()), (200, 0));
    assert!(ok.header("x-tt-logid").is_some_and(|l| l.len() >= 20));

    sim.handle.tenant().expire_tokens();
    sim.get(scopes, &[], Some(&token))
        .await
        .assert_error(400, 99_991_663);
    let fresh = sim.token().await;
    assert_ne!(fresh, token);
    sim.data(scopes, &[], &fresh).await;

    let stats = sim.handle.stats();
    assert_eq!(stats.auth_failures, 3);
    assert_eq!(stats.tokens_issued, 2);
    assert_eq!(stats.requests_to(scopes), 5);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_a_large_department_and_page_token_encoding() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let big = tenant.largest_department().unwrap();
    let expected = tenant.department_members(&big.open_department_id).unwrap();
    assert!(
        expected.len() > 50,
        "default tenant has a department above one page"
    );

    let listed = sim.list_department(&big.open_department_id, &token).await;
    assert_eq!(listed.len(), expected.len());
    assert_eq!(
        listed.iter().collect::<HashSet<_>>(),
        expected.iter().collect::<HashSet<_>>()
    );

    // First page: the token needs percent-encoding ('+', '/', '=').
    let first = sim
        .data(
            endpoints::USERS_FIND_BY_DEPARTMENT,
            &[
                ("department_id", &big.open_department_id),
                ("page_size", "50"),
            ],
            &token,
        )
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 50);
    assert_eq!(first["has_more"], json!(true));
    let page_token = first["page_token"].as_str().unwrap();
    assert!(page_token.contains('+') && page_token.contains('/') && page_token.contains('='));

    // A client that does not encode '+' sends a space: refused, not silently misread.
    let raw = sim
        .http
        .get(format!(
            "{}?department_id={}&page_size=50&page_token={page_token}",
            sim.url(endpoints::USERS_FIND_BY_DEPARTMENT),
            big.open_department_id
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    Sim::reply(raw).await.assert_error(400, 40_012);

    // A token from another listing is refused too.
    let other = tenant.root_users();
    assert!(!other.is_empty());
    let reply = sim
        .get(
            endpoints::USERS_FIND_BY_DEPARTMENT,
            &[("department_id", "0"), ("page_token", page_token)],
            Some(&token),
        )
        .await;
    reply.assert_error(400, 40_012);

    for bad in ["51", "0", "-3"] {
        let reply = sim
            .get(
                endpoints::USERS_FIND_BY_DEPARTMENT,
                &[("department_id", "0"), ("page_size", bad)],
                Some(&token),
            )
            .await;
        reply.assert_error(400, 40_011);
    }
    // Default page size is 10.
    let default = sim
        .data(
            endpoints::USERS_FIND_BY_DEPARTMENT,
            &[("department_id", &big.open_department_id)],
            &token,
        )
        .await;
    assert_eq!(default["items"].as_array().unwrap().len(), 10);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_payload_shape_and_id_types() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let member = tenant
        .users()
        .into_iter()
        .find(|u| {
            u.leader_open_id.is_some() && u.department_ids.len() == 1 && u.department_ids[0] != "0"
        })
        .unwrap();
    let leader = tenant
        .user(member.leader_open_id.as_deref().unwrap())
        .unwrap();
    let dept = tenant.department(&member.department_ids[0]).unwrap();
    let data = sim
        .data(
            endpoints::USERS_BATCH,
            &[
                ("user_ids", member.open_id.as_str()),
                ("user_ids", leader.open_id.as_str()),
            ],
            &token,
        )
        .await;
    let items = data["items"].as_array().unwrap();
    assert_eq!(
        ids(&data["items"], "open_id"),
        vec![member.open_id.clone(), leader.open_id.clone()]
    );
    let user = &items[0];
    for field in [
        "union_id",
        "user_id",
        "open_id",
        "name",
        "en_name",
        "email",
        "mobile",
        "mobile_visible",
        "gender",
        "avatar",
        "status",
        "department_ids",
        "city",
        "country",
        "join_time",
        "is_tenant_manager",
        "employee_no",
        "employee_type",
        "orders",
        "job_title",
        "is_frozen",
        "geo",
    ] {
        assert!(user.get(field).is_some(), "missing {field}: {user}");
    }
    assert!(
        user.get("department_path").is_none(),
        "never with a tenant token"
    );
    assert!(user["union_id"].as_str().unwrap().starts_with("on_"));
    assert!(user["mobile"].as_str().unwrap().starts_with('+'));
    assert_eq!(user["is_frozen"], user["status"]["is_frozen"]);
    assert_eq!(user["avatar"].as_object().unwrap().len(), 4);
    let orders = user["orders"].as_array().unwrap();
    assert_eq!(
        orders
            .iter()
            .filter(|o| o["is_primary_dept"] == json!(true))
            .count(),
        1
    );
    assert_eq!(user["department_ids"][0], json!(member.department_ids[0]));
    assert_eq!(user["email"], json!(member.email));

    // department_id / user_id types.
    let typed = sim
        .data(
            &format!("/open-apis/contact/v3/users/{}", member.user_id),
            &[
                ("user_id_type", "user_id"),
                ("department_id_type", "department_id"),
            ],
            &token,
        )
        .await;
    let typed = &typed["user"];
    assert_eq!(typed["open_id"], json!(member.open_id));
    assert_eq!(typed["department_ids"][0], json!(dept.department_id));
    assert_eq!(
        typed["orders"][0]["department_id"],
        json!(dept.department_id)
    );
    assert_eq!(typed["leader_user_id"], json!(leader.user_id));
    let by_union = sim
        .data(
            &format!("/open-apis/contact/v3/users/{}", member.union_id),
            &[("user_id_type", "union_id")],
            &token,
        )
        .await;
    assert_eq!(by_union["user"]["leader_user_id"], json!(leader.union_id));
    let reply = sim
        .get(
            endpoints::USERS_BATCH,
            &[("user_ids", "x"), ("user_id_type", "email")],
            Some(&token),
        )
        .await;
    reply.assert_error(400, 99_992_402);
    assert_eq!(
        reply.json()["error"]["field_violations"][0]["field"],
        json!("user_id_type")
    );
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_children_direct_recursive_and_43010() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let all = tenant.departments();
    let first_level: Vec<String> = all
        .iter()
        .filter(|d| d.parent_open_department_id == "0")
        .map(|d| d.open_department_id.clone())
        .collect();

    let direct = sim
        .data(&children_path("0"), &[("page_size", "50")], &token)
        .await;
    assert_eq!(direct["has_more"], json!(false));
    assert_eq!(ids(&direct["items"], "open_department_id"), first_level);
    let item = &direct["items"][0];
    assert_eq!(item["parent_department_id"], json!("0"));
    assert!(
        item["order"].is_string(),
        "order is a string in API responses"
    );
    assert!(
        item["open_department_id"]
            .as_str()
            .unwrap()
            .starts_with("od-")
    );
    assert_eq!(item["status"], json!({"is_deleted": false}));
    let open_id = item["open_department_id"].as_str().unwrap();
    assert_eq!(
        item["member_count"].as_u64(),
        Some(u64::from(tenant.member_count(open_id).unwrap()))
    );
    if let Some(leader) = item.get("leader_user_id") {
        assert_eq!(
            item["leaders"],
            json!([{"leaderType": 1, "leaderID": leader}])
        );
    }

    // Whole tree, paged, parents before children.
    let mut seen: Vec<String> = Vec::new();
    let mut page_token = String::new();
    loop {
        let mut query = vec![("fetch_child", "true"), ("page_size", "7")];
        if !page_token.is_empty() {
            query.push(("page_token", &page_token));
        }
        let data = sim.data(&children_path("0"), &query, &token).await;
        for item in data["items"].as_array().unwrap() {
            let parent = item["parent_department_id"].as_str().unwrap();
            assert!(
                parent == "0" || seen.iter().any(|s| s == parent),
                "parent after child"
            );
            seen.push(item["open_department_id"].as_str().unwrap().to_owned());
        }
        if data["has_more"] == json!(false) {
            break;
        }
        page_token = data["page_token"].as_str().unwrap().to_owned();
    }
    assert_eq!(seen.len(), all.len());

    // With custom ids.
    let custom = sim
        .data(
            &children_path("0"),
            &[("department_id_type", "department_id")],
            &token,
        )
        .await;
    assert!(
        custom["items"][0]["department_id"]
            .as_str()
            .unwrap()
            .starts_with('D')
    );
    let reply = sim
        .get(&children_path("od-doesnotexist"), &[], Some(&token))
        .await;
    reply.assert_error(400, 40_015);

    tenant.set_recursion_limit(5);
    let reply = sim
        .get(
            &children_path("0"),
            &[("fetch_child", "true")],
            Some(&token),
        )
        .await;
    reply.assert_error(400, 43_010);
    sim.data(&children_path("0"), &[("fetch_child", "false")], &token)
        .await;
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_scope_shrink_and_restore() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;

    let full = sim.data(endpoints::SCOPES, &[], &token).await;
    let first_level: Vec<String> = tenant
        .departments()
        .into_iter()
        .filter(|d| d.parent_open_department_id == "0")
        .map(|d| d.open_department_id)
        .collect();
    let root_users: Vec<String> = tenant.root_users().into_iter().map(|u| u.open_id).collect();
    assert!(!root_users.is_empty());
    assert_eq!(ids_of(&full["department_ids"]), first_level);
    assert_eq!(ids_of(&full["user_ids"]), root_users);
    let all_groups: Vec<String> = tenant.groups().into_iter().map(|g| g.group_id).collect();
    assert!(!all_groups.is_empty());
    assert_eq!(
        ids_of(&full["group_ids"]),
        all_groups,
        "all members: every group, by custom group_id"
    );
    assert_eq!(full["has_more"], json!(false));

    // Paged scopes: one entry per page walks users, departments, then groups.
    let mut entries = 0;
    let mut page_token = String::new();
    loop {
        let mut query = vec![("page_size", "1")];
        if !page_token.is_empty() {
            query.push(("page_token", &page_token));
        }
        let data = sim.data(endpoints::SCOPES, &query, &token).await;
        entries += ids_of(&data["department_ids"]).len()
            + ids_of(&data["user_ids"]).len()
            + ids_of(&data["group_ids"]).len();
        if data["has_more"] == json!(false) {
            break;
        }
        page_token = data["page_token"].as_str().unwrap().to_owned();
    }
    assert_eq!(
        entries,
        first_level.len() + root_users.len() + all_groups.len()
    );

    // Shrink to the most populated first-level department.
    let mut by_size = first_level.clone();
    by_size.sort_by_key(|d| std::cmp::Reverse(tenant.member_count(d).unwrap()));
    let (inside, outside) = (by_size[0].clone(), by_size[1].clone());
    tenant.set_scope_departments([inside.clone()]).unwrap();
    let scoped = sim.data(endpoints::SCOPES, &[], &token).await;
    assert_eq!(ids_of(&scoped["department_ids"]), vec![inside.clone()]);
    assert_eq!(scoped["user_ids"], json!([]));
    assert_eq!(scoped["group_ids"], json!([]));
    for path in [children_path("0"), children_path(&outside)] {
        sim.get(&path, &[], Some(&token))
            .await
            .assert_error(403, 40_004);
    }
    sim.get(
        endpoints::USERS_FIND_BY_DEPARTMENT,
        &[("department_id", "0")],
        Some(&token),
    )
    .await
    .assert_error(403, 40_004);
    sim.data(&children_path(&inside), &[("fetch_child", "true")], &token)
        .await;

    let inside_tree = subtree(&tenant, &inside);
    let users = tenant.users();
    let in_user = users
        .iter()
        .find(|u| u.department_ids.iter().all(|d| inside_tree.contains(d)))
        .unwrap();
    let out_user = users
        .iter()
        .find(|u| {
            u.department_ids
                .iter()
                .all(|d| d != "0" && !inside_tree.contains(d))
        })
        .unwrap();
    let batch = sim
        .data(
            endpoints::USERS_BATCH,
            &[
                ("user_ids", &in_user.open_id),
                ("user_ids", &out_user.open_id),
            ],
            &token,
        )
        .await;
    assert_eq!(
        ids(&batch["items"], "open_id"),
        vec![in_user.open_id.clone()]
    );
    sim.get(
        &format!("/open-apis/contact/v3/users/{}", out_user.open_id),
        &[],
        Some(&token),
    )
    .await
    .assert_error(400, 41_050);
    assert!(tenant.visible_user_count() < tenant.user_count());

    tenant.full_scope();
    let restored = sim.data(endpoints::SCOPES, &[], &token).await;
    assert_eq!(ids_of(&restored["department_ids"]), first_level);
    sim.handle.stop().await;
}

/// `root` and every department below it.
fn subtree(tenant: &aviary_lark_simulator::TenantControl, root: &str) -> HashSet<String> {
    let all = tenant.departments();
    let mut out: HashSet<String> = HashSet::from([root.to_owned()]);
    loop {
        let before = out.len();
        for d in &all {
            if out.contains(&d.parent_open_department_id) {
                out.insert(d.open_department_id.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

fn ids_of(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resign_and_delete_semantics() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let before = tenant.user_count();
    let dept = tenant.largest_department().unwrap().open_department_id;
    let members = tenant.department_members(&dept).unwrap();
    let (resigned, deleted) = (members[3].clone(), members[4].clone());

    tenant.resign_user(&resigned).unwrap();
    tenant.delete_user(&deleted).unwrap();
    assert_eq!(tenant.user_count(), before - 2);

    let listed = sim.list_department(&dept, &token).await;
    assert_eq!(listed.len(), members.len() - 2);
    assert!(!listed.contains(&resigned) && !listed.contains(&deleted));

    let batch = sim
        .data(
            endpoints::USERS_BATCH,
            &[("user_ids", &resigned), ("user_ids", &deleted)],
            &token,
        )
        .await;
    let items = batch["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        0,
        "deleted users vanish from the batch, and so do resigned ones: the documentation names \
         users/:user_id as the way to read them"
    );

    let one = sim
        .data(
            &format!("/open-apis/contact/v3/users/{resigned}"),
            &[],
            &token,
        )
        .await;
    assert_eq!(one["user"]["status"]["is_resigned"], json!(true));
    assert_eq!(one["user"]["department_ids"], json!([]));
    sim.get(
        &format!("/open-apis/contact/v3/users/{deleted}"),
        &[],
        Some(&token),
    )
    .await
    .assert_error(400, 41_012);
    assert_eq!(
        tenant.delete_user(&deleted),
        Err(SimError::UnknownUser(deleted.clone()))
    );
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_changes_between_syncs_show_up() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;

    // A multi-department user is listed in both departments.
    let multi = tenant.multi_department_user().unwrap();
    for dept in &multi.department_ids {
        assert!(
            sim.list_department(dept, &token)
                .await
                .contains(&multi.open_id)
        );
    }

    // New department with a new user; member counts follow.
    let parent = tenant.departments()[0].open_department_id.clone();
    let parent_count = tenant.member_count(&parent).unwrap();
    let dept = tenant.add_department("Skunkworks", &parent).unwrap();
    let mut spec = NewUser::new("Ada Lovelace", dept.clone());
    spec.job_title = Some("Analyst".to_owned());
    let ada = tenant.add_user(spec).unwrap();
    assert_eq!(sim.list_department(&dept, &token).await, vec![ada.clone()]);
    assert_eq!(tenant.member_count(&parent).unwrap(), parent_count + 1);
    let ada_user = tenant.user(&ada).unwrap();
    assert!(ada_user.email.starts_with("ada.lovelace") && ada_user.open_id.starts_with("ou_"));

    let children = sim
        .data(&children_path(&parent), &[("page_size", "50")], &token)
        .await;
    let created = children["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["open_department_id"] == json!(dept))
        .cloned()
        .unwrap();
    assert_eq!(
        (created["name"].clone(), created["member_count"].clone()),
        (json!("Skunkworks"), json!(1))
    );

    // Edits are visible in the next read; a change closure may read the tenant itself.
    let boss = tenant.tenant_manager().unwrap().open_id;
    tenant
        .update_user(&ada, |u| {
            u.leader_open_id = tenant.user(&boss).map(|b| b.open_id)
        })
        .unwrap();
    assert_eq!(tenant.user(&ada).unwrap().leader_open_id, Some(boss));
    tenant
        .update_user(&ada, |u| u.job_title = "Principal Analyst".to_owned())
        .unwrap();
    tenant.rename_department(&dept, "Moonshots").unwrap();
    let one = sim
        .data(&format!("/open-apis/contact/v3/users/{ada}"), &[], &token)
        .await;
    assert_eq!(one["user"]["job_title"], json!("Principal Analyst"));
    let got = sim
        .data(
            &format!("/open-apis/contact/v3/departments/{dept}"),
            &[],
            &token,
        )
        .await;
    assert_eq!(got["department"]["name"], json!("Moonshots"));

    // Refused changes leave the tenant untouched.
    assert_eq!(
        tenant.delete_department(&dept),
        Err(SimError::DepartmentNotEmpty(dept.clone()))
    );
    assert!(matches!(
        tenant.move_department(&parent, &dept),
        Err(SimError::DepartmentCycle { .. })
    ));
    assert!(
        tenant
            .update_user(&ada, |u| u.department_ids.clear())
            .is_err()
    );
    assert!(
        tenant
            .update_user(&ada, |u| u.open_id = "ou_x".to_owned())
            .is_err()
    );

    // Moving users and departments.
    tenant.move_user(&ada, "0").unwrap();
    assert!(sim.list_department("0", &token).await.contains(&ada));
    assert!(sim.list_department(&dept, &token).await.is_empty());
    tenant.move_department(&dept, "0").unwrap();
    let top = sim
        .data(&children_path("0"), &[("page_size", "50")], &token)
        .await;
    assert!(ids(&top["items"], "open_department_id").contains(&dept));
    tenant.delete_department(&dept).unwrap();
    sim.get(
        &format!("/open-apis/contact/v3/departments/{dept}"),
        &[],
        Some(&token),
    )
    .await
    .assert_error(400, 40_015);
    tenant.add_user_to_department(&ada, &parent).unwrap();
    assert_eq!(
        tenant.user(&ada).unwrap().department_ids,
        vec!["0".to_owned(), parent.clone()]
    );
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_rate_limits_trip_and_switch_off() {
    let sim = Sim::start(SimulatorConfig::default()).await;
    let token = sim.token().await;
    let burst = |n: usize| {
        let sim = &sim;
        let token = token.clone();
        async move {
            let calls = (0..n).map(|_| sim.get(endpoints::TENANT_QUERY, &[], Some(&token)));
            futures::future::join_all(calls).await
        }
    };

    // 110 requests within a second or two: some window gets more than 50.
    let started = Instant::now();
    let replies = burst(110).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "burst too slow to be meaningful"
    );
    let limited: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty(), "50/s limit never tripped");
    assert!(replies.iter().filter(|r| r.status == 200).count() >= 50);
    for reply in &limited {
        assert_eq!(reply.code(), 99_991_400);
        assert_eq!(
            reply.json()["msg"],
            json!("request trigger frequency limit")
        );
        assert_eq!(reply.header("x-ogw-ratelimit-limit"), Some("50"));
        let reset: u64 = reply
            .header("x-ogw-ratelimit-reset")
            .unwrap()
            .parse()
            .unwrap();
        assert!(reset >= 1);
    }
    assert_eq!(sim.handle.stats().rate_limited, limited.len() as u64);

    // The token endpoint is not limited.
    for _ in 0..60 {
        sim.token().await;
    }

    sim.handle.tenant().set_rate_limits(false);
    let replies = burst(110).await;
    assert!(replies.iter().all(|r| r.status == 200));
    assert_eq!(sim.handle.stats().rate_limited, limited.len() as u64);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_switches() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let query = endpoints::TENANT_QUERY;

    tenant.rate_limit_next(2);
    for _ in 0..2 {
        let reply = sim.get(query, &[], Some(&token)).await;
        reply.assert_error(429, 99_991_400);
        assert_eq!(reply.header("x-ogw-ratelimit-reset"), Some("1"));
        assert!(reply.header("x-ogw-ratelimit-limit").is_some());
    }
    sim.data(query, &[], &token).await;
    tenant.rate_limit_next_with_status(1, 400);
    sim.get(query, &[], Some(&token))
        .await
        .assert_error(400, 99_991_400);

    tenant.fail_next(1, 500);
    sim.get(query, &[], Some(&token))
        .await
        .assert_error(500, 40_003);
    tenant.fail_next(1, 503);
    let reply = sim.get(query, &[], Some(&token)).await;
    assert_eq!(reply.status, 503);
    assert!(
        serde_json::from_str::<Value>(&reply.text).is_err(),
        "gateway errors are not JSON"
    );
    sim.data(query, &[], &token).await;

    tenant.fail_always(502);
    for _ in 0..3 {
        assert_eq!(sim.get(query, &[], Some(&token)).await.status, 502);
    }
    // Token endpoint is not affected by data-API faults.
    sim.token().await;
    tenant.clear_faults();
    sim.data(query, &[], &token).await;

    tenant.malformed_next(1);
    let reply = sim.get(query, &[], Some(&token)).await;
    assert_eq!(reply.status, 200);
    assert!(
        serde_json::from_str::<Value>(&reply.text).is_err(),
        "{}",
        reply.text
    );
    sim.data(query, &[], &token).await;

    tenant.set_delay(Duration::from_millis(250));
    let started = Instant::now();
    sim.data(query, &[], &token).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    tenant.set_delay(Duration::ZERO);

    let stats = sim.handle.stats();
    assert_eq!(stats.rate_limited, 3);
    assert_eq!(stats.server_errors, 5);
    assert_eq!(stats.malformed, 1);
    assert_eq!(stats.errors_with_code(40_003), 1);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_query_batches_and_unknown_paths() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;

    let data = sim.data(endpoints::TENANT_QUERY, &[], &token).await;
    let info = tenant.tenant_info();
    assert_eq!(data["tenant"]["name"], json!(info.name));
    assert_eq!(data["tenant"]["tenant_key"], json!(info.tenant_key));
    assert_eq!(data["tenant"]["tenant_tag"], json!(0));

    let depts: Vec<String> = tenant
        .departments()
        .into_iter()
        .map(|d| d.open_department_id)
        .collect();
    let two = sim
        .data(
            endpoints::DEPARTMENTS_BATCH,
            &[
                ("department_ids", &depts[0]),
                ("department_ids", &depts[1]),
                ("department_ids", "od-missing"),
            ],
            &token,
        )
        .await;
    assert_eq!(
        ids(&two["items"], "open_department_id"),
        vec![depts[0].clone(), depts[1].clone()]
    );
    let too_many: Vec<(&str, &str)> = (0..51)
        .map(|_| ("department_ids", depts[0].as_str()))
        .collect();
    sim.get(endpoints::DEPARTMENTS_BATCH, &too_many, Some(&token))
        .await
        .assert_error(400, 40_001);
    let users = tenant.users();
    let too_many: Vec<(&str, &str)> = users
        .iter()
        .take(51)
        .map(|u| ("user_ids", u.open_id.as_str()))
        .collect();
    sim.get(endpoints::USERS_BATCH, &too_many, Some(&token))
        .await
        .assert_error(400, 40_001);
    let fifty: Vec<(&str, &str)> = users
        .iter()
        .take(50)
        .map(|u| ("user_ids", u.open_id.as_str()))
        .collect();
    let batch = sim.data(endpoints::USERS_BATCH, &fifty, &token).await;
    assert_eq!(batch["items"].as_array().unwrap().len(), 50);

    let root = sim
        .data("/open-apis/contact/v3/departments/0", &[], &token)
        .await;
    assert_eq!(
        root["department"]["member_count"].as_u64(),
        Some(tenant.user_count() as u64)
    );

    let reply = sim
        .get("/open-apis/contact/v3/nope", &[], Some(&token))
        .await;
    reply.assert_error(404, 404);
    assert_eq!(sim.handle.stats().requests_to(endpoints::UNKNOWN), 1);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_http_surface() {
    use reqwest::Method;
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let dept = tenant.departments()[2].open_department_id.clone();

    let stats = sim.control(Method::GET, "/stats", None).await;
    assert_eq!(stats.json()["token_requests"], json!(1));

    let created = sim
        .control(
            Method::POST,
            "/users",
            Some(json!({"name": "Grace Hopper", "department_ids": [dept]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let open_id = created.json()["open_id"].as_str().unwrap().to_owned();
    assert!(sim.list_department(&dept, &token).await.contains(&open_id));

    let patched = sim
        .control(
            Method::PATCH,
            &format!("/users/{open_id}"),
            Some(json!({"job_title": "Rear Admiral", "status": {"is_frozen": true}})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let api = sim
        .data(
            &format!("/open-apis/contact/v3/users/{open_id}"),
            &[],
            &token,
        )
        .await;
    assert_eq!(api["user"]["job_title"], json!("Rear Admiral"));
    assert_eq!(api["user"]["is_frozen"], json!(true));

    let bad = sim
        .control(
            Method::PATCH,
            &format!("/users/{open_id}"),
            Some(json!({"titel": "x"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    let missing = sim
        .control(
            Method::PATCH,
            "/users/ou_missing",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(missing.status, 404);

    let resigned = sim
        .control(Method::POST, &format!("/users/{open_id}/resign"), None)
        .await;
    assert_eq!(resigned.json()["status"]["is_resigned"], json!(true));
    assert!(!sim.list_department(&dept, &token).await.contains(&open_id));
    assert_eq!(
        sim.control(Method::DELETE, &format!("/users/{open_id}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        sim.control(Method::GET, &format!("/users/{open_id}"), None)
            .await
            .status,
        404
    );
    let all = sim.control(Method::GET, "/users", None).await.json();
    assert_eq!(all.as_array().unwrap().len(), tenant.users().len());
    let departments = sim.control(Method::GET, "/departments", None).await.json();
    assert_eq!(
        departments.as_array().unwrap().len(),
        tenant.department_count()
    );

    let scope = sim
        .control(
            Method::PUT,
            "/scope",
            Some(json!({"department_ids": [dept]})),
        )
        .await;
    assert_eq!(
        scope.json(),
        json!({"department_ids": [dept], "group_ids": []})
    );
    let scopes = sim.data(endpoints::SCOPES, &[], &token).await;
    assert_eq!(scopes["department_ids"], json!([dept]));
    let scope = sim.control(Method::PUT, "/scope", Some(json!({}))).await;
    assert_eq!(
        scope.json(),
        json!({"department_ids": null, "group_ids": null})
    );

    let faults = sim
        .control(
            Method::POST,
            "/faults",
            Some(json!({"rate_limit_next": 1, "fail_next": 1, "status": 503})),
        )
        .await;
    assert_eq!(faults.json()["rate_limit_next"], json!(1));
    assert_eq!(
        sim.get(endpoints::TENANT_QUERY, &[], Some(&token))
            .await
            .status,
        429
    );
    assert_eq!(
        sim.get(endpoints::TENANT_QUERY, &[], Some(&token))
            .await
            .status,
        503
    );
    sim.control(
        Method::POST,
        "/faults",
        Some(json!({"expire_tokens": true})),
    )
    .await;
    sim.get(endpoints::TENANT_QUERY, &[], Some(&token))
        .await
        .assert_error(400, 99_991_663);
    sim.control(Method::POST, "/faults", Some(json!({"fail_always": 500})))
        .await;
    let fresh = sim.token().await;
    assert_eq!(
        sim.get(endpoints::TENANT_QUERY, &[], Some(&fresh))
            .await
            .status,
        500
    );
    let cleared = sim
        .control(Method::POST, "/faults", Some(json!({"clear": true})))
        .await;
    assert_eq!(cleared.json()["fail_always"], json!(null));
    sim.data(endpoints::TENANT_QUERY, &[], &fresh).await;
    assert_eq!(
        sim.control(Method::POST, "/faults", Some(json!({"bogus": 1})))
            .await
            .status,
        400
    );

    let counted: HashMap<String, u64> = sim
        .handle
        .stats()
        .requests_by_endpoint
        .into_iter()
        .collect();
    assert!(!counted.keys().any(|k| k.starts_with("/_simulator")));
    assert_eq!(
        sim.control(Method::DELETE, "/stats", None).await.status,
        204
    );
    assert_eq!(sim.handle.stats().total_requests, 0);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_serves_the_same_tenant() {
    let a = Sim::start(SimulatorConfig {
        seed: 7,
        ..config()
    })
    .await;
    let b = Sim::start(SimulatorConfig {
        seed: 7,
        ..config()
    })
    .await;
    let c = Sim::start(SimulatorConfig::seeded(8)).await;
    assert_eq!(a.handle.tenant().users(), b.handle.tenant().users());
    assert_ne!(a.handle.tenant().users(), c.handle.tenant().users());
    // Credentials derive from the seed unless set explicitly.
    assert_eq!(a.handle.app_id(), SimulatorConfig::seeded(7).app_id);
    assert_eq!(a.handle.app_secret(), b.handle.app_secret());
    assert_ne!(c.handle.app_id(), a.handle.app_id());
    let custom = Sim::start(SimulatorConfig {
        app_id: "cli_0123456789abcdef".to_owned(),
        app_secret: "s".repeat(32),
        ..config()
    })
    .await;
    assert_eq!(custom.handle.app_id(), "cli_0123456789abcdef");
    custom.token().await;
    custom.handle.stop().await;
    let (ta, tb) = (a.token().await, b.token().await);
    let pa = a
        .data(
            endpoints::USERS_FIND_BY_DEPARTMENT,
            &[("department_id", "0")],
            &ta,
        )
        .await;
    let pb = b
        .data(
            endpoints::USERS_FIND_BY_DEPARTMENT,
            &[("department_id", "0")],
            &tb,
        )
        .await;
    assert_eq!(pa, pb);
    for sim in [a, b, c] {
        sim.handle.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_users_start_and_page() {
    let started = Instant::now();
    let sim = Sim::start(SimulatorConfig {
        users: 100_000,
        departments: 2_000,
        groups: 300,
        apps: 300,
        ..config()
    })
    .await;
    let startup = started.elapsed();
    let tenant = sim.handle.tenant();
    assert_eq!(
        (tenant.user_count(), tenant.department_count()),
        (100_000, 2_000)
    );
    assert_eq!((tenant.groups().len(), tenant.apps().len()), (300, 300));
    let token = sim.token().await;
    let big = tenant.largest_department().unwrap();
    let listed = sim.list_department(&big.open_department_id, &token).await;
    assert_eq!(
        listed.len(),
        tenant
            .department_members(&big.open_department_id)
            .unwrap()
            .len()
    );
    assert!(listed.len() >= 2_000, "{}", listed.len());
    let root = sim
        .data("/open-apis/contact/v3/departments/0", &[], &token)
        .await;
    assert_eq!(root["department"]["member_count"], json!(100_000));
    let groups = sim
        .data(
            "/open-apis/contact/v3/group/simplelist",
            &[("page_size", "100")],
            &token,
        )
        .await;
    assert_eq!(groups["grouplist"].as_array().unwrap().len(), 100);
    let apps = sim
        .data(
            "/open-apis/application/v6/applications",
            &[("lang", "en_us")],
            &token,
        )
        .await;
    assert_eq!(apps["app_list"].as_array().unwrap().len(), 50);
    // Debug build; release is several times faster.
    assert!(
        startup < Duration::from_secs(20),
        "startup took {startup:?}"
    );
    sim.handle.stop().await;
}

// ----- user OAuth -----

const CALLBACK: &str = "https://app.example/admin/callback";
/// RFC 7636 appendix B: verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SCOPES: &str = "contact:user.base:readonly offline_access";

/// An app whose admin enabled `offline_access` and the refresh switch: the OAuth mechanics
/// tests below need refresh tokens. The default app (the setup guide's) has neither; see
/// `oauth_the_default_app_is_set_up_like_the_guide`.
fn oauth_config() -> SimulatorConfig {
    let mut scopes = SimulatorConfig::default().oauth_scopes;
    scopes.push("offline_access".to_owned());
    SimulatorConfig {
        oauth_scopes: scopes,
        refresh_enabled: true,
        ..config()
    }
}

impl Reply {
    /// The `code` of an OAuth token response: a string, like on Lark's page.
    fn oauth_code(&self) -> i64 {
        let code = &self.json()["code"];
        code.as_str()
            .unwrap_or_else(|| panic!("code is not a string: {}", self.text))
            .parse()
            .unwrap()
    }

    /// A flat OAuth error: HTTP status, code, `error` string, a description, no `data`.
    fn assert_oauth_error(&self, status: u16, code: i64, error: &str) {
        assert_eq!(
            (self.status, self.oauth_code()),
            (status, code),
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["error"], json!(error), "{}", self.text);
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
        assert!(body.get("access_token").is_none() && body.get("data").is_none());
    }

    /// An authorize-flow error page: HTTP 400, HTML naming the code, never a redirect.
    fn assert_error_page(&self, code: i64) {
        assert_eq!(self.status, 400, "{}", self.text);
        assert!(self.header("location").is_none());
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("text/html"))
        );
        assert!(
            self.text.contains(&format!("<strong>{code}</strong>")),
            "{}",
            self.text
        );
    }

    fn location(&self) -> String {
        assert_eq!(self.status, 302, "{}", self.text);
        self.header("location").unwrap().to_owned()
    }

    /// Query parameters of the 302's `Location`.
    fn callback(&self) -> HashMap<String, String> {
        let url = url::Url::parse(&self.location()).unwrap();
        url.query_pairs().into_owned().collect()
    }

    /// The opaque pending-request id the consent form carries.
    fn request_id(&self) -> String {
        let marker = "name=\"request_id\" value=\"";
        let start = self.text.find(marker).expect("request_id field") + marker.len();
        let len = self.text[start..].find('"').unwrap();
        self.text[start..start + len].to_owned()
    }
}

fn working(u: &SimUser) -> bool {
    let s = u.status;
    s.is_activated && !s.is_frozen && !s.is_resigned && !s.is_exited && !s.is_unjoin
}

impl Sim {
    async fn authorize(&self, query: &[(&str, &str)]) -> Reply {
        let request = self.http.get(self.url(endpoints::AUTHORIZE)).query(query);
        Self::reply(request.send().await.unwrap()).await
    }

    /// A complete authorize query (PKCE S256, state), `scope` as given.
    async fn authorize_with(&self, scope: &str) -> Reply {
        let app_id = self.handle.app_id();
        self.authorize(&[
            ("client_id", &app_id),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("scope", scope),
            ("state", "st-1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await
    }

    async fn decide(&self, form: &[(&str, &str)]) -> Reply {
        let request = self
            .http
            .post(self.url(endpoints::AUTHORIZE_DECISION))
            .form(form);
        Self::reply(request.send().await.unwrap()).await
    }

    async fn oauth_token(&self, body: &Value) -> Reply {
        let request = self.http.post(self.url(endpoints::OAUTH_TOKEN)).json(body);
        Self::reply(request.send().await.unwrap()).await
    }

    async fn oauth_form(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
        let mut request = self.http.post(self.url(endpoints::OAUTH_TOKEN)).form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        Self::reply(request.send().await.unwrap()).await
    }

    /// A code from the auto-approving authorize endpoint (PKCE S256).
    async fn code(&self, scope: &str) -> String {
        self.handle
            .tenant()
            .set_consent_mode(ConsentMode::AutoApprove);
        self.authorize_with(scope).await.callback()["code"].clone()
    }

    async fn exchange(&self, code: &str, verifier: &str) -> Reply {
        self.oauth_token(&json!({
            "grant_type": "authorization_code",
            "client_id": self.handle.app_id(),
            "client_secret": self.handle.app_secret(),
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        }))
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> Reply {
        self.oauth_token(&json!({
            "grant_type": "refresh_token",
            "client_id": self.handle.app_id(),
            "client_secret": self.handle.app_secret(),
            "refresh_token": refresh_token,
        }))
        .await
    }

    /// Authorize (auto-approve) and exchange: the token response.
    async fn login(&self, scope: &str) -> Value {
        let code = self.code(scope).await;
        let reply = self.exchange(&code, VERIFIER).await;
        assert_eq!(
            (reply.status, reply.oauth_code()),
            (200, 0),
            "{}",
            reply.text
        );
        reply.json()
    }

    async fn user_info(&self, token: Option<&str>) -> Reply {
        self.get(endpoints::USER_INFO, &[], token).await
    }
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing: {value}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_authorize_validation_error_pages() {
    let sim = Sim::start(oauth_config()).await;
    let tenant = sim.handle.tenant();
    tenant.set_consent_mode(ConsentMode::AutoApprove);
    let app_id = sim.handle.app_id();
    let id = app_id.as_str();
    let base = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, String)> {
        let mut q = vec![
            ("client_id", id.to_owned()),
            ("response_type", "code".to_owned()),
            ("redirect_uri", CALLBACK.to_owned()),
        ];
        for (k, v) in extra {
            q.retain(|(name, _)| name != k);
            if !v.is_empty() {
                q.push((k, (*v).to_owned()));
            }
        }
        q
    };
    type Case<'a> = (&'a [(&'a str, &'a str)], i64, &'a str);
    let cases: [Case<'_>; 11] = [
        (&[("client_id", "")], 20_001, "client_id"),
        (
            &[("client_id", "cli_0000000000000000")],
            20_048,
            "does not exist",
        ),
        (&[("redirect_uri", "")], 20_001, "redirect_uri"),
        (
            &[("redirect_uri", "javascript:alert(1)")],
            20_029,
            "http or https",
        ),
        (
            &[("redirect_uri", "/relative/callback")],
            20_029,
            "absolute",
        ),
        (&[("response_type", "token")], 20_063, "response_type"),
        (
            &[("scope", "offline_access calendar:calendar")],
            20_027,
            "calendar:calendar",
        ),
        (
            &[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S512"),
            ],
            20_063,
            "code_challenge_method",
        ),
        (&[("code_challenge", "too-short")], 20_063, "code_challenge"),
        (
            &[("redirect_uri", "https://evil.example/a b")],
            20_029,
            "encoded",
        ),
        (&[("scope", "offline_access <x>")], 20_027, "&lt;x&gt;"),
    ];
    for (extra, code, needle) in cases {
        let query = base(extra);
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = sim.authorize(&query).await;
        reply.assert_error_page(code);
        assert!(reply.text.contains(needle), "{needle}: {}", reply.text);
        assert!(!reply.text.contains("<x>"), "escaped");
    }
    let fifty_one: String = (0..51)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut query = base(&[]);
    query.push(("scope", fifty_one));
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sim.authorize(&query).await.assert_error_page(20_063);

    // Registered redirect URLs: exact match only.
    tenant.set_redirect_urls([CALLBACK]).unwrap();
    let elsewhere = base(&[("redirect_uri", "https://app.example/other")]);
    let elsewhere: Vec<(&str, &str)> = elsewhere.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = sim.authorize(&elsewhere).await;
    reply.assert_error_page(20_029);
    assert!(reply.text.contains("registered"));
    assert_eq!(sim.authorize_with(SCOPES).await.status, 302);
    assert!(matches!(
        tenant.set_redirect_urls(["ftp://x"]),
        Err(SimError::Invalid(_))
    ));
    tenant.set_redirect_urls(Vec::<String>::new()).unwrap();
    assert_eq!(
        sim.authorize(&elsewhere).await.status,
        302,
        "empty list accepts any http(s) URL"
    );

    // Enabled scopes are a setting too.
    tenant
        .set_enabled_scopes(["offline_access", "calendar:calendar"])
        .unwrap();
    assert_eq!(sim.authorize_with("calendar:calendar").await.status, 302);
    sim.authorize_with(SCOPES).await.assert_error_page(20_027);

    let stats = sim.handle.stats();
    assert_eq!(stats.requests_to(endpoints::AUTHORIZE), 17);
    assert_eq!(stats.errors_with_code(20_029), 4);
    assert_eq!(stats.errors_with_code(20_027), 3);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_consent_page_approve_and_deny() {
    let sim = Sim::start(oauth_config()).await;
    let tenant = sim.handle.tenant();
    assert_eq!(tenant.oauth_settings().consent, ConsentMode::Page);
    let users = tenant.users();
    let admin = users
        .iter()
        .find(|u| u.is_tenant_manager && working(u))
        .unwrap();
    let chosen = users
        .iter()
        .find(|u| !u.is_tenant_manager && working(u))
        .unwrap();

    let page = sim.authorize_with(SCOPES).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    for needle in [
        ">Authorize</button>",
        ">Deny</button>",
        "<form method=\"post\" action=\"/open-apis/authen/v1/authorize/decision\">",
        "contact:user.base:readonly",
        "offline_access",
        &sim.handle.app_id(),
        &format!("<option value=\"{}\" selected>", admin.open_id),
        &format!("<option value=\"{}\">", chosen.open_id),
    ] {
        assert!(page.text.contains(needle), "{needle}: {}", page.text);
    }
    assert!(
        !page.text.contains(CALLBACK),
        "the form never carries redirect_uri"
    );
    let request_id = page.request_id();
    assert!(request_id.len() >= 32);

    // Invalid decisions keep the request pending.
    sim.decide(&[
        ("request_id", &request_id),
        ("decision", "approve"),
        ("open_id", "ou_nobody"),
    ])
    .await
    .assert_error_page(20_008);
    let frozen = users
        .iter()
        .filter(|u| working(u) && u.open_id != chosen.open_id && u.open_id != admin.open_id)
        .nth(1)
        .unwrap();
    tenant.freeze_user(&frozen.open_id).unwrap();
    sim.decide(&[
        ("request_id", &request_id),
        ("decision", "approve"),
        ("open_id", &frozen.open_id),
    ])
    .await
    .assert_error_page(20_066);
    sim.decide(&[("request_id", &request_id), ("decision", "maybe")])
        .await
        .assert_error_page(20_063);
    sim.decide(&[("request_id", "forged"), ("decision", "deny")])
        .await
        .assert_error_page(20_063);

    let approved = sim
        .decide(&[
            ("request_id", &request_id),
            ("decision", "approve"),
            ("open_id", &chosen.open_id),
        ])
        .await;
    assert!(
        approved
            .location()
            .starts_with(&format!("{CALLBACK}?code="))
    );
    let callback = approved.callback();
    assert_eq!(callback["state"], "st-1");
    let code = callback["code"].clone();
    assert!(code.len() >= 64);
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    // Single use: the same request cannot be answered twice.
    sim.decide(&[("request_id", &request_id), ("decision", "deny")])
        .await
        .assert_error_page(20_063);

    let tokens = sim.exchange(&code, VERIFIER).await.json();
    let info = sim.user_info(Some(&text(&tokens, "access_token"))).await;
    assert_eq!(info.json()["data"]["open_id"], json!(chosen.open_id));

    let denied_page = sim.authorize_with("").await;
    let denied = sim
        .decide(&[
            ("request_id", &denied_page.request_id()),
            ("decision", "deny"),
        ])
        .await;
    assert_eq!(
        denied.location(),
        format!("{CALLBACK}?error=access_denied&state=st-1")
    );

    // Pending requests expire after 10 minutes on the simulated clock.
    let stale = sim.authorize_with("").await.request_id();
    tenant.advance_token_clock(Duration::from_secs(601));
    sim.decide(&[("request_id", &stale), ("decision", "deny")])
        .await
        .assert_error_page(20_063);

    let stats = sim.handle.stats();
    assert_eq!(stats.requests_to(endpoints::AUTHORIZE_DECISION), 8);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_auto_modes_and_callback_urls() {
    let sim = Sim::start(SimulatorConfig {
        consent: ConsentMode::AutoApprove,
        ..oauth_config()
    })
    .await;
    let tenant = sim.handle.tenant();
    let app_id = sim.handle.app_id();
    let admin = tenant
        .users()
        .into_iter()
        .find(|u| u.is_tenant_manager && working(u))
        .unwrap();

    let reply = sim.authorize_with(SCOPES).await;
    let callback = reply.callback();
    assert_eq!(callback["state"], "st-1");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let tokens = sim.exchange(&callback["code"], VERIFIER).await.json();
    let info = sim.user_info(Some(&text(&tokens, "access_token"))).await;
    assert_eq!(
        info.json()["data"]["open_id"],
        json!(admin.open_id),
        "signed in as the admin"
    );

    // No state sent, none returned; an existing query and a fragment are kept.
    let with_query = "https://app.example/cb?tenant=a%2Fb&x#/done";
    let reply = sim
        .authorize(&[("client_id", &app_id), ("redirect_uri", with_query)])
        .await;
    let location = reply.location();
    assert!(
        location.starts_with("https://app.example/cb?tenant=a%2Fb&x&code="),
        "{location}"
    );
    assert!(
        location.ends_with("#/done") && !location.contains("state="),
        "{location}"
    );
    let code = reply.callback()["code"].clone();
    // response_type may be omitted (older Lark docs); a no-PKCE code needs no verifier.
    let exchanged = sim
        .oauth_token(&json!({
            "grant_type": "authorization_code",
            "client_id": app_id,
            "client_secret": sim.handle.app_secret(),
            "code": code,
            "redirect_uri": with_query,
        }))
        .await;
    assert_eq!(
        (exchanged.status, exchanged.oauth_code()),
        (200, 0),
        "{}",
        exchanged.text
    );
    // No scope asked for, but grants are cumulative: the admin's earlier grant still applies.
    assert_eq!(
        exchanged.json()["scope"],
        json!("contact:user.base:readonly offline_access")
    );

    tenant.set_consent_mode(ConsentMode::AutoDeny);
    let denied = sim.authorize_with(SCOPES).await;
    assert_eq!(
        denied.location(),
        format!("{CALLBACK}?error=access_denied&state=st-1")
    );
    // Invalid requests still get the error page, whatever the mode.
    sim.authorize(&[("client_id", &app_id), ("redirect_uri", "nope")])
        .await
        .assert_error_page(20_029);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_code_exchange_with_pkce_s256_plain_and_basic_auth() {
    let sim = Sim::start(oauth_config()).await;
    let app_id = sim.handle.app_id();
    let secret = sim.handle.app_secret();

    let code = sim.code(SCOPES).await;
    let reply = sim.exchange(&code, VERIFIER).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["code"], json!("0"), "code served as a string");
    assert!(body.get("data").is_none(), "token responses are flat");
    let access = text(&body, "access_token");
    assert!(access.starts_with("eyJ") && access.len() >= 100, "{access}");
    assert_eq!(body["expires_in"], json!(7200));
    assert_eq!(body["token_type"], json!("Bearer"));
    assert_eq!(
        body["scope"],
        json!("contact:user.base:readonly offline_access")
    );
    let refresh = text(&body, "refresh_token");
    assert!(refresh.starts_with("eyJ") && refresh != access);
    assert_eq!(body["refresh_token_expires_in"], json!(604_800));

    // PKCE plain (the default method), form body, HTTP Basic client auth.
    let plain_verifier = "plain-verifier-0123456789-0123456789-abcdefghij";
    let reply = sim
        .authorize(&[
            ("client_id", &app_id),
            ("response_type", "code"),
            ("redirect_uri", CALLBACK),
            ("scope", "contact:user.base:readonly"),
            ("code_challenge", plain_verifier),
        ])
        .await;
    let code = reply.callback()["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", plain_verifier),
    ];
    let reply = sim.oauth_form(&form, Some((&app_id, &secret))).await;
    assert_eq!(
        (reply.status, reply.oauth_code()),
        (200, 0),
        "{}",
        reply.text
    );
    let body = reply.json();
    assert_eq!(
        body["scope"],
        json!("contact:user.base:readonly offline_access"),
        "grants are cumulative"
    );
    assert!(body.get("refresh_token").is_some());

    // A user token carries exactly the scopes asked for when narrowed.
    let code = sim.code(SCOPES).await;
    let narrowed = sim
        .oauth_token(&json!({
            "grant_type": "authorization_code", "client_id": app_id, "client_secret": secret,
            "code": code, "redirect_uri": CALLBACK, "code_verifier": VERIFIER,
            "scope": "contact:user.base:readonly",
        }))
        .await
        .json();
    assert_eq!(narrowed["scope"], json!("contact:user.base:readonly"));
    assert!(narrowed.get("refresh_token").is_none());

    let stats = sim.handle.stats();
    assert_eq!(stats.oauth_code_exchanges, 3);
    assert_eq!(stats.oauth_refreshes, 0);
    assert_eq!(stats.requests_to(endpoints::OAUTH_TOKEN), 3);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_code_exchange_error_codes() {
    let sim = Sim::start(oauth_config()).await;
    let tenant = sim.handle.tenant();
    let app_id = sim.handle.app_id();
    let secret = sim.handle.app_secret();
    let code = sim.code(SCOPES).await;
    let request = |changes: Value| {
        let mut body = json!({
            "grant_type": "authorization_code", "client_id": app_id, "client_secret": secret,
            "code": code, "redirect_uri": CALLBACK, "code_verifier": VERIFIER,
        });
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (json!({"code": null}), 20_001, "invalid_request"),
        (json!({"client_secret": null}), 20_001, "invalid_request"),
        (json!({"grant_type": null}), 20_001, "invalid_request"),
        (json!({"redirect_uri": null}), 20_001, "invalid_request"),
        (
            json!({"client_secret": "x".repeat(32)}),
            20_002,
            "invalid_client",
        ),
        (
            json!({"client_id": "cli_0000000000000000"}),
            20_048,
            "invalid_client",
        ),
        (json!({"code": "A".repeat(64)}), 20_003, "invalid_grant"),
        (
            json!({"grant_type": "password"}),
            20_036,
            "unsupported_grant_type",
        ),
        (json!({"code_verifier": null}), 20_049, "invalid_grant"),
        (
            json!({"code_verifier": "x".repeat(43)}),
            20_049,
            "invalid_grant",
        ),
        (json!({"code_verifier": CHALLENGE}), 20_049, "invalid_grant"),
        (
            json!({"redirect_uri": "https://app.example/other"}),
            20_071,
            "invalid_grant",
        ),
        (json!({"code": 42}), 20_063, "invalid_request"),
        (
            json!({"scope": "offline_access offline_access"}),
            20_067,
            "invalid_scope",
        ),
        (
            json!({"scope": "tenant:tenant:readonly"}),
            20_068,
            "invalid_scope",
        ),
    ];
    for (changes, code, error) in cases {
        let reply = sim.oauth_token(&request(changes.clone())).await;
        reply.assert_oauth_error(400, code, error);
        assert!(!reply.text.contains(&secret), "{changes}");
    }
    let malformed = sim
        .http
        .post(sim.url(endpoints::OAUTH_TOKEN))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    Sim::reply(malformed)
        .await
        .assert_oauth_error(400, 20_063, "invalid_request");
    // Basic auth and client_secret together.
    let form = [
        ("grant_type", "authorization_code"),
        ("client_secret", secret.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    sim.oauth_form(&form, Some((&app_id, &secret)))
        .await
        .assert_oauth_error(400, 20_070, "invalid_client");

    // Injected faults: 20050 (HTTP 500), 20072 (HTTP 503), one-off; data-API faults do not apply.
    tenant.fail_always(500);
    tenant.fail_oauth_next(1, 500);
    sim.oauth_token(&request(json!({})))
        .await
        .assert_oauth_error(500, 20_050, "server_error");
    tenant.fail_oauth_next(1, 503);
    sim.oauth_token(&request(json!({})))
        .await
        .assert_oauth_error(503, 20_072, "temporarily_unavailable");
    // None of the failures above consumed the code.
    let ok = sim.oauth_token(&request(json!({}))).await;
    assert_eq!((ok.status, ok.oauth_code()), (200, 0), "{}", ok.text);
    tenant.clear_faults();
    sim.oauth_token(&request(json!({})))
        .await
        .assert_oauth_error(400, 20_065, "invalid_grant");

    // Expired after 5 minutes on the simulated clock.
    let late = sim.code(SCOPES).await;
    tenant.advance_token_clock(Duration::from_secs(300));
    sim.exchange(&late, VERIFIER)
        .await
        .assert_oauth_error(400, 20_004, "invalid_grant");

    // A code issued to another client.
    tenant
        .add_oauth_client("cli_other000000000", "other-secret")
        .unwrap();
    let reply = sim
        .authorize(&[
            ("client_id", "cli_other000000000"),
            ("redirect_uri", CALLBACK),
            ("scope", SCOPES),
        ])
        .await;
    let foreign = reply.callback()["code"].clone();
    sim.oauth_token(&request(json!({"code": foreign, "code_verifier": null})))
        .await
        .assert_oauth_error(400, 20_024, "invalid_grant");
    let theirs = sim
        .oauth_token(&json!({
            "grant_type": "authorization_code", "client_id": "cli_other000000000",
            "client_secret": "other-secret", "code": foreign, "redirect_uri": CALLBACK,
        }))
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);

    // The signing-in user resigned before the exchange.
    let admin = tenant
        .users()
        .into_iter()
        .find(|u| u.is_tenant_manager && working(u))
        .unwrap();
    let code = sim.code(SCOPES).await;
    tenant.resign_user(&admin.open_id).unwrap();
    sim.exchange(&code, VERIFIER)
        .await
        .assert_oauth_error(400, 20_066, "invalid_grant");

    let stats = sim.handle.stats();
    // Requests whose grant_type could be read as authorization_code (not the JSON-less ones).
    assert_eq!(stats.oauth_code_exchanges, 21);
    assert_eq!(stats.server_errors, 2);
    assert_eq!(stats.errors_with_code(20_001), 4);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_refresh_rotation_grace_and_errors() {
    let sim = Sim::start(oauth_config()).await;
    let tenant = sim.handle.tenant();
    let first = sim.login(SCOPES).await;
    let (access1, refresh1) = (text(&first, "access_token"), text(&first, "refresh_token"));

    let reply = sim.refresh(&refresh1).await;
    assert_eq!(
        (reply.status, reply.oauth_code()),
        (200, 0),
        "{}",
        reply.text
    );
    let second = reply.json();
    let (access2, refresh2) = (
        text(&second, "access_token"),
        text(&second, "refresh_token"),
    );
    assert!(access2 != access1 && refresh2 != refresh1);
    assert_eq!(second["scope"], first["scope"]);
    assert_eq!(second["refresh_token_expires_in"], json!(604_800));
    assert_eq!(second["expires_in"], json!(7200));

    // Single use: reusing the old refresh token fails at once.
    sim.refresh(&refresh1)
        .await
        .assert_oauth_error(400, 20_073, "invalid_grant");
    // The previous access token keeps a 1-minute grace on the simulated clock.
    assert_eq!(sim.user_info(Some(&access1)).await.code(), 0);
    tenant.advance_token_clock(Duration::from_secs(55));
    assert_eq!(sim.user_info(Some(&access1)).await.code(), 0);
    tenant.advance_token_clock(Duration::from_secs(6));
    sim.user_info(Some(&access1))
        .await
        .assert_error(400, 99_991_668);
    assert_eq!(sim.user_info(Some(&access2)).await.code(), 0);

    // Form body and HTTP Basic work for refreshes too.
    let app_id = sim.handle.app_id();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh2.as_str()),
    ];
    let reply = sim
        .oauth_form(&form, Some((&app_id, &sim.handle.app_secret())))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let refresh3 = text(&reply.json(), "refresh_token");

    sim.refresh("eyJunknown")
        .await
        .assert_oauth_error(400, 20_026, "invalid_grant");
    let other_client = json!({
        "grant_type": "refresh_token", "client_id": "cli_other000000000",
        "client_secret": "other-secret", "refresh_token": refresh3,
    });
    tenant
        .add_oauth_client("cli_other000000000", "other-secret")
        .unwrap();
    sim.oauth_token(&other_client)
        .await
        .assert_oauth_error(400, 20_024, "invalid_grant");
    let without_token = json!({
        "grant_type": "refresh_token", "client_id": app_id,
        "client_secret": sim.handle.app_secret(),
    });
    sim.oauth_token(&without_token)
        .await
        .assert_oauth_error(400, 20_001, "invalid_request");

    // Expired after refresh_token_expires_in.
    tenant.advance_token_clock(Duration::from_secs(604_800));
    sim.refresh(&refresh3)
        .await
        .assert_oauth_error(400, 20_037, "invalid_grant");

    // Revoked from the control surface.
    let fresh = sim.login(SCOPES).await;
    let admin = tenant
        .users()
        .into_iter()
        .find(|u| u.is_tenant_manager && working(u))
        .unwrap();
    tenant.revoke_user_grant(&admin.open_id).unwrap();
    sim.refresh(&text(&fresh, "refresh_token"))
        .await
        .assert_oauth_error(400, 20_064, "invalid_grant");
    sim.user_info(Some(&text(&fresh, "access_token")))
        .await
        .assert_error(400, 99_991_668);
    assert!(matches!(
        tenant.revoke_user_grant("ou_missing"),
        Err(SimError::UnknownUser(_))
    ));
    // After revocation, authorizing again starts from the requested scopes only.
    let again = sim.login("contact:user.base:readonly").await;
    assert_eq!(again["scope"], json!("contact:user.base:readonly"));

    let stats = sim.handle.stats();
    assert_eq!(stats.oauth_refreshes, 8);
    assert_eq!(stats.oauth_code_exchanges, 3);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_user_info_and_invalid_user_tokens() {
    let sim = Sim::start(oauth_config()).await;
    let tenant = sim.handle.tenant();
    let tokens = sim.login(SCOPES).await;
    let access = text(&tokens, "access_token");
    let admin = tenant
        .users()
        .into_iter()
        .find(|u| u.is_tenant_manager && working(u))
        .unwrap();

    let reply = sim.user_info(Some(&access)).await;
    assert_eq!((reply.status, reply.code()), (200, 0), "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["msg"], json!("success"));
    let data = &body["data"];
    for (field, expected) in [
        ("name", &admin.name),
        ("en_name", &admin.en_name),
        ("open_id", &admin.open_id),
        ("union_id", &admin.union_id),
        ("user_id", &admin.user_id),
        ("email", &admin.email),
        ("mobile", &admin.mobile),
        ("employee_no", &admin.employee_no),
        ("tenant_key", &tenant.tenant_info().tenant_key),
    ] {
        assert_eq!(data[field], json!(expected), "{field}");
    }
    for field in ["avatar_url", "avatar_thumb", "avatar_middle", "avatar_big"] {
        assert!(text(data, field).starts_with("https://"), "{field}");
    }

    sim.user_info(None).await.assert_error(400, 99_991_661);
    sim.user_info(Some("eyJnot-a-token"))
        .await
        .assert_error(400, 99_991_668);
    // A tenant token is not a user token, and a user token is not a tenant token.
    let tenant_token = sim.token().await;
    let reply = sim.user_info(Some(&tenant_token)).await;
    reply.assert_error(400, 99_991_663);
    assert!(reply.text.contains("tenant access token not support"));
    sim.get(endpoints::TENANT_QUERY, &[], Some(&access))
        .await
        .assert_error(400, 99_991_663);
    sim.data(endpoints::TENANT_QUERY, &[], &tenant_token).await;

    // Expired on the simulated clock, then refreshed.
    tenant.advance_token_clock(Duration::from_secs(7200));
    sim.user_info(Some(&access))
        .await
        .assert_error(400, 99_991_677);
    let refreshed = sim.refresh(&text(&tokens, "refresh_token")).await.json();
    let access2 = text(&refreshed, "access_token");
    assert_eq!(sim.user_info(Some(&access2)).await.code(), 0);
    // Expired by the control surface: the next call fails, a refresh recovers.
    tenant.expire_user_tokens();
    sim.user_info(Some(&access2))
        .await
        .assert_error(400, 99_991_677);
    let refreshed = sim.refresh(&text(&refreshed, "refresh_token")).await.json();
    assert_eq!(
        sim.user_info(Some(&text(&refreshed, "access_token")))
            .await
            .code(),
        0
    );

    // user_info is a data API: the fault switches and per-API counts apply.
    tenant.fail_next(1, 500);
    sim.user_info(Some(&text(&refreshed, "access_token")))
        .await
        .assert_error(500, 40_003);
    // A user resigned since the login no longer has a working token.
    tenant.resign_user(&admin.open_id).unwrap();
    sim.user_info(Some(&text(&refreshed, "access_token")))
        .await
        .assert_error(400, 99_991_668);

    let stats = sim.handle.stats();
    assert_eq!(stats.requests_to(endpoints::USER_INFO), 10);
    assert_eq!(stats.auth_failures, 7);
    assert_eq!(stats.oauth_refreshes, 2);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_control_routes_and_stats() {
    use reqwest::Method;
    let sim = Sim::start(oauth_config()).await;
    let tenant = sim.handle.tenant();

    let settings = sim.control(Method::GET, "/oauth", None).await.json();
    assert_eq!(settings["consent"], json!("page"));
    assert_eq!(settings["redirect_urls"], json!([]));
    assert!(
        settings["enabled_scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("offline_access"))
    );
    assert_eq!(settings["refresh_enabled"], json!(true));
    let off = sim
        .control(
            Method::PATCH,
            "/oauth",
            Some(json!({"refresh_enabled": false})),
        )
        .await;
    assert_eq!(off.json()["refresh_enabled"], json!(false), "{}", off.text);
    tenant.set_refresh_enabled(true);

    let patched = sim
        .control(
            Method::PATCH,
            "/oauth",
            Some(json!({"consent": "approve", "redirect_urls": [CALLBACK]})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.json()["consent"], json!("approve"));
    assert_eq!(
        tenant.oauth_settings().redirect_urls,
        vec![CALLBACK.to_owned()]
    );
    let tokens = {
        let code = sim.authorize_with(SCOPES).await.callback()["code"].clone();
        sim.exchange(&code, VERIFIER).await.json()
    };
    for bad in [
        json!({"redirect_urls": ["not a url"], "enabled_scopes": ["a"]}),
        json!({"enabled_scopes": ["two words"]}),
        json!({"consent": "sometimes"}),
        json!({"bogus": true}),
    ] {
        let reply = sim
            .control(Method::PATCH, "/oauth", Some(bad.clone()))
            .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text);
    }
    assert_eq!(
        tenant.oauth_settings().redirect_urls,
        vec![CALLBACK.to_owned()],
        "unchanged"
    );
    sim.control(Method::PATCH, "/oauth", Some(json!({"consent": "deny"})))
        .await;
    assert!(
        sim.authorize_with(SCOPES)
            .await
            .location()
            .contains("error=access_denied")
    );

    let created = sim
        .control(
            Method::POST,
            "/oauth/clients",
            Some(json!({"client_id": "cli_second00000000", "client_secret": "s3cret"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(!created.text.contains("s3cret"));
    let duplicate_main = sim
        .control(
            Method::POST,
            "/oauth/clients",
            Some(json!({"client_id": sim.handle.app_id(), "client_secret": "x"})),
        )
        .await;
    assert_eq!(duplicate_main.status, 400);

    // Faults: expire user tokens, fail the token endpoint once.
    let access = text(&tokens, "access_token");
    let faults = sim
        .control(
            Method::POST,
            "/faults",
            Some(
                json!({"expire_user_tokens": true, "oauth_fail_next": 1, "oauth_fail_status": 503}),
            ),
        )
        .await;
    assert_eq!(faults.json()["oauth_fail_next"], json!(1));
    sim.user_info(Some(&access))
        .await
        .assert_error(400, 99_991_677);
    let refresh = text(&tokens, "refresh_token");
    sim.refresh(&refresh)
        .await
        .assert_oauth_error(503, 20_072, "temporarily_unavailable");
    let rotated = sim.refresh(&refresh).await.json();
    assert_eq!(rotated["code"], json!("0"));

    let admin = tenant
        .users()
        .into_iter()
        .find(|u| u.is_tenant_manager && working(u))
        .unwrap();
    let revoked = sim
        .control(
            Method::DELETE,
            &format!("/oauth/grants/{}", admin.open_id),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    sim.refresh(&text(&rotated, "refresh_token"))
        .await
        .assert_oauth_error(400, 20_064, "invalid_grant");
    assert_eq!(
        sim.control(Method::DELETE, "/oauth/grants/ou_missing", None)
            .await
            .status,
        404
    );

    let stats = sim.control(Method::GET, "/stats", None).await.json();
    assert_eq!(stats["oauth_code_exchanges"], json!(1));
    assert_eq!(stats["oauth_refreshes"], json!(3));
    let by_endpoint = &stats["requests_by_endpoint"];
    assert_eq!(by_endpoint[endpoints::AUTHORIZE], json!(2));
    assert_eq!(by_endpoint[endpoints::OAUTH_TOKEN], json!(4));
    assert_eq!(by_endpoint[endpoints::USER_INFO], json!(1));
    assert!(
        stats["requests_by_endpoint"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.starts_with("/_simulator"))
    );
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_the_default_app_is_set_up_like_the_guide() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let mut scopes = tenant.app_scopes();
    scopes.sort();
    let mut guide: Vec<String> = aviary_lark_simulator::DEFAULT_OAUTH_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    guide.sort();
    assert_eq!(scopes, guide);
    assert_eq!(scopes.len(), 16, "exactly the guide's permission list");
    assert!(!scopes.iter().any(|s| s == "offline_access"));
    tenant.set_consent_mode(ConsentMode::AutoApprove);

    // Asking for offline_access stops the admin on Lark's page; asking for nothing works and
    // gives no refresh token.
    sim.authorize_with("offline_access")
        .await
        .assert_error_page(20_027);
    let plain = sim.authorize_with("").await;
    assert_eq!(plain.status, 302, "{}", plain.text);
    let code = plain.callback()["code"].clone();
    let tokens = sim
        .oauth_token(&json!({
            "grant_type": "authorization_code",
            "client_id": sim.handle.app_id(),
            "client_secret": sim.handle.app_secret(),
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        }))
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.text);
    let body = tokens.json();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("refresh_token_expires_in").is_none(), "{body}");
    let token = text(&body, "access_token");
    assert_eq!(
        sim.user_info(Some(&token)).await.status,
        200,
        "user_info needs no scope"
    );

    // offline_access with the console's refresh switch turned off (it is on by default): a
    // refresh token that Lark will not renew (20074).
    assert!(tenant.oauth_settings().refresh_enabled, "on by default");
    tenant.add_scope("offline_access").unwrap();
    tenant.set_refresh_enabled(false);
    let code = sim.authorize_with("offline_access").await.callback()["code"].clone();
    let issued = sim
        .oauth_token(&json!({
            "grant_type": "authorization_code",
            "client_id": sim.handle.app_id(),
            "client_secret": sim.handle.app_secret(),
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        }))
        .await
        .json();
    let refresh = text(&issued, "refresh_token");
    let refused = sim
        .oauth_token(&json!({
            "grant_type": "refresh_token",
            "client_id": sim.handle.app_id(),
            "client_secret": sim.handle.app_secret(),
            "refresh_token": refresh,
        }))
        .await;
    refused.assert_oauth_error(400, 20_074, "unauthorized_client");
    tenant.set_refresh_enabled(true);
    let renewed = sim
        .oauth_token(&json!({
            "grant_type": "refresh_token",
            "client_id": sim.handle.app_id(),
            "client_secret": sim.handle.app_secret(),
            "refresh_token": refresh,
        }))
        .await;
    assert_eq!(
        renewed.status, 200,
        "the refused refresh did not spend it: {}",
        renewed.text
    );
    sim.handle.stop().await;
}

// ----- user groups, the contact range through groups, installed apps -----

/// A doc sample from the client's `adapters-lark/tests/fixtures/` (one set of verbatim Lark
/// payloads for both).
fn fixture(name: &str) -> Value {
    let file = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The keys of a JSON object.
fn keys(value: &Value) -> std::collections::BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

#[path = "simulator/groups.rs"]
mod groups;

#[path = "simulator/group_range.rs"]
mod group_range;

#[path = "simulator/apps.rs"]
mod apps;

#[path = "simulator/control_groups_apps.rs"]
mod control_groups_apps;
