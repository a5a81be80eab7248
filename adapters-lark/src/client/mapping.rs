//! Wire → domain mapping, in one place: Lark's user and department objects become
//! `UserProfile` / `DepartmentState` (normalised, with the item's JSON kept as `raw`), scope and
//! tenant answers become `ContactScope` / `TenantInfo`.
//!
//! Decisions:
//! - A user or department without a usable id (`open_id`, `open_department_id`) fails the whole
//!   answer with `InvalidResponse` instead of being skipped: a silently skipped record would later
//!   look like a removal and write false history.
//! - Secondary ids (leaders, department ids) that are empty mean "none" (Lark sends `""` for an
//!   absent leader); ones that are present but malformed are dropped with a warning.
//! - Empty strings in text fields are normalised to `None`, so `""` and "absent" never differ.
//! - A field group whose first key is missing (`FieldGroup::sentinel`) is *withheld*: Lark leaves
//!   a group out when the app lacks its permission. Its fields read `None` and the group is
//!   listed in `withheld`, so the sync keeps stored values instead of erasing them; a missing
//!   `status` object reads as `Unknown`, never as active.
//! - Departments flagged `status.is_deleted` are gone and are left out of listings.

use aviary_domain::model::{
    AccountStatus, DepartmentState, FieldGroup, StatusFlags, TenantInfo, UserProfile,
};
use aviary_domain::ports::{ContactScope, DirectoryError, RemoteDepartment, RemoteUser};
use aviary_domain::values::{DepartmentId, OpenId};
use serde::Deserialize;

use super::wire::{WireDepartment, WireScopes, WireTenantData, WireUser, WireUserStatus};

/// An answer that is not the documented shape. What was wrong goes to the log here: the
/// error's text, which reaches API clients and pages, does not carry it.
pub(super) fn invalid(detail: String) -> DirectoryError {
    tracing::warn!(%detail, "Lark sent an invalid response");
    DirectoryError::InvalidResponse { detail }
}

pub(super) fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// An optional secondary id: empty means none, malformed is dropped with a warning.
pub(super) fn optional_id<T, E: std::fmt::Display>(
    raw: Option<&str>,
    field: &'static str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Option<T> {
    let raw = raw.filter(|v| !v.trim().is_empty())?;
    match parse(raw) {
        Ok(id) => Some(id),
        Err(err) => {
            tracing::warn!(field, error = %err, "ignoring a malformed id in a Lark answer");
            None
        }
    }
}

fn optional_open_id(raw: Option<String>, field: &'static str) -> Option<OpenId> {
    optional_id(raw.as_deref(), field, OpenId::parse)
}

fn optional_department_id(raw: Option<String>, field: &'static str) -> Option<DepartmentId> {
    optional_id(raw.as_deref(), field, DepartmentId::parse)
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The account status from Lark's `status` object. Without one (withheld), the top-level
/// `is_frozen` that Lark sends to every app still tells a suspended account; else `Unknown`.
fn account_status(status: Option<WireUserStatus>, top_level_frozen: Option<bool>) -> AccountStatus {
    let Some(status) = status else {
        return if top_level_frozen == Some(true) {
            AccountStatus::Suspended
        } else {
            AccountStatus::Unknown
        };
    };
    AccountStatus::from_flags(StatusFlags {
        is_frozen: status.is_frozen.unwrap_or(false) || top_level_frozen.unwrap_or(false),
        is_resigned: status.is_resigned.unwrap_or(false),
        is_activated: status.is_activated.unwrap_or(true),
        is_exited: status.is_exited.unwrap_or(false),
        is_unjoin: status.is_unjoin.unwrap_or(false),
    })
}

/// Maps one `items[]` entry of a user listing.
///
/// # Errors
/// `InvalidResponse` when the item is not a user object or has no valid `open_id`.
pub(crate) fn user_from_item(item: serde_json::Value) -> Result<RemoteUser, DirectoryError> {
    let withheld = FieldGroup::withheld_in(FieldGroup::USER, &item);
    let wire = WireUser::deserialize(&item)
        .map_err(|err| invalid(format!("a user object has an unexpected shape: {err}")))?;
    let raw_open_id = wire.open_id.unwrap_or_default();
    let open_id = OpenId::parse(&raw_open_id)
        .map_err(|err| invalid(format!("a user object has no usable open_id: {err}")))?;

    let mut department_ids = Vec::new();
    for raw in wire.department_ids.unwrap_or_default() {
        if let Some(id) = optional_department_id(Some(raw), "department_ids") {
            push_unique(&mut department_ids, id);
        }
    }
    let primary_from_orders = wire
        .orders
        .unwrap_or_default()
        .into_iter()
        .find(|order| order.is_primary_dept == Some(true))
        .and_then(|order| optional_department_id(order.department_id, "orders.department_id"));
    let primary_department_id = primary_from_orders.or_else(|| department_ids.first().cloned());

    let mut dotted_line_leader_open_ids = Vec::new();
    for raw in wire.dotted_line_leader_user_ids.unwrap_or_default() {
        if let Some(id) = optional_open_id(Some(raw), "dotted_line_leader_user_ids") {
            push_unique(&mut dotted_line_leader_open_ids, id);
        }
    }

    let avatar_url = wire.avatar.and_then(|avatar| {
        text(avatar.avatar_origin)
            .or_else(|| text(avatar.avatar_240))
            .or_else(|| text(avatar.avatar_640))
            .or_else(|| text(avatar.avatar_72))
    });

    let mut profile = UserProfile::new(open_id);
    profile.union_id = text(wire.union_id);
    profile.user_id = text(wire.user_id);
    profile.name = text(wire.name);
    profile.en_name = text(wire.en_name);
    profile.nickname = text(wire.nickname);
    profile.email = text(wire.email);
    profile.enterprise_email = text(wire.enterprise_email);
    profile.mobile = text(wire.mobile);
    profile.gender = wire.gender;
    profile.status = account_status(wire.status, wire.is_frozen);
    profile.is_tenant_manager = wire.is_tenant_manager.unwrap_or(false);
    profile.department_ids = department_ids;
    profile.primary_department_id = primary_department_id;
    profile.designation = text(wire.job_title);
    profile.employee_no = text(wire.employee_no);
    profile.employee_type = wire.employee_type;
    profile.leader_open_id = optional_open_id(wire.leader_user_id, "leader_user_id");
    profile.dotted_line_leader_open_ids = dotted_line_leader_open_ids;
    profile.city = text(wire.city);
    profile.country = text(wire.country);
    profile.work_station = text(wire.work_station);
    profile.geo = text(wire.geo);
    profile.join_time = wire.join_time;
    profile.avatar_url = avatar_url;
    profile.withheld = withheld;
    Ok(RemoteUser { profile, raw: item })
}

/// Maps one `items[]` entry of a department listing; `None` for a deleted department.
///
/// # Errors
/// `InvalidResponse` when the item is not a department object or has no valid
/// `open_department_id`.
pub(crate) fn department_from_item(
    item: serde_json::Value,
) -> Result<Option<RemoteDepartment>, DirectoryError> {
    let withheld = FieldGroup::withheld_in(FieldGroup::DEPARTMENT, &item);
    let wire = WireDepartment::deserialize(&item).map_err(|err| {
        invalid(format!(
            "a department object has an unexpected shape: {err}"
        ))
    })?;
    let raw_id = wire.open_department_id.unwrap_or_default();
    let open_department_id = DepartmentId::parse(&raw_id).map_err(|err| {
        invalid(format!(
            "a department object has no usable open_department_id: {err}"
        ))
    })?;
    if wire.status.and_then(|s| s.is_deleted) == Some(true) {
        tracing::debug!(department = %open_department_id, "skipping a deleted department");
        return Ok(None);
    }

    let leader_open_id = optional_open_id(wire.leader_user_id, "leader_user_id");
    let mut leaders = wire.leaders.unwrap_or_default();
    // Primary leaders (type 1) before deputies; the sort is stable, so Lark's order is kept
    // within a type.
    leaders.sort_by_key(|leader| leader.leader_type.unwrap_or(i64::MAX));
    let mut leader_open_ids = Vec::new();
    if let Some(id) = &leader_open_id {
        leader_open_ids.push(id.clone());
    }
    for leader in leaders {
        if let Some(id) = optional_open_id(leader.leader_id, "leaders.leaderID") {
            push_unique(&mut leader_open_ids, id);
        }
    }

    let mut state = DepartmentState::new(open_department_id);
    state.department_id = text(wire.department_id);
    state.name = text(wire.name);
    state.name_en = wire.i18n_name.and_then(|names| text(names.en_us));
    state.parent_id = optional_department_id(wire.parent_department_id, "parent_department_id");
    state.leader_open_id = leader_open_id;
    state.leader_open_ids = leader_open_ids;
    state.member_count = wire.member_count;
    state.order = wire.order;
    state.withheld = withheld;
    Ok(Some(RemoteDepartment { state, raw: item }))
}

/// Adds one page of `/contact/v3/scopes` to `scope` (ids deduplicated, order kept).
///
/// # Errors
/// `InvalidResponse` when a listed id is empty or malformed.
pub(crate) fn extend_scope(
    scope: &mut ContactScope,
    page: WireScopes,
) -> Result<(), DirectoryError> {
    for raw in page.department_ids.unwrap_or_default() {
        let id = DepartmentId::parse(&raw).map_err(|err| {
            invalid(format!(
                "the contact scope lists a bad department id: {err}"
            ))
        })?;
        push_unique(&mut scope.department_ids, id);
    }
    for raw in page.user_ids.unwrap_or_default() {
        let id = OpenId::parse(&raw)
            .map_err(|err| invalid(format!("the contact scope lists a bad user id: {err}")))?;
        push_unique(&mut scope.user_ids, id);
    }
    for raw in page.group_ids.unwrap_or_default() {
        let id = text(Some(raw))
            .ok_or_else(|| invalid("the contact scope lists an empty group id".to_owned()))?;
        push_unique(&mut scope.group_ids, id);
    }
    Ok(())
}

/// Maps `data` of the tenant query.
///
/// # Errors
/// `InvalidResponse` when the tenant's name or key is missing.
pub(crate) fn tenant_info(data: WireTenantData) -> Result<TenantInfo, DirectoryError> {
    let tenant = data
        .tenant
        .ok_or_else(|| invalid("the tenant query answer has no tenant object".to_owned()))?;
    let name = text(tenant.name)
        .ok_or_else(|| invalid("the tenant query answer has no tenant name".to_owned()))?;
    let tenant_key = text(tenant.tenant_key)
        .ok_or_else(|| invalid("the tenant query answer has no tenant_key".to_owned()))?;
    Ok(TenantInfo { name, tenant_key })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_user_without_status_is_unknown_and_empty_text_reads_absent() {
        let user = user_from_item(json!({
            "open_id": "ou_1",
            "email": "",
            "leader_user_id": "",
            "department_ids": ["od-b", "od-a", "od-b"],
        }))
        .unwrap();
        assert_eq!(user.profile.status, AccountStatus::Unknown);
        assert!(user.profile.withheld.contains(&FieldGroup::Employment));
        assert!(
            !user.profile.withheld.contains(&FieldGroup::Email),
            "an empty email is known to be empty"
        );
        assert!(user.profile.withheld.contains(&FieldGroup::Mobile));
        assert_eq!(user.profile.email, None);
        assert_eq!(user.profile.leader_open_id, None);
        let ids: Vec<&str> = user
            .profile
            .department_ids
            .iter()
            .map(DepartmentId::as_str)
            .collect();
        assert_eq!(ids, ["od-b", "od-a"]);
        assert_eq!(
            user.profile
                .primary_department_id
                .as_ref()
                .map(DepartmentId::as_str),
            Some("od-b")
        );
    }

    #[test]
    fn status_flags_follow_the_precedence_and_the_top_level_frozen_flag() {
        let map = |status: serde_json::Value| {
            user_from_item(json!({"open_id": "ou_1", "status": status}))
                .unwrap()
                .profile
                .status
        };
        assert_eq!(
            map(json!({"is_resigned": true, "is_frozen": true})),
            AccountStatus::Resigned
        );
        assert_eq!(
            map(json!({"is_activated": false})),
            AccountStatus::NotActivated
        );
        assert_eq!(
            map(json!({"is_unjoin": true, "is_activated": false})),
            AccountStatus::Invited
        );
        assert_eq!(map(json!({"is_exited": true})), AccountStatus::Exited);
        let frozen = user_from_item(json!({"open_id": "ou_1", "is_frozen": true})).unwrap();
        assert_eq!(frozen.profile.status, AccountStatus::Suspended);
    }

    #[test]
    fn the_primary_department_comes_from_orders() {
        let user = user_from_item(json!({
            "open_id": "ou_1",
            "department_ids": ["od-a", "od-b"],
            "orders": [
                {"department_id": "od-a", "is_primary_dept": false},
                {"department_id": "od-b", "is_primary_dept": true}
            ],
        }))
        .unwrap();
        assert_eq!(user.profile.primary_department_id.unwrap().as_str(), "od-b");
    }

    #[test]
    fn a_user_without_open_id_is_an_invalid_response() {
        let err = user_from_item(json!({"name": "x", "open_id": ""})).unwrap_err();
        assert!(
            matches!(err, DirectoryError::InvalidResponse { .. }),
            "{err:?}"
        );
        let err = user_from_item(json!(["not", "an", "object"])).unwrap_err();
        assert!(
            matches!(err, DirectoryError::InvalidResponse { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn department_leaders_merge_primary_first_without_duplicates() {
        let dept = department_from_item(json!({
            "open_department_id": "od-1",
            "leader_user_id": "ou_a",
            "order": 5,
            "leaders": [
                {"leaderType": 2, "leaderID": "ou_c"},
                {"leaderType": 1, "leaderID": "ou_a"},
                {"leaderType": 1, "leaderID": "ou_b"}
            ]
        }))
        .unwrap()
        .unwrap();
        let ids: Vec<&str> = dept
            .state
            .leader_open_ids
            .iter()
            .map(OpenId::as_str)
            .collect();
        assert_eq!(ids, ["ou_a", "ou_b", "ou_c"]);
        assert_eq!(dept.state.order, Some(5));
        assert_eq!(dept.state.leader_open_id.unwrap().as_str(), "ou_a");
    }

    #[test]
    fn deleted_departments_are_left_out() {
        let gone = department_from_item(json!({
            "open_department_id": "od-1",
            "status": {"is_deleted": true}
        }))
        .unwrap();
        assert!(gone.is_none());
    }

    #[test]
    fn scope_pages_accumulate_without_duplicates() {
        let mut scope = ContactScope::default();
        let page = |deps: &[&str], users: &[&str]| WireScopes {
            department_ids: Some(deps.iter().map(|s| (*s).to_owned()).collect()),
            user_ids: Some(users.iter().map(|s| (*s).to_owned()).collect()),
            group_ids: Some(vec!["g1".to_owned()]),
            has_more: None,
            page_token: None,
        };
        extend_scope(&mut scope, page(&["od-1"], &["ou_1"])).unwrap();
        extend_scope(&mut scope, page(&["od-1", "od-2"], &[])).unwrap();
        assert_eq!(scope.department_ids.len(), 2);
        assert_eq!(scope.user_ids.len(), 1);
        assert_eq!(scope.group_ids, ["g1"]);
        assert!(extend_scope(&mut scope, page(&[""], &[])).is_err());
    }
}
