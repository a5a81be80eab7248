//! User groups and installed apps against the documented payloads: `group/simplelist` is read
//! for normal (`type=1`) and dynamic (`type=2`) groups page by page, each group's members in
//! one pass per member type (none for departments of a dynamic group), `group/:id` answers
//! 42002 for an unknown group and 42009 (HTTP 403) outside the range; the app list is asked in
//! English with open ids, and an app's availability comes from the v2 API whose 1/0 flags are
//! integers and whose "unknown app" (50003) arrives with HTTP 200.

use aviary_domain::model::{AppScene, AppStatus, GroupKind};
use aviary_domain::ports::{DirectoryError, Recheck};
use aviary_domain::values::GroupId;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

use super::{answer, fixture_answer, json_fixture, lark, ok_data, open, requests_to};

const GROUPS: &str = "/open-apis/contact/v3/group/simplelist";
const APPS: &str = "/open-apis/application/v6/applications";
const VISIBILITY: &str = "/open-apis/application/v2/app/visibility";

fn members_path(group: &str) -> String {
    format!("/open-apis/contact/v3/group/{group}/member/simplelist")
}

async fn members(server: &MockServer, group: &str, member_type: &str, ids: &[&str]) {
    let list: Vec<Value> = ids
        .iter()
        .map(|id| json!({"member_id": id, "member_type": member_type}))
        .collect();
    Mock::given(method("GET"))
        .and(path(members_path(group)))
        .and(query_param("member_type", member_type))
        .and(query_param("member_id_type", "open_id"))
        .respond_with(answer(
            200,
            &ok_data(json!({"memberlist": list, "has_more": false})),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn groups_are_listed_normal_then_dynamic_with_their_members() {
    let server = lark().await;
    let first = json_fixture("group_simplelist.json");
    let token = first["data"]["page_token"].as_str().unwrap().to_owned();
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .and(query_param("type", "1"))
        .and(query_param("page_size", "100"))
        .and(query_param_is_missing("page_token"))
        .respond_with(fixture_answer(200, "group_simplelist.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .and(query_param("type", "1"))
        .and(query_param("page_token", token.as_str()))
        .respond_with(answer(
            200,
            &ok_data(json!({"grouplist": [
            {"id": "g2", "group_id": "custom2", "name": "Sales", "type": 1}
        ], "has_more": false})),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .and(query_param("type", "2"))
        .respond_with(answer(
            200,
            &ok_data(json!({"grouplist": [
            {"id": "g3", "name": "Everyone in Berlin", "type": 2, "member_department_count": 0}
        ], "has_more": false})),
        ))
        .mount(&server)
        .await;
    // The doc's member page (has_more with a token), then the rest.
    let member_doc = json_fixture("group_member_simplelist.json");
    let member_token = member_doc["data"]["page_token"]
        .as_str()
        .unwrap()
        .to_owned();
    Mock::given(method("GET"))
        .and(path(members_path("g193821")))
        .and(query_param("member_type", "user"))
        .and(query_param_is_missing("page_token"))
        .respond_with(fixture_answer(200, "group_member_simplelist.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(members_path("g193821")))
        .and(query_param("member_type", "user"))
        .and(query_param("page_token", member_token.as_str()))
        .respond_with(answer(
            200,
            &ok_data(json!({"memberlist": [
            {"member_id": "ou_2", "member_type": "user"}
        ], "has_more": false})),
        ))
        .mount(&server)
        .await;
    members(&server, "g193821", "department", &["od-1"]).await;
    members(&server, "g2", "user", &[]).await;
    members(&server, "g2", "department", &[]).await;
    members(&server, "g3", "user", &["ou_9"]).await;

    let groups = open(&server).await.groups().await.unwrap();

    let ids: Vec<&str> = groups.iter().map(|g| g.state.id.as_str()).collect();
    assert_eq!(ids, ["g193821", "g2", "g3"]);
    let it = &groups[0].state;
    assert_eq!(it.name.as_deref(), Some("IT 外包组"));
    assert_eq!(it.member_user_count, Some(2));
    let users: Vec<&str> = it.users.iter().map(|u| u.as_str()).collect();
    assert_eq!(users, ["ou_2", "u287xj12"]);
    assert_eq!(it.departments.len(), 1);
    assert_eq!(groups[1].state.group_id.as_deref(), Some("custom2"));
    assert_eq!(groups[2].state.kind, GroupKind::Dynamic);
    assert_eq!(groups[2].raw["name"], "Everyone in Berlin");
    let department_passes = requests_to(&server, &members_path("g3"))
        .await
        .into_iter()
        .filter(|r| {
            r.url
                .query()
                .unwrap_or("")
                .contains("member_type=department")
        })
        .count();
    assert_eq!(
        department_passes, 0,
        "dynamic groups have no department members"
    );
}

#[tokio::test]
async fn groups_without_the_permission_are_a_missing_scope() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(GROUPS))
        .respond_with(answer(400, &json!({"code": 99_991_672,
            "msg": "Access denied. One of the following scopes is required: [contact:group:readonly].",
            "error": {"permission_violations": [{"type": "action_scope_required", "subject": "contact:group:readonly"}]}})))
        .mount(&server)
        .await;
    let err = open(&server).await.groups().await.unwrap_err();
    assert!(
        matches!(&err, DirectoryError::MissingScope { scope: Some(s), .. } if s == "contact:group:readonly"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_group_asked_for_directly_is_found_out_of_range_or_gone() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/group/g1"))
        .respond_with(answer(
            200,
            &ok_data(json!({"group": {"id": "g1", "name": "Ops", "type": 1}})),
        ))
        .mount(&server)
        .await;
    members(&server, "g1", "user", &["ou_1"]).await;
    members(&server, "g1", "department", &[]).await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/group/g-gone"))
        .respond_with(answer(
            400,
            &json!({"code": 42_002, "msg": "invalid group_id"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/group/g-hidden"))
        .respond_with(answer(
            403,
            &json!({"code": 42_009, "msg": "no user group authority error"}),
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let found = session.group(&GroupId::parse("g1").unwrap()).await.unwrap();
    let Recheck::Found(group) = found else {
        panic!("{found:?}")
    };
    assert_eq!(group.state.users.len(), 1);
    assert_eq!(
        session
            .group(&GroupId::parse("g-gone").unwrap())
            .await
            .unwrap(),
        Recheck::Gone
    );
    assert_eq!(
        session
            .group(&GroupId::parse("g-hidden").unwrap())
            .await
            .unwrap(),
        Recheck::OutOfRange
    );
}

#[tokio::test]
async fn apps_are_listed_in_english_with_their_availability() {
    let server = lark().await;
    let doc = json_fixture("application_v6_list_feishu.json");
    let token = doc["data"]["page_token"].as_str().unwrap().to_owned();
    Mock::given(method("GET"))
        .and(path(APPS))
        .and(query_param("lang", "en_us"))
        .and(query_param("user_id_type", "open_id"))
        .and(query_param("page_size", "50"))
        .and(query_param_is_missing("page_token"))
        .respond_with(fixture_answer(200, "application_v6_list_feishu.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(APPS))
        .and(query_param("page_token", token.as_str()))
        .respond_with(answer(
            200,
            &ok_data(json!({"app_list": [
            {"app_id": "cli_store", "app_name": "Polls", "status": 0, "scene_type": 1}
        ], "has_more": false})),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(VISIBILITY))
        .and(query_param("app_id", "cli_9b445f5258795107"))
        .and(query_param("user_page_size", "1000"))
        .respond_with(answer(
            200,
            &ok_data(json!({
                "departments": [{"id": "od-1"}], "users": [{"user_id": "u1", "open_id": "ou_1"}],
                "groups": [{"id": "96815a9cd9beg8g4"}], "is_visible_to_all": 0, "has_more_users": 0
            })),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(VISIBILITY))
        .and(query_param("app_id", "cli_store"))
        .respond_with(answer(
            200,
            &json!({"code": 50_003, "msg": "invalid app_id"}),
        ))
        .mount(&server)
        .await;

    let apps = open(&server).await.apps().await.unwrap();

    assert_eq!(apps.len(), 2);
    let base = &apps[0].state;
    assert_eq!(base.app_id.as_str(), "cli_9b445f5258795107");
    assert_eq!(base.status, AppStatus::Enabled);
    assert_eq!(base.scene, AppScene::Custom);
    assert_eq!(base.create_source.as_deref(), Some("base"));
    assert_eq!(base.scopes, ["contact:user.base"]);
    let visibility = base.visibility.as_ref().unwrap();
    assert!(!visibility.everyone);
    assert_eq!(visibility.groups, ["96815a9cd9beg8g4"]);
    assert_eq!(visibility.users[0].as_str(), "ou_1");
    assert_eq!(apps[1].state.status, AppStatus::Disabled);
    assert_eq!(
        apps[1].state.visibility, None,
        "50003 means Lark will not say"
    );
}

#[tokio::test]
async fn an_app_list_without_app_list_is_refused() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path(APPS))
        .respond_with(answer(200, &ok_data(json!({"has_more": false}))))
        .mount(&server)
        .await;
    let err = open(&server).await.apps().await.unwrap_err();
    assert!(
        matches!(err, DirectoryError::InvalidResponse { .. }),
        "{err:?}"
    );
}
