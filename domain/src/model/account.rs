//! User accounts: what Lark says about a user (`UserProfile`), the derived state Aviary tracks
//! (`AccountState`: profile + roles) and the stored row (`UserAccount`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::field_group::FieldGroup;
use super::integration::text_enum;
use crate::values::{ContentHash, DepartmentId, IntegrationId, OpenId};

text_enum!(
    /// Lifecycle state of an account, derived from Lark's status flags.
    AccountStatus, "account status" {
        Active => "active",
        Suspended => "suspended",
        Resigned => "resigned",
        Exited => "exited",
        Invited => "invited",
        NotActivated => "not_activated",
        /// Lark did not say: the app lacks `contact:user.employee:readonly` and no status was
        /// ever known for the account.
        Unknown => "unknown",
    }
);

text_enum!(
    /// Whether a stored account (or department) is still in the tenant's directory as the app
    /// sees it, and if not, why.
    Presence, "presence" {
        /// Listed in the latest complete sync.
        Present => "present",
        /// Gone from the tenant (deleted, or not known to Lark any more).
        Removed => "removed",
        /// Still in the tenant, but outside the app's contact range: Lark refuses to say more.
        OutOfRange => "out_of_range",
    }
);

text_enum!(
    /// What an account may do in the tenant, as far as the granted permissions reveal. Lark
    /// exposes one admin role to them: the tenant's **super** administrator
    /// (`is_tenant_manager`). Other admin roles (app admins, admins with a management scope,
    /// functional roles) need permissions outside the setup guide's list and are not known.
    Role, "role" {
        /// `is_tenant_manager`: the tenant's super administrator (`tenant_admin` before).
        TenantSuperAdmin => "tenant_super_admin" | "tenant_admin",
        DepartmentLeader => "department_leader",
        Member => "member",
    }
);

impl Role {
    /// The roles of an account that is (or is not) the super administrator and leads (or does
    /// not lead) a department, in their fixed order; `member` when neither.
    pub fn derived(is_super_admin: bool, leads_a_department: bool) -> Vec<Role> {
        let mut roles = Vec::with_capacity(2);
        if is_super_admin {
            roles.push(Role::TenantSuperAdmin);
        }
        if leads_a_department {
            roles.push(Role::DepartmentLeader);
        }
        if roles.is_empty() {
            roles.push(Role::Member);
        }
        roles
    }
}

/// Lark's `status` object; absent flags (missing field scope) read as `false`, except
/// `is_activated`, which Lark reports for every normal account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusFlags {
    pub is_frozen: bool,
    pub is_resigned: bool,
    pub is_activated: bool,
    pub is_exited: bool,
    pub is_unjoin: bool,
}

impl AccountStatus {
    /// First match wins: resigned, exited, frozen, unjoined, not activated, else active.
    pub fn from_flags(flags: StatusFlags) -> Self {
        if flags.is_resigned {
            Self::Resigned
        } else if flags.is_exited {
            Self::Exited
        } else if flags.is_frozen {
            Self::Suspended
        } else if flags.is_unjoin {
            Self::Invited
        } else if !flags.is_activated {
            Self::NotActivated
        } else {
            Self::Active
        }
    }
}

/// A user as the directory reports it, normalised. Field order is the diff/hash order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserProfile {
    pub open_id: OpenId,
    pub union_id: Option<String>,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub en_name: Option<String>,
    pub nickname: Option<String>,
    pub email: Option<String>,
    pub enterprise_email: Option<String>,
    pub mobile: Option<String>,
    pub gender: Option<i64>,
    pub status: AccountStatus,
    pub is_tenant_manager: bool,
    pub department_ids: Vec<DepartmentId>,
    pub primary_department_id: Option<DepartmentId>,
    /// Lark's `job_title`.
    pub designation: Option<String>,
    pub employee_no: Option<String>,
    pub employee_type: Option<i64>,
    pub leader_open_id: Option<OpenId>,
    pub dotted_line_leader_open_ids: Vec<OpenId>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub work_station: Option<String>,
    pub geo: Option<String>,
    pub join_time: Option<i64>,
    pub avatar_url: Option<String>,
    /// Field groups whose values are unknown: Lark withheld them and no value was ever kept
    /// for the account (or an admin accepted their loss). Sorted; usually empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<FieldGroup>,
}

/// The tracked state of an account: its profile plus the roles derived from it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountState {
    #[serde(flatten)]
    pub profile: UserProfile,
    pub roles: Vec<Role>,
}

impl AccountState {
    /// Derives roles: `tenant_super_admin` from `is_tenant_manager`, `department_leader` when the user
    /// leads any department, `member` when neither applies.
    pub fn derive(profile: UserProfile, department_leaders: &HashSet<OpenId>) -> Self {
        let leads = department_leaders.contains(&profile.open_id);
        let roles = Role::derived(profile.is_tenant_manager, leads);
        Self { profile, roles }
    }

    pub fn open_id(&self) -> &OpenId {
        &self.profile.open_id
    }
}

/// A stored account of an integration.
#[derive(Debug, Clone, PartialEq)]
pub struct UserAccount {
    pub integration_id: IntegrationId,
    pub state: AccountState,
    /// Lark's JSON for the last stored version, kept for fields Aviary does not model yet.
    pub raw: serde_json::Value,
    pub content_hash: ContentHash,
    pub first_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    /// When it stopped being present (`presence` says why); `None` while present.
    pub removed_at: Option<DateTime<Utc>>,
    /// `Present` exactly when `removed_at` is `None`.
    pub presence: Presence,
}

impl UserProfile {
    /// A profile with only its id and an active status; the adapter fills in what Lark returned.
    pub fn new(open_id: OpenId) -> Self {
        Self {
            open_id,
            union_id: None,
            user_id: None,
            name: None,
            en_name: None,
            nickname: None,
            email: None,
            enterprise_email: None,
            mobile: None,
            gender: None,
            status: AccountStatus::Active,
            is_tenant_manager: false,
            department_ids: Vec::new(),
            primary_department_id: None,
            designation: None,
            employee_no: None,
            employee_type: None,
            leader_open_id: None,
            dotted_line_leader_open_ids: Vec::new(),
            city: None,
            country: None,
            work_station: None,
            geo: None,
            join_time: None,
            avatar_url: None,
            withheld: Vec::new(),
        }
    }

    /// Takes the values of `group` from `stored` (Lark withheld them now, and a withheld field
    /// never overwrites what is known).
    pub fn keep(&mut self, group: FieldGroup, stored: &UserProfile) {
        let s = stored.clone();
        match group {
            FieldGroup::UserNames => {
                (self.name, self.en_name, self.nickname, self.avatar_url) =
                    (s.name, s.en_name, s.nickname, s.avatar_url);
            }
            FieldGroup::UserId => self.user_id = s.user_id,
            FieldGroup::Email => self.email = s.email,
            FieldGroup::Mobile => self.mobile = s.mobile,
            FieldGroup::Gender => self.gender = s.gender,
            FieldGroup::Departments => {
                (
                    self.department_ids,
                    self.primary_department_id,
                    self.leader_open_id,
                ) = (s.department_ids, s.primary_department_id, s.leader_open_id);
            }
            FieldGroup::Employment => {
                (self.status, self.is_tenant_manager, self.designation) =
                    (s.status, s.is_tenant_manager, s.designation);
                (self.employee_type, self.city, self.country) =
                    (s.employee_type, s.city, s.country);
                (self.work_station, self.join_time, self.enterprise_email) =
                    (s.work_station, s.join_time, s.enterprise_email);
            }
            FieldGroup::EmployeeNo => self.employee_no = s.employee_no,
            FieldGroup::Geo => self.geo = s.geo,
            FieldGroup::DottedLineLeaders => {
                self.dotted_line_leader_open_ids = s.dotted_line_leader_open_ids;
            }
            FieldGroup::DepartmentNames | FieldGroup::DepartmentOrganisation => return,
        }
        self.withheld.retain(|g| *g != group);
        if stored.withheld.contains(&group) {
            self.withheld.push(group);
            self.withheld.sort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> StatusFlags {
        StatusFlags {
            is_activated: true,
            ..StatusFlags::default()
        }
    }

    #[test]
    fn the_super_admin_role_keeps_accepting_its_old_name() {
        assert_eq!("tenant_super_admin".parse(), Ok(Role::TenantSuperAdmin));
        assert_eq!("tenant_admin".parse(), Ok(Role::TenantSuperAdmin));
        assert_eq!(Role::TenantSuperAdmin.as_str(), "tenant_super_admin");
        let stored: Vec<Role> = serde_json::from_str(r#"["tenant_admin", "member"]"#).unwrap();
        assert_eq!(stored, [Role::TenantSuperAdmin, Role::Member]);
        assert_eq!(
            serde_json::to_string(&stored).unwrap(),
            r#"["tenant_super_admin","member"]"#
        );
    }

    #[test]
    fn status_precedence_follows_the_design() {
        assert_eq!(AccountStatus::from_flags(flags()), AccountStatus::Active);
        let all = StatusFlags {
            is_frozen: true,
            is_resigned: true,
            is_activated: false,
            is_exited: true,
            is_unjoin: true,
        };
        assert_eq!(AccountStatus::from_flags(all), AccountStatus::Resigned);
        assert_eq!(
            AccountStatus::from_flags(StatusFlags {
                is_resigned: false,
                ..all
            }),
            AccountStatus::Exited
        );
        assert_eq!(
            AccountStatus::from_flags(StatusFlags {
                is_resigned: false,
                is_exited: false,
                ..all
            }),
            AccountStatus::Suspended
        );
        assert_eq!(
            AccountStatus::from_flags(StatusFlags {
                is_unjoin: true,
                ..flags()
            }),
            AccountStatus::Invited
        );
        assert_eq!(
            AccountStatus::from_flags(StatusFlags::default()),
            AccountStatus::NotActivated
        );
    }
}
