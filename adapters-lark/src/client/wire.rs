//! Private serde wire structs of Lark's JSON. Every field is optional (fields vanish when a
//! field scope is missing); numbers Lark sometimes sends as strings (`order: "100"`, a token
//! response's `code: "0"`) are accepted in both forms. Unknown fields are ignored here and kept
//! by the caller in the raw `serde_json::Value` of each item.

use serde::{Deserialize, Deserializer};

/// An integer sent as a JSON number or as a numeric string; `""` and `null` read as absent.
pub(crate) fn lenient_i64<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Int(i64),
        Float(f64),
        Text(String),
    }

    match Option::<NumberOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Int(value)) => Ok(Some(value)),
        Some(NumberOrText::Float(value)) => {
            if value.fract() == 0.0 && value.abs() < 9.0e15 {
                // Integral and within f64's exact range: the cast is lossless.
                #[allow(clippy::cast_possible_truncation)]
                Ok(Some(value as i64))
            } else {
                Err(serde::de::Error::custom(format!(
                    "expected an integer, got {value}"
                )))
            }
        }
        Some(NumberOrText::Text(text)) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Ok(None);
            }
            trimmed
                .parse::<i64>()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("expected an integer, got {text:?}")))
        }
    }
}

/// The head of every Lark answer: the envelope's `code`/`msg`/`error` (also present, flat, in
/// token responses).
#[derive(Debug, Deserialize)]
pub(crate) struct WireHead {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub code: Option<i64>,
    pub msg: Option<String>,
    pub error: Option<WireErrorDetail>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireErrorDetail {
    pub log_id: Option<String>,
    pub permission_violations: Option<Vec<WireViolation>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireViolation {
    pub subject: Option<String>,
}

/// `POST /open-apis/auth/v3/tenant_access_token/internal` (flat, no `data`).
#[derive(Debug, Deserialize)]
pub(crate) struct WireTenantToken {
    pub tenant_access_token: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expire: Option<i64>,
}

/// `data` of a paged list (`find_by_department`, `children`) and of a batch (`items` only).
#[derive(Debug, Deserialize)]
pub(crate) struct WireItems {
    pub has_more: Option<bool>,
    pub page_token: Option<String>,
    pub items: Option<Vec<serde_json::Value>>,
}

/// `data` of `GET /contact/v3/users/:user_id` (`user`) or `…/departments/:department_id`
/// (`department`): the object is kept as JSON for the mapping.
#[derive(Debug, Deserialize)]
pub(crate) struct WireOne {
    pub user: Option<serde_json::Value>,
    pub department: Option<serde_json::Value>,
}

/// `data` of `GET /contact/v3/scopes`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireScopes {
    pub department_ids: Option<Vec<String>>,
    pub user_ids: Option<Vec<String>>,
    pub group_ids: Option<Vec<String>>,
    pub has_more: Option<bool>,
    pub page_token: Option<String>,
}

/// `data` of `GET /tenant/v2/tenant/query`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireTenantData {
    pub tenant: Option<WireTenant>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireTenant {
    pub name: Option<String>,
    pub tenant_key: Option<String>,
}

/// A contact v3 user object.
#[derive(Debug, Deserialize)]
pub(crate) struct WireUser {
    pub open_id: Option<String>,
    pub union_id: Option<String>,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub en_name: Option<String>,
    pub nickname: Option<String>,
    pub email: Option<String>,
    pub enterprise_email: Option<String>,
    pub mobile: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub gender: Option<i64>,
    pub avatar: Option<WireAvatar>,
    pub status: Option<WireUserStatus>,
    pub department_ids: Option<Vec<String>>,
    pub leader_user_id: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub work_station: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub join_time: Option<i64>,
    pub is_tenant_manager: Option<bool>,
    pub employee_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub employee_type: Option<i64>,
    pub orders: Option<Vec<WireUserOrder>>,
    pub job_title: Option<String>,
    /// Top-level duplicate of `status.is_frozen`.
    pub is_frozen: Option<bool>,
    pub geo: Option<String>,
    pub dotted_line_leader_user_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireAvatar {
    pub avatar_72: Option<String>,
    pub avatar_240: Option<String>,
    pub avatar_640: Option<String>,
    pub avatar_origin: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireUserStatus {
    pub is_frozen: Option<bool>,
    pub is_resigned: Option<bool>,
    pub is_activated: Option<bool>,
    pub is_exited: Option<bool>,
    pub is_unjoin: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireUserOrder {
    pub department_id: Option<String>,
    pub is_primary_dept: Option<bool>,
}

/// A contact v3 department object.
#[derive(Debug, Deserialize)]
pub(crate) struct WireDepartment {
    pub name: Option<String>,
    pub i18n_name: Option<WireI18nName>,
    pub parent_department_id: Option<String>,
    pub department_id: Option<String>,
    pub open_department_id: Option<String>,
    pub leader_user_id: Option<String>,
    /// A string in API responses (`"100"`), an integer in events.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub order: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub member_count: Option<i64>,
    pub status: Option<WireDepartmentStatus>,
    pub leaders: Option<Vec<WireLeader>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireI18nName {
    pub en_us: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireDepartmentStatus {
    pub is_deleted: Option<bool>,
}

/// `leaders[]` entries use camelCase keys.
#[derive(Debug, Deserialize)]
pub(crate) struct WireLeader {
    #[serde(rename = "leaderType", default, deserialize_with = "lenient_i64")]
    pub leader_type: Option<i64>,
    #[serde(rename = "leaderID")]
    pub leader_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_from_numbers_and_strings() {
        let number: WireHead = serde_json::from_str(r#"{"code": 0, "msg": "ok"}"#).unwrap();
        assert_eq!(number.code, Some(0));
        let text: WireHead = serde_json::from_str(r#"{"code": "0"}"#).unwrap();
        assert_eq!(text.code, Some(0));
        let failure: WireHead = serde_json::from_str(r#"{"code": "20050"}"#).unwrap();
        assert_eq!(failure.code, Some(20050));
        let absent: WireHead = serde_json::from_str(r"{}").unwrap();
        assert_eq!(absent.code, None);
        assert!(serde_json::from_str::<WireHead>(r#"{"code": "zero"}"#).is_err());
        assert!(serde_json::from_str::<WireHead>(r#"{"code": 1.5}"#).is_err());
    }

    #[test]
    fn department_order_accepts_text_and_integers() {
        let text: WireDepartment = serde_json::from_str(r#"{"order": "100"}"#).unwrap();
        assert_eq!(text.order, Some(100));
        let int: WireDepartment = serde_json::from_str(r#"{"order": 7}"#).unwrap();
        assert_eq!(int.order, Some(7));
        let blank: WireDepartment = serde_json::from_str(r#"{"order": ""}"#).unwrap();
        assert_eq!(blank.order, None);
        let null: WireDepartment = serde_json::from_str(r#"{"order": null}"#).unwrap();
        assert_eq!(null.order, None);
    }

    #[test]
    fn leaders_use_camel_case_keys() {
        let dept: WireDepartment =
            serde_json::from_str(r#"{"leaders": [{"leaderType": 2, "leaderID": "ou_x"}]}"#)
                .unwrap();
        let leaders = dept.leaders.unwrap();
        assert_eq!(leaders[0].leader_type, Some(2));
        assert_eq!(leaders[0].leader_id.as_deref(), Some("ou_x"));
    }
}
