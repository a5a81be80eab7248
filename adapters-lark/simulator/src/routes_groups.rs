//! Contact v3 user-group endpoints (tenant token, `contact:group:readonly`):
//! `group/simplelist` (one `type` per request, 1 normal by default), `group/:group_id/member/simplelist`
//! (one `member_type` per request, `user` by default) and `group/:group_id`. Under a contact range
//! other than "all members" only the groups granted in it are listed or readable (42009, HTTP
//! 403). `:group_id` is the group's `id` (`g…`), not its custom `group_id` (42002).

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::gateway::{Kind, LarkError, serve};
use super::model_groups::SimGroupType;
use super::page_token::Listing;
use super::params::{Params, next_token};
use super::render;
use super::render_groups::{self, GroupPage, MemberPage, MemberView, OneGroup};
use super::state::SimState;
use super::stats::endpoints;
use super::tenant::{DeptIdType, Tenant, UserIdType};

pub(crate) async fn simplelist(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(&state, &req, endpoints::GROUPS, Kind::Data, simplelist_page).await
}

fn simplelist_page(state: &SimState, params: &Params) -> Result<Vec<u8>, LarkError> {
    let page_size = params.page_size(50, 100)?;
    let kind = match params.get("type") {
        None => SimGroupType::Normal,
        Some(raw) => raw
            .trim()
            .parse::<u8>()
            .ok()
            .and_then(SimGroupType::from_code)
            .ok_or_else(|| {
                LarkError::field_validation("type", "type must be 1 (normal) or 2 (dynamic)")
            })?,
    };
    let t = state.read();
    let listed: Vec<usize> = t
        .live_groups()
        .filter(|&(g, group)| group.group_type == kind && t.group_visible(g))
        .map(|(g, _)| g)
        .collect();
    let key = u32::from(kind.code());
    let start = params
        .cursor(Listing::Groups, key)?
        .map_or(0, |offset| usize::try_from(offset).unwrap_or(usize::MAX))
        .min(listed.len());
    let end = (start + page_size).min(listed.len());
    let has_more = end < listed.len();
    render::ok(GroupPage {
        grouplist: listed[start..end]
            .iter()
            .filter_map(|&g| t.group(g))
            .map(render_groups::listed)
            .collect(),
        page_token: has_more.then(|| next_token(Listing::Groups, key, end as u64)),
        has_more,
    })
}

/// A group the app may read, by the id in the path: 42002 if none has it, 42009 if it is
/// outside the contact range.
fn readable(t: &Tenant, id: &str) -> Result<usize, LarkError> {
    let g = t
        .group_by_path_id(id)
        .ok_or_else(LarkError::group_not_found)?;
    if t.group_visible(g) {
        Ok(g)
    } else {
        Err(LarkError::no_group_authority())
    }
}

fn path_group_id(req: &HttpRequest) -> String {
    req.match_info()
        .get("group_id")
        .unwrap_or_default()
        .to_owned()
}

/// Which members one request lists, and in which id type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Members {
    Users(UserIdType),
    Departments(DeptIdType),
}

impl Members {
    /// `member_type` (41074) and `member_id_type` (41071 unknown, 41072 not for that type).
    fn parse(params: &Params) -> Result<Self, LarkError> {
        let departments = match params.get("member_type") {
            None | Some("user") => false,
            Some("department") => true,
            Some(_) => return Err(LarkError::member_type_invalid()),
        };
        let id_type = params.get("member_id_type").unwrap_or("open_id");
        match (departments, id_type) {
            (false, "open_id" | "union_id" | "user_id") => UserIdType::parse(id_type)
                .map(Self::Users)
                .ok_or_else(LarkError::member_id_type_invalid),
            (true, "open_id") => Ok(Self::Departments(DeptIdType::OpenDepartmentId)),
            (true, "department_id") => Ok(Self::Departments(DeptIdType::DepartmentId)),
            (false, "department_id") | (true, "union_id" | "user_id") => {
                Err(LarkError::member_id_type_mismatch())
            }
            _ => Err(LarkError::member_id_type_invalid()),
        }
    }

    /// The `member_id_type` value that selects it.
    fn id_type_name(self) -> &'static str {
        match self {
            Self::Users(UserIdType::OpenId) | Self::Departments(DeptIdType::OpenDepartmentId) => {
                "open_id"
            }
            Self::Users(UserIdType::UnionId) => "union_id",
            Self::Users(UserIdType::UserId) => "user_id",
            Self::Departments(DeptIdType::DepartmentId) => "department_id",
        }
    }
}

pub(crate) async fn members(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let id = path_group_id(&req);
    serve(
        &state,
        &req,
        endpoints::GROUP_MEMBERS,
        Kind::Data,
        |state, params| members_page(state, params, &id),
    )
    .await
}

fn members_page(state: &SimState, params: &Params, id: &str) -> Result<Vec<u8>, LarkError> {
    let page_size = params.page_size(50, 100)?;
    let members = Members::parse(params)?;
    let t = state.read();
    let g = readable(&t, id)?;
    let group = t.group(g).ok_or_else(LarkError::group_not_found)?;
    let (ids, member_type, departments): (Vec<&str>, &'static str, bool) = match members {
        Members::Users(uid) => (
            group
                .member_user_ids
                .iter()
                .filter_map(|open_id| t.user_by_open_id(open_id))
                .map(|u| uid.pick(u))
                .collect(),
            "user",
            false,
        ),
        Members::Departments(did) => (
            group
                .member_department_ids
                .iter()
                .filter_map(|open_id| t.dept_idx(DeptIdType::OpenDepartmentId, open_id))
                .map(|d| did.pick(t.dept(d)))
                .collect(),
            "department",
            true,
        ),
    };
    let member_id_type = members.id_type_name();
    let key = u32::try_from(g).map_err(|_| LarkError::internal())? | (u32::from(departments) << 31);
    let start = params
        .cursor(Listing::GroupMembers, key)?
        .map_or(0, |offset| usize::try_from(offset).unwrap_or(usize::MAX))
        .min(ids.len());
    let end = (start + page_size).min(ids.len());
    let has_more = end < ids.len();
    render::ok(MemberPage {
        memberlist: ids[start..end]
            .iter()
            .map(|&member_id| MemberView {
                member_id,
                member_type,
                member_id_type,
            })
            .collect(),
        page_token: has_more.then(|| next_token(Listing::GroupMembers, key, end as u64)),
        has_more,
    })
}

pub(crate) async fn get(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let id = path_group_id(&req);
    serve(
        &state,
        &req,
        endpoints::GROUP,
        Kind::Data,
        |state, params| {
            // Accepted and validated as documented, though no returned field carries an id type.
            params.user_id_type()?;
            params.dept_id_type()?;
            let t = state.read();
            let g = readable(&t, &id)?;
            let group = t.group(g).ok_or_else(LarkError::group_not_found)?;
            render::ok(OneGroup {
                group: render_groups::single(group),
            })
        },
    )
    .await
}
