//! The route table: Lark's paths (templates as in the stats), the control surface, and the JSON 404.

use actix_web::web;

use super::{
    routes_apps, routes_auth, routes_authorize, routes_control, routes_departments, routes_groups,
    routes_oauth_token, routes_scopes, routes_tenant, routes_user_info, routes_users,
};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/open-apis/auth/v3/tenant_access_token/internal",
        web::post().to(routes_auth::tenant_token),
    )
    .route(
        "/open-apis/auth/v3/app_access_token/internal",
        web::post().to(routes_auth::app_token),
    )
    .route(
        "/open-apis/contact/v3/scopes",
        web::get().to(routes_scopes::scopes),
    )
    // `batch` before `{department_id}`: the first matching route wins.
    .route(
        "/open-apis/contact/v3/departments/batch",
        web::get().to(routes_departments::batch),
    )
    .route(
        "/open-apis/contact/v3/departments/{department_id}/children",
        web::get().to(routes_departments::children),
    )
    .route(
        "/open-apis/contact/v3/departments/{department_id}",
        web::get().to(routes_departments::get),
    )
    .route(
        "/open-apis/contact/v3/users/find_by_department",
        web::get().to(routes_users::find_by_department),
    )
    .route(
        "/open-apis/contact/v3/users/batch",
        web::get().to(routes_users::batch),
    )
    .route(
        "/open-apis/contact/v3/users/{user_id}",
        web::get().to(routes_users::get),
    )
    // `simplelist` before `{group_id}`: the first matching route wins.
    .route(
        "/open-apis/contact/v3/group/simplelist",
        web::get().to(routes_groups::simplelist),
    )
    .route(
        "/open-apis/contact/v3/group/{group_id}/member/simplelist",
        web::get().to(routes_groups::members),
    )
    .route(
        "/open-apis/contact/v3/group/{group_id}",
        web::get().to(routes_groups::get),
    )
    .route(
        "/open-apis/tenant/v2/tenant/query",
        web::get().to(routes_tenant::query),
    )
    .route(
        "/open-apis/application/v6/applications",
        web::get().to(routes_apps::list),
    )
    .route(
        "/open-apis/application/v2/app/visibility",
        web::get().to(routes_apps::visibility),
    )
    // User OAuth: the accounts-host pages and the open-host APIs, all on the one base URL.
    .route(
        "/open-apis/authen/v1/authorize",
        web::get().to(routes_authorize::authorize),
    )
    .route(
        "/open-apis/authen/v1/authorize/decision",
        web::post().to(routes_authorize::decision),
    )
    .route(
        "/open-apis/authen/v2/oauth/token",
        web::post().to(routes_oauth_token::token),
    )
    .route(
        "/open-apis/authen/v1/user_info",
        web::get().to(routes_user_info::user_info),
    );
    routes_control::configure(cfg);
}
