//! Property tests of every decoder of Lark's answers: whatever JSON (or bytes) an upstream
//! sends — wrong types, missing fields, nesting, numbers where text belongs — decoding answers
//! with a value or a typed error and never panics. The generated objects use the field names
//! Lark's objects have, so the typed paths are reached, not only the "not an object" one.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Map, Value};

use super::mapping::{department_from_item, user_from_item};
use super::mapping_inventory::{app_from_item, group_from_item};
use super::transport::decode;
use aviary_domain::ports::DirectoryError;

/// Field names of Lark's user, department, group and app objects and of its envelopes.
const KEYS: &[&str] = &[
    "code",
    "msg",
    "data",
    "items",
    "has_more",
    "page_token",
    "open_id",
    "union_id",
    "user_id",
    "name",
    "en_name",
    "nickname",
    "email",
    "enterprise_email",
    "mobile",
    "gender",
    "status",
    "is_frozen",
    "is_resigned",
    "is_activated",
    "is_exited",
    "is_unjoin",
    "department_ids",
    "leader_user_id",
    "job_title",
    "employee_no",
    "employee_type",
    "is_tenant_manager",
    "avatar",
    "avatar_72",
    "city",
    "country",
    "work_station",
    "join_time",
    "geo",
    "orders",
    "dotted_line_leader_user_ids",
    "open_department_id",
    "department_id",
    "parent_department_id",
    "leaders",
    "leaderID",
    "leaderType",
    "member_count",
    "order",
    "is_deleted",
    "i18n_name",
    "id",
    "group_id",
    "type",
    "description",
    "member_user_count",
    "app_id",
    "app_name",
    "owner",
    "scopes",
    "error",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{0,8}",
    ]
}

/// Any JSON value, up to four levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "(ou|on|od|oc|cli)_[0-9a-f]{1,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 96, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..10)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn any_json_decodes_to_a_record_or_a_typed_error(item in json()) {
        let _ = user_from_item(item.clone());
        let _ = department_from_item(item.clone());
        let _ = group_from_item(item.clone(), &["ou_1".to_owned()], &[]);
        let _ = app_from_item(item, None);
    }

    #[test]
    fn any_answer_body_decodes_or_fails_as_a_typed_failure(
        body in json(),
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        status in prop_oneof![Just(200u16), Just(400), Just(429), Just(500), 100u16..600],
    ) {
        let status = StatusCode::from_u16(status).unwrap();
        let _ = decode(status, None, None, body.to_string().as_bytes());
        let _ = decode(status, Some("x".to_owned()), None, &bytes);
    }
}

#[test]
fn an_id_of_the_wrong_type_is_an_invalid_response() {
    let user = serde_json::json!({"open_id": 42, "name": "Ann"});
    assert!(matches!(
        user_from_item(user),
        Err(DirectoryError::InvalidResponse { .. })
    ));
    let department = serde_json::json!({"open_department_id": ["od-1"], "name": "Sales"});
    assert!(matches!(
        department_from_item(department),
        Err(DirectoryError::InvalidResponse { .. })
    ));
}
