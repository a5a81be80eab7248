//! User groups of the simulated tenant (`contact/v3/group…`): normal groups with user and
//! department members, dynamic groups with user members only (their rule is not modelled: the
//! members are stored as if the rule had just been evaluated).

use serde::{Deserialize, Serialize};

/// Lark's group `type`: 1 normal, 2 dynamic. Serialised as that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum SimGroupType {
    /// Members are picked by hand: users and departments.
    #[default]
    Normal,
    /// Members follow a rule; Lark documents that they never include departments.
    Dynamic,
}

impl SimGroupType {
    /// The number Lark uses (`type`).
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Normal => 1,
            Self::Dynamic => 2,
        }
    }

    /// `1` or `2`.
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Normal),
            2 => Some(Self::Dynamic),
            _ => None,
        }
    }
}

impl From<SimGroupType> for u8 {
    fn from(value: SimGroupType) -> Self {
        value.code()
    }
}

impl TryFrom<u8> for SimGroupType {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::from_code(value).ok_or_else(|| format!("group type {value} (1 normal, 2 dynamic)"))
    }
}

/// A user group.
///
/// Cross references are open ids (`ou_…` for users, `od-…` for departments), like [`super::SimUser`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimGroup {
    /// The id in paths (`/group/:group_id`), `g` + digits such as `g193821`; immutable.
    pub id: String,
    /// The custom group id ("自定义用户组 ID"), 16 lowercase hex unless set when added; what
    /// `contact/v3/scopes` lists in `group_ids`. Never equal to `id`; immutable.
    pub group_id: String,
    pub name: String,
    /// May be empty.
    pub description: String,
    #[serde(rename = "type")]
    pub group_type: SimGroupType,
    /// `open_id`s of the user members, in the order they are listed.
    pub member_user_ids: Vec<String>,
    /// `open_department_id`s of the department members (always empty for dynamic groups).
    pub member_department_ids: Vec<String>,
    /// `department_scope_list`: `open_department_id`s; may be empty.
    pub department_scope_list: Vec<String>,
}

/// What a test (or the control HTTP surface) supplies to add a group; the ids are generated
/// unless given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub group_type: SimGroupType,
    /// A custom `group_id`; generated (16 hex) when absent.
    pub group_id: Option<String>,
    /// `open_id`s.
    pub member_user_ids: Vec<String>,
    /// `open_department_id`s (none for a dynamic group).
    pub member_department_ids: Vec<String>,
    /// `open_department_id`s.
    pub department_scope_list: Vec<String>,
}

impl NewGroup {
    /// A normal group named `name` with these user members.
    #[must_use]
    pub fn with_users<I, S>(name: impl Into<String>, open_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            member_user_ids: open_ids.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}
