//! `POST /api/v1/integrations/{integration}/sync`: starts a sync in the background and answers
//! `202 Accepted` with the recorded run (status `running`); poll `GET /api/v1/runs/{id}`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use aviary_domain::model::RunTrigger;

use super::error::ApiError;
use super::integrations::resolve;
use crate::views::RunView;
use crate::wiring::Services;

pub async fn start(
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let integration = resolve(&services, &path).await?;
    let run = services
        .runner
        .start(integration.id, RunTrigger::Api)
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/runs/{}", run.id)))
        .json(RunView::from(&run)))
}
