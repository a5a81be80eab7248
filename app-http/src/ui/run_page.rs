//! `GET /admin/runs/{run_id}`: one sync run — how it went and what it counted — and its diff,
//! one page of [`PAGE_SIZE`] changes at a time (`?after=` continues after a page): the changes
//! grouped by account (then by department, user group and app), each with the fields' old and
//! new values, or added, removed or restored.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use aviary_domain::model::{ChangePosition, ChangeRecord, Hold, Integration, Subject, SyncRun};
use aviary_domain::usecases::QueriesError;
use aviary_domain::usecases::sync::departure_words;
use aviary_domain::values::{OpenId, RunId};

use super::account_page::{FieldRow, field_rows};
use super::browse::{self, Tabs};
use super::error::UiError;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::runs_page::{RunRow, run_row};
use super::session::SignedIn;
use aviary_views::{change_cursor, outline_names};
use aviary_wiring::Services;

/// Changes on one page: a first sync records one per record (100k for a large tenant), so the
/// page reads them a bounded page at a time.
const PAGE_SIZE: u64 = 100;
/// The most held records the page lists; the API and the CLI (`aviary runs show`) list more.
const SHOWN: usize = 500;
/// Shown above the first page when `?after=` could not be followed.
const BAD_PAGE: &str = "This page link is damaged or belongs to another run; \
                        here are the run's first changes instead.";
/// Changes with more fields than this are folded (an added account lists every field).
const INLINE_FIELDS: usize = 6;

/// One change of one account or department.
#[derive(Debug)]
pub struct ChangeItem {
    pub kind: &'static str,
    pub fields: Vec<FieldRow>,
    pub folded: bool,
}

/// The changes of one account or department in this run.
#[derive(Debug)]
pub struct Group {
    pub title: String,
    pub id: String,
    pub href: Option<String>,
    pub changes: Vec<ChangeItem>,
}

#[derive(Debug, Template)]
#[template(path = "run.html")]
pub struct RunPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub tabs: Tabs,
    pub run_id: String,
    pub run: RunRow,
    pub finished: Option<String>,
    pub retries: u64,
    pub rate_limit_waits: u64,
    pub accounts: Vec<Group>,
    pub departments: Vec<Group>,
    /// User groups and installed apps with changes.
    pub objects: Vec<Group>,
    /// Links to the run's other pages of changes.
    pub pager: Pager,
    /// Changes on one page ([`PAGE_SIZE`]).
    pub page_size: u64,
    /// A held run: what it holds and the records confirming it would mark.
    pub hold: Option<HoldView>,
    /// Who confirmed the held run this run applied, and that run's page.
    pub confirmed: Option<(String, String)>,
}

/// Where this page of changes stands among the run's pages, and the links to the others.
#[derive(Debug, Default)]
pub struct Pager {
    /// The run's first page (on any later page).
    pub first: Option<String>,
    /// The page after this one, while more changes follow.
    pub next: Option<String>,
    /// The page link asked for could not be followed (the first page is shown instead).
    pub error: Option<&'static str>,
}

impl Pager {
    /// Whether the run's changes take more than one page (empty sections then speak of the
    /// page, not the run).
    pub fn paged(&self) -> bool {
        self.first.is_some() || self.next.is_some()
    }
}

/// The position `?after=` asks the page to continue after; a link that is damaged or belongs
/// to another run starts from the first page with [`BAD_PAGE`]. Repeated: the last counts.
fn requested_start(query: &str, run: RunId) -> (Option<ChangePosition>, Option<&'static str>) {
    let raw = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "after")
        .map(|(_, value)| value.into_owned())
        .last()
        .filter(|value| !value.trim().is_empty());
    match raw.map(|raw| change_cursor::decode(&raw, run)) {
        None => (None, None),
        Some(Ok(after)) => (Some(after), None),
        Some(Err(_)) => (None, Some(BAD_PAGE)),
    }
}

/// What a held run holds, for its page and its Confirm button.
#[derive(Debug)]
pub struct HoldView {
    /// The hold in plain words, one line per reason.
    pub reasons: Vec<String>,
    pub records: Vec<HeldRow>,
    /// Held records not listed (past [`SHOWN`]).
    pub more: u64,
    /// The Confirm button is offered (the run is the integration's newest).
    pub confirmable: bool,
    pub csrf_token: String,
}

/// One record confirming the hold would mark.
#[derive(Debug)]
pub struct HeldRow {
    pub kind: &'static str,
    pub title: String,
    pub id: String,
    pub href: Option<String>,
    pub outcome: &'static str,
}

/// Changes of one subject type (`account`, `department`, `group`, `app`) grouped by subject,
/// in the order the run recorded them.
fn grouped<'a>(changes: &'a [ChangeRecord], kind: &str) -> Vec<(&'a str, Vec<&'a ChangeRecord>)> {
    let mut order: Vec<(&str, Vec<&ChangeRecord>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for change in changes {
        let (subject_type, id) = change.subject.parts();
        if subject_type != kind {
            continue;
        }
        match index.get(id) {
            Some(&i) => order[i].1.push(change),
            None => {
                index.insert(id, order.len());
                order.push((id, vec![change]));
            }
        }
    }
    order
}

fn items(changes: &[&ChangeRecord], names: &aviary_views::DepartmentNames) -> Vec<ChangeItem> {
    changes
        .iter()
        .map(|change| ChangeItem {
            kind: change.kind.as_str(),
            folded: change.fields.len() > INLINE_FIELDS,
            fields: field_rows(&change.fields, names),
        })
        .collect()
}

pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, UiError> {
    let id: RunId = path.parse().map_err(|_| UiError::NotFound)?;
    let run = match services.queries.run(id).await {
        Ok(found) => found,
        Err(QueriesError::UnknownRun(_)) => return Err(UiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    let (after, page_error) = requested_start(req.query_string(), id);
    let page = services.queries.run_changes(id, after, PAGE_SIZE).await?;
    let pager = Pager {
        first: after.map(|_| format!("/admin/runs/{id}")),
        next: page
            .next
            .map(|last| format!("/admin/runs/{id}?after={}", change_cursor::encode(id, last))),
        error: page_error,
    };
    let changes = page.changes;
    let integration = browse::integration(&services, &run.integration_id.to_string()).await?;
    let names = outline_names(
        &services
            .queries
            .department_outlines(integration.id, true)
            .await?,
    );

    let account_groups = grouped(&changes, "account");
    let department_groups = grouped(&changes, "department");
    // Groups and apps are named only when the run changed or held some.
    let held_objects = run
        .hold
        .as_ref()
        .is_some_and(|h| h.groups.total() + h.apps.total() > 0);
    let changed_objects = changes
        .iter()
        .any(|c| matches!(c.subject, Subject::Group(_) | Subject::App(_)));
    let titles = if held_objects || changed_objects {
        object_titles(&services, &integration).await?
    } else {
        HashMap::new()
    };
    let objects = object_changes(&integration, &changes, &names, &titles);
    let shown_ids: Vec<OpenId> = account_groups
        .iter()
        .filter_map(|(id, _)| OpenId::parse(id).ok())
        .collect();
    let account_names = services
        .queries
        .account_names(integration.id, &shown_ids)
        .await?;
    let accounts = account_groups
        .iter()
        .map(|(id, changes)| {
            let name = OpenId::parse(id)
                .ok()
                .and_then(|open_id| account_names.get(&open_id).cloned().flatten());
            Group {
                title: name.unwrap_or_else(|| (*id).to_owned()),
                id: (*id).to_owned(),
                href: Some(format!(
                    "/admin/integrations/{}/accounts/{}",
                    integration.id,
                    url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
                )),
                changes: items(changes, &names),
            }
        })
        .collect();
    let departments = department_groups
        .iter()
        .map(|(id, changes)| Group {
            title: names
                .get(*id)
                .cloned()
                .flatten()
                .unwrap_or_else(|| (*id).to_owned()),
            id: (*id).to_owned(),
            href: None,
            changes: items(changes, &names),
        })
        .collect();
    let hold = match &run.hold {
        Some(hold) => {
            let known = Known {
                departments: &names,
                objects: &titles,
            };
            Some(hold_view(&services, &integration, &run, hold, &known, &signed_in).await?)
        }
        None => None,
    };
    let page = RunPage {
        hold,
        confirmed: run.confirms.map(|held| {
            (
                run.confirmed_by.clone().unwrap_or_default(),
                format!("/admin/runs/{held}"),
            )
        }),
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        tabs: Tabs::new(&integration, "runs"),
        run_id: run.id.to_string(),
        finished: run.finished_at.map(browse::when),
        retries: run.api.retries,
        rate_limit_waits: run.api.rate_limit_waits,
        run: run_row(&run),
        accounts,
        departments,
        objects,
        pager,
        page_size: PAGE_SIZE,
    };
    // A page link that could not be followed is the client's error, as on the accounts page.
    let status = if page.pager.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

/// The changes of user groups and installed apps, each titled by its stored name.
fn object_changes(
    integration: &Integration,
    changes: &[ChangeRecord],
    names: &aviary_views::DepartmentNames,
    titles: &HashMap<String, String>,
) -> Vec<Group> {
    let groups = grouped(changes, "group");
    let apps = grouped(changes, "app");
    groups
        .iter()
        .map(|g| ("group", g))
        .chain(apps.iter().map(|a| ("app", a)))
        .map(|(kind, (id, changes))| Group {
            title: titles.get(*id).cloned().unwrap_or_else(|| (*id).to_owned()),
            id: (*id).to_owned(),
            href: Some(browse::object_href(integration, kind, id)),
            changes: items(changes, names),
        })
        .collect()
}

/// `id → name` of every stored group and app (ids do not collide: apps are `cli_…`).
async fn object_titles(
    services: &Services,
    integration: &Integration,
) -> Result<HashMap<String, String>, UiError> {
    let mut titles = HashMap::new();
    for group in services.queries.groups(integration.id, true).await? {
        if let Some(name) = group.state.name {
            titles.insert(group.state.id.as_str().to_owned(), name);
        }
    }
    for app in services.queries.apps(integration.id, true).await? {
        if let Some(name) = app.state.name {
            titles.insert(app.state.app_id.as_str().to_owned(), name);
        }
    }
    Ok(titles)
}

/// The hold in plain words, one line per reason.
fn hold_reasons(hold: &Hold) -> Vec<String> {
    let mut reasons = Vec::new();
    for (what, departures, stored) in [
        ("accounts", hold.accounts, hold.accounts_stored),
        ("departments", hold.departments, hold.departments_stored),
        ("user groups", hold.groups, hold.groups_stored),
        ("installed apps", hold.apps, hold.apps_stored),
    ] {
        if departures.removed > 0 {
            reasons.push(format!(
                "{} of {stored} {what} would be removed (gone from the tenant).",
                departures.removed
            ));
        }
        if departures.out_of_range > 0 {
            reasons.push(format!(
                "{} of {stored} {what} left the contact range — check the app's contact range.",
                departures.out_of_range
            ));
        }
    }
    for w in &hold.withheld {
        reasons.push(format!(
            "Lark no longer returns the {} of {} of {} accounts: the app seems to have lost the \
             permission {}. Their stored values were kept; confirming accepts them as unknown.",
            w.group.describe(),
            w.records,
            w.of,
            w.permission
        ));
    }
    reasons
}

/// The names the page already read: departments, and groups and apps.
struct Known<'a> {
    departments: &'a aviary_views::DepartmentNames,
    objects: &'a HashMap<String, String>,
}

async fn hold_view(
    services: &Services,
    integration: &Integration,
    run: &SyncRun,
    hold: &Hold,
    known: &Known<'_>,
    signed_in: &SignedIn,
) -> Result<HoldView, UiError> {
    let held = services.queries.held_subjects(run.id, SHOWN as u64).await?;
    let ids: Vec<OpenId> = held
        .iter()
        .filter_map(|h| match &h.subject {
            Subject::Account(id) => Some(id.clone()),
            Subject::Department(_) | Subject::Group(_) | Subject::App(_) => None,
        })
        .collect();
    let account_names = services.queries.account_names(integration.id, &ids).await?;
    let (names, titles) = (known.departments, known.objects);
    let records = held
        .iter()
        .map(|h| match &h.subject {
            Subject::Account(id) => HeldRow {
                kind: "account",
                title: account_names
                    .get(id)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| id.to_string()),
                id: id.to_string(),
                href: Some(format!(
                    "/admin/integrations/{}/accounts/{}",
                    integration.id,
                    url::form_urlencoded::byte_serialize(id.as_str().as_bytes())
                        .collect::<String>()
                )),
                outcome: departure_words(h.outcome),
            },
            Subject::Department(id) => HeldRow {
                kind: "department",
                title: names
                    .get(id.as_str())
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| id.to_string()),
                id: id.to_string(),
                href: None,
                outcome: departure_words(h.outcome),
            },
            Subject::Group(_) | Subject::App(_) => {
                let (kind, id) = h.subject.parts();
                HeldRow {
                    kind,
                    title: titles.get(id).cloned().unwrap_or_else(|| id.to_owned()),
                    id: id.to_owned(),
                    href: Some(browse::object_href(integration, kind, id)),
                    outcome: departure_words(h.outcome),
                }
            }
        })
        .collect();
    let newest = services.queries.runs(integration.id, 1).await?;
    Ok(HoldView {
        reasons: hold_reasons(hold),
        records,
        more: (hold.accounts.total()
            + hold.departments.total()
            + hold.groups.total()
            + hold.apps.total())
        .saturating_sub(SHOWN as u64),
        confirmable: newest.first().is_some_and(|n| n.id == run.id),
        csrf_token: signed_in.session.csrf_token.as_str().to_owned(),
    })
}
