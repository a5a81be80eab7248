//! A contact range granted through user groups: which groups the app sees, users in range only
//! through a group (readable one by one, never listed), department members of a group bringing
//! their subtrees into range, and `/contact/v3/scopes` listing group ids after user and department
//! ids across pages.

use std::collections::HashSet;

use aviary_lark_simulator::{NewGroup, SimError, SimGroupType, endpoints};
use serde_json::{Value, json};

use super::{Sim, children_path, config, ids, ids_of, subtree};

const SIMPLELIST: &str = "/open-apis/contact/v3/group/simplelist";

fn user_path(open_id: &str) -> String {
    format!("/open-apis/contact/v3/users/{open_id}")
}

fn department_path(id: &str) -> String {
    format!("/open-apis/contact/v3/departments/{id}")
}

fn group_ids(data: &Value) -> Vec<String> {
    ids(&data["grouplist"], "id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_of_groups_lists_and_reads_only_the_granted_groups() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let groups = tenant.groups();
    let (granted, other, dynamic) = (groups[0].clone(), groups[1].clone(), groups[3].clone());
    assert_eq!(dynamic.group_type, SimGroupType::Dynamic);

    // Granted by its custom group_id; the control API answers with ids.
    tenant.set_scope_groups([granted.group_id.clone()]).unwrap();
    assert_eq!(tenant.scope_groups(), Some(vec![granted.id.clone()]));
    assert_eq!(tenant.scope_departments(), Some(vec![]));
    let listed = sim.data(SIMPLELIST, &[], &token).await;
    assert_eq!(group_ids(&listed), vec![granted.id.clone()]);
    let dynamic_listed = sim.data(SIMPLELIST, &[("type", "2")], &token).await;
    assert_eq!(dynamic_listed["grouplist"], json!([]));
    sim.data(
        &format!(
            "/open-apis/contact/v3/group/{}/member/simplelist",
            granted.id
        ),
        &[],
        &token,
    )
    .await;
    for path in [
        format!("/open-apis/contact/v3/group/{}", other.id),
        format!("/open-apis/contact/v3/group/{}/member/simplelist", other.id),
    ] {
        sim.get(&path, &[], Some(&token))
            .await
            .assert_error(403, 42_009);
    }
    let scopes = sim.data(endpoints::SCOPES, &[], &token).await;
    assert_eq!(ids_of(&scopes["group_ids"]), vec![granted.group_id.clone()]);
    assert_eq!(scopes["department_ids"], json!([]));
    assert_eq!(scopes["user_ids"], json!([]));

    // A dynamic group in range is listed with type=2 only.
    tenant.set_scope_groups([dynamic.id.clone()]).unwrap();
    let listed = sim.data(SIMPLELIST, &[("type", "2")], &token).await;
    assert_eq!(group_ids(&listed), vec![dynamic.id.clone()]);
    assert_eq!(
        sim.data(SIMPLELIST, &[], &token).await["grouplist"],
        json!([])
    );

    assert_eq!(
        tenant.set_scope_groups(["g000000"]),
        Err(SimError::UnknownGroup("g000000".to_owned()))
    );
    // A deleted group leaves the range.
    tenant.delete_group(&dynamic.id).unwrap();
    assert_eq!(tenant.scope_groups(), Some(vec![]));
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_in_range_only_through_a_group_is_readable_but_never_listed() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let inside = tenant
        .departments()
        .into_iter()
        .filter(|d| d.parent_open_department_id == "0")
        .max_by_key(|d| tenant.member_count(&d.open_department_id).unwrap())
        .unwrap()
        .open_department_id;
    let inside_tree = subtree(&tenant, &inside);
    let users = tenant.users();
    let mut outside = users.iter().filter(|u| {
        u.department_ids
            .iter()
            .all(|d| d != "0" && !inside_tree.contains(d))
    });
    let through = outside.next().unwrap().clone();
    let outsider = outside.next().unwrap().clone();
    let group = tenant
        .add_group(NewGroup::with_users("Auditors", [through.open_id.clone()]))
        .unwrap();
    let group_id = tenant.group(&group).unwrap().group_id;
    tenant.set_scope([inside.clone()], [group.clone()]).unwrap();

    // Readable one by one and in batches…
    let one = sim.data(&user_path(&through.open_id), &[], &token).await;
    assert_eq!(one["user"]["open_id"], json!(through.open_id));
    let batch = sim
        .data(
            endpoints::USERS_BATCH,
            &[
                ("user_ids", through.open_id.as_str()),
                ("user_ids", outsider.open_id.as_str()),
            ],
            &token,
        )
        .await;
    assert_eq!(
        ids(&batch["items"], "open_id"),
        vec![through.open_id.clone()]
    );
    sim.get(&user_path(&outsider.open_id), &[], Some(&token))
        .await
        .assert_error(400, 41_050);

    // …but never listed: its departments stay outside the range, and no department of the range
    // lists it.
    let home = through.department_ids[0].clone();
    sim.get(
        endpoints::USERS_FIND_BY_DEPARTMENT,
        &[("department_id", home.as_str())],
        Some(&token),
    )
    .await
    .assert_error(403, 40_004);
    sim.get(&department_path(&home), &[], Some(&token))
        .await
        .assert_error(403, 40_004);
    sim.get(&children_path("0"), &[], Some(&token))
        .await
        .assert_error(403, 40_004);
    for dept in &inside_tree {
        let listed = sim.list_department(dept, &token).await;
        assert!(!listed.contains(&through.open_id), "{dept}");
    }

    // /scopes names the department and the group, not the user.
    let scopes = sim.data(endpoints::SCOPES, &[], &token).await;
    assert_eq!(ids_of(&scopes["department_ids"]), vec![inside.clone()]);
    assert_eq!(ids_of(&scopes["group_ids"]), vec![group_id]);
    assert_eq!(scopes["user_ids"], json!([]));

    let in_tree = users
        .iter()
        .filter(|u| u.department_ids.iter().any(|d| inside_tree.contains(d)))
        .count();
    assert_eq!(tenant.visible_user_count(), in_tree + 1);

    // Leaving the group takes the user out of range again.
    tenant
        .set_group_members(&group, Vec::<String>::new(), Vec::<String>::new())
        .unwrap();
    sim.get(&user_path(&through.open_id), &[], Some(&token))
        .await
        .assert_error(400, 41_050);
    sim.handle.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_members_of_a_range_group_bring_their_subtrees_into_range() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let departments = tenant.departments();
    let has_children = |id: &str| {
        departments
            .iter()
            .any(|d| d.parent_open_department_id == id)
    };
    let member = departments
        .iter()
        .filter(|d| has_children(&d.open_department_id))
        .max_by_key(|d| d.parent_open_department_id != "0")
        .unwrap()
        .clone();
    let tree = subtree(&tenant, &member.open_department_id);
    let group = tenant
        .add_group(NewGroup {
            name: "Field teams".to_owned(),
            member_department_ids: vec![member.open_department_id.clone()],
            ..NewGroup::default()
        })
        .unwrap();
    tenant.set_scope_groups([group]).unwrap();

    sim.data(&department_path(&member.open_department_id), &[], &token)
        .await;
    let below = sim
        .data(
            &children_path(&member.open_department_id),
            &[("fetch_child", "true"), ("page_size", "50")],
            &token,
        )
        .await;
    let listed: HashSet<String> = ids(&below["items"], "open_department_id")
        .into_iter()
        .collect();
    let expected: HashSet<String> = tree
        .iter()
        .filter(|d| **d != member.open_department_id)
        .cloned()
        .collect();
    assert_eq!(listed, expected);
    let members = sim
        .list_department(&member.open_department_id, &token)
        .await;
    assert_eq!(
        members,
        tenant
            .department_members(&member.open_department_id)
            .unwrap()
    );
    if member.parent_open_department_id != "0" {
        sim.get(
            &department_path(&member.parent_open_department_id),
            &[],
            Some(&token),
        )
        .await
        .assert_error(403, 40_004);
        let batch = sim
            .data(
                endpoints::DEPARTMENTS_BATCH,
                &[
                    ("department_ids", member.open_department_id.as_str()),
                    ("department_ids", member.parent_open_department_id.as_str()),
                ],
                &token,
            )
            .await;
        assert_eq!(
            ids(&batch["items"], "open_department_id"),
            vec![member.open_department_id.clone()]
        );
    }
    sim.get(&department_path("0"), &[], Some(&token))
        .await
        .assert_error(403, 40_004);
    assert_eq!(tenant.visible_department_count(), tree.len());
    let in_tree = tenant
        .users()
        .into_iter()
        .filter(|u| u.department_ids.iter().any(|d| tree.contains(d)))
        .count();
    assert_eq!(tenant.visible_user_count(), in_tree);

    // A dynamic group never has department members.
    let refused = tenant.add_group(NewGroup {
        name: "Rule".to_owned(),
        group_type: SimGroupType::Dynamic,
        member_department_ids: vec![member.open_department_id.clone()],
        ..NewGroup::default()
    });
    assert!(matches!(refused, Err(SimError::Invalid(_))), "{refused:?}");
    sim.handle.stop().await;
}

/// Every page of `/scopes` at `page_size`, as (list, id) in the order served.
async fn scope_sequence(sim: &Sim, token: &str, page_size: &str) -> Vec<Vec<(usize, String)>> {
    let mut pages = Vec::new();
    let mut page_token = String::new();
    loop {
        let mut query = vec![("page_size", page_size)];
        if !page_token.is_empty() {
            query.push(("page_token", &page_token));
        }
        let data = sim.data(endpoints::SCOPES, &query, token).await;
        let mut page = Vec::new();
        for (rank, list) in ["user_ids", "department_ids", "group_ids"]
            .iter()
            .enumerate()
        {
            page.extend(ids_of(&data[*list]).into_iter().map(|id| (rank, id)));
        }
        pages.push(page);
        if data["has_more"] == json!(false) {
            assert!(data.get("page_token").is_none());
            return pages;
        }
        page_token = data["page_token"].as_str().unwrap().to_owned();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_lists_group_ids_after_user_ids_and_department_ids_across_pages() {
    let sim = Sim::start(config()).await;
    let tenant = sim.handle.tenant();
    let token = sim.token().await;
    let root_users: Vec<String> = tenant.root_users().into_iter().map(|u| u.open_id).collect();
    let first_level: Vec<String> = tenant
        .departments()
        .into_iter()
        .filter(|d| d.parent_open_department_id == "0")
        .map(|d| d.open_department_id)
        .collect();
    let groups: Vec<String> = tenant.groups().into_iter().map(|g| g.group_id).collect();

    let pages = scope_sequence(&sim, &token, "5").await;
    assert!(pages.iter().all(|p| p.len() <= 5));
    assert!(pages.len() >= 4, "{pages:?}");
    let sequence: Vec<(usize, String)> = pages.into_iter().flatten().collect();
    let ranks: Vec<usize> = sequence.iter().map(|(rank, _)| *rank).collect();
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    assert_eq!(ranks, sorted, "users, then departments, then groups");
    let of = |rank: usize| -> Vec<String> {
        sequence
            .iter()
            .filter(|(r, _)| *r == rank)
            .map(|(_, id)| id.clone())
            .collect()
    };
    assert_eq!(of(0), root_users);
    assert_eq!(of(1), first_level);
    assert_eq!(of(2), groups);

    // A restricted range of two departments and three groups, two entries a page.
    let all = tenant.groups();
    tenant
        .set_scope(
            first_level[..2].to_vec(),
            [
                all[0].id.clone(),
                all[1].group_id.clone(),
                all[2].id.clone(),
            ],
        )
        .unwrap();
    let pages = scope_sequence(&sim, &token, "2").await;
    assert_eq!(
        pages,
        vec![
            vec![(1, first_level[0].clone()), (1, first_level[1].clone())],
            vec![(2, all[0].group_id.clone()), (2, all[1].group_id.clone())],
            vec![(2, all[2].group_id.clone())],
        ]
    );

    // Without the user-id permission the users are left out and departments come first.
    tenant.full_scope();
    assert!(tenant.remove_scope("contact:user.employee_id:readonly"));
    let pages = scope_sequence(&sim, &token, "100").await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0][0], (1, first_level[0].clone()));
    assert_eq!(pages[0].len(), first_level.len() + groups.len());
    sim.handle.stop().await;
}
