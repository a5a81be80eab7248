//! `POST /admin/integrations/{id}/sync` ("Sync now", CSRF-checked by the guard): starts a sync
//! in the background and returns to the overview, where it shows as running.
//! `POST /admin/runs/{run_id}/confirm` (the held run's "Confirm" button): starts the sync that
//! applies what that run held, recording the signed-in admin, and shows the new run.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use aviary_domain::model::RunTrigger;
use aviary_domain::usecases::QueriesError;
use aviary_domain::usecases::sync::Confirmation;
use aviary_domain::values::{IntegrationId, RunId};

use super::error::UiError;
use super::session::{SignedIn, see_other};
use aviary_wiring::Services;

pub async fn start(
    services: web::Data<Services>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let id: IntegrationId = id.parse().map_err(|_| UiError::NotFound)?;
    services.runner.start(id, RunTrigger::Manual).await?;
    Ok(see_other("/").finish())
}

pub async fn confirm(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let id: RunId = path.parse().map_err(|_| UiError::NotFound)?;
    let held = match services.queries.run(id).await {
        Ok(found) => found,
        Err(QueriesError::UnknownRun(_)) => return Err(UiError::NotFound),
        Err(other) => return Err(other.into()),
    };
    let confirmation = Confirmation {
        run: id,
        by: signed_in.email.clone(),
    };
    let run = services
        .runner
        .start_confirming(held.integration_id, RunTrigger::Manual, Some(confirmation))
        .await?;
    tracing::info!(held = %id, run = %run.id, "held run confirmed in the web UI");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/runs/{}", run.id)))
        .finish())
}
