//! `GET /open-apis/contact/v3/scopes`: the app's contact scope. Full scope lists the first-level
//! departments, the users directly under the root and every user group; a restricted scope lists
//! its departments and groups and no users. As documented, user ids come first, then department
//! ids, then group ids, across pages (`page_size` counts all three lists together); user ids only
//! for an app that may read user ids (`contact:user.employee_id:readonly`). Groups are listed by
//! their custom `group_id`, the id Lark's range event and availability API use (the scope page
//! does not say which).

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::gateway::{Kind, LarkError, serve};
use super::page_token::Listing;
use super::params::{Params, next_token};
use super::permissions::Fields;
use super::render;
use super::state::SimState;
use super::stats::endpoints;
use super::tenant::ROOT;

#[derive(Serialize)]
struct ScopeData {
    department_ids: Vec<String>,
    user_ids: Vec<String>,
    group_ids: Vec<String>,
    has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<String>,
}

pub(crate) async fn scopes(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(&state, &req, endpoints::SCOPES, Kind::Data, scopes_page).await
}

fn scopes_page(state: &SimState, params: &Params) -> Result<Vec<u8>, LarkError> {
    let uid = params.user_id_type()?;
    let did = params.dept_id_type()?;
    let page_size = params.page_size(50, 100)?;
    let t = state.read();
    let departments: Vec<String> = t
        .scope_roots()
        .into_iter()
        .map(|d| did.pick(t.dept(d)).to_owned())
        .collect();
    // Lark lists users only to apps that may read user ids (scope list page, `user_ids`).
    let users: Vec<String> = if t.is_full_scope() && Fields::granted(state).user_id {
        t.members(ROOT)
            .iter()
            .filter_map(|&u| t.user(u))
            .map(|u| uid.pick(u).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let groups: Vec<String> = t
        .scope_groups()
        .into_iter()
        .filter_map(|g| t.group(g).map(|g| g.group_id.clone()))
        .collect();
    let total = users.len() + departments.len() + groups.len();
    let start = params
        .cursor(Listing::Scopes, 0)?
        .map_or(0, |offset| usize::try_from(offset).unwrap_or(usize::MAX))
        .min(total);
    let end = (start + page_size).min(total);
    // The page [start, end) of the sequence users ++ departments ++ groups.
    let (u, d) = (users.len(), users.len() + departments.len());
    let segment = |list: &[String], from: usize| -> Vec<String> {
        let lo = start.clamp(from, from + list.len()) - from;
        let hi = end.clamp(from, from + list.len()) - from;
        list[lo..hi].to_vec()
    };
    let data = ScopeData {
        user_ids: segment(&users, 0),
        department_ids: segment(&departments, u),
        group_ids: segment(&groups, d),
        has_more: end < total,
        page_token: (end < total).then(|| next_token(Listing::Scopes, 0, end as u64)),
    };
    render::ok(data)
}
