//! `POST /admin/integrations/{id}/sync` ("Sync now", CSRF-checked by the guard): starts a sync
//! in the background and returns to the overview, where it shows as running.

use actix_web::{HttpResponse, web};
use aviary_domain::model::RunTrigger;
use aviary_domain::values::IntegrationId;

use super::error::UiError;
use super::session::see_other;
use crate::wiring::Services;

pub async fn start(
    services: web::Data<Services>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let id: IntegrationId = id.parse().map_err(|_| UiError::NotFound)?;
    services.runner.start(id, RunTrigger::Manual).await?;
    Ok(see_other("/").finish())
}
