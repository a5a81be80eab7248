//! User groups (`contact:group:readonly`): a group's details and members as Lark reports them
//! (`GroupState`), and the stored row (`Group`). Normal groups have user and department members;
//! dynamic groups (rule-based) only users.

use super::integration::text_enum;
use crate::values::{DepartmentId, GroupId, OpenId};

text_enum!(
    /// Lark's group `type`.
    GroupKind, "group kind" {
        /// Members chosen by hand (`type` 1).
        Normal => "normal",
        /// Members chosen by rules (`type` 2); users only.
        Dynamic => "dynamic",
        /// A type Lark added since.
        Unknown => "unknown",
    }
);

impl GroupKind {
    /// From Lark's `type` number.
    pub fn from_lark(value: Option<i64>) -> Self {
        match value {
            Some(1) => Self::Normal,
            Some(2) => Self::Dynamic,
            _ => Self::Unknown,
        }
    }
}

/// A group as the directory reports it, with its members. Member lists are sorted, so that
/// the same members always compare (and hash) equal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupState {
    pub id: GroupId,
    /// The tenant's custom group id (`group_id`), which the contact range and events name.
    pub group_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: GroupKind,
    /// Lark's own counts (`member_user_count`, `member_department_count`).
    pub member_user_count: Option<i64>,
    pub member_department_count: Option<i64>,
    /// Users who are members themselves.
    pub users: Vec<OpenId>,
    /// Departments that are members (with everyone in them).
    pub departments: Vec<DepartmentId>,
}

impl GroupState {
    /// A group with only its id and kind; the adapter fills in what Lark returned.
    pub fn new(id: GroupId, kind: GroupKind) -> Self {
        Self {
            id,
            group_id: None,
            name: None,
            description: None,
            kind,
            member_user_count: None,
            member_department_count: None,
            users: Vec::new(),
            departments: Vec::new(),
        }
    }

    /// Sorts and deduplicates the member lists.
    pub fn normalise(&mut self) {
        self.users.sort();
        self.users.dedup();
        self.departments.sort();
        self.departments.dedup();
    }

    /// Whether `reference` (from the contact range, which names groups by either id) is this
    /// group.
    pub fn is_named(&self, reference: &str) -> bool {
        self.id.as_str() == reference || self.group_id.as_deref() == Some(reference)
    }
}

/// A stored group of an integration.
pub type Group = super::record::Record<GroupState>;
