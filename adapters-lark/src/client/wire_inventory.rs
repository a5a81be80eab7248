//! Private serde wire structs of Lark's user-group and application JSON
//! (`contact/v3/group/*`, `application/v6/applications`, `application/v2/app/visibility`). Every
//! field is optional; numbers are accepted as JSON numbers or numeric strings, and the legacy
//! visibility API's `1`/`0` flags as integers or booleans.

use serde::{Deserialize, Deserializer};

use super::wire::lenient_i64;

/// A flag sent as `true`/`false` or as `1`/`0` (the v2 visibility API uses integers).
pub(crate) fn lenient_flag<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum FlagOrNumber {
        Flag(bool),
        Number(i64),
    }

    match Option::<FlagOrNumber>::deserialize(deserializer)? {
        None => Ok(None),
        Some(FlagOrNumber::Flag(flag)) => Ok(Some(flag)),
        Some(FlagOrNumber::Number(0)) => Ok(Some(false)),
        Some(FlagOrNumber::Number(1)) => Ok(Some(true)),
        Some(FlagOrNumber::Number(other)) => Err(serde::de::Error::custom(format!(
            "expected 0 or 1, got {other}"
        ))),
    }
}

/// `data` of `GET /contact/v3/group/simplelist`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireGroupPage {
    pub grouplist: Option<Vec<serde_json::Value>>,
    pub has_more: Option<bool>,
    pub page_token: Option<String>,
}

/// A group object (`grouplist[]`, `data.group` of `GET /contact/v3/group/:group_id`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireGroup {
    pub id: Option<String>,
    pub group_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub member_user_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub member_department_count: Option<i64>,
    #[serde(rename = "type", default, deserialize_with = "lenient_i64")]
    pub kind: Option<i64>,
}

/// `data` of `GET /contact/v3/group/:group_id`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireGroupOne {
    pub group: Option<serde_json::Value>,
}

/// `data` of `GET /contact/v3/group/:group_id/member/simplelist`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireMemberPage {
    pub memberlist: Option<Vec<WireMember>>,
    pub has_more: Option<bool>,
    pub page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireMember {
    pub member_id: Option<String>,
    pub member_type: Option<String>,
}

/// `data` of `GET /application/v6/applications`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireAppPage {
    pub app_list: Option<Vec<serde_json::Value>>,
    pub has_more: Option<bool>,
    pub page_token: Option<String>,
}

/// An `app_list[]` item. Lark documents more fields (and SDKs type secrets on some); only these
/// are read, the rest stays in the raw JSON minus the ones `mapping_inventory` strips.
#[derive(Debug, Deserialize)]
pub(crate) struct WireApp {
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub status: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub scene_type: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub payment_type: Option<i64>,
    pub create_source: Option<String>,
    pub creator_id: Option<serde_json::Value>,
    pub scopes: Option<Vec<WireAppScope>>,
    pub primary_language: Option<String>,
    pub owner: Option<WireAppOwner>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireAppScope {
    pub scope: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireAppOwner {
    #[serde(rename = "type", default, deserialize_with = "lenient_i64")]
    pub kind: Option<i64>,
    pub owner_id: Option<serde_json::Value>,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// `data` of `GET /application/v2/app/visibility`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireVisibility {
    pub departments: Option<Vec<WireIdObject>>,
    pub users: Option<Vec<WireVisibleUser>>,
    pub groups: Option<Vec<WireIdObject>>,
    #[serde(default, deserialize_with = "lenient_flag")]
    pub is_visible_to_all: Option<bool>,
    #[serde(default, deserialize_with = "lenient_flag")]
    pub has_more_users: Option<bool>,
    pub user_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireIdObject {
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireVisibleUser {
    pub open_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_flags_read_integers_and_booleans() {
        let ints: WireVisibility =
            serde_json::from_str(r#"{"is_visible_to_all": 1, "has_more_users": 0}"#).unwrap();
        assert_eq!(ints.is_visible_to_all, Some(true));
        assert_eq!(ints.has_more_users, Some(false));
        let bools: WireVisibility =
            serde_json::from_str(r#"{"is_visible_to_all": false}"#).unwrap();
        assert_eq!(bools.is_visible_to_all, Some(false));
        assert!(serde_json::from_str::<WireVisibility>(r#"{"is_visible_to_all": 2}"#).is_err());
    }

    #[test]
    fn group_type_and_counts_read_numbers_and_text() {
        let group: WireGroup = serde_json::from_str(
            r#"{"id": "g1", "type": "2", "member_user_count": 3, "member_department_count": "0"}"#,
        )
        .unwrap();
        assert_eq!(group.kind, Some(2));
        assert_eq!(group.member_user_count, Some(3));
        assert_eq!(group.member_department_count, Some(0));
    }
}
