//! `GET /admin/integrations/{id}/accounts/{open_id}`: one account — its fields in plain words
//! (departments by name) — and its change history, newest first, each change with its run and
//! every field's old and new value.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::model::Presence;
use aviary_domain::model::{ChangeRecord, FieldChange};
use aviary_domain::usecases::QueriesError;
use aviary_domain::values::DepartmentId;
use serde_json::Value;

use super::browse::{self, Tabs};
use super::error::UiError;
use super::integration_page::role_words;
use super::overview::status_label;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::SignedIn;
use aviary_views::{DepartmentNames, found_department_names, named_departments};
use aviary_wiring::Services;

/// Changes with more fields than this are folded (an added account lists every field).
const INLINE_FIELDS: usize = 6;

/// A labelled value of the account.
#[derive(Debug)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

/// A department (or user group) the account belongs to, linking to its accounts.
#[derive(Debug)]
pub struct DepartmentLink {
    pub name: String,
    pub href: String,
    pub primary: bool,
}

/// One field of a change: `field: old → new`.
#[derive(Debug)]
pub struct FieldRow {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// One recorded change.
#[derive(Debug)]
pub struct HistoryRow {
    pub when: String,
    pub run_href: String,
    pub run_short: String,
    pub kind: &'static str,
    pub fields: Vec<FieldRow>,
    /// Too many fields to show unfolded.
    pub folded: bool,
}

#[derive(Debug, Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub tabs: Tabs,
    pub title: String,
    pub open_id: String,
    pub status: &'static str,
    /// Why and since when the account is no longer present, in plain words.
    pub gone: Option<String>,
    /// Field groups whose values Lark never returned (their permissions are missing).
    pub unknown: Vec<String>,
    pub facts: Vec<Fact>,
    pub departments: Vec<DepartmentLink>,
    /// The present user groups it belongs to (itself or through a department), each linking
    /// to the group on the groups page.
    pub groups: Vec<DepartmentLink>,
    pub history: Vec<HistoryRow>,
}

/// A field value in plain words; department ids become names.
fn field_value(field: &str, value: &Value, names: &DepartmentNames) -> String {
    let name_of = |id: &str| match names.get(id).cloned().flatten() {
        Some(name) => name,
        None if id == "0" => "(root)".to_owned(),
        None => id.to_owned(),
    };
    match (field, value) {
        ("department_ids", Value::Array(ids)) if !ids.is_empty() => ids
            .iter()
            .map(|id| id.as_str().map_or_else(|| id.to_string(), name_of))
            .collect::<Vec<_>>()
            .join(", "),
        ("primary_department_id", Value::String(id)) => name_of(id),
        _ => browse::value_words(value),
    }
}

/// The department ids [`field_rows`] shows as names, added to `ids`.
pub(super) fn named_in_fields(fields: &[FieldChange], ids: &mut Vec<DepartmentId>) {
    let mut add = |value: &Value| {
        if let Some(id) = value.as_str().and_then(|id| DepartmentId::parse(id).ok()) {
            ids.push(id);
        }
    };
    for f in fields {
        for value in [&f.old, &f.new] {
            match (f.field.as_str(), value) {
                ("department_ids", Value::Array(values)) => values.iter().for_each(&mut add),
                ("primary_department_id", value) => add(value),
                _ => {}
            }
        }
    }
}

pub(super) fn field_rows(fields: &[FieldChange], names: &DepartmentNames) -> Vec<FieldRow> {
    fields
        .iter()
        .map(|f| FieldRow {
            field: f.field.clone(),
            old: field_value(&f.field, &f.old, names),
            new: field_value(&f.field, &f.new, names),
        })
        .collect()
}

fn history_row(change: &ChangeRecord, names: &DepartmentNames) -> HistoryRow {
    let run = change.run_id.to_string();
    HistoryRow {
        when: browse::when(change.recorded_at),
        run_href: format!("/admin/runs/{run}"),
        run_short: run.chars().take(8).collect(),
        kind: change.kind.as_str(),
        folded: change.fields.len() > INLINE_FIELDS,
        fields: field_rows(&change.fields, names),
    }
}

fn fact(label: &'static str, value: Option<String>) -> Option<Fact> {
    value
        .filter(|v| !v.is_empty())
        .map(|value| Fact { label, value })
}

pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, UiError> {
    let (id, open_id) = path.into_inner();
    let integration = browse::integration(&services, &id).await?;
    let found = match services.queries.account(integration.id, &open_id).await {
        Ok(found) => found,
        Err(QueriesError::UnknownAccount(_)) => return Err(UiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    let account = &found.account;
    // Only the departments the page names: the account's and those in its history.
    let mut shown = named_departments(std::iter::once(account));
    for change in &found.history {
        named_in_fields(&change.fields, &mut shown);
    }
    shown.sort();
    shown.dedup();
    let names = found_department_names(
        services
            .queries
            .department_names(integration.id, &shown)
            .await?,
    );
    let p = &account.state.profile;
    let facts: Vec<Fact> = [
        fact("English name", p.en_name.clone()),
        fact("Nickname", p.nickname.clone()),
        fact("Email", p.email.clone()),
        fact("Enterprise email", p.enterprise_email.clone()),
        fact("Mobile", p.mobile.clone()),
        fact(
            "Roles",
            Some(
                account
                    .state
                    .roles
                    .iter()
                    .map(|r| role_words(*r))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
        fact("Designation", p.designation.clone()),
        fact("Employee no.", p.employee_no.clone()),
        fact("Joined", p.join_time.map(browse::join_date)),
        fact(
            "Place",
            Some(
                [p.city.clone(), p.country.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
        fact("User id", p.user_id.clone()),
        fact("Union id", p.union_id.clone()),
        fact("First seen", Some(browse::when(account.first_seen_at))),
        fact("Last change", Some(browse::when(account.last_changed_at))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let departments = p
        .department_ids
        .iter()
        .map(|department| DepartmentLink {
            name: match names.get(department.as_str()).cloned().flatten() {
                Some(name) => name,
                None if department.is_root() => "(root)".to_owned(),
                None => department.to_string(),
            },
            href: format!(
                "/admin/integrations/{}?department={}",
                integration.id,
                url::form_urlencoded::byte_serialize(department.as_str().as_bytes())
                    .collect::<String>()
            ),
            primary: p.primary_department_id.as_ref() == Some(department),
        })
        .collect();
    let groups = services
        .queries
        .account_groups(account)
        .await?
        .into_iter()
        .map(|g| DepartmentLink {
            href: browse::object_href(&integration, "group", g.state.id.as_str()),
            name: g
                .state
                .name
                .unwrap_or_else(|| g.state.id.as_str().to_owned()),
            primary: false,
        })
        .collect();
    let page = AccountPage {
        groups,
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        tabs: Tabs::new(&integration, ""),
        title: p.name.clone().unwrap_or_else(|| p.open_id.to_string()),
        open_id: p.open_id.to_string(),
        status: status_label(p.status),
        gone: account.removed_at.map(|at| match account.presence {
            Presence::OutOfRange => format!(
                "Left the app's contact range on {} — it may still be in the tenant, but Lark no \
                 longer shows it to this app; check the app's contact range. Aviary keeps the \
                 account and its history.",
                browse::when(at)
            ),
            Presence::Removed | Presence::Present => format!(
                "Removed from the tenant on {}. Aviary keeps the account and its history.",
                browse::when(at)
            ),
        }),
        unknown: p
            .withheld
            .iter()
            .map(|g| format!("{} (permission {})", g.describe(), g.permission()))
            .collect(),
        facts,
        departments,
        history: found
            .history
            .iter()
            .rev()
            .map(|change| history_row(change, &names))
            .collect(),
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn department_ids_read_as_names() {
        let names: DepartmentNames = [
            ("od-1".to_owned(), Some("Sales".to_owned())),
            ("od-2".to_owned(), None),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            field_value("department_ids", &json!(["od-1", "od-2", "0"]), &names),
            "Sales, od-2, (root)"
        );
        assert_eq!(
            field_value("primary_department_id", &json!("od-1"), &names),
            "Sales"
        );
        assert_eq!(field_value("name", &json!(null), &names), "—");
    }
}
