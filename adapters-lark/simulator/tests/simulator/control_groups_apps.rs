//! The control surface for user groups, installed apps and a contact range with groups, over
//! HTTP and in Rust: what a change does to the Lark APIs, what is refused, and the stats names of
//! the new endpoints.

use aviary_lark_simulator::{NewApp, NewGroup, SimError, SimulatorConfig, endpoints};
use reqwest::Method;
use serde_json::json;

use super::{Sim, config, ids_of};

const SIMPLELIST: &str = "/open-apis/contact/v3/group/simplelist";
const APPS: &str = "/open-apis/application/v6/applications";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_added_changed_and_deleted_over_the_control_routes() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let users = tenant.users();
    let dept = tenant.departments()[0].open_department_id.clone();

    let listed = sim.control(Method::GET, "/groups", None).await;
    assert_eq!(listed.json().as_array().unwrap().len(), 12);

    let created = sim
        .control(
            Method::POST,
            "/groups",
            Some(json!({
                "name": "Night Shift",
                "description": "Works from 22:00",
                "group_id": "nightshift01",
                "member_user_ids": [users[0].open_id, users[1].open_id],
                "member_department_ids": [dept],
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json()["group_id"], json!("nightshift01"));
    let by_custom = sim.control(Method::GET, "/groups/nightshift01", None).await;
    assert_eq!(by_custom.json()["id"], json!(id));
    assert_eq!(by_custom.json()["type"], json!(1));

    let patched = sim
        .control(
            Method::PATCH,
            &format!("/groups/{id}"),
            Some(json!({"name": "Night Owls"})),
        )
        .await;
    assert_eq!(
        patched.json()["name"],
        json!("Night Owls"),
        "{}",
        patched.text
    );
    let api = sim
        .data(&format!("/open-apis/contact/v3/group/{id}"), &[], &token)
        .await;
    assert_eq!(api["group"]["name"], json!("Night Owls"));
    assert_eq!(api["group"]["member_user_count"], json!(2));

    let members = sim
        .control(
            Method::PUT,
            &format!("/groups/{id}/members"),
            Some(json!({"user_ids": [users[2].open_id]})),
        )
        .await;
    assert_eq!(members.json()["member_user_ids"], json!([users[2].open_id]));
    assert_eq!(
        members.json()["member_department_ids"],
        json!([dept]),
        "unchanged"
    );

    for (method, path, body, status) in [
        (
            Method::PATCH,
            format!("/groups/{id}"),
            json!({"id": "g1"}),
            400,
        ),
        (
            Method::PATCH,
            format!("/groups/{id}"),
            json!({"colour": "red"}),
            400,
        ),
        (
            Method::PATCH,
            format!("/groups/{id}"),
            json!({"type": 2}),
            400,
        ),
        (
            Method::PUT,
            format!("/groups/{id}/members"),
            json!({"user_ids": ["ou_missing"]}),
            404,
        ),
        (
            Method::PATCH,
            "/groups/g404".to_owned(),
            json!({"name": "x"}),
            404,
        ),
        (Method::POST, "/groups".to_owned(), json!({"name": ""}), 400),
    ] {
        let reply = sim.control(method, &path, Some(body)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
    }

    // The scope with groups, by either id.
    let scope = sim
        .control(
            Method::PUT,
            "/scope",
            Some(json!({"department_ids": [], "group_ids": ["nightshift01"]})),
        )
        .await;
    assert_eq!(
        scope.json(),
        json!({"department_ids": [], "group_ids": [id]})
    );
    let scopes = sim.data(endpoints::SCOPES, &[], &token).await;
    assert_eq!(
        ids_of(&scopes["group_ids"]),
        vec!["nightshift01".to_owned()]
    );
    assert_eq!(
        sim.control(Method::GET, "/scope", None).await.json(),
        json!({"department_ids": [], "group_ids": [id]})
    );
    let unknown = sim
        .control(Method::PUT, "/scope", Some(json!({"group_ids": ["g404"]})))
        .await;
    assert_eq!(unknown.status, 404);
    let full = sim
        .control(Method::PUT, "/scope", Some(json!({"department_ids": null})))
        .await;
    assert_eq!(
        full.json(),
        json!({"department_ids": null, "group_ids": null})
    );

    assert_eq!(
        sim.control(Method::DELETE, &format!("/groups/{id}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        sim.control(Method::GET, &format!("/groups/{id}"), None)
            .await
            .status,
        404
    );
    sim.get(
        &format!("/open-apis/contact/v3/group/{id}"),
        &[],
        Some(&token),
    )
    .await
    .assert_error(400, 42_002);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_who_resign_or_are_deleted_leave_their_groups() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let users = tenant.users();
    let (stays, resigns, deleted) = (
        users[20].open_id.clone(),
        users[21].open_id.clone(),
        users[22].open_id.clone(),
    );
    let id = tenant
        .add_group(NewGroup::with_users(
            "Leavers",
            [stays.clone(), resigns.clone(), deleted.clone()],
        ))
        .unwrap();
    tenant.resign_user(&resigns).unwrap();
    tenant.delete_user(&deleted).unwrap();
    assert_eq!(
        tenant.group(&id).unwrap().member_user_ids,
        vec![stays.clone()]
    );
    let refused = tenant.set_group_members(&id, [resigns.clone()], Vec::<String>::new());
    assert!(matches!(refused, Err(SimError::Invalid(_))), "{refused:?}");

    let changed = tenant.update_group(&id, |g| g.group_id = "other".to_owned());
    assert!(
        matches!(changed, Err(SimError::Invalid(_))),
        "ids are immutable"
    );
    assert_eq!(
        tenant.delete_group("g404"),
        Err(SimError::UnknownGroup("g404".to_owned()))
    );

    // An emptied department can be deleted and leaves its groups.
    let dept = tenant.add_department("Temp", "0").unwrap();
    tenant
        .set_group_members(&id, [stays.clone()], [dept.clone()])
        .unwrap();
    tenant.delete_department(&dept).unwrap();
    assert!(tenant.group(&id).unwrap().member_department_ids.is_empty());
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_are_installed_changed_and_uninstalled_over_the_control_routes() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let own = sim.handle.app_id();

    let listed = sim.control(Method::GET, "/apps", None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 8);
    assert_eq!(listed[0]["app_id"], json!(own));

    let created = sim
        .control(
            Method::POST,
            "/apps",
            Some(json!({"app_name": "Canteen Menu", "scopes": ["im:message"], "status": 0})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let app_id = created.json()["app_id"].as_str().unwrap().to_owned();
    assert!(app_id.starts_with("cli_") && app_id.len() == 20, "{app_id}");
    let app = sim
        .control(Method::GET, &format!("/apps/{app_id}"), None)
        .await
        .json();
    assert_eq!(app["status"], json!(0));
    assert_eq!(app["scopes"][0]["scope"], json!("im:message"));
    assert_eq!(app["visibility"]["all"], json!(true));

    let patched = sim
        .control(
            Method::PATCH,
            &format!("/apps/{app_id}"),
            Some(json!({"status": 1, "description": "What's for lunch"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let enabled = sim
        .data(APPS, &[("lang", "en_us"), ("status", "1")], &token)
        .await;
    let ids: Vec<&str> = enabled["app_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&app_id.as_str()));

    for (method, path, body, status) in [
        (
            Method::PATCH,
            format!("/apps/{app_id}"),
            json!({"status": 9}),
            400,
        ),
        (
            Method::PATCH,
            format!("/apps/{app_id}"),
            json!({"app_id": "cli_x"}),
            400,
        ),
        (
            Method::PATCH,
            format!("/apps/{app_id}"),
            json!({"visibility": {"users": ["ou_missing"]}}),
            404,
        ),
        (
            Method::PATCH,
            format!("/apps/{own}"),
            json!({"scopes": []}),
            400,
        ),
        (Method::DELETE, format!("/apps/{own}"), json!(null), 400),
        (
            Method::POST,
            "/apps".to_owned(),
            json!({"app_name": " "}),
            400,
        ),
        (
            Method::GET,
            "/apps/cli_missing".to_owned(),
            json!(null),
            404,
        ),
    ] {
        let body = (!body.is_null()).then_some(body);
        let reply = sim.control(method, &path, body).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
    }

    assert_eq!(
        sim.control(Method::DELETE, &format!("/apps/{app_id}"), None)
            .await
            .status,
        204
    );
    assert!(tenant.app(&app_id).is_none());
    let after = sim.data(APPS, &[("lang", "en_us")], &token).await;
    assert_eq!(after["app_list"].as_array().unwrap().len(), 8);

    // In Rust.
    let added = tenant.add_app(NewApp::new("Parking")).unwrap();
    assert_eq!(tenant.apps().len(), 9);
    tenant.update_app(&added, |a| a.status = 2).unwrap();
    assert_eq!(tenant.app(&added).unwrap().status, 2);
    tenant.remove_app(&added).unwrap();
    assert_eq!(
        tenant.remove_app(&added),
        Err(SimError::UnknownApp(added.clone()))
    );
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_endpoints_are_counted_under_their_path_templates() {
    let sim = Sim::start(SimulatorConfig {
        groups: 2,
        apps: 1,
        ..config()
    })
    .await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    assert_eq!((tenant.groups().len(), tenant.apps().len()), (2, 1));
    let group = tenant.groups()[0].id.clone();
    sim.data(SIMPLELIST, &[], &token).await;
    sim.data(
        &format!("/open-apis/contact/v3/group/{group}/member/simplelist"),
        &[],
        &token,
    )
    .await;
    sim.data(&format!("/open-apis/contact/v3/group/{group}"), &[], &token)
        .await;
    sim.data(APPS, &[("lang", "zh_cn")], &token).await;
    sim.data(
        "/open-apis/application/v2/app/visibility",
        &[("app_id", sim.handle.app_id().as_str())],
        &token,
    )
    .await;
    let stats = sim.handle.stats();
    for endpoint in [
        endpoints::GROUPS,
        endpoints::GROUP_MEMBERS,
        endpoints::GROUP,
        endpoints::APPLICATIONS,
        endpoints::APP_VISIBILITY,
    ] {
        assert_eq!(stats.requests_to(endpoint), 1, "{endpoint}");
    }
    assert_eq!(stats.requests_to(endpoints::UNKNOWN), 0);
    sim.handle.stop().await;
}
