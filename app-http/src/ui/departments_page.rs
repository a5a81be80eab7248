//! `GET /admin/integrations/{id}/departments`: the department tree as nested lists, each
//! department with its members directly and including its sub-departments (current accounts,
//! each counted once), removed departments marked, each linking to its accounts.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::usecases::MemberCounts;

use super::browse::{self, Tabs};
use super::error::UiError;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::SignedIn;
use aviary_views::DepartmentView;
use aviary_views::tree::{DepartmentNode, department_tree};
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
    /// The list markup before this item: only `<ul>`, `</ul>`, `<li>` and `</li>` tags, which
    /// nest it below, next to or after the item before.
    pub before: String,
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
}

/// Walks the tree depth first into items that know how many lists to open and close.
fn flatten(
    nodes: Vec<DepartmentNode>,
    depth: usize,
    integration: &str,
    counts: &MemberCounts,
    out: &mut Vec<(usize, Item)>,
) {
    for node in nodes {
        let view = node.department;
        let id = aviary_domain::values::DepartmentId::parse(&view.id).ok();
        let count = |f: fn(&MemberCounts, &aviary_domain::values::DepartmentId) -> u64| {
            id.as_ref().map_or(0, |id| f(counts, id))
        };
        out.push((
            depth,
            Item {
                name: view.name.clone().unwrap_or_else(|| view.id.clone()),
                href: format!(
                    "/admin/integrations/{integration}?department={}",
                    url::form_urlencoded::byte_serialize(view.id.as_bytes()).collect::<String>()
                ),
                custom_id: view.department_id.clone(),
                direct: count(MemberCounts::direct),
                total: count(MemberCounts::total),
                removed: view.removed_at.map(browse::when),
                id: view.id,
                before: String::new(),
            },
        ));
        flatten(node.children, depth + 1, integration, counts, out);
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

pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = browse::integration(&services, &path).await?;
    let departments = services.queries.departments(integration.id, true).await?;
    let counts = services.queries.member_counts(integration.id).await?;
    let removed_count = departments
        .iter()
        .filter(|d| d.removed_at.is_some())
        .count();
    let tree = department_tree(departments.iter().map(DepartmentView::from).collect());
    let mut flat = Vec::with_capacity(departments.len());
    flatten(tree, 0, &integration.id.to_string(), &counts, &mut flat);
    let (items, after) = nest(flat);
    let page = DepartmentsPage {
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        tabs: Tabs::new(&integration, "departments"),
        items,
        after,
        removed_count,
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
