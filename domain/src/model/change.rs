//! Recorded changes: what a sync run added, changed (field by field), removed or restored.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::integration::text_enum;
use crate::values::{DepartmentId, GroupId, InstalledAppId, IntegrationId, OpenId, RunId};

text_enum!(
    /// What happened to an account or department in a run.
    ChangeKind, "change kind" {
        Added => "added",
        Changed => "changed",
        /// Gone from the tenant.
        Removed => "removed",
        /// Present again after being removed or out of range.
        Restored => "restored",
        /// Left the app's contact range: still in the tenant, but Lark no longer shows it.
        OutOfRange => "out_of_range",
    }
);

/// Which record a change is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    /// A user account, by `open_id`.
    Account(OpenId),
    /// A department, by `open_department_id`.
    Department(DepartmentId),
    /// A user group, by its `id`.
    Group(GroupId),
    /// An installed application, by `app_id`.
    App(InstalledAppId),
}

impl Subject {
    /// Every subject type's name, as [`Subject::parts`] gives it.
    pub const TYPES: [&'static str; 4] = ["account", "department", "group", "app"];

    /// The subject's type name and id.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Self::Account(id) => ("account", id.as_str()),
            Self::Department(id) => ("department", id.as_str()),
            Self::Group(id) => ("group", id.as_str()),
            Self::App(id) => ("app", id.as_str()),
        }
    }
}

/// One field's old and new value (JSON; `null` when absent).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// One change to one record (account, department, user group or app) in one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChangeRecord {
    pub run_id: RunId,
    pub integration_id: IntegrationId,
    pub subject: Subject,
    pub kind: ChangeKind,
    pub fields: Vec<FieldChange>,
    pub recorded_at: DateTime<Utc>,
}

/// Field-level differences between two serialisable records, compared as top-level JSON fields.
///
/// Fields present on only one side are reported with `null` on the other.
pub fn field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let old_map = old.as_object().unwrap_or(&empty);
    let new_map = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = old_map.keys().chain(new_map.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let before = old_map.get(key).unwrap_or(&Value::Null);
            let after = new_map.get(key).unwrap_or(&Value::Null);
            (before != after).then(|| FieldChange {
                field: key.clone(),
                old: before.clone(),
                new: after.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_only_the_fields_that_differ() {
        let old = json!({"name": "Ann", "designation": "Engineer", "roles": ["member"]});
        let new =
            json!({"name": "Ann", "designation": "Lead", "roles": ["member"], "city": "Oslo"});
        let diff = field_changes(&old, &new);
        assert_eq!(
            diff,
            vec![
                FieldChange {
                    field: "city".into(),
                    old: Value::Null,
                    new: json!("Oslo")
                },
                FieldChange {
                    field: "designation".into(),
                    old: json!("Engineer"),
                    new: json!("Lead")
                },
            ]
        );
        assert!(field_changes(&old, &old).is_empty());
    }
}
