//! Departments: what Lark says about one (`DepartmentState`) and the stored row (`Department`).

use chrono::{DateTime, Utc};

use super::account::Presence;
use super::field_group::FieldGroup;
use crate::values::{ContentHash, DepartmentId, IntegrationId, OpenId};

/// A department as the directory reports it, normalised. Field order is the diff/hash order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DepartmentState {
    pub open_department_id: DepartmentId,
    /// The tenant's custom department id (`D096`), when the app may read it.
    pub department_id: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    /// `"0"` for a first-level department.
    pub parent_id: Option<DepartmentId>,
    pub leader_open_id: Option<OpenId>,
    /// Primary and deputy leaders (Lark's `leaders[]` plus `leader_user_id`).
    pub leader_open_ids: Vec<OpenId>,
    /// Users in the department and its sub-departments, as Lark counts them.
    pub member_count: Option<i64>,
    pub order: Option<i64>,
    /// Field groups whose values are unknown (see `UserProfile::withheld`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<FieldGroup>,
}

impl DepartmentState {
    /// A department with only its id; the adapter fills in what Lark returned.
    pub fn new(open_department_id: DepartmentId) -> Self {
        Self {
            open_department_id,
            department_id: None,
            name: None,
            name_en: None,
            parent_id: None,
            leader_open_id: None,
            leader_open_ids: Vec::new(),
            member_count: None,
            order: None,
            withheld: Vec::new(),
        }
    }

    /// Takes the values of `group` from `stored` (see `UserProfile::keep`).
    pub fn keep(&mut self, group: FieldGroup, stored: &DepartmentState) {
        let s = stored.clone();
        match group {
            FieldGroup::DepartmentNames => {
                (self.name, self.name_en, self.department_id) =
                    (s.name, s.name_en, s.department_id);
            }
            FieldGroup::DepartmentOrganisation => {
                (
                    self.parent_id,
                    self.leader_open_id,
                    self.leader_open_ids,
                    self.order,
                ) = (s.parent_id, s.leader_open_id, s.leader_open_ids, s.order);
            }
            _ => return,
        }
        self.withheld.retain(|g| *g != group);
        if stored.withheld.contains(&group) {
            self.withheld.push(group);
            self.withheld.sort();
        }
    }
}

/// What pages need of a stored department to name it and place it in the tree: the
/// tracked columns only, without its whole state and Lark's JSON (cheap to read for every
/// department of a large tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentOutline {
    pub open_department_id: DepartmentId,
    pub department_id: Option<String>,
    pub name: Option<String>,
    pub parent_id: Option<DepartmentId>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl From<&Department> for DepartmentOutline {
    fn from(department: &Department) -> Self {
        Self {
            open_department_id: department.state.open_department_id.clone(),
            department_id: department.state.department_id.clone(),
            name: department.state.name.clone(),
            parent_id: department.state.parent_id.clone(),
            removed_at: department.removed_at,
        }
    }
}

/// A stored department of an integration.
#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub integration_id: IntegrationId,
    pub state: DepartmentState,
    pub raw: serde_json::Value,
    pub content_hash: ContentHash,
    pub first_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    /// When it stopped being present (`presence` says why); `None` while present.
    pub removed_at: Option<DateTime<Utc>>,
    /// `Present` exactly when `removed_at` is `None`.
    pub presence: Presence,
}
