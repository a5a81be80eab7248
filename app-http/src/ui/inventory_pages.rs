//! `GET /admin/integrations/{id}/groups` and `…/apps`: the tenant's user groups (members, a link
//! to the accounts they take in) and installed apps (status, origin, owner, who may use them,
//! their permissions), those no longer present marked.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::model::{App, AppScene, AppStatus, AppVisibility, Group, GroupKind};

use super::browse::{self, Tabs};
use super::error::UiError;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::SignedIn;
use aviary_views::{DepartmentNames, outline_names};
use aviary_wiring::Services;

/// One user group in the table.
#[derive(Debug)]
pub struct GroupRow {
    pub anchor: String,
    pub name: String,
    pub id: String,
    pub custom_id: Option<String>,
    pub description: Option<String>,
    pub kind: &'static str,
    pub users: usize,
    /// Member departments by name.
    pub departments: Vec<String>,
    /// The integration page filtered to the group's members.
    pub accounts_href: String,
    /// `removed` or `out of range` for a group no longer present.
    pub gone: Option<&'static str>,
}

#[derive(Debug, Template)]
#[template(path = "groups.html")]
pub struct GroupsPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub tabs: Tabs,
    pub rows: Vec<GroupRow>,
}

/// One installed app in the table.
#[derive(Debug)]
pub struct AppRow {
    pub anchor: String,
    pub name: String,
    pub app_id: String,
    pub description: Option<String>,
    pub status: &'static str,
    pub tone: &'static str,
    pub origin: String,
    pub owner: Option<String>,
    pub availability: String,
    pub scopes: Vec<String>,
    pub gone: Option<&'static str>,
}

#[derive(Debug, Template)]
#[template(path = "apps.html")]
pub struct AppsPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub tabs: Tabs,
    pub rows: Vec<AppRow>,
}

fn group_row(integration: &str, group: &Group, names: &DepartmentNames) -> GroupRow {
    let s = &group.state;
    let id = s.id.as_str().to_owned();
    GroupRow {
        anchor: format!("group-{id}"),
        name: s.name.clone().unwrap_or_else(|| id.clone()),
        custom_id: s.group_id.clone().filter(|c| *c != id),
        description: s.description.clone(),
        kind: match s.kind {
            GroupKind::Normal => "chosen members",
            GroupKind::Dynamic => "dynamic (by rules)",
            GroupKind::Unknown => "unknown kind",
        },
        users: s.users.len(),
        departments: s
            .departments
            .iter()
            .map(|d| {
                names
                    .get(d.as_str())
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| d.as_str().to_owned())
            })
            .collect(),
        accounts_href: format!(
            "/admin/integrations/{integration}?group={}",
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
        ),
        gone: browse::gone_words(group.presence),
        id,
    }
}

/// Who may use an app, in words.
fn availability(visibility: Option<&AppVisibility>) -> String {
    let Some(v) = visibility else {
        return "not reported by Lark".to_owned();
    };
    if v.everyone {
        return "everyone".to_owned();
    }
    let parts: Vec<String> = [
        (v.departments.len(), "department", "departments"),
        (v.groups.len(), "group", "groups"),
        (v.users.len(), "user", "users"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
    .collect();
    if parts.is_empty() {
        "nobody".to_owned()
    } else {
        parts.join(", ")
    }
}

fn app_row(app: &App) -> AppRow {
    let s = &app.state;
    let (status, tone) = match s.status {
        AppStatus::Enabled => ("enabled", "good"),
        AppStatus::Disabled => ("disabled", "muted"),
        AppStatus::NotEnabled => ("not enabled", "warn"),
        AppStatus::Unknown => ("unknown", "muted"),
    };
    let scene = match s.scene {
        AppScene::Custom => "custom app",
        AppScene::Store => "app store",
        AppScene::PersonalStore => "app store (personal)",
        AppScene::Unknown => "unknown origin",
    };
    let id = s.app_id.as_str().to_owned();
    AppRow {
        anchor: format!("app-{id}"),
        name: s.name.clone().unwrap_or_else(|| id.clone()),
        description: s.description.clone(),
        status,
        tone,
        origin: match (&s.create_source, s.paid) {
            (Some(source), _) => format!("{scene}, made with {source}"),
            (None, Some(true)) => format!("{scene}, paid"),
            (None, _) => scene.to_owned(),
        },
        owner: s
            .owner
            .as_ref()
            .and_then(|o| o.name.clone().or_else(|| o.email.clone())),
        availability: availability(s.visibility.as_ref()),
        scopes: s.scopes.clone(),
        gone: browse::gone_words(app.presence),
        app_id: id,
    }
}

pub async fn groups(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = browse::integration(&services, &path).await?;
    let groups = services.queries.groups(integration.id, true).await?;
    let names = outline_names(
        &services
            .queries
            .department_outlines(integration.id, true)
            .await?,
    );
    let id = integration.id.to_string();
    let page = GroupsPage {
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        tabs: Tabs::new(&integration, "groups"),
        rows: groups.iter().map(|g| group_row(&id, g, &names)).collect(),
    };
    render(StatusCode::OK, &page)
}

pub async fn apps(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = browse::integration(&services, &path).await?;
    let apps = services.queries.apps(integration.id, true).await?;
    let page = AppsPage {
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        tabs: Tabs::new(&integration, "apps"),
        rows: apps.iter().map(app_row).collect(),
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aviary_domain::values::DepartmentId;

    #[test]
    fn availability_reads_as_words() {
        assert_eq!(availability(None), "not reported by Lark");
        let mut v = AppVisibility {
            everyone: true,
            departments: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
        };
        assert_eq!(availability(Some(&v)), "everyone");
        v.everyone = false;
        assert_eq!(availability(Some(&v)), "nobody");
        v.departments = vec![DepartmentId::parse("od-1").unwrap()];
        v.groups = vec!["g1".to_owned(), "g2".to_owned()];
        assert_eq!(availability(Some(&v)), "1 department, 2 groups");
    }
}
