//! Contact v3 department endpoints: `departments/:id/children` (direct children, or with
//! `fetch_child=true` the whole subtree breadth-first, refused with 43010 above the recursion
//! limit), `departments/batch` and `departments/:id`.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::gateway::{Kind, LarkError, serve};
use super::page_token::Listing;
use super::params::{Params, next_token};
use super::permissions::Fields;
use super::render::{self, DeptView, Page};
use super::routes_users::BATCH_MAX;
use super::state::SimState;
use super::stats::endpoints;
use super::tenant::{DeptIdType, ROOT, Tenant};

pub(crate) async fn children(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let id = req
        .match_info()
        .get("department_id")
        .unwrap_or_default()
        .to_owned();
    serve(
        &state,
        &req,
        endpoints::DEPARTMENT_CHILDREN,
        Kind::Data,
        |state, params| children_page(state, params, &id),
    )
    .await
}

fn children_page(state: &SimState, params: &Params, id: &str) -> Result<Vec<u8>, LarkError> {
    let uid = params.user_id_type()?;
    let did = params.dept_id_type()?;
    let fields = Fields::granted(state);
    let page_size = params.page_size(10, 50)?;
    let fetch_child = params.flag("fetch_child")?;
    let t = state.read();
    let dept = readable(&t, did, id)?;
    let listed = if fetch_child {
        t.subtree(dept, state.recursion_limit())
            .map_err(|_| LarkError::big_dept_recursion())?
    } else {
        t.children(dept).to_vec()
    };
    let key =
        u32::try_from(dept).map_err(|_| LarkError::internal())? | (u32::from(fetch_child) << 31);
    let start = params
        .cursor(Listing::DepartmentChildren, key)?
        .map_or(0, |offset| usize::try_from(offset).unwrap_or(usize::MAX))
        .min(listed.len());
    let end = (start + page_size).min(listed.len());
    let counts = t.member_counts();
    let items: Vec<DeptView<'_>> = listed[start..end]
        .iter()
        .map(|&d| render::department(&t, d, &counts, uid, did, fields))
        .collect();
    let has_more = end < listed.len();
    let page_token = has_more.then(|| next_token(Listing::DepartmentChildren, key, end as u64));
    render::ok(Page {
        has_more,
        page_token,
        items,
    })
}

/// A department the app may read: 40015 if it does not exist, 40004 if outside the contact scope
/// (the root included whenever the scope is not "all members").
fn readable(t: &Tenant, did: DeptIdType, id: &str) -> Result<usize, LarkError> {
    let dept = t
        .dept_idx(did, id)
        .ok_or_else(LarkError::department_not_found)?;
    if t.dept_in_scope(dept) {
        Ok(dept)
    } else {
        Err(LarkError::no_dept_authority())
    }
}

#[derive(Serialize)]
struct Items<'a> {
    items: Vec<DeptView<'a>>,
}

pub(crate) async fn batch(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::DEPARTMENTS_BATCH,
        Kind::Data,
        |state, params| {
            let uid = params.user_id_type()?;
            let did = params.dept_id_type()?;
            let fields = Fields::granted(state);
            let mut ids = params.all("department_ids");
            if ids.is_empty() {
                return Err(LarkError::param_error("department_ids is required"));
            }
            if ids.len() > BATCH_MAX {
                return Err(LarkError::param_error("at most 50 department_ids"));
            }
            let mut seen = std::collections::HashSet::new();
            ids.retain(|id| seen.insert(*id));
            let t = state.read();
            let counts = t.member_counts();
            let items = ids
                .into_iter()
                .filter_map(|id| t.dept_idx(did, id))
                .filter(|&d| d != ROOT && t.dept_in_scope(d))
                .map(|d| render::department(&t, d, &counts, uid, did, fields))
                .collect();
            render::ok(Items { items })
        },
    )
    .await
}

#[derive(Serialize)]
struct One<'a> {
    department: DeptView<'a>,
}

pub(crate) async fn get(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let id = req
        .match_info()
        .get("department_id")
        .unwrap_or_default()
        .to_owned();
    serve(
        &state,
        &req,
        endpoints::DEPARTMENT,
        Kind::Data,
        |state, params| {
            let uid = params.user_id_type()?;
            let did = params.dept_id_type()?;
            let fields = Fields::granted(state);
            let t = state.read();
            let dept = readable(&t, did, &id)?;
            let counts = t.member_counts();
            render::ok(One {
                department: render::department(&t, dept, &counts, uid, did, fields),
            })
        },
    )
    .await
}
