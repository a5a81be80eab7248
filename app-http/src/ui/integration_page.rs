//! `GET /admin/integrations/{id}`: an integration's page — its summary (status in plain words,
//! tenant, region, schedule, last good sync, latest problem) and its accounts table with the
//! filter form, sortable headers, keyset pages of 50 and the CSV export link.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use aviary_domain::model::{
    AccountCursor, AccountStatus, DepartmentOutline, Integration, IntegrationStatus, Role,
    RunStatus, SortKey, UserAccount,
};
use aviary_domain::usecases::{AccountFilter, HealthReport, QueriesError};

use super::accounts_form::{self, AccountsForm, FieldErrors, PAGE_SIZE, Start};
use super::browse::{self, Tabs};
use super::error::UiError;
use super::overview::{
    counts_words, latest_problem, next_sync_words, status_label, status_words, syncable,
};
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::SignedIn;
use aviary_views::{DepartmentNames, found_department_names, named_departments};
use aviary_wiring::Services;

/// The integration at a glance.
#[derive(Debug)]
pub struct Summary {
    pub status: &'static str,
    pub status_tone: &'static str,
    pub latest_problem: Option<String>,
    pub tenant: Option<String>,
    pub region: &'static str,
    pub schedule: String,
    /// When the schedule syncs it next, in words.
    pub next_sync: String,
    /// A run is going right now.
    pub syncing: bool,
    /// Offer "Sync now".
    pub syncable: bool,
    pub last_good_sync: Option<String>,
    pub last_good_counts: Option<String>,
    pub accounts: u64,
    pub breakdown: String,
    pub sign_in: SignInFact,
}

/// The admin's Lark sign-in, judged from the store as the doctor's `user_login` check does.
#[derive(Debug)]
pub struct SignInFact {
    /// `ok`, `missing`, `warning` or `advice`.
    pub badge: &'static str,
    pub tone: &'static str,
    pub summary: String,
    /// "Fix" or "Advice", and its text, unless everything is fine.
    pub fix_label: &'static str,
    pub fix: Option<String>,
    /// Offer "Connect with Lark" (every integration that is not disabled).
    pub connectable: bool,
    /// Tick "Keep the sign-in renewable" from the start.
    pub renewable_before: bool,
}

async fn sign_in_fact(
    services: &Services,
    integration: &Integration,
) -> Result<SignInFact, UiError> {
    let check = services
        .doctor
        .sign_in(integration.id)
        .await
        .map_err(super::doctor::refusal)?;
    let (badge, tone) = super::doctor::badge(check.outcome);
    Ok(SignInFact {
        badge,
        tone,
        summary: check.summary.replace('`', ""),
        fix_label: super::doctor::fix_label(check.outcome),
        fix: check.fix.map(|fix| fix.replace('`', "")),
        connectable: integration.status != IntegrationStatus::Disabled,
        renewable_before: check.days_left.is_some(),
    })
}

/// An option of a select: its value, its text, whether it is chosen.
#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub text: String,
    pub selected: bool,
}

/// One account in the table.
#[derive(Debug)]
pub struct AccountRow {
    pub href: String,
    pub open_id: String,
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub removed: bool,
    /// `removed` or `out of range` for an account no longer present.
    pub gone: &'static str,
    pub roles: String,
    pub departments: String,
    pub designation: String,
    pub updated: String,
}

/// A sortable column header.
#[derive(Debug)]
pub struct Header {
    pub title: &'static str,
    pub href: String,
    pub arrow: &'static str,
    pub aria_sort: &'static str,
}

/// The accounts of one page and the links around it.
#[derive(Debug)]
pub struct Listing {
    pub rows: Vec<AccountRow>,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub first: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "integration.html")]
pub struct IntegrationPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub tabs: Tabs,
    pub summary: Summary,
    pub form: AccountsForm,
    pub errors: FieldErrors,
    pub statuses: Vec<Choice>,
    pub roles: Vec<Choice>,
    pub departments: Vec<Choice>,
    /// Present user groups for the group filter; empty hides it.
    pub groups: Vec<Choice>,
    pub headers: Vec<Header>,
    /// `None` when the form has errors to fix first.
    pub listing: Option<Listing>,
    pub export_href: String,
    /// The filters are set (an empty result then means "no match", not "no accounts").
    pub filtered: bool,
}

fn schedule_words(minutes: Option<u32>) -> String {
    match minutes {
        None => "on demand only".to_owned(),
        Some(60) => "every hour".to_owned(),
        Some(m) if m % 60 == 0 => format!("every {} hours", m / 60),
        Some(1) => "every minute".to_owned(),
        Some(m) => format!("every {m} minutes"),
    }
}

async fn summary(services: &Services, integration: &Integration) -> Result<Summary, UiError> {
    let HealthReport {
        latest_run: latest,
        last_succeeded_run: last_good,
        account_counts: per_status,
        next_sync_at,
        sync_due,
        ..
    } = services.health.report(integration).await?;
    let (status, status_tone) = status_words(integration.status);
    let syncing = latest
        .as_ref()
        .is_some_and(|run| run.status == RunStatus::Running);
    Ok(Summary {
        status,
        status_tone,
        latest_problem: latest_problem(latest.as_ref()),
        tenant: integration.tenant.as_ref().map(|t| t.name.clone()),
        region: integration.region.as_str(),
        schedule: schedule_words(integration.sync_interval_minutes()),
        next_sync: next_sync_words(integration, next_sync_at, sync_due),
        syncing,
        syncable: syncable(integration, syncing),
        last_good_sync: last_good
            .as_ref()
            .map(|run| browse::when(run.finished_at.unwrap_or(run.started_at))),
        last_good_counts: last_good.as_ref().map(|run| counts_words(&run.counts)),
        accounts: per_status.iter().map(|(_, n)| n).sum(),
        breakdown: per_status
            .iter()
            .map(|(status, n)| format!("{n} {}", status_label(*status)))
            .collect::<Vec<_>>()
            .join(", "),
        sign_in: sign_in_fact(services, integration).await?,
    })
}

fn choices<T: Copy>(
    all: &[T],
    chosen: &str,
    value: fn(T) -> &'static str,
    text: fn(T) -> String,
) -> Vec<Choice> {
    all.iter()
        .map(|item| Choice {
            value: value(*item).to_owned(),
            text: text(*item),
            selected: value(*item) == chosen,
        })
        .collect()
}

/// Present user groups by name, for the group select.
fn group_choices(groups: &[aviary_domain::model::Group], chosen: &str) -> Vec<Choice> {
    groups
        .iter()
        .map(|g| Choice {
            value: g.state.id.as_str().to_owned(),
            text: g
                .state
                .name
                .clone()
                .unwrap_or_else(|| g.state.id.as_str().to_owned()),
            selected: g.state.id.as_str() == chosen,
        })
        .collect()
}

/// Current departments in tree order, indented by depth, for the department select.
fn department_choices(departments: &[DepartmentOutline], chosen: &str) -> Vec<Choice> {
    let current: Vec<&DepartmentOutline> = departments
        .iter()
        .filter(|d| d.removed_at.is_none())
        .collect();
    let ids: std::collections::HashSet<&str> = current
        .iter()
        .map(|d| d.open_department_id.as_str())
        .collect();
    let mut children: HashMap<&str, Vec<&DepartmentOutline>> = HashMap::new();
    let mut roots = Vec::new();
    for department in &current {
        match department.parent_id.as_ref().map(|p| p.as_str()) {
            Some(parent)
                if ids.contains(parent) && parent != department.open_department_id.as_str() =>
            {
                children.entry(parent).or_default().push(department);
            }
            _ => roots.push(*department),
        }
    }
    let mut out = Vec::with_capacity(current.len());
    let mut stack: Vec<(&DepartmentOutline, usize)> =
        roots.into_iter().rev().map(|d| (d, 0)).collect();
    while let Some((department, depth)) = stack.pop() {
        let id = department.open_department_id.as_str();
        let name = department.name.clone().unwrap_or_else(|| id.to_owned());
        out.push(Choice {
            value: id.to_owned(),
            text: format!("{}{name}", "\u{a0}\u{a0}\u{a0}".repeat(depth)),
            selected: id == chosen,
        });
        // A parent cycle (bad data) cannot loop: each department is pushed by its one parent.
        if let Some(below) = children.remove(id) {
            stack.extend(below.into_iter().rev().map(|d| (d, depth + 1)));
        }
    }
    out
}

fn headers(form: &AccountsForm) -> Vec<Header> {
    [
        ("Name", SortKey::Name),
        ("Email", SortKey::Email),
        ("Status", SortKey::Status),
        ("Last change", SortKey::Updated),
    ]
    .into_iter()
    .map(|(title, key)| Header {
        title,
        href: form.sorted_by(key),
        arrow: form.arrow(key),
        aria_sort: form.aria_sort(key),
    })
    .collect()
}

fn row(integration: &Integration, account: &UserAccount, names: &DepartmentNames) -> AccountRow {
    let p = &account.state.profile;
    AccountRow {
        href: format!(
            "/admin/integrations/{}/accounts/{}",
            integration.id,
            url::form_urlencoded::byte_serialize(p.open_id.as_str().as_bytes()).collect::<String>()
        ),
        open_id: p.open_id.to_string(),
        name: p.name.clone().unwrap_or_default(),
        email: p
            .email
            .clone()
            .or_else(|| p.enterprise_email.clone())
            .unwrap_or_default(),
        status: status_label(p.status),
        removed: account.removed_at.is_some(),
        gone: browse::gone_words(account.presence).unwrap_or(""),
        roles: account
            .state
            .roles
            .iter()
            .map(|r| role_words(*r))
            .collect::<Vec<_>>()
            .join(", "),
        departments: p
            .department_ids
            .iter()
            .map(|id| match names.get(id.as_str()).cloned().flatten() {
                Some(name) => name,
                None if id.is_root() => "(root)".to_owned(),
                None => id.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        designation: p.designation.clone().unwrap_or_default(),
        updated: account.last_changed_at.format("%Y-%m-%d %H:%M").to_string(),
    }
}

pub(super) fn role_words(role: Role) -> String {
    match role {
        Role::TenantSuperAdmin => "tenant super admin",
        Role::DepartmentLeader => "department leader",
        Role::Member => "member",
    }
    .to_owned()
}

/// One page of accounts from `start`: the rows, and whether pages come before and after.
async fn read_page(
    services: &Services,
    integration: &Integration,
    filter: &AccountFilter,
    start: Start,
) -> Result<(Vec<UserAccount>, bool, bool), QueriesError> {
    let size = usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    let queries = &services.queries;
    // One more than shown tells whether another page follows.
    match start {
        Start::First | Start::After(_) => {
            let after_cursor = matches!(start, Start::After(_));
            let cursor = match start {
                Start::After(cursor) => Some(cursor),
                Start::First | Start::Before(_) => None,
            };
            let mut rows = queries
                .accounts_page(integration.id, filter, cursor, Some(PAGE_SIZE + 1))
                .await?;
            let more = rows.len() > size;
            rows.truncate(size);
            Ok((rows, after_cursor, more))
        }
        Start::Before(cursor) => {
            // The page before a position is the page after it in the reverse order.
            let reversed = AccountFilter {
                sort: filter.sort.reversed(),
                ..filter.clone()
            };
            let mut rows = queries
                .accounts_page(
                    integration.id,
                    &reversed,
                    Some(cursor.reversed()),
                    Some(PAGE_SIZE + 1),
                )
                .await?;
            if rows.len() <= size {
                // Nothing before this page: show the (full) first page instead.
                let mut first = queries
                    .accounts_page(integration.id, filter, None, Some(PAGE_SIZE + 1))
                    .await?;
                let more = first.len() > size;
                first.truncate(size);
                return Ok((first, false, more));
            }
            rows.truncate(size);
            rows.reverse();
            Ok((rows, true, true))
        }
    }
}

pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, UiError> {
    let integration = browse::integration(&services, &path).await?;
    let accounts_form::Parsed {
        form,
        filter,
        start,
        mut errors,
    } = accounts_form::parse(req.query_string());
    let departments = services
        .queries
        .department_outlines(integration.id, true)
        .await?;

    let mut page = None;
    if !errors.in_filters() {
        let read = match read_page(&services, &integration, &filter, start).await {
            Err(QueriesError::CursorMismatch { .. }) => {
                errors.page = Some(
                    "This page link belongs to another sort order; here is the first page."
                        .to_owned(),
                );
                read_page(&services, &integration, &filter, Start::First).await
            }
            other => other,
        };
        match read {
            Ok(found) => page = Some(found),
            Err(QueriesError::UnknownDepartment(not_found)) => {
                errors.department = Some(format!(
                    "There is no department \"{}\"; choose one from the list.",
                    not_found.0
                ));
            }
            Err(QueriesError::UnknownGroupFilter(key)) => {
                errors.group = Some(format!(
                    "There is no user group \"{key}\"; choose one from the list."
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    // Only the departments the page's rows name.
    let names = match &page {
        Some((accounts, _, _)) => found_department_names(
            services
                .queries
                .department_names(integration.id, &named_departments(accounts))
                .await?,
        ),
        None => DepartmentNames::default(),
    };
    let listing = page.map(|(accounts, has_previous, has_next)| {
        let sort = form.sort;
        Listing {
            previous: has_previous
                .then(|| accounts.first())
                .flatten()
                .map(|a| form.before(&AccountCursor::after(sort, a))),
            next: has_next
                .then(|| accounts.last())
                .flatten()
                .map(|a| form.after(&AccountCursor::after(sort, a))),
            first: has_previous.then(|| form.first_page()),
            rows: accounts
                .iter()
                .map(|a| row(&integration, a, &names))
                .collect(),
        }
    });
    let status = if errors == FieldErrors::default() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = IntegrationPage {
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        summary: summary(&services, &integration).await?,
        statuses: choices(
            AccountStatus::ALL,
            &form.status,
            AccountStatus::as_str,
            |s| status_label(s).to_owned(),
        ),
        roles: choices(Role::ALL, &form.role, Role::as_str, role_words),
        departments: department_choices(&departments, &form.department),
        groups: group_choices(
            &services.queries.groups(integration.id, false).await?,
            &form.group,
        ),
        headers: headers(&form),
        export_href: format!(
            "/admin/integrations/{}/accounts.csv{}",
            integration.id,
            form.first_page()
        ),
        filtered: form.is_filtered(),
        tabs: Tabs::new(&integration, "accounts"),
        form,
        errors,
        listing,
    };
    let mut response = render(status, &page)?;
    if page.summary.sign_in.connectable {
        super::csp::allow_connect_forms(&mut response, &services.connect, [&integration.summary])?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_read_as_plain_words() {
        assert_eq!(schedule_words(None), "on demand only");
        assert_eq!(schedule_words(Some(60)), "every hour");
        assert_eq!(schedule_words(Some(180)), "every 3 hours");
        assert_eq!(schedule_words(Some(15)), "every 15 minutes");
    }
}
