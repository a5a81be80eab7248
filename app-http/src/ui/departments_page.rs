//! `GET /admin/integrations/{id}/departments[?under=ID]`: the department tree as nested lists,
//! folded to what a page holds (`department_fold.rs`; a folded department links to the tree
//! below it), each department with its members directly and including its sub-departments
//! (current accounts, each counted once), removed departments marked, each linking to its
//! accounts.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use aviary_domain::model::DepartmentOutline;
use aviary_domain::usecases::MemberCounts;
use aviary_domain::values::DepartmentId;

use super::browse::{self, Tabs};
use super::department_fold::{PAGE_BUDGET, Shown, fold};
use super::error::UiError;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::SignedIn;
use aviary_wiring::Services;

/// A department of the tree, flattened in depth-first order.
#[derive(Debug)]
pub struct Item {
    pub name: String,
    pub id: String,
    pub custom_id: Option<String>,
    pub href: String,
    pub direct: u64,
    pub total: u64,
    pub removed: Option<String>,
    /// Its sub-departments are folded away: how many, and the link to the tree below it.
    pub folded: Option<(usize, String)>,
    /// The list markup before this item: only `<ul>`, `</ul>`, `<li>` and `</li>` tags, which
    /// nest it below, next to or after the item before.
    pub before: String,
}

/// A department above the shown tree, linking to the tree below it.
#[derive(Debug)]
pub struct Crumb {
    pub name: String,
    pub href: String,
}

#[derive(Debug, Template)]
#[template(path = "departments.html")]
pub struct DepartmentsPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub tabs: Tabs,
    pub items: Vec<Item>,
    /// The tags that close the lists still open after the last item.
    pub after: String,
    pub removed_count: usize,
    /// The tree starts below the root: the link to the whole tree and the departments above.
    pub path: Option<(String, Vec<Crumb>)>,
    pub folded_any: bool,
}

fn encoded(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

fn name_of(department: &DepartmentOutline) -> String {
    department
        .name
        .clone()
        .unwrap_or_else(|| department.open_department_id.to_string())
}

fn item(shown: &Shown<'_>, tree_href: &str, integration: &str, counts: &MemberCounts) -> Item {
    let d = shown.department;
    let id = d.open_department_id.as_str();
    Item {
        name: name_of(d),
        href: format!(
            "/admin/integrations/{integration}?department={}",
            encoded(id)
        ),
        custom_id: d.department_id.clone(),
        direct: counts.direct(&d.open_department_id),
        total: counts.total(&d.open_department_id),
        removed: d.removed_at.map(browse::when),
        folded: (shown.folded > 0)
            .then(|| (shown.folded, format!("{tree_href}?under={}", encoded(id)))),
        id: id.to_owned(),
        before: String::new(),
    }
}

/// Closes the item at `depth` and every list up to `to` (inclusive of the item there).
fn close(depth: usize, to: usize) -> String {
    let mut tags = String::from("</li>");
    for _ in to..depth {
        tags.push_str("</ul></li>");
    }
    tags
}

/// Items with the nesting turned into list tags (a child is always one level below the item
/// before it, as the walk is depth first), and the tags that close the last one.
fn nest(flat: Vec<(usize, Item)>) -> (Vec<Item>, String) {
    let mut previous: Option<usize> = None;
    let mut items = Vec::with_capacity(flat.len());
    for (depth, mut item) in flat {
        item.before = match previous {
            None => "<li>".to_owned(),
            Some(before) if depth > before => "<ul><li>".to_owned(),
            Some(before) => close(before, depth) + "<li>",
        };
        previous = Some(depth);
        items.push(item);
    }
    let after = previous.map(|depth| close(depth, 0)).unwrap_or_default();
    (items, after)
}

/// The `under` parameter: the department the tree starts at (none: the whole tree).
fn under(req: &HttpRequest) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "under")
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, UiError> {
    let integration = browse::integration(&services, &path).await?;
    let under = match under(&req) {
        // Lark ids are bounded; anything that is not one names no department.
        Some(raw) => Some(DepartmentId::parse(&raw).map_err(|_| UiError::NotFound)?),
        None => None,
    };
    let departments = services
        .queries
        .department_outlines(integration.id, true)
        .await?;
    let folded = fold(&departments, under.as_ref(), PAGE_BUDGET).ok_or(UiError::NotFound)?;
    let counts = services.queries.member_counts(integration.id).await?;
    let removed_count = departments
        .iter()
        .filter(|d| d.removed_at.is_some())
        .count();
    let integration_id = integration.id.to_string();
    let tree_href = format!("/admin/integrations/{integration_id}/departments");
    let flat: Vec<(usize, Item)> = folded
        .shown
        .iter()
        .map(|shown| {
            (
                shown.depth,
                item(shown, &tree_href, &integration_id, &counts),
            )
        })
        .collect();
    let folded_any = flat.iter().any(|(_, item)| item.folded.is_some());
    let (items, after) = nest(flat);
    let path = under.is_some().then(|| {
        let crumbs = folded
            .path
            .iter()
            .map(|d| Crumb {
                name: name_of(d),
                href: format!(
                    "{tree_href}?under={}",
                    encoded(d.open_department_id.as_str())
                ),
            })
            .collect();
        (tree_href.clone(), crumbs)
    });
    let page = DepartmentsPage {
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        tabs: Tabs::new(&integration, "departments"),
        items,
        after,
        removed_count,
        path,
        folded_any,
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(depth: usize) -> (usize, Item) {
        (
            depth,
            Item {
                name: String::new(),
                id: String::new(),
                custom_id: None,
                href: String::new(),
                direct: 0,
                total: 0,
                removed: None,
                folded: None,
                before: String::new(),
            },
        )
    }

    #[test]
    fn nesting_opens_and_closes_every_list_once() {
        let (items, after) = nest(vec![item(0), item(1), item(2), item(0), item(1)]);
        let markup: String = items
            .iter()
            .map(|i| format!("{}x", i.before))
            .chain([after])
            .collect();
        assert_eq!(
            markup,
            "<li>x<ul><li>x<ul><li>x</li></ul></li></ul></li><li>x<ul><li>x</li></ul></li>"
        );
        assert_eq!(nest(Vec::new()).1, "");
    }
}
