//! Asking Lark directly about a user or department that vanished from a listing, against the
//! documented payloads: `users/:user_id` returns a resigned user with its status, 41050 (HTTP
//! 400) means outside the contact range, 41012 an unknown user; `departments/:department_id`
//! returns the department, 40004 (HTTP 403) / 40014 outside the range, 40015 unknown. And an
//! answer without `items` is not an empty page.

use aviary_domain::model::{AccountStatus, FieldGroup};
use aviary_domain::ports::{DirectoryError, Recheck};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use super::{
    DepartmentId, answer, dept, fixture_answer, json_fixture, lark, ok_data, open, user_id,
};

fn lark_error(status: u16, code: i64, msg: &str) -> ResponseTemplate {
    answer(
        status,
        &json!({"code": code, "msg": msg, "error": {"log_id": "log-1"}}),
    )
}

#[tokio::test]
async fn a_user_asked_for_directly_is_found_out_of_range_or_gone() {
    let server = lark().await;
    let sample = json_fixture("users_get_feishu.json");
    let known = sample["data"]["user"]["open_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut resigned = sample.clone();
    resigned["data"]["user"]["status"]["is_resigned"] = json!(true);
    resigned["data"]["user"]["department_ids"] = json!([]);
    Mock::given(method("GET"))
        .and(path(format!("/open-apis/contact/v3/users/{known}")))
        .and(query_param("user_id_type", "open_id"))
        .respond_with(answer(200, &resigned))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/users/ou_outside"))
        .respond_with(lark_error(400, 41_050, "no user authority"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/users/ou_unknown"))
        .respond_with(lark_error(400, 41_012, "user id invalid error"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/users/ou_broken"))
        .respond_with(lark_error(500, 40_003, "internal error"))
        .mount(&server)
        .await;
    let session = open(&server).await;

    let Recheck::Found(user) = session.user(&user_id(&known)).await.unwrap() else {
        panic!("a resigned user is returned");
    };
    assert_eq!(user.profile.status, AccountStatus::Resigned);
    assert!(user.profile.department_ids.is_empty());
    assert_eq!(
        session.user(&user_id("ou_outside")).await.unwrap(),
        Recheck::OutOfRange
    );
    assert_eq!(
        session.user(&user_id("ou_unknown")).await.unwrap(),
        Recheck::Gone
    );
    assert!(
        matches!(
            session.user(&user_id("ou_broken")).await,
            Err(DirectoryError::Unavailable { .. })
        ),
        "a fault is an error, never an outcome"
    );
}

#[tokio::test]
async fn a_department_asked_for_directly_is_found_out_of_range_or_gone() {
    let server = lark().await;
    let sample = json_fixture("departments_get_feishu.json");
    let known = sample["data"]["department"]["open_department_id"]
        .as_str()
        .unwrap()
        .to_owned();
    Mock::given(method("GET"))
        .and(path(format!("/open-apis/contact/v3/departments/{known}")))
        .respond_with(fixture_answer(200, "departments_get_feishu.json"))
        .mount(&server)
        .await;
    let mut deleted = sample.clone();
    deleted["data"]["department"]["status"]["is_deleted"] = json!(true);
    deleted["data"]["department"]["open_department_id"] = json!("od-deleted");
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/departments/od-deleted"))
        .respond_with(answer(200, &deleted))
        .mount(&server)
        .await;
    for (id, status, code) in [
        ("od-outside", 403, 40_004),
        ("od-parent-outside", 403, 40_014),
        ("od-unknown", 400, 40_015),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/open-apis/contact/v3/departments/{id}")))
            .respond_with(lark_error(status, code, "refused"))
            .mount(&server)
            .await;
    }
    let session = open(&server).await;
    let Recheck::Found(found) = session.department(&dept(&known)).await.unwrap() else {
        panic!("found");
    };
    assert_eq!(found.state.name.as_deref(), Some("DemoName"));
    for (id, expected) in [
        ("od-deleted", Recheck::Gone),
        ("od-outside", Recheck::OutOfRange),
        ("od-parent-outside", Recheck::OutOfRange),
        ("od-unknown", Recheck::Gone),
    ] {
        assert_eq!(
            session.department(&dept(id)).await.unwrap(),
            expected,
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_listing_answer_without_items_is_invalid_not_empty() {
    let server = lark().await;
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/users/find_by_department"))
        .respond_with(answer(200, &ok_data(json!({"has_more": false}))))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let err = session
        .users_page(&DepartmentId::root(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DirectoryError::InvalidResponse { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn withheld_field_groups_are_named_never_read_as_values() {
    let server = lark().await;
    let mut user: Value = json_fixture("users_find_by_department.json")["data"]["items"][0].clone();
    for key in FieldGroup::Employment.lark_keys() {
        user.as_object_mut().unwrap().remove(*key);
    }
    user.as_object_mut().unwrap().remove("email");
    Mock::given(method("GET"))
        .and(path("/open-apis/contact/v3/users/find_by_department"))
        .respond_with(answer(
            200,
            &ok_data(json!({"has_more": false, "items": [user]})),
        ))
        .mount(&server)
        .await;
    let session = open(&server).await;
    let page = session
        .users_page(&DepartmentId::root(), None)
        .await
        .unwrap();
    let profile = &page.users[0].profile;
    assert_eq!(
        profile.withheld,
        [FieldGroup::Email, FieldGroup::Employment]
    );
    assert_eq!(profile.status, AccountStatus::Unknown);
    assert_eq!(profile.email, None);
    assert!(profile.mobile.is_some(), "other groups are read as usual");
}
