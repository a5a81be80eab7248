//! Installed applications (tenant token, `admin:app.info:readonly`):
//! `GET /open-apis/application/v6/applications` — every app installed in the tenant, the
//! simulator's own included; `lang` required; `page_size` ≤ 50 (211004) and its own page-token code
//! (211003); optional `status`, `payment_type` and `owner_type` filters; `total_count` counts the
//! enabled apps of the page; 100 requests a minute — and the legacy
//! `GET /open-apis/application/v2/app/visibility` (an app's availability, users paged by
//! `user_page_size` ≤ 1000; an unknown `app_id` answers 50003 with HTTP 200).

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::gateway::{Kind, LarkError, serve};
use super::model_apps::SimApp;
use super::own_app;
use super::page_token::Listing;
use super::params::{Params, next_token};
use super::permissions::Fields;
use super::render;
use super::render_apps::{self, AppPage, Lang, VisibilityData};
use super::state::SimState;
use super::stats::endpoints;

/// Most users one availability page returns (and what `user_page_size=0` means).
const VISIBILITY_USERS_MAX: usize = 1000;

pub(crate) async fn list(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(&state, &req, endpoints::APPLICATIONS, Kind::Data, list_page).await
}

/// An optional integer filter in `0..=max`; anything else fails field validation.
fn filter(params: &Params, name: &str, max: u8) -> Result<Option<u8>, LarkError> {
    let Some(raw) = params.get(name) else {
        return Ok(None);
    };
    raw.trim()
        .parse::<u8>()
        .ok()
        .filter(|v| *v <= max)
        .map(Some)
        .ok_or_else(|| LarkError::field_validation(name, format!("{name} must be 0 to {max}")))
}

fn list_page(state: &SimState, params: &Params) -> Result<Vec<u8>, LarkError> {
    let lang = params.get("lang").and_then(Lang::parse).ok_or_else(|| {
        LarkError::field_validation("lang", "lang is required: zh_cn, en_us or ja_jp")
    })?;
    let uid = params.user_id_type()?;
    let page_size = params.page_size(50, 50).map_err(|e| {
        if e == LarkError::page_size_invalid() {
            LarkError::app_page_size_invalid()
        } else {
            e
        }
    })?;
    let status = filter(params, "status", 2)?;
    let payment_type = filter(params, "payment_type", 1)?;
    let owner_type = filter(params, "owner_type", 2)?;
    // A token is valid for the filters it was issued with only.
    let key = [status, payment_type, owner_type]
        .iter()
        .enumerate()
        .fold(0u32, |key, (i, f)| {
            key | (f.map_or(0, |v| u32::from(v) + 1) << (8 * i))
        });
    let start = params
        .cursor(Listing::Apps, key)
        .map_err(|_| LarkError::app_page_token_invalid())?;
    let console = state.oauth_console.snapshot();
    let t = state.read();
    let listed: Vec<&SimApp> = t
        .apps()
        .iter()
        .filter(|a| status.is_none_or(|s| a.status == s))
        .filter(|a| payment_type.is_none_or(|p| a.payment_type == p))
        .filter(|a| owner_type.is_none_or(|o| a.owner.owner_type == o))
        .collect();
    let start = start
        .map_or(0, |offset| usize::try_from(offset).unwrap_or(usize::MAX))
        .min(listed.len());
    let end = (start + page_size).min(listed.len());
    let page = &listed[start..end];
    let own = page
        .iter()
        .find_map(|a| own_app::live(a, &state.app_id, &console));
    let app_list: Vec<_> = page
        .iter()
        .map(|&a| match &own {
            Some(own) if own.app_id == a.app_id => render_apps::app(&t, own, uid, lang),
            _ => render_apps::app(&t, a, uid, lang),
        })
        .collect();
    let has_more = end < listed.len();
    render::ok(AppPage {
        total_count: page.iter().filter(|a| a.status == 1).count(),
        app_list,
        page_token: has_more.then(|| next_token(Listing::Apps, key, end as u64)),
        has_more,
    })
}

pub(crate) async fn visibility(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::APP_VISIBILITY,
        Kind::Data,
        visibility_page,
    )
    .await
}

/// `user_page_size`: 0 or absent means the most (1000); larger values are capped there.
fn user_page_size(params: &Params) -> Result<usize, LarkError> {
    let Some(raw) = params.get("user_page_size") else {
        return Ok(VISIBILITY_USERS_MAX);
    };
    match raw.trim().parse::<usize>() {
        Ok(0) => Ok(VISIBILITY_USERS_MAX),
        Ok(n) => Ok(n.min(VISIBILITY_USERS_MAX)),
        Err(_) => Err(LarkError::field_validation(
            "user_page_size",
            "user_page_size must be an integer from 0 to 1000",
        )),
    }
}

fn visibility_page(state: &SimState, params: &Params) -> Result<Vec<u8>, LarkError> {
    let with_user_id = Fields::granted(state).user_id;
    let t = state.read();
    let idx = params
        .get("app_id")
        .and_then(|id| t.app_idx(id))
        .ok_or_else(LarkError::invalid_app_id)?;
    let page_size = user_page_size(params)?;
    let key = u32::try_from(idx).map_err(|_| LarkError::internal())?;
    let start = params
        .cursor_in("user_page_token", Listing::AppVisibilityUsers, key)
        .map_err(|_| {
            LarkError::field_validation(
                "user_page_token",
                "user_page_token was not issued for this app",
            )
        })?;
    let app = &t.apps()[idx];
    let v = &app.visibility;
    let users = render_apps::users(&t, &v.users, with_user_id);
    let start = start
        .map_or(0, |offset| usize::try_from(offset).unwrap_or(usize::MAX))
        .min(users.len());
    let end = (start + page_size).min(users.len());
    let has_more = end < users.len();
    // Like the documentation's example, the token comes on the last page too.
    let user_page_token = if end > start {
        next_token(Listing::AppVisibilityUsers, key, end as u64)
    } else {
        String::new()
    };
    render::ok(VisibilityData {
        departments: render_apps::department_ids(&t, &v.departments),
        invisible_departments: render_apps::department_ids(&t, &v.invisible_departments),
        users: users.into_iter().skip(start).take(end - start).collect(),
        invisible_users: render_apps::users(&t, &v.invisible_users, with_user_id),
        groups: render_apps::group_ids(&t, &v.groups),
        invisible_groups: render_apps::group_ids(&t, &v.invisible_groups),
        is_visible_to_all: u8::from(v.all),
        has_more_users: u8::from(has_more),
        user_page_token,
    })
}
