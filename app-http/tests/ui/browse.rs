//! The browse pages on the seeded fixture: an integration's page (summary, accounts with
//! filters, sorting, pages of 50 and the CSV export, all agreeing with the use case and the
//! API), an account with its history, the department tree with member counts, the runs and one
//! run's diff; 404s, the guard, and no secret in any page.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use aviary_app_http::server::app;
use aviary_domain::model::{AccountSort, AccountStatus, Role, SortKey};
use aviary_domain::usecases::AccountFilter;
use aviary_domain::values::DepartmentId;
use aviary_lark_simulator::NewUser;

use actix_web::cookie::Cookie;
use aviary_app_http::ui::session::COOKIE;

use super::{EMAIL, PASSWORD, check, client, get, set_cookie, sign_in_request, with_admin};
use crate::common::{Fixture, Resp, sync};

/// GETs a page as the signed-in admin; checks the headers and that no secret is in it.
macro_rules! page {
    ($fx:expr, $app:expr, $cookie:expr, $uri:expr) => {{
        let uri: &str = &$uri;
        let res = send!($app, get(uri, $cookie));
        assert!(
            !res.body.contains(&$fx.app_secret),
            "the app secret leaked: {uri}"
        );
        assert!(!res.body.contains(&$fx.key), "an API key leaked: {uri}");
        res
    }};
}

fn base(fx: &Fixture) -> String {
    format!("/admin/integrations/{}", fx.integration.id)
}

/// The open_ids the accounts table links to, in page order.
fn listed(fx: &Fixture, html: &str) -> Vec<String> {
    let marker = format!("href=\"{}/accounts/", base(fx));
    html.split(&marker)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// The href of the link whose text is `text` (e.g. `Next ›`), unescaped.
fn link(html: &str, text: &str) -> Option<String> {
    let end = html.find(&format!("\">{text}</a>"))?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(unescape(&html[start..end]))
}

/// Text as askama escaped it into the page, read back.
fn unescape(html: &str) -> String {
    html.replace("&#38;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn expected(fx: &Fixture, filter: &AccountFilter) -> Vec<String> {
    fx.services
        .queries
        .accounts(fx.integration.id, filter)
        .await
        .unwrap()
        .iter()
        .map(|a| a.state.profile.open_id.to_string())
        .collect()
}

async fn name_of(fx: &Fixture, open_id: &str) -> String {
    let found = fx
        .services
        .queries
        .account(fx.integration.id, open_id)
        .await
        .unwrap();
    found.account.state.profile.name.unwrap()
}

#[actix_web::test]
async fn the_integration_page_summarises_it_and_lists_its_accounts() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);

    let overview = page!(fx, &app, &cookie, "/");
    assert!(
        overview
            .body
            .contains(&format!("<a href=\"{}\">acme</a>", base(&fx)))
    );

    let res = page!(fx, &app, &cookie, base(&fx));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    assert!(html.contains("<h1>acme</h1>"));
    for tab in ["Accounts", "Departments", "Sync runs"] {
        assert!(html.contains(&format!(">{tab}</a>")), "tab {tab}");
    }
    assert!(html.contains("aria-current=\"page\">Accounts</a>"));
    let stored = fx
        .services
        .integrations
        .get(fx.integration.id)
        .await
        .unwrap()
        .unwrap();
    if let Some(tenant) = &stored.tenant {
        assert!(html.contains(&tenant.name), "the tenant");
    }
    assert!(html.contains("<dd>lark</dd>"), "the region");
    assert!(
        html.contains("users: 0 added, 1 changed, 1 removed"),
        "the last good sync"
    );
    assert!(html.contains("<dd>39 <span"), "current accounts");

    let all = expected(&fx, &ui_default()).await;
    assert_eq!(
        listed(&fx, html),
        all,
        "the first page is everything: 39 < 50"
    );
    assert!(!listed(&fx, html).contains(&fx.deleted));
    let frozen_name = name_of(&fx, &fx.frozen).await;
    assert!(html.contains(&frozen_name));
    assert!(html.contains("suspended"));
    assert!(link(html, "Next ›").is_none() && link(html, "‹ Previous").is_none());
    assert!(html.contains(&format!("href=\"{}/accounts.csv\"", base(&fx))));
    // The filter form is there, with every department to choose from.
    for department in fx
        .services
        .queries
        .departments(fx.integration.id, false)
        .await
        .unwrap()
    {
        assert!(
            html.contains(&format!(
                "<option value=\"{}\"",
                department.state.open_department_id
            )),
            "department {:?}",
            department.state.name
        );
    }
    assert!(html.contains("name=\"include_removed\""));

    let removed = page!(
        fx,
        &app,
        &cookie,
        format!("{}?include_removed=true", base(&fx))
    );
    assert!(listed(&fx, &removed.body).contains(&fx.deleted));
    assert!(
        removed
            .body
            .contains("<span class=\"badge muted\">removed</span>")
    );
    assert!(
        removed.body.contains("checked"),
        "the checkbox stays ticked"
    );
}

/// The UI lists accounts by name unless told otherwise (the API by open_id).
fn ui_default() -> AccountFilter {
    AccountFilter {
        sort: AccountSort::ascending(SortKey::Name),
        ..AccountFilter::default()
    }
}

/// The same listing asked of the API, whose default order differs.
fn api_query(ui_query: &str) -> String {
    if ui_query.contains("sort=") {
        ui_query.to_owned()
    } else {
        format!("{ui_query}&sort=name")
    }
}

#[actix_web::test]
async fn filters_and_sorting_agree_with_the_use_case_and_the_api() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let department = fx
        .services
        .queries
        .departments(fx.integration.id, false)
        .await
        .unwrap()
        .into_iter()
        .find(|d| {
            d.state
                .parent_id
                .as_ref()
                .is_some_and(DepartmentId::is_root)
        })
        .unwrap();
    let department_id = department.state.open_department_id.to_string();
    let cases: Vec<(String, AccountFilter)> = vec![
        (
            "status=suspended".into(),
            AccountFilter {
                status: Some(AccountStatus::Suspended),
                ..ui_default()
            },
        ),
        (
            "role=tenant_super_admin&sort=name".into(),
            AccountFilter {
                role: Some(Role::TenantSuperAdmin),
                sort: AccountSort::ascending(SortKey::Name),
                ..ui_default()
            },
        ),
        // The role's old name keeps working in saved links.
        (
            "role=tenant_admin&sort=name".into(),
            AccountFilter {
                role: Some(Role::TenantSuperAdmin),
                sort: AccountSort::ascending(SortKey::Name),
                ..ui_default()
            },
        ),
        (
            format!("department={department_id}&sort=email&order=desc"),
            AccountFilter {
                department: Some(department_id.clone()),
                sort: AccountSort::descending(SortKey::Email),
                ..ui_default()
            },
        ),
        (
            format!("search={}&include_removed=true", fx.deleted),
            AccountFilter {
                search: Some(fx.deleted.clone()),
                include_removed: true,
                ..ui_default()
            },
        ),
        (
            "include_removed=true&sort=updated&order=desc".into(),
            AccountFilter {
                include_removed: true,
                sort: AccountSort::descending(SortKey::Updated),
                ..ui_default()
            },
        ),
        (
            "sort=status".into(),
            AccountFilter {
                sort: AccountSort::ascending(SortKey::Status),
                ..ui_default()
            },
        ),
    ];
    for (query, filter) in cases {
        let res = page!(fx, &app, &cookie, format!("{}?{query}", base(&fx)));
        assert_eq!(res.status, StatusCode::OK, "{query}: {}", res.body);
        let want = expected(&fx, &filter).await;
        assert!(!want.is_empty(), "{query} matches something");
        assert_eq!(listed(&fx, &res.body), want, "{query}");
        let api = Resp::read(
            test::call_service(
                &app,
                TestRequest::get()
                    .uri(&format!(
                        "/api/v1/integrations/{}/accounts?{}&limit=500",
                        fx.integration.id,
                        api_query(&query)
                    ))
                    .insert_header(("Authorization", format!("Bearer {}", fx.key)))
                    .to_request(),
            )
            .await,
        )
        .await;
        let api_ids: Vec<String> = api.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["open_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(api_ids, want, "the API agrees on {query}");
    }

    // Sortable headers keep the filters, and flip the order of the column sorted by.
    let res = page!(
        fx,
        &app,
        &cookie,
        format!("{}?status=active&sort=name", base(&fx))
    );
    let header = link(&res.body, "Name ▲").expect("the name header, ascending");
    assert_eq!(header, "?status=active&sort=name&order=desc");
    let email = link(&res.body, "Email").expect("the email header");
    assert_eq!(email, "?status=active&sort=email");
    let flipped = page!(fx, &app, &cookie, format!("{}{header}", base(&fx)));
    assert!(flipped.body.contains("Name ▼"));
    let mut reversed = listed(&fx, &res.body);
    reversed.reverse();
    assert_eq!(listed(&fx, &flipped.body), reversed);
}

#[actix_web::test]
async fn pages_of_fifty_walk_forward_and_back_without_gaps() {
    let fx = with_admin().await;
    let tenant = fx.simulator.tenant();
    for i in 0..25 {
        tenant
            .add_user(NewUser::new(format!("Paged {i:02}"), "0"))
            .unwrap();
    }
    sync(&fx.services, &fx.integration).await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);

    for (query, sort) in [
        ("", ui_default().sort),
        (
            "?sort=name&order=desc",
            AccountSort::descending(SortKey::Name),
        ),
    ] {
        let all = expected(
            &fx,
            &AccountFilter {
                sort,
                ..ui_default()
            },
        )
        .await;
        assert_eq!(all.len(), 64);
        let first = page!(fx, &app, &cookie, format!("{}{query}", base(&fx)));
        assert_eq!(listed(&fx, &first.body), all[..50], "{sort}");
        assert!(link(&first.body, "‹ Previous").is_none());
        let next = link(&first.body, "Next ›").expect("a next page");
        let second = page!(fx, &app, &cookie, next);
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        assert_eq!(listed(&fx, &second.body), all[50..], "{sort}");
        assert!(link(&second.body, "Next ›").is_none(), "the last page");
        assert_eq!(
            link(&second.body, "« First page").unwrap(),
            format!("{}{query}", base(&fx))
        );
        let previous = link(&second.body, "‹ Previous").expect("a previous page");
        let back = page!(fx, &app, &cookie, previous);
        assert_eq!(listed(&fx, &back.body), all[..50], "back to the first page");
        let unique: HashSet<String> = listed(&fx, &first.body)
            .into_iter()
            .chain(listed(&fx, &second.body))
            .collect();
        assert_eq!(unique.len(), 64, "no duplicates, no gaps");
    }
}

#[actix_web::test]
async fn the_csv_export_streams_the_filtered_accounts_in_their_order() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let api_csv = |query: String| {
        let req = TestRequest::get()
            .uri(&format!(
                "/api/v1/integrations/{}/accounts?{}&format=csv&limit=500",
                fx.integration.id,
                api_query(&query)
            ))
            .insert_header(("Authorization", format!("Bearer {}", fx.key)))
            .to_request();
        let app = &app;
        async move { Resp::read(test::call_service(app, req).await).await }
    };
    for query in [
        "status=suspended",
        "include_removed=true&sort=name&order=desc",
    ] {
        let res = page!(
            fx,
            &app,
            &cookie,
            format!("{}/accounts.csv?{query}", base(&fx))
        );
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(
            res.header("content-disposition"),
            Some("attachment; filename=\"acme-accounts.csv\"")
        );
        assert_eq!(
            res.body,
            api_csv(query.to_owned()).await.body,
            "the API's CSV: {query}"
        );
    }

    // More accounts than one chunk: streamed in parts, one header, in order, nothing twice.
    let tenant = fx.simulator.tenant();
    for i in 0..470 {
        tenant
            .add_user(NewUser::new(format!("Bulk {i:03}"), "0"))
            .unwrap();
    }
    sync(&fx.services, &fx.integration).await;
    let query = "include_removed=true&sort=name&order=desc";
    let res = page!(
        fx,
        &app,
        &cookie,
        format!("{}/accounts.csv?{query}", base(&fx))
    );
    assert_eq!(res.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(res.body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, aviary_app_http::views::csv::ACCOUNT_HEADER);
    let ids: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    let want = expected(
        &fx,
        &AccountFilter {
            include_removed: true,
            sort: AccountSort::descending(SortKey::Name),
            ..ui_default()
        },
    )
    .await;
    assert_eq!(want.len(), 510);
    assert_eq!(ids, want);

    // A form with errors goes back to the page, which shows them.
    let bad = page!(
        fx,
        &app,
        &cookie,
        format!("{}/accounts.csv?department=Nowhere", base(&fx))
    );
    assert_eq!(bad.status, StatusCode::SEE_OTHER);
    assert_eq!(
        bad.header("location"),
        Some(&*format!("{}?department=Nowhere", base(&fx)))
    );
}

#[actix_web::test]
async fn bad_form_values_and_page_links_are_shown_next_to_their_fields() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let res = page!(
        fx,
        &app,
        &cookie,
        format!("{}?department=Nowhere", base(&fx))
    );
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.body.contains("<div class=\"field invalid\">"),
        "{}",
        res.body
    );
    assert!(unescape(&res.body).contains("There is no department \"Nowhere\""));
    assert!(res.body.contains("Fix the marked fields"));
    assert!(listed(&fx, &res.body).is_empty());

    let res = page!(
        fx,
        &app,
        &cookie,
        format!("{}?status=happy&role=king", base(&fx))
    );
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(unescape(&res.body).contains("There is no status \"happy\""));
    assert!(unescape(&res.body).contains("There is no role \"king\""));

    // A damaged page link, and one made for another order: the first page, and why.
    let all = expected(&fx, &ui_default()).await;
    for query in ["after=garbage", "before=%21%21"] {
        let res = page!(fx, &app, &cookie, format!("{}?{query}", base(&fx)));
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(res.body.contains("This page link is damaged"), "{query}");
        assert_eq!(listed(&fx, &res.body), all, "{query}");
    }
    let by_name = page!(fx, &app, &cookie, format!("{}?sort=name", base(&fx)));
    let header = link(&by_name.body, "Email").unwrap();
    assert_eq!(header, "?sort=email");
    let cursor =
        aviary_app_http::views::cursor::encode(&aviary_domain::model::AccountCursor::after(
            AccountSort::ascending(SortKey::Name),
            &fx.services
                .queries
                .account(fx.integration.id, &all[3])
                .await
                .unwrap()
                .account,
        ));
    let res = page!(
        fx,
        &app,
        &cookie,
        format!("{}?sort=email&after={cursor}", base(&fx))
    );
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("another sort order"));
    assert_eq!(listed(&fx, &res.body).len(), 39);
}

#[actix_web::test]
async fn the_account_page_shows_its_fields_and_history_newest_first() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let found = fx
        .services
        .queries
        .account(fx.integration.id, &fx.frozen)
        .await
        .unwrap();
    let res = page!(
        fx,
        &app,
        &cookie,
        format!("{}/accounts/{}", base(&fx), fx.frozen)
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    let profile = &found.account.state.profile;
    assert!(html.contains(profile.name.as_deref().unwrap()));
    assert!(html.contains(&fx.frozen));
    assert!(html.contains("<dt>Status</dt><dd>suspended</dd>"), "{html}");
    let departments = fx
        .services
        .queries
        .departments(fx.integration.id, true)
        .await
        .unwrap();
    for id in &profile.department_ids {
        let name = departments
            .iter()
            .find(|d| &d.state.open_department_id == id)
            .and_then(|d| d.state.name.clone())
            .unwrap_or_else(|| "(root)".to_owned());
        assert!(html.contains(&format!("{name}</a>")), "department {name}");
    }
    if let Some(email) = &profile.email {
        assert!(html.contains(email));
    }
    // Two changes, newest first, each linking its run.
    assert_eq!(found.history.len(), 2);
    let changed = html
        .find("<span class=\"kind changed\">")
        .expect("the change");
    let added = html
        .find("<span class=\"kind added\">")
        .expect("the addition");
    assert!(changed < added, "newest first");
    for change in &found.history {
        assert!(html.contains(&format!("href=\"/admin/runs/{}\"", change.run_id)));
    }
    assert!(
        html.contains(
            "<span class=\"field-name\">status</span>: <span class=\"old\">active</span> → \
             <span class=\"new\">suspended</span>"
        ),
        "{html}"
    );

    let removed = page!(
        fx,
        &app,
        &cookie,
        format!("{}/accounts/{}", base(&fx), fx.deleted)
    );
    assert_eq!(removed.status, StatusCode::OK);
    assert!(removed.body.contains("Removed from the tenant on"));
    assert!(removed.body.contains("<span class=\"kind removed\">"));
}

#[actix_web::test]
async fn the_department_tree_shows_direct_and_total_members_and_removed_ones() {
    let fx = with_admin().await;
    let tenant = fx.simulator.tenant();
    let old = tenant.add_department("Old Team", "0").unwrap();
    sync(&fx.services, &fx.integration).await;
    tenant.delete_department(&old).unwrap();
    sync(&fx.services, &fx.integration).await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);

    let res = page!(fx, &app, &cookie, format!("{}/departments", base(&fx)));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    assert!(html.contains("aria-current=\"page\">Departments</a>"));
    let counts = fx
        .services
        .queries
        .member_counts(fx.integration.id)
        .await
        .unwrap();
    let departments = fx
        .services
        .queries
        .departments(fx.integration.id, true)
        .await
        .unwrap();
    assert_eq!(departments.len(), 7);
    let mut nested = 0;
    for department in &departments {
        let id = &department.state.open_department_id;
        let name = department.state.name.clone().unwrap();
        let at = html
            .find(&format!("title=\"{id}\">{name}</a>"))
            .expect("each department");
        let node = &html[at..at + html[at..].find("</div>").unwrap()];
        assert!(
            node.contains(&format!("{} direct", counts.direct(id))),
            "{node}"
        );
        assert!(
            node.contains(&format!("{} total", counts.total(id))),
            "{node}"
        );
        if department.removed_at.is_some() {
            assert_eq!(name, "Old Team");
            assert!(node.contains("removed "), "{node}");
        }
        if department
            .state
            .parent_id
            .as_ref()
            .is_some_and(|p| !p.is_root())
        {
            nested += 1;
        }
    }
    // The fixture's tenant has sub-departments: they sit in nested lists.
    assert!(nested > 0);
    assert_eq!(
        html.matches("<ul>").count(),
        html.matches("</ul>").count() - 1
    );
    // Totals include sub-departments: some department counts more than its direct members.
    assert!(
        departments
            .iter()
            .any(|d| counts.total(&d.state.open_department_id)
                > counts.direct(&d.state.open_department_id))
    );
    let root_total: u64 = departments
        .iter()
        .filter(|d| {
            d.state
                .parent_id
                .as_ref()
                .is_some_and(DepartmentId::is_root)
        })
        .map(|d| counts.direct(&d.state.open_department_id))
        .sum();
    assert!(root_total > 0);
}

#[actix_web::test]
async fn the_department_tree_below_one_department_shows_its_path_and_an_unknown_one_is_404() {
    let fx = with_admin().await;
    sync(&fx.services, &fx.integration).await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let outlines = fx
        .services
        .queries
        .department_outlines(fx.integration.id, false)
        .await
        .unwrap();
    // A department below a first-level one, with the first-level one as its path.
    let child = outlines
        .iter()
        .find(|d| d.parent_id.as_ref().is_some_and(|p| !p.is_root()))
        .expect("the fixture has sub-departments");
    let parent = child.parent_id.clone().unwrap();
    let parent_name = outlines
        .iter()
        .find(|d| d.open_department_id == parent)
        .and_then(|d| d.name.clone())
        .unwrap();
    let res = page!(
        fx,
        &app,
        &cookie,
        format!(
            "{}/departments?under={}",
            base(&fx),
            child.open_department_id
        )
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    let name = child.name.clone().unwrap();
    assert!(
        html.contains(&format!(
            "title=\"{}\">{name}</a>",
            child.open_department_id
        )),
        "{html}"
    );
    assert!(html.contains("All departments</a>"), "{html}");
    assert!(
        html.contains(&format!("?under={parent}\">{parent_name}</a>")),
        "the path links back up: {html}"
    );
    // A first-level sibling of the parent is not in the tree below the child.
    let elsewhere = outlines
        .iter()
        .find(|d| {
            d.parent_id.as_ref().is_some_and(DepartmentId::is_root)
                && d.open_department_id != parent
        })
        .unwrap();
    assert!(!html.contains(&format!("title=\"{}\"", elsewhere.open_department_id)));

    let res = page!(
        fx,
        &app,
        &cookie,
        format!("{}/departments?under=od-nowhere", base(&fx))
    );
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_runs_page_lists_runs_and_a_run_shows_its_diff_by_account() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let runs = fx
        .services
        .queries
        .runs(fx.integration.id, 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);

    let res = page!(fx, &app, &cookie, format!("{}/runs", base(&fx)));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    let newest = html
        .find(&format!("href=\"/admin/runs/{}\"", runs[0].id))
        .unwrap();
    let oldest = html
        .find(&format!("href=\"/admin/runs/{}\"", runs[1].id))
        .unwrap();
    assert!(newest < oldest, "newest first");
    assert_eq!(
        html.matches("<span class=\"status good\">succeeded</span>")
            .count(),
        2
    );
    assert!(
        html.contains("1 changed, 1 removed, 38 unchanged"),
        "{html}"
    );
    assert!(html.contains(">manual</td>"));

    let res = page!(fx, &app, &cookie, format!("/admin/runs/{}", runs[0].id));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let html = &res.body;
    assert!(html.contains(&runs[0].id.to_string()));
    for (open_id, kind) in [(&fx.frozen, "changed"), (&fx.deleted, "removed")] {
        let name = name_of(&fx, open_id).await;
        let href = format!("{}/accounts/{open_id}\">{name}</a>", base(&fx));
        let at = html
            .find(&href)
            .unwrap_or_else(|| panic!("{name} in {html}"));
        let group = &html[at..at + html[at..].find("</li>").unwrap()];
        assert!(
            group.contains(&format!("<span class=\"kind {kind}\">")),
            "{group}"
        );
    }
    // The first run added every account, department, user group and installed app.
    let first = page!(fx, &app, &cookie, format!("/admin/runs/{}", runs[1].id));
    let groups = fx
        .services
        .queries
        .groups(fx.integration.id, true)
        .await
        .unwrap();
    let apps = fx
        .services
        .queries
        .apps(fx.integration.id, true)
        .await
        .unwrap();
    assert!(!groups.is_empty() && !apps.is_empty());
    assert_eq!(
        first.body.matches("<span class=\"kind added\">").count(),
        40 + 6 + groups.len() + apps.len()
    );
    assert!(first.body.contains("Group and app changes"));
}

#[actix_web::test]
async fn a_run_page_shows_a_page_of_changes_and_links_to_the_next_page() {
    let fx = with_admin().await;
    let tenant = fx.simulator.tenant();
    for i in 0..130 {
        tenant
            .add_user(NewUser::new(format!("Pile {i:03}"), "0"))
            .unwrap();
    }
    sync(&fx.services, &fx.integration).await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let runs = fx
        .services
        .queries
        .runs(fx.integration.id, 10)
        .await
        .unwrap();
    let (run, older) = (runs[0].id, runs[1].id);
    let recorded = fx
        .services
        .queries
        .run_changes(run, None, 1000)
        .await
        .unwrap();
    let total = recorded.changes.len();
    assert!((130..200).contains(&total), "{total}");
    let shown = |html: &str| html.matches("<span class=\"kind ").count();

    let first = page!(fx, &app, &cookie, format!("/admin/runs/{run}"));
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(shown(&first.body), 100, "one page of 100 changes");
    assert!(link(&first.body, "« First page").is_none());
    let next = link(&first.body, "Next page ›").expect("a link to the next page");
    assert!(
        next.starts_with(&format!("/admin/runs/{run}?after=")),
        "{next}"
    );

    let second = page!(fx, &app, &cookie, next);
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(shown(&second.body), total - 100, "the rest");
    assert!(link(&second.body, "Next page ›").is_none(), "the last page");
    assert_eq!(
        link(&second.body, "« First page").unwrap(),
        format!("/admin/runs/{run}")
    );
    for i in 0..130 {
        let title = format!(">Pile {i:03}</a>");
        assert_eq!(
            first.body.matches(&title).count() + second.body.matches(&title).count(),
            1,
            "{title} on exactly one page"
        );
    }

    // A damaged link, or one of another run: the first page, saying so.
    let after = next.split("?after=").nth(1).unwrap().to_owned();
    for uri in [
        format!("/admin/runs/{run}?after=AAAA"),
        format!("/admin/runs/{older}?after={after}"),
    ] {
        let res = page!(fx, &app, &cookie, uri);
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            res.body.contains("here are the run&#39;s first changes"),
            "{uri}: {}",
            res.body
        );
        assert!(link(&res.body, "« First page").is_none(), "{uri}");
    }
}

#[actix_web::test]
async fn unknown_things_are_the_404_page_and_visitors_are_sent_to_sign_in() {
    let fx = with_admin().await;
    let app = test::init_service(app(fx.services.clone())).await;
    let cookie = signed_in!(&app);
    let nil = "00000000-0000-0000-0000-000000000000";
    let pages = [
        base(&fx),
        format!("{}/accounts/{}", base(&fx), fx.frozen),
        format!("{}/departments", base(&fx)),
        format!("{}/runs", base(&fx)),
        format!("{}/accounts.csv", base(&fx)),
    ];
    for uri in pages.iter() {
        let res = send!(&app, TestRequest::get().uri(uri));
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(res.header("location"), Some("/signin"));
    }
    for uri in [
        format!("/admin/integrations/{nil}"),
        "/admin/integrations/not-a-uuid/runs".to_owned(),
        format!("/admin/integrations/{nil}/departments"),
        format!("/admin/integrations/{nil}/accounts.csv"),
        format!("{}/accounts/ou_nobody", base(&fx)),
        format!("/admin/runs/{nil}"),
        "/admin/runs/not-a-uuid".to_owned(),
    ] {
        let res = page!(fx, &app, &cookie, uri);
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(res.body.contains("Page not found"), "{uri}");
    }
    // GET only: other methods need the CSRF token first, then get the 405 page.
    let token = {
        let overview = page!(fx, &app, &cookie, "/");
        let marker = "name=\"csrf_token\" value=\"";
        let start = overview.body.find(marker).unwrap() + marker.len();
        overview.body[start..].split('"').next().unwrap().to_owned()
    };
    let res = send!(
        &app,
        TestRequest::post()
            .uri(&format!("{}/departments", base(&fx)))
            .cookie(cookie.clone())
            .set_form([("csrf_token", token.as_str())])
    );
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
}
