//! `GET /api/v1/integrations/{id}/departments`: the flat list, or `?shape=tree` nested.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::Items;
use super::error::ApiError;
use super::integrations::resolve;
use super::params;
use crate::views::DepartmentView;
use crate::views::tree::department_tree;
use crate::wiring::Services;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    include_removed: Option<String>,
    shape: Option<String>,
}

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
