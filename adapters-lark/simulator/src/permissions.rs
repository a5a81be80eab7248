//! The app's permissions (scopes), as a published app version grants them: the scopes enabled
//! in the simulated console (`OAuthSettings::enabled_scopes`, shared with the OAuth authorize
//! check) decide what tenant-token APIs answer. An API called without any of its accepted
//! scopes gets 99991672 naming them (`permission_violations`, narrowest first, like the sample
//! `error_app_scope_missing_99991672_feishu.json`); a field whose field scope is missing is
//! silently left out of user and department objects. Accepted scopes per API and per field
//! follow the Lark reference pages of `find_by_department`, `departments/children` and
//! `contact/v3/scopes` (docs/lark-fidelity.md; the user and department batch
//! and single-object APIs are taken to accept what the listings do), of the three user-group
//! APIs (`contact:group:readonly` only) and of the installed-apps and app-availability APIs
//! (`admin:app.info:readonly` only).

use super::gateway::LarkError;
use super::state::SimState;
use super::stats::endpoints;

/// Broad contact scopes that unlock every contact API and most fields (Lark lists them in
/// every "any of" set; two are historic).
const BROAD: [&str; 3] = [
    "contact:contact:readonly_as_app",
    "contact:contact:access_as_app",
    "contact:contact:readonly",
];

const SCOPES_API: &[&str] = &[
    "contact:contact.base:readonly",
    "contact:contact:readonly_as_app",
    "contact:contact:access_as_app",
];
const DEPARTMENT_APIS: &[&str] = &[
    "contact:department.organize:readonly",
    "contact:contact:readonly_as_app",
    "contact:contact:access_as_app",
    "contact:contact:readonly",
];
const USER_APIS: &[&str] = &[
    "contact:contact.base:readonly",
    "contact:department.organize:readonly",
    "contact:contact:readonly_as_app",
    "contact:contact:access_as_app",
    "contact:contact:readonly",
];
const TENANT_API: &[&str] = &["tenant:tenant:readonly"];
/// The group APIs accept this one scope only (no broad contact scope unlocks them).
const GROUP_APIS: &[&str] = &["contact:group:readonly"];
const APP_APIS: &[&str] = &["admin:app.info:readonly"];

/// The scopes (any one suffices) a tenant-token API needs; `None` for APIs without one.
fn required(endpoint: &str) -> Option<&'static [&'static str]> {
    match endpoint {
        endpoints::SCOPES => Some(SCOPES_API),
        endpoints::DEPARTMENT_CHILDREN | endpoints::DEPARTMENTS_BATCH | endpoints::DEPARTMENT => {
            Some(DEPARTMENT_APIS)
        }
        endpoints::USERS_FIND_BY_DEPARTMENT | endpoints::USERS_BATCH | endpoints::USER => {
            Some(USER_APIS)
        }
        endpoints::TENANT_QUERY => Some(TENANT_API),
        endpoints::GROUPS | endpoints::GROUP_MEMBERS | endpoints::GROUP => Some(GROUP_APIS),
        endpoints::APPLICATIONS | endpoints::APP_VISIBILITY => Some(APP_APIS),
        _ => None,
    }
}

/// 99991672 unless the app holds one of the scopes `endpoint` accepts.
pub(crate) fn require(state: &SimState, endpoint: &str) -> Result<(), LarkError> {
    let Some(accepted) = required(endpoint) else {
        return Ok(());
    };
    let enabled = state.oauth_console.enabled_scopes();
    if accepted.iter().any(|s| enabled.iter().any(|e| e == s)) {
        Ok(())
    } else {
        Err(LarkError::scope_required(accepted))
    }
}

/// Which field groups the app may see, decided once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    /// name, en_name, nickname, avatar.
    pub(crate) user_base: bool,
    pub(crate) user_id: bool,
    pub(crate) email: bool,
    pub(crate) mobile: bool,
    pub(crate) gender: bool,
    /// department_ids, leader_user_id, orders.
    pub(crate) user_department: bool,
    /// status, city, country, work_station, join_time, is_tenant_manager, employee_type,
    /// custom_attrs, enterprise_email, job_title.
    pub(crate) employee: bool,
    pub(crate) employee_no: bool,
    pub(crate) geo: bool,
    pub(crate) dotted_line: bool,
    /// Department name, i18n_name, department_id, chat_id.
    pub(crate) department_base: bool,
    /// Department parent_department_id, leader_user_id, order, unit_ids.
    pub(crate) department_organize: bool,
}

impl Fields {
    pub(crate) fn of(enabled: &[String]) -> Self {
        let has = |scope: &str| enabled.iter().any(|e| e == scope);
        let broad = BROAD.iter().any(|s| has(s));
        let employee = broad || has("contact:user.employee:readonly");
        Self {
            user_base: broad || has("contact:user.base:readonly"),
            user_id: has("contact:user.employee_id:readonly"),
            email: has("contact:user.email:readonly"),
            mobile: has("contact:user.phone:readonly"),
            gender: broad || has("contact:user.gender:readonly"),
            user_department: broad || has("contact:user.department:readonly"),
            employee,
            employee_no: employee || has("contact:user.employee_number:read"),
            geo: has("contact:user.user_geo"),
            dotted_line: has("contact:user.dotted_line_leader_info.read"),
            department_base: broad || has("contact:department.base:readonly"),
            department_organize: broad || has("contact:department.organize:readonly"),
        }
    }

    /// The fields the running simulator's app may see now.
    pub(crate) fn granted(state: &SimState) -> Self {
        Self::of(&state.oauth_console.enabled_scopes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn field_groups_follow_their_scopes_and_the_broad_ones() {
        let none = Fields::of(&[]);
        assert!(!none.user_base && !none.email && !none.employee && !none.department_base);
        let broad = Fields::of(&scopes(&["contact:contact:readonly_as_app"]));
        assert!(broad.user_base && broad.employee && broad.employee_no && broad.gender);
        assert!(
            !broad.email && !broad.mobile && !broad.user_id,
            "no broad scope covers these"
        );
        let numbers = Fields::of(&scopes(&["contact:user.employee_number:read"]));
        assert!(numbers.employee_no && !numbers.employee);
    }

    #[test]
    fn apis_accept_any_of_their_scopes() {
        assert_eq!(required(endpoints::TENANT_QUERY), Some(TENANT_API));
        assert_eq!(required(endpoints::USER_INFO), None);
        assert_eq!(required(endpoints::USERS_BATCH), Some(USER_APIS));
        assert_eq!(required(endpoints::GROUP_MEMBERS), Some(GROUP_APIS));
        assert_eq!(required(endpoints::APP_VISIBILITY), Some(APP_APIS));
    }
}
