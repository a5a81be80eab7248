//! `GET …/groups`, `…/groups/{group}`, `…/apps`, `…/apps/{app_id}` and the accounts' `group`
//! filter: what the sync stored from the simulated tenant, by id, custom id or name, with
//! history; unknown groups and apps are 404s, an unknown group filter a 400.

use actix_web::http::StatusCode;
use actix_web::test;
use aviary_app_http::server::app;
use serde_json::Value;

use super::base;
use super::common::{Resp, fixture};

fn items(res: &Resp) -> Vec<Value> {
    res.json()["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn groups_are_listed_with_their_members_and_shown_by_id_custom_id_or_name() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let tenant = fx.simulator.tenant();
    let res = get!(fx, &app, format!("{}/groups", base(&fx)));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let groups = items(&res);
    assert_eq!(groups.len(), tenant.groups().len());
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "ordered by name");
    let sim = tenant
        .groups()
        .into_iter()
        .find(|g| !g.member_department_ids.is_empty())
        .unwrap();
    let listed = groups.iter().find(|g| g["id"] == sim.id.as_str()).unwrap();
    assert_eq!(listed["group_id"], sim.group_id.as_str());
    assert_eq!(listed["presence"], "present");
    let mut users = sim.member_user_ids.clone();
    users.sort();
    assert_eq!(listed["users"], serde_json::json!(users));
    assert_eq!(
        listed["departments"].as_array().unwrap().len(),
        sim.member_department_ids.len()
    );

    for key in [&sim.id, &sim.group_id, &sim.name.to_uppercase()] {
        let key: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        let res = get!(fx, &app, format!("{}/groups/{key}", base(&fx)));
        assert_eq!(res.status, StatusCode::OK, "{key}: {}", res.body);
        let shown = res.json();
        assert_eq!(shown["id"], sim.id.as_str());
        assert_eq!(shown["history"][0]["kind"], "added", "{shown}");
        assert_eq!(shown["history"][0]["subject_type"], "group");
    }
    let res = get!(fx, &app, format!("{}/groups/nobody", base(&fx)));
    res.error(StatusCode::NOT_FOUND, "group_not_found");
}

#[actix_web::test]
async fn accounts_filter_by_group_members_and_departments() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let tenant = fx.simulator.tenant();
    let sim = tenant
        .groups()
        .into_iter()
        .find(|g| !g.member_user_ids.is_empty() && g.member_department_ids.is_empty())
        .unwrap();
    let res = get!(
        fx,
        &app,
        format!("{}/accounts?group={}&limit=500", base(&fx), sim.id)
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let mut found: Vec<String> = items(&res)
        .iter()
        .map(|a| a["open_id"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    let mut members = sim.member_user_ids.clone();
    members.sort();
    assert_eq!(found, members);

    let with_departments = tenant
        .groups()
        .into_iter()
        .find(|g| !g.member_department_ids.is_empty())
        .unwrap();
    let res = get!(
        fx,
        &app,
        format!(
            "{}/accounts?group={}&limit=500",
            base(&fx),
            with_departments.id
        )
    );
    let found = items(&res);
    assert!(
        found.len() > with_departments.member_user_ids.len(),
        "the member departments' people are members too"
    );
    let member = &sim.member_user_ids[0];
    let res = get!(fx, &app, format!("{}/accounts/{member}", base(&fx)));
    let groups = res.json()["groups"].clone();
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == sim.id.as_str()),
        "the account names its group: {groups}"
    );
    let res = get!(fx, &app, format!("{}/accounts?group=nobody", base(&fx)));
    let message = res.error(StatusCode::BAD_REQUEST, "unknown_group");
    assert!(message.contains("nobody"), "{message}");
}

#[actix_web::test]
async fn apps_are_listed_and_shown_with_permissions_and_availability() {
    let fx = fixture().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let tenant = fx.simulator.tenant();
    let res = get!(fx, &app, format!("{}/apps", base(&fx)));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let apps = items(&res);
    assert_eq!(apps.len(), tenant.apps().len());
    let own = apps
        .iter()
        .find(|a| a["app_id"] == fx.simulator.app_id().as_str())
        .expect("the integration's own app is installed");
    assert_eq!(own["status"], "enabled");
    assert_eq!(own["scene"], "custom");
    assert!(
        own["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "admin:app.info:readonly")
    );
    assert!(apps.iter().any(|a| a["visibility"].is_object()), "{apps:?}");
    assert!(
        apps.iter().all(|a| !a.to_string().contains("secret")),
        "no secret in any app"
    );

    let res = get!(
        fx,
        &app,
        format!("{}/apps/{}", base(&fx), fx.simulator.app_id())
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["history"][0]["subject_type"], "app");
    let res = get!(fx, &app, format!("{}/apps/cli_nobody", base(&fx)));
    res.error(StatusCode::NOT_FOUND, "app_not_found");
    let res = get!(
        fx,
        &app,
        format!("{}/apps?include_removed=maybe", base(&fx))
    );
    res.error(StatusCode::BAD_REQUEST, "invalid_parameter");
}
