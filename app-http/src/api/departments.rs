//! `GET /api/v1/integrations/{id}/departments`: the flat list, or `?shape=tree` nested.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::Items;
use super::error::{ApiError, Body as ErrorBody};
use super::integrations::resolve;
use super::openapi::SharedErrors;
use super::params;
use aviary_views::DepartmentView;
use aviary_views::schema::text_enum;
use aviary_views::tree::{DepartmentNode, department_tree};
use aviary_wiring::Services;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `true`: departments removed from the tenant too.
    #[param(value_type = Option<bool>, default = false)]
    include_removed: Option<String>,
    /// `tree`: roots first, each with its sub-departments nested under `children`.
    #[param(value_type = Option<Shape>, default = "flat")]
    shape: Option<String>,
}

text_enum!(
    /// How departments are listed.
    Shape = ["flat", "tree"]
);

/// `{"items": [...]}`: flat departments, or (`shape=tree`) the roots with their
/// sub-departments nested under `children`.
#[derive(Debug)]
struct DepartmentList;

impl PartialSchema for DepartmentList {
    fn schema() -> RefOr<Schema> {
        // `anyOf`, not `oneOf`: an empty list is both shapes at once.
        AnyOfBuilder::new()
            .item(Items::<DepartmentView>::schema())
            .item(Items::<DepartmentNode>::schema())
            .into()
    }
}

impl ToSchema for DepartmentList {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((DepartmentView::name().into(), DepartmentView::schema()));
        schemas.push((DepartmentNode::name().into(), DepartmentNode::schema()));
        DepartmentNode::schemas(schemas);
    }
}

/// An integration's departments
///
/// Flat, or nested as a tree with `shape=tree`.
#[utoipa::path(
    get,
    path = "/api/v1/integrations/{integration}/departments",
    operation_id = "list_departments",
    tag = "departments",
    params(
        ("integration" = String, Path,
            description = "The integration's id (a UUID) or its label"),
        ListParams,
    ),
    responses(
        (status = 200, description = "The departments", body = DepartmentList),
        (status = 400, description = "`invalid_parameter` (the message names it)",
            body = ErrorBody),
        (status = 404, description = "`integration_not_found`", body = ErrorBody),
        SharedErrors,
    )
)]
pub async fn list(
    services: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let include_removed = params::flag("include_removed", query.include_removed.as_deref())?;
    let tree = match query.shape.as_deref().map(str::trim) {
        None | Some("flat") => false,
        Some("tree") => true,
        Some(_) => {
            return Err(ApiError::invalid_parameter(
                "shape",
                "expected flat or tree",
            ));
        }
    };
    let integration = resolve(&services, &path).await?;
    let departments = services
        .queries
        .departments(integration.id, include_removed)
        .await?;
    let flat: Vec<DepartmentView> = departments.iter().map(DepartmentView::from).collect();
    Ok(if tree {
        HttpResponse::Ok().json(Items {
            items: department_tree(flat),
        })
    } else {
        HttpResponse::Ok().json(Items { items: flat })
    })
}
