//! `GET /api/v1/openapi.json` against the app it describes: served without a key, OpenAPI 3.1;
//! every route the app serves is documented and every documented operation is served (called
//! with real ids, it answers a documented success); every answer's status is documented and
//! its JSON fits the documented schema key for key; the documented query values are the ones
//! the routes accept; the documented security is the one enforced.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use serde_json::{Map, Value, json};

use super::common::{Fixture, Resp, fixture};

/// The routes `server::app` and `api::configure` register, copied from them by hand: a route
/// added there but not documented, or documented but not served, fails
/// `the_document_lists_exactly_the_routes_the_app_serves`.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/integrations"),
    ("POST", "/api/v1/integrations"),
    ("GET", "/api/v1/integrations/{integration}"),
    ("PATCH", "/api/v1/integrations/{integration}"),
    ("DELETE", "/api/v1/integrations/{integration}"),
    ("POST", "/api/v1/integrations/{integration}/connect"),
    ("GET", "/api/v1/integrations/{integration}/status"),
    ("GET", "/api/v1/integrations/{integration}/doctor"),
    ("GET", "/api/v1/integrations/{integration}/accounts"),
    (
        "GET",
        "/api/v1/integrations/{integration}/accounts/{open_id}",
    ),
    ("GET", "/api/v1/integrations/{integration}/departments"),
    ("GET", "/api/v1/integrations/{integration}/groups"),
    ("GET", "/api/v1/integrations/{integration}/groups/{group}"),
    ("GET", "/api/v1/integrations/{integration}/apps"),
    ("GET", "/api/v1/integrations/{integration}/apps/{app_id}"),
    ("GET", "/api/v1/integrations/{integration}/runs"),
    ("POST", "/api/v1/integrations/{integration}/sync"),
    ("GET", "/api/v1/runs/{run_id}"),
    ("POST", "/api/v1/runs/{run_id}/confirm"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The document's tags, in its order; each operation has one of them.
const TAGS: [&str; 8] = [
    "integrations",
    "accounts",
    "departments",
    "groups",
    "apps",
    "runs",
    "sync",
    "health",
];

/// The integration `POST /api/v1/integrations` registers here, and `DELETE` removes.
const PROBE: &str = "openapi-probe";

/// A documented operation.
struct Operation {
    method: String,
    path: String,
    spec: Value,
}

impl Operation {
    /// `security: []`: the operation needs no key (the document's `bearer` otherwise).
    fn open(&self) -> bool {
        self.spec["security"] == json!([])
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, spec) in item.as_object().unwrap() {
            found.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                spec: spec.clone(),
            });
        }
    }
    found
}

/// Real values for the path parameters: the fixture's integration (the probe for `DELETE`),
/// an account with history, its newest run.
struct Ids {
    integration: String,
    open_id: String,
    run_id: String,
    /// A held run (of a second integration), for `POST …/confirm`.
    held_run: String,
    /// A synced user group and installed app.
    group: String,
    app_id: String,
}

async fn ids(fx: &Fixture) -> Ids {
    let runs = fx
        .services
        .queries
        .runs(fx.integration.id, 1)
        .await
        .unwrap();
    let groups = fx
        .services
        .queries
        .groups(fx.integration.id, false)
        .await
        .unwrap();
    let apps = fx
        .services
        .queries
        .apps(fx.integration.id, false)
        .await
        .unwrap();
    Ids {
        group: groups[0].state.id.as_str().to_owned(),
        app_id: apps[0].state.app_id.as_str().to_owned(),
        integration: fx.integration.id.to_string(),
        open_id: fx.frozen.clone(),
        run_id: runs[0].id.to_string(),
        held_run: super::common::held_run(fx).await.to_string(),
    }
}

fn concrete(op: &Operation, ids: &Ids) -> String {
    let integration = if op.method == "DELETE" {
        PROBE
    } else {
        &ids.integration
    };
    let uri = op
        .path
        .replace("{integration}", integration)
        .replace("{open_id}", &ids.open_id)
        .replace("{group}", &ids.group)
        .replace("{app_id}", &ids.app_id)
        .replace(
            "{run_id}",
            if op.path.ends_with("/confirm") {
                &ids.held_run
            } else {
                &ids.run_id
            },
        );
    assert!(!uri.contains('{'), "no test value for a parameter of {uri}");
    uri
}

/// The body a write operation is called with; one that takes a body the test does not know
/// fails here, so that a new write route gets one.
fn body(fx: &Fixture, op: &Operation) -> Option<Value> {
    match (op.method.as_str(), op.path.as_str()) {
        ("POST", "/api/v1/integrations") => Some(json!({
            "label": PROBE,
            "region": "lark",
            "app_id": fx.simulator.app_id(),
            "app_secret": fx.app_secret,
            "base_url": fx.simulator.base_url(),
            "verify": false,
        })),
        ("PATCH", "/api/v1/integrations/{integration}") => {
            Some(json!({"sync_interval_minutes": 30}))
        }
        ("POST", "/api/v1/integrations/{integration}/connect") => {
            Some(json!({"offline_access": false}))
        }
        _ => {
            assert!(
                op.spec.get("requestBody").is_none(),
                "give {} {} a test body",
                op.method,
                op.path
            );
            None
        }
    }
}

fn request(fx: &Fixture, method: &str, uri: &str, key: bool) -> TestRequest {
    let req = TestRequest::default()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri);
    if key {
        req.insert_header(("Authorization", format!("Bearer {}", fx.key)))
    } else {
        req
    }
}

macro_rules! document {
    ($fx:expr, $app:expr) => {{
        let res = send!($fx, $app, TestRequest::get().uri("/api/v1/openapi.json"));
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        res.json()
    }};
}

/// The schema `schema` stands for, following `$ref`s.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => {
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("not a schema reference: {target}"));
            let found = &doc["components"]["schemas"][name];
            assert!(!found.is_null(), "dangling reference {target}");
            resolve(doc, found)
        }
        None => schema,
    }
}

/// An object schema's properties, required keys and `additionalProperties`, `allOf` parts
/// (the views' `#[serde(flatten)]`) merged.
#[derive(Default)]
struct ObjectShape {
    properties: Map<String, Value>,
    required: BTreeSet<String>,
    additional: Option<Value>,
    /// Whether the schema says anything about the keys (`{"type": "object"}` alone does not).
    described: bool,
}

fn object_shape(doc: &Value, schema: &Value, shape: &mut ObjectShape) {
    let schema = resolve(doc, schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        object_shape(doc, part, shape);
    }
    if let Some(properties) = schema["properties"].as_object() {
        shape.described = true;
        shape
            .properties
            .extend(properties.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for key in schema["required"].as_array().into_iter().flatten() {
        shape.required.insert(key.as_str().unwrap().to_owned());
    }
    if let Some(additional) = schema.get("additionalProperties") {
        shape.described = true;
        shape.additional = Some(additional.clone());
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What does not fit when `value` is matched against `schema`, as `where: what`; empty when it
/// fits. Stricter than JSON Schema on purpose: an object key the schema does not name is a
/// misfit (the views must document every key they serialise).
fn misfits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    if let Some(choices) = schema["oneOf"].as_array() {
        let each: Vec<Vec<String>> = choices
            .iter()
            .map(|choice| misfits(doc, choice, value, at))
            .collect();
        return if each.iter().any(Vec::is_empty) {
            Vec::new()
        } else {
            vec![format!("{at}: fits no `oneOf` choice: {each:?}")]
        };
    }
    let actual = json_type(value);
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().map(|t| t.as_str().unwrap()).collect(),
        _ => Vec::new(),
    };
    let number = actual == "integer" && types.contains(&"number");
    if !types.is_empty() && !types.contains(&actual) && !number {
        return vec![format!("{at}: {actual} where the document says {types:?}")];
    }
    let mut found = Vec::new();
    if let Some(allowed) = schema["enum"].as_array()
        && !value.is_null()
        && !allowed.contains(value)
    {
        found.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(format), Some(text)) = (schema["format"].as_str(), value.as_str()) {
        let fits = match format {
            "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            "uuid" => uuid::Uuid::parse_str(text).is_ok(),
            _ => true,
        };
        if !fits {
            found.push(format!("{at}: {text:?} is not a {format}"));
        }
    }
    match value {
        Value::Object(map) => {
            let mut shape = ObjectShape::default();
            object_shape(doc, schema, &mut shape);
            if !shape.described {
                return found;
            }
            for (key, item) in map {
                let place = format!("{at}.{key}");
                match (shape.properties.get(key), &shape.additional) {
                    (Some(property), _) => found.extend(misfits(doc, property, item, &place)),
                    (None, Some(additional)) if additional.is_object() => {
                        found.extend(misfits(doc, additional, item, &place));
                    }
                    (None, _) => found.push(format!("{place}: not in the document")),
                }
            }
            for key in &shape.required {
                if !map.contains_key(key) {
                    found.push(format!("{at}.{key}: required by the document, not sent"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    found.extend(misfits(doc, item_schema, item, &format!("{at}[{i}]")));
                }
            }
        }
        _ => {}
    }
    found
}

/// Panics unless `res` is an answer `op` documents: its status, its content type, and for
/// JSON a body that fits the documented schema.
#[track_caller]
fn assert_documented(doc: &Value, op: &Operation, uri: &str, res: &Resp) {
    let status = res.status.as_str();
    let documented = &op.spec["responses"][status];
    assert!(
        documented.is_object(),
        "{} {uri} answered {status}, which the document does not list: {}",
        op.method,
        res.body
    );
    let Some(content) = documented["content"].as_object() else {
        assert!(
            res.body.is_empty(),
            "{} {uri}: an undocumented body",
            op.method
        );
        return;
    };
    let media = res
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let Some(documented) = content.get(&media) else {
        panic!(
            "{} {uri} ({status}) answered {media}, not documented",
            op.method
        );
    };
    if media == "application/json" {
        let problems = misfits(doc, &documented["schema"], &res.json(), "$");
        assert!(
            problems.is_empty(),
            "{} {uri} ({status}) does not fit the document: {problems:#?}",
            op.method
        );
    }
}

/// Waits until no run of the fixture's integration is running (a test that started one
/// leaves nothing behind).
async fn settled(fx: &Fixture) {
    for _ in 0..300 {
        let runs = fx
            .services
            .queries
            .runs(fx.integration.id, 1)
            .await
            .unwrap();
        if runs[0].status.as_str() != "running" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run did not finish within 30 s");
}

/// Every `$ref` anywhere in `value`.
fn references<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item.as_str()) {
                    ("$ref", Some(target)) => out.push(target),
                    _ => references(item, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_document_is_served_without_a_key_and_is_openapi_3() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let doc = document!(fx, &app);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Aviary");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(!doc["info"]["description"].as_str().unwrap().is_empty());
    // A refused key does not matter either: the document is matched before the API scope.
    let with_bad_key = send!(
        fx,
        &app,
        TestRequest::get()
            .uri("/api/v1/openapi.json")
            .insert_header(("Authorization", "Bearer avk_nope"))
    );
    assert_eq!(with_bad_key.status, StatusCode::OK);
    assert_eq!(with_bad_key.json(), doc);
    assert_eq!(
        with_bad_key.header("content-type"),
        Some("application/json")
    );
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        send!(
            fx,
            &app,
            request(&fx, method, "/api/v1/openapi.json", false)
        )
        .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    }

    // The API key, as a bearer token, on every operation but the three open ones.
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    let open: BTreeSet<String> = operations(&doc)
        .iter()
        .filter(|op| op.open())
        .map(|op| format!("{} {}", op.method, op.path))
        .collect();
    let expected = ["GET /api/v1/openapi.json", "GET /healthz", "GET /readyz"];
    assert_eq!(open, expected.map(str::to_owned).into());
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, TAGS);
    for op in operations(&doc) {
        assert!(op.open() || op.spec.get("security").is_none());
        assert_eq!(op.spec["tags"].as_array().unwrap().len(), 1);
        assert!(
            TAGS.contains(&op.spec["tags"][0].as_str().unwrap()),
            "{} {}",
            op.method,
            op.path
        );
    }

    let mut targets = Vec::new();
    references(&doc, &mut targets);
    assert!(targets.len() > 50);
    for target in targets {
        resolve(&doc, &json!({ "$ref": target }));
    }
    let ids: Vec<String> = operations(&doc)
        .iter()
        .map(|op| op.spec["operationId"].as_str().unwrap().to_owned())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "operation ids repeat: {ids:?}");
}

#[actix_web::test]
async fn the_document_lists_exactly_the_routes_the_app_serves() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let doc = document!(fx, &app);
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|op| (op.method, op.path))
        .collect();
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served, not documented: {undocumented:?}; documented, not in the route table: \
         {unserved:?}"
    );

    // Every documented operation is served: with real ids it answers a documented success
    // (reads first, then writes, then the removal of what they registered).
    let ids = ids(&fx).await;
    let mut ops = operations(&doc);
    ops.sort_by_key(|op| (op.method == "DELETE", op.method != "GET"));
    for op in &ops {
        let uri = concrete(op, &ids);
        let mut req = request(&fx, &op.method, &uri, !op.open());
        if let Some(body) = body(&fx, op) {
            req = req.set_json(body);
        }
        let res = send!(fx, &app, req);
        assert!(
            res.status.is_success(),
            "{} {uri}: {} {}",
            op.method,
            res.status,
            res.body
        );
        assert_documented(&doc, op, &uri, &res);
    }
    settled(&fx).await;

    // Nothing else is served under a documented API path: other methods are the JSON 405.
    let paths: BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
    for path in paths.into_iter().filter(|p| p.starts_with("/api/")) {
        for method in METHODS {
            if routes.contains(&(method.to_owned(), path.to_owned())) {
                continue;
            }
            let uri = path
                .replace("{integration}", &ids.integration)
                .replace("{open_id}", &ids.open_id)
                .replace("{group}", &ids.group)
                .replace("{app_id}", &ids.app_id)
                .replace("{run_id}", &ids.run_id);
            send!(fx, &app, request(&fx, method, &uri, true))
                .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        }
    }
}

#[actix_web::test]
async fn answers_fit_their_documented_schemas_key_for_key() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let doc = document!(fx, &app);
    let ids = ids(&fx).await;
    let ops: BTreeMap<(String, String), Operation> = operations(&doc)
        .into_iter()
        .map(|op| ((op.method.clone(), op.path.clone()), op))
        .collect();
    let base = format!("/api/v1/integrations/{}", ids.integration);
    let cases: Vec<(&str, String)> = vec![
        ("/api/v1/integrations", "/api/v1/integrations".to_owned()),
        ("/api/v1/integrations/{integration}", base.clone()),
        (
            "/api/v1/integrations/{integration}/accounts",
            format!("{base}/accounts?limit=5"),
        ),
        (
            "/api/v1/integrations/{integration}/accounts",
            format!("{base}/accounts?include_removed=true&sort=updated&order=desc"),
        ),
        (
            "/api/v1/integrations/{integration}/accounts",
            format!("{base}/accounts?format=csv&limit=5"),
        ),
        (
            "/api/v1/integrations/{integration}/accounts/{open_id}",
            format!("{base}/accounts/{}", fx.deleted),
        ),
        (
            "/api/v1/integrations/{integration}/departments",
            format!("{base}/departments?shape=tree"),
        ),
        (
            "/api/v1/integrations/{integration}/departments",
            format!("{base}/departments?include_removed=true"),
        ),
        (
            "/api/v1/integrations/{integration}/runs",
            format!("{base}/runs"),
        ),
        (
            "/api/v1/runs/{run_id}",
            format!("/api/v1/runs/{}", ids.run_id),
        ),
        (
            "/api/v1/runs/{run_id}",
            format!("/api/v1/runs/{}?limit=1", ids.run_id),
        ),
        (
            "/api/v1/integrations/{integration}/status",
            format!("{base}/status"),
        ),
        (
            "/api/v1/integrations/{integration}/doctor",
            format!("{base}/doctor"),
        ),
        // Errors have their documented shape too.
        (
            "/api/v1/integrations/{integration}",
            "/api/v1/integrations/nope".to_owned(),
        ),
        (
            "/api/v1/runs/{run_id}",
            "/api/v1/runs/not-a-uuid".to_owned(),
        ),
        (
            "/api/v1/runs/{run_id}",
            format!("/api/v1/runs/{}?cursor=AAAA", ids.run_id),
        ),
        (
            "/api/v1/integrations/{integration}/accounts",
            format!("{base}/accounts?department=Nowhere"),
        ),
    ];
    for (path, uri) in cases {
        let op = &ops[&("GET".to_owned(), path.to_owned())];
        let res = get!(fx, &app, uri);
        assert_documented(&doc, op, &uri, &res);
        if uri.contains("format=csv") {
            assert!(res.header("x-next-cursor").is_some(), "{uri}");
        }
    }

    // A removed account, a run with changes, a tree with children: the checks saw real data.
    let account = get!(fx, &app, format!("{base}/accounts/{}", fx.deleted)).json();
    assert!(
        account["removed_at"].is_string() && !account["history"].as_array().unwrap().is_empty()
    );
    let run = get!(fx, &app, format!("/api/v1/runs/{}", ids.run_id)).json();
    assert!(!run["changes"].as_array().unwrap().is_empty(), "{run}");
    let paged = get!(fx, &app, format!("/api/v1/runs/{}?limit=1", ids.run_id)).json();
    assert!(paged["next_cursor"].is_string(), "{paged}");
    let tree = get!(fx, &app, format!("{base}/departments?shape=tree")).json();
    assert!(
        tree["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| !d["children"].as_array().unwrap().is_empty()),
        "{tree}"
    );

    // The checker itself: an undocumented key, a missing required one, a wrong type and a
    // value outside an enum are all caught.
    let schema = json!({"$ref": "#/components/schemas/IntegrationView"});
    let good = get!(fx, &app, base.clone()).json();
    assert!(misfits(&doc, &schema, &good, "$").is_empty());
    for (field, value) in [
        ("extra", json!(1)),
        ("status", json!("sleepy")),
        ("label", json!(7)),
        ("created_at", json!("yesterday")),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        assert_eq!(misfits(&doc, &schema, &bad, "$").len(), 1, "{field}");
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("tenant_name");
    assert_eq!(misfits(&doc, &schema, &missing, "$").len(), 1);
}

#[actix_web::test]
async fn documented_parameter_values_are_exactly_the_accepted_ones() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let doc = document!(fx, &app);
    let ids = ids(&fx).await;
    let mut checked = 0;
    for op in operations(&doc) {
        let uri = concrete(&op, &ids);
        for param in op.spec["parameters"].as_array().into_iter().flatten() {
            let name = param["name"].as_str().unwrap();
            let schema = resolve(&doc, &param["schema"]);
            let schema = match schema["oneOf"].as_array() {
                Some(one) if one.len() == 1 => resolve(&doc, &one[0]),
                _ => schema,
            };
            let (accepted, refused): (Vec<String>, Vec<String>) = match &schema["type"] {
                _ if schema["enum"].is_array() => (
                    schema["enum"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect(),
                    vec!["bogus".to_owned()],
                ),
                t if t == "boolean" => (vec!["true".into(), "false".into()], vec!["yes".into()]),
                t if t == "integer" => {
                    let min = schema["minimum"].as_i64().unwrap();
                    let max = schema["maximum"].as_i64().unwrap();
                    (
                        vec![min.to_string(), max.to_string()],
                        vec![(min - 1).to_string(), (max + 1).to_string(), "x".into()],
                    )
                }
                _ if schema["format"] == "uuid" => (Vec::new(), vec!["not-a-uuid".into()]),
                _ => continue,
            };
            let place = param["in"].as_str().unwrap();
            let with = |value: &str| match place {
                "query" => format!("{uri}?{name}={value}"),
                "path" => uri
                    .replace(&ids.run_id, value)
                    .replace(&ids.held_run, value),
                other => panic!("a parameter in {other}"),
            };
            for value in accepted {
                let target = with(&value);
                let res = send!(fx, &app, request(&fx, &op.method, &target, !op.open()));
                assert!(
                    res.status.is_success(),
                    "{target}: {} {}",
                    res.status,
                    res.body
                );
                assert_documented(&doc, &op, &target, &res);
            }
            for value in refused {
                let target = with(&value);
                let res = send!(fx, &app, request(&fx, &op.method, &target, !op.open()));
                let message = res.error(StatusCode::BAD_REQUEST, "invalid_parameter");
                assert!(message.contains(name), "{target}: {message}");
                assert_documented(&doc, &op, &target, &res);
            }
            checked += 1;
        }
    }
    // status, role, include_removed, sort, order, limit, format; include_removed, shape;
    // include_removed of groups and of apps; limit; run_id and limit of show, run_id of confirm.
    assert_eq!(checked, 15);
}

#[actix_web::test]
async fn the_documented_security_is_the_one_enforced() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let doc = document!(fx, &app);
    let ids = ids(&fx).await;
    for op in operations(&doc) {
        let uri = concrete(&op, &ids);
        let res = send!(fx, &app, request(&fx, &op.method, &uri, false));
        if op.open() {
            assert!(res.status.is_success(), "{uri}: {}", res.status);
        } else {
            res.error(StatusCode::UNAUTHORIZED, "unauthorized");
            assert_documented(&doc, &op, &uri, &res);
        }
    }
}
