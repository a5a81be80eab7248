//! `GET /api/v1/integrations/{id}/groups` and `…/groups/{group}`, `…/apps` and
//! `…/apps/{app_id}`: the tenant's user groups (with their members) and installed apps (with
//! who may use them), each alone with its change history.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::Items;
use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use super::params;
use aviary_views::inventory::{AppView, AppWithHistoryView, GroupView, GroupWithHistoryView};
use aviary_wiring::Services;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `true`: those no longer in the tenant (or outside the app's range) too.
    #[param(value_type = Option<bool>, default = false)]
    include_removed: Option<String>,
}

/// An integration's user groups
///
/// Each with its user and department members as Lark lists them, ordered by name.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/groups",
    operation_id = "list_groups",
    tag = "groups",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ListParams,
    ),
    responses(
        (status = 200, description = "The user groups", body = Items<GroupView>),
        (status = 400, description = "`invalid_parameter` (the message names it)",
            body = ErrorBody),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn groups(
    services: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let include_removed = params::flag("include_removed", query.include_removed.as_deref())?;
    let integration = resolve(&services, &path).await?;
    let groups = services
        .queries
        .groups(integration.id, include_removed)
        .await?;
    Ok(HttpResponse::Ok().json(Items {
        items: groups.iter().map(GroupView::from).collect::<Vec<_>>(),
    }))
}

/// One user group with its change history
///
/// By its id, custom group id or name; removed groups too.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/groups/{group}",
    operation_id = "show_group",
    tag = "groups",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ("group" = String, Path, description = "The group's id, custom group id or name"),
    ),
    responses(
        (status = 200, description = "The group", body = GroupWithHistoryView),
        (status = 404, description = "`integration_not_found` or `group_not_found`",
            body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn group(
    services: web::Data<Services>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (integration, key) = path.into_inner();
    let integration = resolve(&services, &integration).await?;
    let found = services.queries.group(integration.id, &key).await?;
    Ok(HttpResponse::Ok().json(GroupWithHistoryView::from(&found)))
}

/// An integration's installed apps
///
/// Every app installed in the tenant, with who may use it where Lark tells, ordered by name.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/apps",
    operation_id = "list_apps",
    tag = "apps",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ListParams,
    ),
    responses(
        (status = 200, description = "The installed apps", body = Items<AppView>),
        (status = 400, description = "`invalid_parameter` (the message names it)",
            body = ErrorBody),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn apps(
    services: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let include_removed = params::flag("include_removed", query.include_removed.as_deref())?;
    let integration = resolve(&services, &path).await?;
    let apps = services
        .queries
        .apps(integration.id, include_removed)
        .await?;
    Ok(HttpResponse::Ok().json(Items {
        items: apps.iter().map(AppView::from).collect::<Vec<_>>(),
    }))
}

/// One installed app with its change history
///
/// Removed apps too.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/apps/{app_id}",
    operation_id = "show_app",
    tag = "apps",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ("app_id" = String, Path, description = "The app's `app_id` (`cli_…`)"),
    ),
    responses(
        (status = 200, description = "The app", body = AppWithHistoryView),
        (status = 404, description = "`integration_not_found` or `app_not_found`",
            body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn app(
    services: web::Data<Services>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (integration, app_id) = path.into_inner();
    let integration = resolve(&services, &integration).await?;
    let found = services.queries.app(integration.id, &app_id).await?;
    Ok(HttpResponse::Ok().json(AppWithHistoryView::from(&found)))
}
