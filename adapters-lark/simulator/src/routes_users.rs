//! Contact v3 user endpoints: `users/find_by_department` (direct members, paged, resigned users
//! never listed), `users/batch` (≤ 50 ids; deleted and out-of-scope users omitted, as documented
//! — and resigned ones too: the documentation names `users/:user_id` as the way to read a resigned
//! user and says nothing of the batch, so the simulator does not offer the convenient reading)
//! and `users/:user_id` (resigned users returned with their status; outside the range 41050;
//! unknown 41012).

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::gateway::{Kind, LarkError, serve};
use super::page_token::Listing;
use super::params::{Params, next_token};
use super::permissions::Fields;
use super::render::{self, Page, UserView};
use super::state::SimState;
use super::stats::endpoints;

/// Most ids `users/batch` and `departments/batch` accept.
pub(crate) const BATCH_MAX: usize = 50;

pub(crate) async fn find_by_department(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::USERS_FIND_BY_DEPARTMENT,
        Kind::Data,
        find_by_department_page,
    )
    .await
}

fn find_by_department_page(state: &SimState, params: &Params) -> Result<Vec<u8>, LarkError> {
    let uid = params.user_id_type()?;
    let did = params.dept_id_type()?;
    let fields = Fields::granted(state);
    let page_size = params.page_size(10, 50)?;
    let department = params
        .get("department_id")
        .ok_or_else(|| LarkError::field_validation("department_id", "department_id is required"))?;
    let t = state.read();
    let dept = t
        .dept_idx(did, department)
        .ok_or_else(LarkError::department_not_found)?;
    if !t.dept_in_scope(dept) {
        return Err(LarkError::no_dept_authority());
    }
    let key = u32::try_from(dept).map_err(|_| LarkError::internal())?;
    let members = t.members(dept);
    // The cursor is the last user index served: members are sorted by index, so a page boundary
    // survives users joining or leaving the department between pages.
    let start = match params.cursor(Listing::UsersByDepartment, key)? {
        None => 0,
        Some(last) => members.partition_point(|&u| u as u64 <= last),
    };
    let end = (start + page_size).min(members.len());
    let items: Vec<UserView<'_>> = members[start..end]
        .iter()
        .filter_map(|&u| t.user(u))
        .map(|u| render::user(&t, u, uid, did, fields))
        .collect();
    let has_more = end < members.len();
    let page_token =
        has_more.then(|| next_token(Listing::UsersByDepartment, key, members[end - 1] as u64));
    render::ok(Page {
        has_more,
        page_token,
        items,
    })
}

#[derive(Serialize)]
struct Items<'a> {
    items: Vec<UserView<'a>>,
}

pub(crate) async fn batch(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::USERS_BATCH,
        Kind::Data,
        |state, params| {
            let uid = params.user_id_type()?;
            let did = params.dept_id_type()?;
            let fields = Fields::granted(state);
            let mut ids = params.all("user_ids");
            if ids.is_empty() {
                return Err(LarkError::param_error("user_ids is required"));
            }
            if ids.len() > BATCH_MAX {
                return Err(LarkError::param_error("at most 50 user_ids"));
            }
            let mut seen = std::collections::HashSet::new();
            ids.retain(|id| seen.insert(*id));
            let t = state.read();
            let items = ids
                .into_iter()
                .filter_map(|id| t.user_idx(uid, id))
                .filter(|&u| t.user_in_scope(u))
                .filter_map(|u| t.user(u))
                .filter(|u| !u.status.is_resigned)
                .map(|u| render::user(&t, u, uid, did, fields))
                .collect();
            render::ok(Items { items })
        },
    )
    .await
}

#[derive(Serialize)]
struct One<'a> {
    user: UserView<'a>,
}

pub(crate) async fn get(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let id = req
        .match_info()
        .get("user_id")
        .unwrap_or_default()
        .to_owned();
    serve(
        &state,
        &req,
        endpoints::USER,
        Kind::Data,
        |state, params| {
            let uid = params.user_id_type()?;
            let did = params.dept_id_type()?;
            let fields = Fields::granted(state);
            let t = state.read();
            let u = t
                .user_idx(uid, &id)
                .ok_or_else(LarkError::user_id_invalid)?;
            if !t.user_in_scope(u) {
                return Err(LarkError::no_user_authority());
            }
            let user = t.user(u).ok_or_else(LarkError::user_id_invalid)?;
            render::ok(One {
                user: render::user(&t, user, uid, did, fields),
            })
        },
    )
    .await
}
