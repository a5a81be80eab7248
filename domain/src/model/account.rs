//! User accounts: what Lark says about a user (`UserProfile`), the derived state Aviary tracks
//! (`AccountState`: profile + roles) and the stored row (`UserAccount`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};

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
        let mut roles = Vec::with_capacity(2);
        if profile.is_tenant_manager {
            roles.push(Role::TenantSuperAdmin);
        }
        if department_leaders.contains(&profile.open_id) {
            roles.push(Role::DepartmentLeader);
        }
        if roles.is_empty() {
            roles.push(Role::Member);
        }
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
    pub removed_at: Option<DateTime<Utc>>,
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
