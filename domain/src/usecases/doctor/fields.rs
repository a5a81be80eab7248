//! Field checks: Lark silently leaves a field out of user and department objects when the app
//! lacks its field scope (docs/lark-fidelity.md, "Withheld fields"). Each field the sync stores is
//! looked for in the sampled objects' JSON; absent from all of them means the scope is missing.
//! Fields Lark may legitimately leave out (nobody has a dotted-line manager) only warn.

use super::fixes::Console;
use super::report::{Capability, Check, Outcome};

/// One field Aviary stores and the scope Lark wants for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct FieldSpec {
    pub capability: Capability,
    /// The JSON key in Lark's object.
    pub key: &'static str,
    /// The narrowest scope that returns it (Lark also accepts the broad contact scopes).
    pub scope: &'static str,
    /// What Aviary loses without it, in plain words.
    pub loses: &'static str,
    /// Whether absence is certain to mean a missing scope (else only a warning).
    pub always_present: bool,
}

/// Fields of department objects (`departments/batch`).
pub(super) const DEPARTMENT_FIELDS: &[FieldSpec] = &[FieldSpec {
    capability: Capability::DepartmentNames,
    key: "name",
    scope: "contact:department.base:readonly",
    loses: "department names (departments show only their ids)",
    always_present: true,
}];

/// Fields of user objects (`users/find_by_department`), in report order.
pub(super) const USER_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        capability: Capability::UserNames,
        key: "name",
        scope: "contact:user.base:readonly",
        loses: "names, English names, nicknames and avatars",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::UserIds,
        key: "user_id",
        scope: "contact:user.employee_id:readonly",
        loses: "tenant-wide user IDs, and users granted directly in the contact range",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::UserEmails,
        key: "email",
        scope: "contact:user.email:readonly",
        loses: "email addresses",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::UserMobiles,
        key: "mobile",
        scope: "contact:user.phone:readonly",
        loses: "mobile numbers",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::UserGender,
        key: "gender",
        scope: "contact:user.gender:readonly",
        loses: "gender",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::UserDepartments,
        key: "department_ids",
        scope: "contact:user.department:readonly",
        loses: "which departments people belong to, their primary department and their manager",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::UserStatus,
        key: "status",
        scope: "contact:user.employee:readonly",
        loses: "account status (it reads as unknown; stored statuses are kept but no longer \
                updated), the super-admin flag, job titles, employee types, work location and \
                join dates",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::EmployeeNumbers,
        key: "employee_no",
        scope: "contact:user.employee_number:read",
        loses: "employee numbers",
        always_present: true,
    },
    FieldSpec {
        capability: Capability::DottedLineLeaders,
        key: "dotted_line_leader_user_ids",
        scope: "contact:user.dotted_line_leader_info.read",
        loses: "dotted-line managers",
        always_present: false,
    },
    FieldSpec {
        capability: Capability::DataResidency,
        key: "geo",
        scope: "contact:user.user_geo",
        loses: "data residency",
        always_present: false,
    },
];

/// Checks one field over the sampled objects (`noun` names them: "users", "departments").
pub(super) fn check(
    spec: &FieldSpec,
    samples: &[&serde_json::Value],
    noun: &str,
    console: &Console,
) -> Check {
    let n = samples.len();
    let present = samples
        .iter()
        .filter(|raw| raw.get(spec.key).is_some())
        .count();
    if present > 0 {
        return Check::ok(
            spec.capability,
            format!(
                "Lark returned `{}` for {present} of the {n} {noun} checked.",
                spec.key
            ),
        )
        .with_scope(spec.scope);
    }
    let (outcome, summary) = if spec.always_present {
        (
            Outcome::Missing,
            format!(
                "Lark left `{}` out for all {n} {noun} checked, as it does when the app lacks \
                 `{}`: Aviary cannot record {}.",
                spec.key, spec.scope, spec.loses
            ),
        )
    } else {
        (
            Outcome::Warning,
            format!(
                "None of the {n} {noun} checked came with `{}`. Either none of them has one, or \
                 the app lacks `{}` and Aviary cannot record {}.",
                spec.key, spec.scope, spec.loses
            ),
        )
    };
    Check::failed(
        spec.capability,
        outcome,
        summary,
        console.add_scope(spec.scope),
    )
    .with_scope(spec.scope)
}
