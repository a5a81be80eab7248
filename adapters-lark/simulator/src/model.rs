//! The simulated tenant's public data types (users, departments, tenant identity) and mutation errors;
//! user groups are in `model_groups.rs`, installed applications in `model_apps.rs`.
//!
//! These are the simulator's own model, deliberately independent of the client's wire structs: the
//! JSON the simulator serves is rendered from these types (see `render.rs`), so a disagreement
//! between the client's expectations and Lark's documented payloads shows up in tests.

use serde::{Deserialize, Serialize};

/// The id Lark uses for the root department in every id type.
pub const ROOT_DEPARTMENT_ID: &str = "0";

/// Lark's five user status flags (`status{...}` in user payloads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SimUserStatus {
    /// Suspended by an admin.
    pub is_frozen: bool,
    /// Resigned: gone from department listings and from `/users/batch`, still readable through
    /// `/users/:id`.
    pub is_resigned: bool,
    /// Has activated the account.
    pub is_activated: bool,
    /// Left voluntarily (Lark turns this into resigned after a while).
    pub is_exited: bool,
    /// Invited but has not yet confirmed joining.
    pub is_unjoin: bool,
}

impl SimUserStatus {
    /// A normal, working account.
    #[must_use]
    pub fn active() -> Self {
        Self {
            is_activated: true,
            ..Self::default()
        }
    }
}

/// One custom attribute value (`custom_attrs[]`); the simulator only produces `TEXT` attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimCustomAttr {
    /// Attribute id, e.g. `C-1a2b...`.
    pub id: String,
    /// Text value.
    pub text: String,
}

/// A user account of the simulated tenant.
///
/// Cross references are always open ids (`ou_…` / `od-…`); the HTTP layer translates them into
/// whatever `user_id_type` / `department_id_type` a request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimUser {
    /// `ou_` + 32 hex; immutable.
    pub open_id: String,
    /// `on_` + 32 hex; immutable.
    pub union_id: String,
    /// 8 hex, tenant-unique; immutable.
    pub user_id: String,
    pub name: String,
    /// Empty when unset (Lark then returns `""`).
    pub en_name: String,
    /// Empty when unset.
    pub nickname: String,
    pub email: String,
    /// Lark Mail address; empty means the field is omitted from payloads.
    pub enterprise_email: String,
    /// E.164 with `+` prefix.
    pub mobile: String,
    pub mobile_visible: bool,
    /// 0 unknown, 1 male, 2 female, 3 other.
    pub gender: u8,
    /// Base URL of the avatar; the four sizes are derived from it.
    pub avatar_url: String,
    pub status: SimUserStatus,
    /// `open_department_id`s (or `"0"` for the root); the first one is the primary department.
    /// Always empty for resigned users.
    pub department_ids: Vec<String>,
    /// Direct manager (`open_id`).
    pub leader_open_id: Option<String>,
    /// Dotted-line managers (`open_id`s); omitted from payloads when empty.
    pub dotted_line_leader_open_ids: Vec<String>,
    pub city: String,
    /// ISO-like country code, e.g. `SG`.
    pub country: String,
    pub work_station: String,
    /// Unix seconds.
    pub join_time: i64,
    /// Tenant super administrator.
    pub is_tenant_manager: bool,
    pub employee_no: String,
    /// 1 full-time, 2 intern, 3 outsourced, 4 contractor, 5 consultant.
    pub employee_type: u8,
    /// Designation; may be empty.
    pub job_title: String,
    /// Data residency, e.g. `sg`.
    pub geo: String,
    /// Position inside its departments (`orders[].user_order`).
    pub user_order: i64,
    /// Omitted from payloads when empty.
    pub custom_attrs: Vec<SimCustomAttr>,
}

/// A text in Lark's three main languages: department names (`i18n_name`), and the localised
/// scope descriptions and categories of installed apps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SimI18nName {
    pub zh_cn: String,
    pub ja_jp: String,
    pub en_us: String,
}

/// A department of the simulated tenant (never the root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimDepartment {
    /// `od-` + 32 hex; immutable.
    pub open_department_id: String,
    /// Custom id such as `D007`; immutable.
    pub department_id: String,
    pub name: String,
    pub i18n_name: SimI18nName,
    /// `open_department_id` of the parent, `"0"` under the root. Change it with `move_department`.
    pub parent_open_department_id: String,
    /// Primary leader (`open_id`).
    pub leader_open_id: Option<String>,
    /// Department group chat, `oc_` + 32 hex.
    pub chat_id: String,
    /// Sibling order; smaller comes first. Served as a string, like Lark does.
    pub order: i64,
    pub unit_ids: Vec<String>,
}

/// What a test (or the control HTTP surface) supplies to add a user; everything else is generated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewUser {
    pub name: String,
    /// `open_department_id`s or `"0"`; the first is primary. At least one is required.
    pub department_ids: Vec<String>,
    pub en_name: Option<String>,
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub mobile: Option<String>,
    pub leader_open_id: Option<String>,
    pub is_tenant_manager: bool,
    pub employee_type: Option<u8>,
    /// Defaults to [`SimUserStatus::active`].
    pub status: Option<SimUserStatus>,
}

impl NewUser {
    /// A user named `name` in one department.
    #[must_use]
    pub fn new(name: impl Into<String>, department: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            department_ids: vec![department.into()],
            ..Self::default()
        }
    }
}

/// Identity of the simulated tenant (`/tenant/v2/tenant/query`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimTenantInfo {
    pub name: String,
    pub display_id: String,
    pub tenant_key: String,
    /// Mail domain of generated users.
    pub domain: String,
    pub avatar_url: String,
}

/// Why a tenant mutation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("no user with open_id {0}")]
    UnknownUser(String),
    #[error("no department with open_department_id {0}")]
    UnknownDepartment(String),
    #[error("department {0} still has members or sub-departments")]
    DepartmentNotEmpty(String),
    #[error(
        "cannot move department {department} under {new_parent}: that is inside its own subtree"
    )]
    DepartmentCycle {
        department: String,
        new_parent: String,
    },
    #[error("no user group with id or group_id {0}")]
    UnknownGroup(String),
    #[error("no installed app with app_id {0}")]
    UnknownApp(String),
    #[error("invalid change: {0}")]
    Invalid(String),
}
