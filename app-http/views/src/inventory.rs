//! JSON shapes of user groups and installed apps (CLI `--output json` and the HTTP API).

use aviary_domain::model::{App, AppOwner, AppVisibility, Group};
use aviary_domain::usecases::{AppWithHistory, GroupWithHistory};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ChangeView, schema};

/// A user group with its members as Lark lists them (removed groups only with
/// `include_removed`).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    /// The id Lark's group APIs take (`g…`).
    pub id: String,
    /// The tenant's custom group id, which the contact range and app availability name.
    #[schema(required)]
    pub group_id: Option<String>,
    #[schema(required)]
    pub name: Option<String>,
    #[schema(required)]
    pub description: Option<String>,
    #[schema(value_type = schema::GroupKind)]
    pub kind: &'static str,
    /// Lark's own member counts.
    #[schema(required)]
    pub member_user_count: Option<i64>,
    #[schema(required)]
    pub member_department_count: Option<i64>,
    /// Users who are members themselves (`open_id`s).
    pub users: Vec<String>,
    /// Member departments (`open_department_id`s): everyone in them and below is a member.
    pub departments: Vec<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    #[schema(required)]
    pub removed_at: Option<DateTime<Utc>>,
    #[schema(value_type = schema::Presence)]
    pub presence: &'static str,
}

impl From<&Group> for GroupView {
    fn from(g: &Group) -> Self {
        let s = &g.state;
        Self {
            id: s.id.as_str().to_owned(),
            group_id: s.group_id.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            kind: s.kind.as_str(),
            member_user_count: s.member_user_count,
            member_department_count: s.member_department_count,
            users: s.users.iter().map(ToString::to_string).collect(),
            departments: s.departments.iter().map(ToString::to_string).collect(),
            first_seen_at: g.first_seen_at,
            last_changed_at: g.last_changed_at,
            removed_at: g.removed_at,
            presence: g.presence.as_str(),
        }
    }
}

/// Who owns an app.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppOwnerView {
    #[schema(value_type = schema::AppOwnerKind)]
    pub kind: &'static str,
    #[schema(required)]
    pub open_id: Option<String>,
    #[schema(required)]
    pub name: Option<String>,
    #[schema(required)]
    pub email: Option<String>,
}

impl From<&AppOwner> for AppOwnerView {
    fn from(o: &AppOwner) -> Self {
        Self {
            kind: o.kind.as_str(),
            open_id: o.open_id.as_ref().map(ToString::to_string),
            name: o.name.clone(),
            email: o.email.clone(),
        }
    }
}

/// Who may use an app.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppVisibilityView {
    /// Everyone in the tenant.
    pub everyone: bool,
    /// Departments whose members may use it, as Lark names them (its documentation says the
    /// custom `department_id`; its example shows `open_department_id`s).
    pub departments: Vec<String>,
    /// Users granted one by one (`open_id`s).
    pub users: Vec<String>,
    /// User groups, by their custom group id.
    pub groups: Vec<String>,
}

impl From<&AppVisibility> for AppVisibilityView {
    fn from(v: &AppVisibility) -> Self {
        Self {
            everyone: v.everyone,
            departments: v.departments.iter().map(ToString::to_string).collect(),
            users: v.users.iter().map(ToString::to_string).collect(),
            groups: v.groups.clone(),
        }
    }
}

/// An application installed in the tenant (removed ones only with `include_removed`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppView {
    pub app_id: String,
    #[schema(required)]
    pub name: Option<String>,
    #[schema(required)]
    pub description: Option<String>,
    #[schema(value_type = schema::AppStatus)]
    pub status: &'static str,
    /// Where the app comes from.
    #[schema(value_type = schema::AppScene)]
    pub scene: &'static str,
    /// Paid (`true`) or free, as Lark says; null when it does not.
    #[schema(required)]
    pub paid: Option<bool>,
    /// Where it was made (`developer_console`, `base`, …), when Lark says.
    #[schema(required)]
    pub create_source: Option<String>,
    #[schema(required)]
    pub creator_open_id: Option<String>,
    #[schema(required)]
    pub owner: Option<AppOwnerView>,
    /// The permissions the app holds.
    pub scopes: Vec<String>,
    #[schema(required)]
    pub primary_language: Option<String>,
    /// Who may use it; null when Lark would not say.
    #[schema(required)]
    pub visibility: Option<AppVisibilityView>,
    pub first_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    #[schema(required)]
    pub removed_at: Option<DateTime<Utc>>,
    #[schema(value_type = schema::Presence)]
    pub presence: &'static str,
}

impl From<&App> for AppView {
    fn from(a: &App) -> Self {
        let s = &a.state;
        Self {
            app_id: s.app_id.as_str().to_owned(),
            name: s.name.clone(),
            description: s.description.clone(),
            status: s.status.as_str(),
            scene: s.scene.as_str(),
            paid: s.paid,
            create_source: s.create_source.clone(),
            creator_open_id: s.creator_open_id.as_ref().map(ToString::to_string),
            owner: s.owner.as_ref().map(AppOwnerView::from),
            scopes: s.scopes.clone(),
            primary_language: s.primary_language.clone(),
            visibility: s.visibility.as_ref().map(AppVisibilityView::from),
            first_seen_at: a.first_seen_at,
            last_changed_at: a.last_changed_at,
            removed_at: a.removed_at,
            presence: a.presence.as_str(),
        }
    }
}

/// `aviary groups show`, `GET …/groups/{group}`: a group with its change history.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupWithHistoryView {
    #[serde(flatten)]
    pub group: GroupView,
    pub history: Vec<ChangeView>,
}

impl From<&GroupWithHistory> for GroupWithHistoryView {
    fn from(g: &GroupWithHistory) -> Self {
        Self {
            group: GroupView::from(&g.group),
            history: g.history.iter().map(ChangeView::from).collect(),
        }
    }
}

/// `aviary apps show`, `GET …/apps/{app_id}`: an app with its change history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppWithHistoryView {
    #[serde(flatten)]
    pub app: AppView,
    pub history: Vec<ChangeView>,
}

impl From<&AppWithHistory> for AppWithHistoryView {
    fn from(a: &AppWithHistory) -> Self {
        Self {
            app: AppView::from(&a.app),
            history: a.history.iter().map(ChangeView::from).collect(),
        }
    }
}
