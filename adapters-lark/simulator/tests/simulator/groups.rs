//! The user-group APIs against the documented payloads: `group/simplelist`,
//! `group/:group_id/member/simplelist` and `group/:group_id` — shapes, paging with small pages,
//! id types, and every documented error with its HTTP status.

use aviary_lark_simulator::{NewGroup, SimGroup, SimGroupType, endpoints};
use serde_json::{Value, json};

use super::{Sim, config, fixture, keys};

const SIMPLELIST: &str = "/open-apis/contact/v3/group/simplelist";

fn members_path(id: &str) -> String {
    format!("/open-apis/contact/v3/group/{id}/member/simplelist")
}

fn group_path(id: &str) -> String {
    format!("/open-apis/contact/v3/group/{id}")
}

/// Every page of a listing, `page_size` at a time; returns the items under `list` and checks
/// that `page_token` comes exactly while `has_more`.
async fn walk(
    sim: &Sim,
    path: &str,
    list: &str,
    query: &[(&str, &str)],
    token: &str,
) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        if !page_token.is_empty() {
            q.push(("page_token", &page_token));
        }
        let data = sim.data(path, &q, token).await;
        out.extend(data[list].as_array().unwrap().iter().cloned());
        if data["has_more"] == json!(false) {
            assert!(data.get("page_token").is_none(), "{data}");
            return out;
        }
        page_token = data["page_token"].as_str().unwrap().to_owned();
        assert!(
            page_token.contains('+') && page_token.contains('/') && page_token.ends_with('='),
            "{page_token}"
        );
    }
}

fn of_type(groups: &[SimGroup], kind: SimGroupType) -> Vec<String> {
    groups
        .iter()
        .filter(|g| g.group_type == kind)
        .map(|g| g.id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_group_list_has_the_documented_shape_and_pages_one_type_at_a_time() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let groups = tenant.groups();
    assert_eq!(groups.len(), 12, "the default tenant has 12 groups");

    let sample = fixture("group_simplelist_feishu.json");
    let first = sim.data(SIMPLELIST, &[("page_size", "2")], &token).await;
    assert_eq!(keys(&first), keys(&sample["data"]));
    let item_keys = keys(&sample["data"]["grouplist"][0]);
    for item in first["grouplist"].as_array().unwrap() {
        assert_eq!(keys(item), item_keys);
    }

    // Normal groups by default (type 1), dynamic ones only with type=2.
    let normal = walk(&sim, SIMPLELIST, "grouplist", &[("page_size", "2")], &token).await;
    let listed: Vec<String> = normal
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, of_type(&groups, SimGroupType::Normal));
    let dynamic = walk(
        &sim,
        SIMPLELIST,
        "grouplist",
        &[("page_size", "2"), ("type", "2")],
        &token,
    )
    .await;
    let listed: Vec<String> = dynamic
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, of_type(&groups, SimGroupType::Dynamic));
    assert_eq!(listed.len(), 3, "a quarter of the groups are dynamic");

    for item in normal.iter().chain(&dynamic) {
        let id = item["id"].as_str().unwrap();
        let group = tenant.group(id).unwrap();
        assert_eq!(item["name"], json!(group.name));
        assert_eq!(item["description"], json!(group.description));
        assert_eq!(item["type"], json!(group.group_type.code()));
        assert_eq!(item["group_id"], json!(group.group_id));
        assert_ne!(
            item["group_id"], item["id"],
            "the custom group_id is another id"
        );
        assert_eq!(
            item["member_user_count"],
            json!(group.member_user_ids.len())
        );
        assert_eq!(
            item["member_department_count"],
            json!(group.member_department_ids.len())
        );
        assert_eq!(
            item["department_scope_list"],
            json!(group.department_scope_list)
        );
        assert!(id.starts_with('g'), "{id}");
    }
    assert!(
        dynamic
            .iter()
            .all(|g| g["member_department_count"] == json!(0))
    );
    assert!(
        normal
            .iter()
            .any(|g| g["member_department_count"].as_u64() > Some(0))
    );
    assert!(
        normal
            .iter()
            .any(|g| g["member_user_count"].as_u64() > Some(0))
    );
    // One first page, then 9 normal groups and 3 dynamic ones two at a time.
    assert_eq!(sim.handle.stats().requests_to(endpoints::GROUPS), 1 + 5 + 2);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_members_page_one_member_type_at_a_time_in_the_requested_id_type() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let users = tenant.users();
    let departments = tenant.departments();
    let members: Vec<String> = users[10..15].iter().map(|u| u.open_id.clone()).collect();
    let member_departments: Vec<String> = departments[..2]
        .iter()
        .map(|d| d.open_department_id.clone())
        .collect();
    let id = tenant
        .add_group(NewGroup {
            member_department_ids: member_departments.clone(),
            ..NewGroup::with_users("Release Captains", members.clone())
        })
        .unwrap();

    let sample = fixture("group_member_simplelist.json");
    let first = sim
        .data(&members_path(&id), &[("page_size", "2")], &token)
        .await;
    assert_eq!(keys(&first), keys(&sample["data"]));
    assert_eq!(
        keys(&first["memberlist"][0]),
        keys(&sample["data"]["memberlist"][0]),
        "member_id_type is sent, as in the documentation's example"
    );

    let by_open_id = walk(
        &sim,
        &members_path(&id),
        "memberlist",
        &[("page_size", "2")],
        &token,
    )
    .await;
    let listed: Vec<&str> = by_open_id
        .iter()
        .map(|m| m["member_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, members);
    assert!(
        by_open_id
            .iter()
            .all(|m| m["member_type"] == json!("user") && m["member_id_type"] == json!("open_id"))
    );

    let ids_as = |id_type: &str| -> Vec<String> {
        users[10..15]
            .iter()
            .map(|u| {
                if id_type == "user_id" {
                    u.user_id.clone()
                } else {
                    u.union_id.clone()
                }
            })
            .collect()
    };
    for id_type in ["user_id", "union_id"] {
        let page = walk(
            &sim,
            &members_path(&id),
            "memberlist",
            &[("page_size", "100"), ("member_id_type", id_type)],
            &token,
        )
        .await;
        let listed: Vec<String> = page
            .iter()
            .map(|m| m["member_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed, ids_as(id_type), "{id_type}");
        assert!(page.iter().all(|m| m["member_id_type"] == json!(id_type)));
    }

    // Departments: open_id means open_department_id; department_id the custom id.
    let depts = walk(
        &sim,
        &members_path(&id),
        "memberlist",
        &[("member_type", "department"), ("page_size", "1")],
        &token,
    )
    .await;
    let listed: Vec<&str> = depts
        .iter()
        .map(|m| m["member_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, member_departments);
    assert!(
        depts
            .iter()
            .all(|m| m["member_type"] == json!("department"))
    );
    let custom = sim
        .data(
            &members_path(&id),
            &[
                ("member_type", "department"),
                ("member_id_type", "department_id"),
            ],
            &token,
        )
        .await;
    let expected: Vec<&str> = departments[..2]
        .iter()
        .map(|d| d.department_id.as_str())
        .collect();
    let listed: Vec<&str> = custom["memberlist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["member_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, expected);

    // A user page token does not continue the department listing.
    let user_page = sim
        .data(&members_path(&id), &[("page_size", "1")], &token)
        .await;
    let user_token = user_page["page_token"].as_str().unwrap();
    sim.get(
        &members_path(&id),
        &[("member_type", "department"), ("page_token", user_token)],
        Some(&token),
    )
    .await
    .assert_error(400, 40_012);

    // The single group: only the documented fields.
    let one = sim.data(&group_path(&id), &[], &token).await;
    assert_eq!(
        keys(&one["group"]),
        [
            "description",
            "id",
            "member_department_count",
            "member_user_count",
            "name",
            "type"
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    );
    assert_eq!(one["group"]["member_user_count"], json!(5));
    assert_eq!(one["group"]["member_department_count"], json!(2));
    assert_eq!(one["group"]["type"], json!(1));
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_group_error_answers_with_its_documented_code_and_http_status() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let group = tenant.groups()[0].clone();
    let members = members_path(&group.id);

    // group/simplelist
    for (query, status, code) in [
        (vec![("page_size", "0")], 400, 40_011),
        (vec![("page_size", "101")], 400, 40_011),
        (vec![("page_size", "ten")], 400, 99_992_402),
        (vec![("page_token", "bm90IG91cnM=")], 400, 40_012),
        (vec![("type", "3")], 400, 99_992_402),
        (vec![("type", "normal")], 400, 99_992_402),
    ] {
        sim.get(SIMPLELIST, &query, Some(&token))
            .await
            .assert_error(status, code);
    }
    sim.data(SIMPLELIST, &[("page_size", "100")], &token).await;

    // group/:group_id/member/simplelist
    for (query, status, code) in [
        (vec![("page_size", "101")], 400, 40_011),
        (vec![("member_type", "bot")], 400, 41_074),
        (vec![("member_id_type", "email")], 400, 41_071),
        (
            vec![
                ("member_type", "department"),
                ("member_id_type", "open_department_id"),
            ],
            400,
            41_071,
        ),
        (vec![("member_id_type", "department_id")], 400, 41_072),
        (
            vec![
                ("member_type", "department"),
                ("member_id_type", "union_id"),
            ],
            400,
            41_072,
        ),
    ] {
        sim.get(&members, &query, Some(&token))
            .await
            .assert_error(status, code);
    }
    for unknown in ["g000001", group.group_id.as_str()] {
        sim.get(&members_path(unknown), &[], Some(&token))
            .await
            .assert_error(400, 42_002);
        sim.get(&group_path(unknown), &[], Some(&token))
            .await
            .assert_error(400, 42_002);
    }
    sim.get(
        &group_path(&group.id),
        &[("user_id_type", "email")],
        Some(&token),
    )
    .await
    .assert_error(400, 99_992_402);

    // Outside the contact range: the list is empty, the group is 42009 (HTTP 403).
    let dept = tenant.departments()[0].open_department_id.clone();
    tenant.set_scope_departments([dept]).unwrap();
    let listed = sim.data(SIMPLELIST, &[], &token).await;
    assert_eq!(listed["grouplist"], json!([]));
    assert_eq!(listed["has_more"], json!(false));
    sim.get(&members, &[], Some(&token))
        .await
        .assert_error(403, 42_009);
    let refused = sim.get(&group_path(&group.id), &[], Some(&token)).await;
    refused.assert_error(403, 42_009);
    assert_eq!(
        refused.json()["msg"],
        json!("no user group authority error")
    );
    tenant.full_scope();

    // Without contact:group:readonly: 99991672 naming it, whatever broad contact scope the app has.
    assert!(tenant.remove_scope("contact:group:readonly"));
    tenant.add_scope("contact:contact:readonly_as_app").unwrap();
    for path in [
        SIMPLELIST.to_owned(),
        members.clone(),
        group_path(&group.id),
    ] {
        let reply = sim.get(&path, &[], Some(&token)).await;
        reply.assert_error(400, 99_991_672);
        let body = reply.json();
        assert!(
            body["msg"]
                .as_str()
                .unwrap()
                .contains("[contact:group:readonly]"),
            "{body}"
        );
        assert_eq!(
            body["error"]["permission_violations"],
            json!([{"type": "action_scope_required", "subject": "contact:group:readonly"}])
        );
    }
    // Tenant tokens only.
    sim.get(SIMPLELIST, &[], None)
        .await
        .assert_error(400, 99_991_661);
    sim.handle.stop().await;
}
