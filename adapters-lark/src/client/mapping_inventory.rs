//! Wire → domain mapping of user groups and installed applications.
//!
//! Decisions:
//! - A group without an `id`, or an app without an `app_id`, fails the answer with
//!   `InvalidResponse` (as users and departments do): a skipped record would later look like a
//!   removal.
//! - Member ids that are empty or malformed are dropped with a warning; the member lists are
//!   sorted so that the same members hash the same.
//! - An app's JSON is kept without the fields some SDKs type as secrets (`secret`,
//!   `encryption`, …): Lark's list documents none of them, and if one ever appears it must not
//!   be stored in plain text.

use aviary_domain::model::{
    AppOwner, AppOwnerKind, AppScene, AppState, AppStatus, AppVisibility, GroupKind, GroupState,
};
use aviary_domain::ports::{DirectoryError, RemoteApp, RemoteGroup};
use aviary_domain::values::{DepartmentId, GroupId, InstalledAppId, OpenId};
use serde::Deserialize;

use super::mapping::{invalid, optional_id, text};
use super::wire_inventory::{WireApp, WireGroup, WireVisibility};

/// Keys left out of an app's stored JSON.
const SECRET_KEYS: [&str; 6] = [
    "secret",
    "encryption",
    "event",
    "callback",
    "callback_info",
    "security",
];

/// A string id sent as JSON text (the Python SDK's model types some of them as integers; the
/// docs and examples send strings).
fn text_value(value: Option<serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => text(Some(s)),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn wire_group(item: &serde_json::Value) -> Result<WireGroup, DirectoryError> {
    WireGroup::deserialize(item)
        .map_err(|err| invalid(format!("a group object has an unexpected shape: {err}")))
}

fn key_of(wire: &WireGroup) -> Result<(GroupId, GroupKind), DirectoryError> {
    let id = GroupId::parse(wire.id.as_deref().unwrap_or_default())
        .map_err(|err| invalid(format!("a group object has no usable id: {err}")))?;
    Ok((id, GroupKind::from_lark(wire.kind)))
}

/// The id and kind of a group object, for paths and for matching the contact range.
///
/// # Errors
/// `InvalidResponse` when the object is not a group or has no usable `id`.
pub(crate) fn group_id_of(
    item: &serde_json::Value,
) -> Result<(GroupId, GroupKind), DirectoryError> {
    key_of(&wire_group(item)?)
}

/// Maps a group object and the member ids listed for it.
///
/// # Errors
/// `InvalidResponse` when the object is not a group or has no usable `id`.
pub(crate) fn group_from_item(
    item: serde_json::Value,
    users: &[String],
    departments: &[String],
) -> Result<RemoteGroup, DirectoryError> {
    let wire = wire_group(&item)?;
    let (id, kind) = key_of(&wire)?;
    let mut state = GroupState::new(id, kind);
    state.group_id = text(wire.group_id);
    state.name = text(wire.name);
    state.description = text(wire.description);
    state.member_user_count = wire.member_user_count;
    state.member_department_count = wire.member_department_count;
    state.users = users
        .iter()
        .filter_map(|raw| optional_id(Some(raw), "memberlist.member_id", OpenId::parse))
        .collect();
    state.departments = departments
        .iter()
        .filter_map(|raw| optional_id(Some(raw), "memberlist.member_id", DepartmentId::parse))
        .collect();
    state.normalise();
    Ok(RemoteGroup { state, raw: item })
}

/// Maps an `app_list[]` item and, when Lark told, who may use the app.
///
/// # Errors
/// `InvalidResponse` when the item is not an app object or has no usable `app_id`.
pub(crate) fn app_from_item(
    mut item: serde_json::Value,
    visibility: Option<AppVisibility>,
) -> Result<RemoteApp, DirectoryError> {
    let wire = WireApp::deserialize(&item)
        .map_err(|err| invalid(format!("an app object has an unexpected shape: {err}")))?;
    let app_id = InstalledAppId::parse(wire.app_id.as_deref().unwrap_or_default())
        .map_err(|err| invalid(format!("an app object has no usable app_id: {err}")))?;
    let mut state = AppState::new(app_id);
    state.name = text(wire.app_name);
    state.description = text(wire.description);
    state.status = AppStatus::from_lark(wire.status);
    state.scene = AppScene::from_lark(wire.scene_type);
    state.paid = wire.payment_type.map(|p| p == 1);
    state.create_source = text(wire.create_source);
    state.creator_open_id = optional_id(
        text_value(wire.creator_id).as_deref(),
        "creator_id",
        OpenId::parse,
    );
    state.owner = wire.owner.map(|owner| AppOwner {
        kind: AppOwnerKind::from_lark(owner.kind),
        open_id: optional_id(
            text_value(owner.owner_id).as_deref(),
            "owner.owner_id",
            OpenId::parse,
        ),
        name: text(owner.name),
        email: text(owner.email),
    });
    let mut scopes: Vec<String> = wire
        .scopes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| text(s.scope))
        .collect();
    scopes.sort();
    scopes.dedup();
    state.scopes = scopes;
    state.primary_language = text(wire.primary_language);
    state.visibility = visibility;
    if let Some(object) = item.as_object_mut() {
        for key in SECRET_KEYS {
            object.remove(key);
        }
    }
    Ok(RemoteApp { state, raw: item })
}

/// Adds one page of an app's availability to `visibility` (users come in pages; the rest is
/// repeated on each page and kept from the first).
pub(crate) fn extend_visibility(visibility: &mut Option<AppVisibility>, page: WireVisibility) {
    let target = visibility.get_or_insert_with(|| AppVisibility {
        everyone: page.is_visible_to_all == Some(true),
        departments: ids(
            page.departments.iter().flatten().map(|d| d.id.clone()),
            "departments[].id",
            DepartmentId::parse,
        ),
        users: Vec::new(),
        groups: {
            let mut groups: Vec<String> = page
                .groups
                .iter()
                .flatten()
                .filter_map(|g| text(g.id.clone()))
                .collect();
            groups.sort();
            groups.dedup();
            groups
        },
    });
    for user in page.users.into_iter().flatten() {
        if let Some(id) = optional_id(user.open_id.as_deref(), "users[].open_id", OpenId::parse) {
            target.users.push(id);
        }
    }
    target.users.sort();
    target.users.dedup();
}

fn ids<T: Ord, E: std::fmt::Display>(
    raw: impl Iterator<Item = Option<String>>,
    field: &'static str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Vec<T> {
    let mut ids: Vec<T> = raw
        .filter_map(|r| optional_id(r.as_deref(), field, &parse))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_group_keeps_both_ids_and_sorted_members_and_drops_blank_ones() {
        let item = json!({"id": "g193821", "group_id": "4ba51ab38648f9cd", "name": "IT",
            "description": "", "member_user_count": 2, "member_department_count": 1, "type": 1});
        let group = group_from_item(
            item,
            &[
                "ou_b".to_owned(),
                "ou_a".to_owned(),
                String::new(),
                "ou_a".to_owned(),
            ],
            &["od-1".to_owned()],
        )
        .unwrap();
        assert_eq!(group.state.id.as_str(), "g193821");
        assert_eq!(group.state.group_id.as_deref(), Some("4ba51ab38648f9cd"));
        assert_eq!(group.state.description, None);
        assert_eq!(group.state.kind, GroupKind::Normal);
        let users: Vec<&str> = group.state.users.iter().map(OpenId::as_str).collect();
        assert_eq!(users, ["ou_a", "ou_b"]);
        assert_eq!(group.state.departments.len(), 1);
        assert!(group.state.is_named("4ba51ab38648f9cd") && group.state.is_named("g193821"));
    }

    #[test]
    fn a_group_without_an_id_fails_the_answer() {
        assert!(group_from_item(json!({"name": "x"}), &[], &[]).is_err());
        assert!(group_from_item(json!(["not", "a", "group"]), &[], &[]).is_err());
    }

    #[test]
    fn an_app_maps_its_codes_and_leaves_secrets_out_of_its_json() {
        let item = json!({"app_id": "cli_1", "app_name": "Wiki", "status": 1, "scene_type": 1,
            "payment_type": 1, "creator_id": 12345, "secret": "s3cr3t",
            "encryption": {"encryption_key": "k"},
            "scopes": [{"scope": "b"}, {"scope": "a"}, {"scope": ""}],
            "owner": {"type": 2, "owner_id": "ou_o", "name": "Owner"}});
        let app = app_from_item(item, None).unwrap();
        assert_eq!(app.state.status, AppStatus::Enabled);
        assert_eq!(app.state.scene, AppScene::Store);
        assert_eq!(app.state.paid, Some(true));
        assert_eq!(app.state.scopes, ["a", "b"]);
        let owner = app.state.owner.unwrap();
        assert_eq!(owner.kind, AppOwnerKind::Member);
        assert_eq!(owner.open_id.unwrap().as_str(), "ou_o");
        assert!(app.raw.get("secret").is_none() && app.raw.get("encryption").is_none());
        assert_eq!(app.raw["app_name"], "Wiki");
    }

    #[test]
    fn unknown_codes_read_unknown() {
        let app = app_from_item(
            json!({"app_id": "cli_1", "status": 3, "scene_type": 9}),
            None,
        )
        .unwrap();
        assert_eq!(app.state.status, AppStatus::Unknown);
        assert_eq!(app.state.scene, AppScene::Unknown);
        assert_eq!(app.state.paid, None);
        assert!(app_from_item(json!({"app_name": "x"}), None).is_err());
    }

    #[test]
    fn visibility_pages_add_users_and_keep_the_first_pages_lists() {
        let mut visibility = None;
        let first: WireVisibility = serde_json::from_value(json!({"is_visible_to_all": 0,
            "departments": [{"id": "od-2"}, {"id": "od-1"}], "groups": [{"id": "96815a9cd9beg8g4"}],
            "users": [{"open_id": "ou_b"}], "has_more_users": 1, "user_page_token": "t"}))
        .unwrap();
        extend_visibility(&mut visibility, first);
        let second: WireVisibility =
            serde_json::from_value(json!({"users": [{"open_id": "ou_a"}], "has_more_users": 0}))
                .unwrap();
        extend_visibility(&mut visibility, second);
        let visibility = visibility.unwrap();
        assert!(!visibility.everyone);
        assert_eq!(visibility.departments.len(), 2);
        assert_eq!(visibility.groups, ["96815a9cd9beg8g4"]);
        let users: Vec<&str> = visibility.users.iter().map(OpenId::as_str).collect();
        assert_eq!(users, ["ou_a", "ou_b"]);
    }
}
