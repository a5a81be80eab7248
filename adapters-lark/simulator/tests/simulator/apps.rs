//! The installed-apps list (`application/v6/applications`) against the documented item, its
//! paging, per-page `total_count`, `lang`, filters, errors and its 100-a-minute limit; and the
//! legacy availability API (`application/v2/app/visibility`) with its integer flags, user
//! paging and its HTTP-200 error.

use std::time::Duration;

use aviary_lark_simulator::{SimAppVisibility, SimulatorConfig, endpoints};
use serde_json::{Value, json};

use super::{Sim, config, fixture, keys};

const APPS: &str = "/open-apis/application/v6/applications";
const VISIBILITY: &str = "/open-apis/application/v2/app/visibility";

/// Every page of the apps list with `query`; returns the pages' `data`.
async fn pages(sim: &Sim, query: &[(&str, &str)], token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        if !page_token.is_empty() {
            q.push(("page_token", &page_token));
        }
        let data = sim.data(APPS, &q, token).await;
        let more = data["has_more"] == json!(true);
        if more {
            page_token = data["page_token"].as_str().unwrap().to_owned();
        } else {
            assert!(data.get("page_token").is_none(), "{data}");
        }
        out.push(data);
        if !more {
            return out;
        }
    }
}

fn items(pages: &[Value]) -> Vec<Value> {
    pages
        .iter()
        .flat_map(|p| p["app_list"].as_array().unwrap().clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_apps_list_has_the_documented_item_and_counts_enabled_apps_per_page() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let installed = tenant.apps();
    assert_eq!(installed.len(), 8, "eight apps by default");

    let sample = fixture("application_v6_list_feishu.json");
    let all = pages(&sim, &[("lang", "en_us"), ("page_size", "3")], &token).await;
    assert_eq!(all.len(), 3);
    assert_eq!(keys(&all[0]), keys(&sample["data"]));
    for page in &all {
        let enabled = page["app_list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == json!(1))
            .count();
        assert_eq!(
            page["total_count"],
            json!(enabled),
            "enabled apps of this page only"
        );
    }
    let listed = items(&all);
    let ids: Vec<&str> = listed
        .iter()
        .map(|a| a["app_id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = installed.iter().map(|a| a.app_id.as_str()).collect();
    assert_eq!(ids, expected);

    // Every key is a documented one; documented-optional keys are the only ones ever missing.
    let item_keys = keys(&sample["data"]["app_list"][0]);
    let owner_keys = keys(&sample["data"]["app_list"][0]["owner"]);
    for app in &listed {
        let mut have = keys(app);
        assert!(have.is_subset(&item_keys), "{have:?}");
        have.insert("create_source".to_owned());
        assert_eq!(
            have, item_keys,
            "only create_source (Base apps only) may be missing"
        );
        assert!(keys(&app["owner"]).is_subset(&owner_keys));
        assert!(app["app_id"].as_str().unwrap().starts_with("cli_"));
        for key in ["status", "scene_type", "payment_type"] {
            assert!(app[key].is_u64(), "{key}: {app}");
        }
        assert!(app["scopes"][0]["level"].is_u64());
    }

    // The simulator's own app is installed too, with the scopes it has enabled now.
    let own = &listed[0];
    assert_eq!(own["app_id"], json!(sim.handle.app_id()));
    assert_eq!(own["app_name"], json!("Aviary"));
    assert_eq!(own["scene_type"], json!(0));
    assert_eq!(own["owner"]["type"], json!(2));
    let scopes: Vec<&str> = own["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, tenant.app_scopes());
    tenant.remove_scope("contact:user.gender:readonly");
    let again = sim
        .data(APPS, &[("lang", "en_us"), ("page_size", "1")], &token)
        .await;
    assert_eq!(
        again["app_list"][0]["scopes"].as_array().unwrap().len(),
        scopes.len() - 1
    );

    // creator_id and an internal owner's id follow user_id_type.
    let creator = tenant.user(own["creator_id"].as_str().unwrap()).unwrap();
    let by_user_id = sim
        .data(
            APPS,
            &[
                ("lang", "en_us"),
                ("page_size", "1"),
                ("user_id_type", "user_id"),
            ],
            &token,
        )
        .await;
    assert_eq!(
        by_user_id["app_list"][0]["creator_id"],
        json!(creator.user_id)
    );
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lang_is_required_and_picks_the_language_of_scope_descriptions_and_categories() {
    let sim = Sim::start(config()).await;
    let token = sim.token().await;
    let describe = |data: &Value| -> (String, String) {
        let own = &data["app_list"][0];
        let scope = own["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scope"] == json!("contact:group:readonly"))
            .unwrap();
        (
            scope["description"].as_str().unwrap().to_owned(),
            own["common_categories"][0].as_str().unwrap().to_owned(),
        )
    };
    let en = sim.data(APPS, &[("lang", "en_us")], &token).await;
    let zh = sim.data(APPS, &[("lang", "zh_cn")], &token).await;
    let ja = sim.data(APPS, &[("lang", "ja_jp")], &token).await;
    assert_eq!(
        describe(&en),
        (
            "Obtain user group information".to_owned(),
            "IT management".to_owned()
        )
    );
    assert_eq!(
        describe(&zh),
        ("获取用户组信息".to_owned(), "IT 管理".to_owned())
    );
    assert_eq!(describe(&ja).0, "ユーザーグループ情報を取得");
    // The name and description stay in the app's primary language.
    assert_eq!(zh["app_list"][0]["app_name"], en["app_list"][0]["app_name"]);

    for query in [vec![], vec![("lang", "fr_fr")], vec![("lang", "EN_US")]] {
        let reply = sim.get(APPS, &query, Some(&token)).await;
        reply.assert_error(400, 99_992_402);
        assert_eq!(
            reply.json()["error"]["field_violations"][0]["field"],
            json!("lang")
        );
    }
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_list_filters_by_status_and_answers_its_own_error_codes() {
    let sim = Sim::start(SimulatorConfig {
        apps: 40,
        ..config()
    })
    .await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    for status in 0..=2u8 {
        let expected: Vec<String> = tenant
            .apps()
            .into_iter()
            .filter(|a| a.status == status)
            .map(|a| a.app_id)
            .collect();
        let s = status.to_string();
        let listed = items(
            &pages(
                &sim,
                &[("lang", "en_us"), ("page_size", "7"), ("status", &s)],
                &token,
            )
            .await,
        );
        let ids: Vec<String> = listed
            .iter()
            .map(|a| a["app_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, expected, "status {status}");
    }

    for (query, status, code) in [
        (vec![("page_size", "0")], 400, 211_004),
        (vec![("page_size", "51")], 400, 211_004),
        (vec![("page_size", "many")], 400, 99_992_402),
        (vec![("page_token", "15")], 400, 211_003),
        (vec![("status", "3")], 400, 99_992_402),
        (vec![("user_id_type", "email")], 400, 99_992_402),
    ] {
        let mut query = query;
        query.push(("lang", "en_us"));
        sim.get(APPS, &query, Some(&token))
            .await
            .assert_error(status, code);
    }
    sim.data(APPS, &[("lang", "en_us"), ("page_size", "50")], &token)
        .await;
    // A token from one filter does not continue another listing.
    let enabled = sim
        .data(
            APPS,
            &[("lang", "en_us"), ("page_size", "2"), ("status", "1")],
            &token,
        )
        .await;
    let page_token = enabled["page_token"].as_str().unwrap();
    sim.get(
        APPS,
        &[("lang", "en_us"), ("page_token", page_token)],
        Some(&token),
    )
    .await
    .assert_error(400, 211_003);

    // Without admin:app.info:readonly: 99991672, for both app APIs.
    assert!(tenant.remove_scope("admin:app.info:readonly"));
    let own = sim.handle.app_id();
    for (path, query) in [
        (APPS, vec![("lang", "en_us")]),
        (VISIBILITY, vec![("app_id", own.as_str())]),
    ] {
        let reply = sim.get(path, &query, Some(&token)).await;
        reply.assert_error(400, 99_991_672);
        assert_eq!(
            reply.json()["error"]["permission_violations"][0]["subject"],
            json!("admin:app.info:readonly")
        );
    }
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_list_allows_a_hundred_requests_a_minute() {
    let sim = Sim::start(SimulatorConfig {
        rate_limits: true,
        ..config()
    })
    .await;
    let token = sim.token().await;
    let query = [("lang", "en_us"), ("page_size", "1")];
    let mut served = 0;
    let refused = loop {
        let reply = sim.get(APPS, &query, Some(&token)).await;
        match (reply.status, reply.header("x-ogw-ratelimit-limit")) {
            (200, _) => served += 1,
            // The usual 50 a second: wait for the next second.
            (429, Some("50")) => tokio::time::sleep(Duration::from_millis(100)).await,
            _ => break reply,
        }
        assert!(served <= 100, "more than 100 served");
    };
    refused.assert_error(429, 99_991_400);
    assert_eq!(refused.header("x-ogw-ratelimit-limit"), Some("100"));
    assert_eq!(served, 100);
    // Other APIs keep their own budget.
    sim.data(endpoints::TENANT_QUERY, &[], &token).await;
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_visibility_pages_users_with_integer_flags_and_answers_unknown_apps_with_http_200() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let users = tenant.users();
    let department = tenant.departments()[1].clone();
    let group = tenant.groups()[2].clone();
    let app_id = tenant.apps()[3].app_id.clone();
    let visible: Vec<String> = users[..3].iter().map(|u| u.open_id.clone()).collect();
    tenant
        .update_app(&app_id, |a| {
            a.visibility = SimAppVisibility {
                all: false,
                departments: vec![department.open_department_id.clone()],
                users: visible.clone(),
                groups: vec![group.id.clone()],
                invisible_users: vec![users[5].open_id.clone()],
                ..SimAppVisibility::default()
            };
        })
        .unwrap();

    let first = sim
        .data(
            VISIBILITY,
            &[("app_id", app_id.as_str()), ("user_page_size", "2")],
            &token,
        )
        .await;
    assert_eq!(
        keys(&first),
        [
            "departments",
            "groups",
            "has_more_users",
            "invisible_departments",
            "invisible_groups",
            "invisible_users",
            "is_visible_to_all",
            "user_page_token",
            "users"
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    );
    assert_eq!(
        first["is_visible_to_all"],
        json!(0),
        "an integer, not a boolean"
    );
    assert_eq!(first["has_more_users"], json!(1));
    assert_eq!(
        first["departments"],
        json!([{"id": department.department_id}]),
        "the custom department_id"
    );
    assert_eq!(
        first["groups"],
        json!([{"id": group.group_id}]),
        "the custom group_id"
    );
    assert_eq!(
        first["users"],
        json!([
            {"user_id": users[0].user_id, "open_id": users[0].open_id},
            {"user_id": users[1].user_id, "open_id": users[1].open_id},
        ])
    );
    assert_eq!(
        first["invisible_users"][0]["open_id"],
        json!(users[5].open_id)
    );
    let page_token = first["user_page_token"].as_str().unwrap().to_owned();
    let second = sim
        .data(
            VISIBILITY,
            &[
                ("app_id", app_id.as_str()),
                ("user_page_size", "2"),
                ("user_page_token", page_token.as_str()),
            ],
            &token,
        )
        .await;
    assert_eq!(
        second["users"],
        json!([{"user_id": users[2].user_id, "open_id": users[2].open_id}])
    );
    assert_eq!(second["has_more_users"], json!(0));
    assert!(
        !second["user_page_token"].as_str().unwrap().is_empty(),
        "like the documentation's example, the last page has a token too"
    );
    // 0 means as many as possible.
    let everything = sim
        .data(
            VISIBILITY,
            &[("app_id", app_id.as_str()), ("user_page_size", "0")],
            &token,
        )
        .await;
    assert_eq!(everything["users"].as_array().unwrap().len(), 3);

    // user_id only for an app that may read user ids.
    assert!(tenant.remove_scope("contact:user.employee_id:readonly"));
    let without = sim
        .data(VISIBILITY, &[("app_id", app_id.as_str())], &token)
        .await;
    assert_eq!(without["users"][0], json!({"open_id": users[0].open_id}));

    // Visible to all.
    let own = sim.handle.app_id();
    tenant
        .update_app(&own, |a| a.visibility.all = true)
        .unwrap();
    let all = sim
        .data(VISIBILITY, &[("app_id", own.as_str())], &token)
        .await;
    assert_eq!(all["is_visible_to_all"], json!(1));

    // An unknown app answers HTTP 200 with code 50003.
    for query in [vec![("app_id", "cli_0000000000000000")], vec![]] {
        let reply = sim.get(VISIBILITY, &query, Some(&token)).await;
        reply.assert_error(200, 50_003);
        assert_eq!(reply.json()["msg"], json!("invalid app_id"));
    }
    assert_eq!(sim.handle.stats().errors_with_code(50_003), 2);
    assert_eq!(sim.handle.stats().requests_to(endpoints::APP_VISIBILITY), 7);
    sim.handle.stop().await;
}
