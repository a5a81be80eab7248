//! Deleting an integration in the web UI: `GET /admin/integrations/{id}/delete` says what
//! would go (accounts, departments, runs, recorded changes) and asks; the CSRF-checked
//! `POST` deletes it all and returns to the overview.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::ports::StoredData;
use aviary_domain::usecases::RemoveError;

use super::error::UiError;
use super::integration_form::integration_of;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::{SignedIn, see_other};
use aviary_wiring::Services;

impl From<RemoveError> for UiError {
    fn from(err: RemoveError) -> Self {
        match err {
            RemoveError::NotFound(_) => Self::NotFound,
            RemoveError::Store(store) => store.into(),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "integration_delete.html")]
pub struct DeletePage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub csrf_token: String,
    pub id: String,
    pub label: String,
    pub tenant: Option<String>,
    pub data: StoredData,
}

/// `GET /admin/integrations/{id}/delete`: the confirmation.
pub async fn confirm(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = integration_of(&services, &id).await?;
    let data = services.remove.stored_data(integration.id).await?;
    let chrome = signed_in.chrome();
    render(
        StatusCode::OK,
        &DeletePage {
            csrf_token: chrome.csrf_token.clone(),
            chrome: Some(chrome),
            asset_version: ASSET_VERSION,
            id: integration.id.to_string(),
            label: integration.label.to_string(),
            tenant: integration.summary.tenant.map(|t| t.name),
            data,
        },
    )
}

/// `POST /admin/integrations/{id}/delete`: 303 to `/` once deleted.
pub async fn delete(
    services: web::Data<Services>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = integration_of(&services, &id).await?;
    services.remove.execute(integration.id).await?;
    tracing::info!(integration = %integration.id, label = %integration.label, "integration deleted in the web UI");
    Ok(see_other("/").finish())
}
