//! What the permission doctor reports: one `Check` per capability the integration needs, each
//! with an outcome, plain words, and — when it is not ok — the step that fixes it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::text_enum;
use crate::values::IntegrationId;

text_enum!(
    /// A capability Aviary needs from Lark, with a stable snake_case code (API, CLI, UI);
    /// `ALL` lists them in the order the report does.
    Capability, "capability" {
        /// The App ID and App Secret get a tenant access token.
        AppCredentials => "app_credentials",
        /// The tenant's name and key (`tenant:tenant:readonly`), read when connecting.
        TenantInfo => "tenant_info",
        /// The app's contact range is readable and not empty.
        ContactScope => "contact_scope",
        /// Departments can be read (`departments/batch`, `children`).
        ReadDepartments => "read_departments",
        /// Department names come back (`contact:department.base:readonly`).
        DepartmentNames => "department_names",
        /// Department members can be listed (`users/find_by_department`, `users/batch`).
        ReadUsers => "read_users",
        /// Names and avatars (`contact:user.base:readonly`).
        UserNames => "user_names",
        /// Tenant-wide user ids (`contact:user.employee_id:readonly`).
        UserIds => "user_ids",
        /// Contact emails (`contact:user.email:readonly`).
        UserEmails => "user_emails",
        /// Mobile numbers (`contact:user.phone:readonly`).
        UserMobiles => "user_mobiles",
        /// Gender (`contact:user.gender:readonly`).
        UserGender => "user_gender",
        /// Departments, primary department and manager (`contact:user.department:readonly`).
        UserDepartments => "user_departments",
        /// Account status, tenant-admin flag, job title and other employment details
        /// (`contact:user.employee:readonly`).
        UserStatus => "user_status",
        /// Employee numbers (`contact:user.employee_number:read` or the employment scope).
        EmployeeNumbers => "employee_numbers",
        /// Dotted-line managers (`contact:user.dotted_line_leader_info.read`).
        DottedLineLeaders => "dotted_line_leaders",
        /// Data residency (`contact:user.user_geo`).
        DataResidency => "data_residency",
        /// User groups and their members (`contact:group:readonly`).
        ReadGroups => "read_groups",
        /// The tenant's installed applications (`admin:app.info:readonly`).
        ReadApps => "read_apps",
        /// The admin's OAuth grant: connected, renewable, within Lark's 365-day limit.
        UserLogin => "user_login",
    }
);

impl Capability {
    /// A short title for tables and pages.
    pub const fn title(self) -> &'static str {
        match self {
            Self::AppCredentials => "App ID and App Secret",
            Self::TenantInfo => "Tenant name",
            Self::ContactScope => "Contact range",
            Self::ReadDepartments => "Read departments",
            Self::DepartmentNames => "Department names",
            Self::ReadUsers => "Read users",
            Self::UserNames => "User names",
            Self::UserIds => "User IDs",
            Self::UserEmails => "Emails",
            Self::UserMobiles => "Mobile numbers",
            Self::UserGender => "Gender",
            Self::UserDepartments => "User departments and managers",
            Self::UserStatus => "Account status and employment",
            Self::EmployeeNumbers => "Employee numbers",
            Self::DottedLineLeaders => "Dotted-line managers",
            Self::DataResidency => "Data residency",
            Self::ReadGroups => "User groups",
            Self::ReadApps => "Installed apps",
            Self::UserLogin => "Admin's Lark login",
        }
    }
}

text_enum!(
    /// How a check came out; `ALL` lists them best first.
    Outcome, "outcome" {
        Ok => "ok",
        /// Something Aviary needs is not granted or not working; `fix` says what to do.
        Missing => "missing",
        /// Works, or could not be decided, with a caveat worth acting on.
        Warning => "warning",
        /// Works as set up; `fix` names an optional improvement (not a fault).
        Advice => "advice",
        /// An earlier failure made this check impossible.
        NotChecked => "not_checked",
    }
);

/// One capability, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub capability: Capability,
    pub outcome: Outcome,
    /// What was found, in plain words.
    pub summary: String,
    /// The step that fixes it (for `advice`, the optional improvement); present whenever the
    /// outcome is not `ok`.
    pub fix: Option<String>,
    /// The Lark permission (scope) concerned, when one is.
    pub scope: Option<String>,
    /// `user_login` only: whole days left before Lark's 365-day limit on the grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

impl Check {
    pub(super) fn ok(capability: Capability, summary: impl Into<String>) -> Self {
        Self {
            capability,
            outcome: Outcome::Ok,
            summary: summary.into(),
            fix: None,
            scope: None,
            days_left: None,
        }
    }

    pub(super) fn failed(
        capability: Capability,
        outcome: Outcome,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            capability,
            outcome,
            summary: summary.into(),
            fix: Some(fix.into()),
            scope: None,
            days_left: None,
        }
    }

    pub(super) fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Checks that an earlier failure (`because`, in plain words) made impossible.
    pub(super) fn not_checked(capability: Capability, because: &str, fix: &str) -> Self {
        Self::failed(
            capability,
            Outcome::NotChecked,
            format!("Not checked: {because}."),
            fix,
        )
    }
}

/// The doctor's answer for one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub integration_id: IntegrationId,
    pub label: String,
    pub checked_at: DateTime<Utc>,
    /// Whether nothing is missing and every check could run (warnings and advice allowed).
    pub healthy: bool,
    pub checks: Vec<Check>,
}

impl DoctorReport {
    pub(super) fn new(
        integration_id: IntegrationId,
        label: String,
        checked_at: DateTime<Utc>,
        checks: Vec<Check>,
    ) -> Self {
        let healthy = checks
            .iter()
            .all(|c| matches!(c.outcome, Outcome::Ok | Outcome::Warning | Outcome::Advice));
        Self {
            integration_id,
            label,
            checked_at,
            healthy,
            checks,
        }
    }

    /// The check of `capability`, if the report has one.
    pub fn check(&self, capability: Capability) -> Option<&Check> {
        self.checks.iter().find(|c| c.capability == capability)
    }

    /// How many checks came out `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == outcome).count()
    }
}
