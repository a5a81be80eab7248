//! `GET /api/v1/integrations/{id}/runs` (newest first) and `GET /api/v1/runs/{run_id}` (with
//! the changes it recorded).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::Items;
use super::error::ApiError;
use super::integrations::resolve;
use super::params;
use crate::views::{ChangeView, RunView, RunWithChangesView};
use crate::wiring::Services;

const DEFAULT_LIMIT: u64 = 20;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    limit: Option<String>,
}

pub async fn list(
    services: web::Data<Services>,
    path: web::Path<String>,
    query: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = params::limit(query.limit.as_deref(), DEFAULT_LIMIT)?;
    let integration = resolve(&services, &path).await?;
    let runs = services.queries.runs(integration.id, limit).await?;
    Ok(HttpResponse::Ok().json(Items {
        items: runs.iter().map(RunView::from).collect(),
    }))
}

pub async fn show(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = params::run_id(&path)?;
    let (run, changes) = services.queries.run(id).await?;
    Ok(HttpResponse::Ok().json(RunWithChangesView {
        run: RunView::from(&run),
        changes: changes.iter().map(ChangeView::from).collect(),
    }))
}
