//! API keys in the web UI: `GET /admin/keys` lists them (name, display prefix, created, last
//! used, revoked), `POST /admin/keys` creates one and shows it on that response only — Aviary
//! keeps just its digest — and `POST /admin/keys/{id}/revoke` revokes one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::model::ApiKey;
use aviary_domain::usecases::ApiKeyError;
use aviary_domain::values::ApiKeyId;
use secrecy::ExposeSecret as _;
use serde::Deserialize;

use super::browse::when;
use super::error::UiError;
use super::integration_form::sentence;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::{SignedIn, see_other};
use aviary_wiring::Services;

impl From<ApiKeyError> for UiError {
    fn from(err: ApiKeyError) -> Self {
        match err {
            // The create form shows a bad name next to its field; reaching here means a
            // form this page did not send.
            ApiKeyError::Name(_) => Self::BadForm,
            ApiKeyError::NotFound(_) => Self::NotFound,
            // The revoke button answers this itself (the key is revoked either way).
            ApiKeyError::AlreadyRevoked(_) => Self::BadForm,
            ApiKeyError::Store(store) => {
                tracing::error!(error = %store, "API key store failed");
                Self::Unavailable
            }
        }
    }
}

/// One key as the list shows it: never the key, only its display prefix.
#[derive(Debug)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

impl From<&ApiKey> for KeyRow {
    fn from(key: &ApiKey) -> Self {
        Self {
            id: key.id.to_string(),
            name: key.name.to_string(),
            prefix: key.prefix.to_string(),
            created: when(key.created_at),
            last_used: key.last_used_at.map(when),
            revoked: key.revoked_at.map(when),
        }
    }
}

/// A key just created, shown once.
#[derive(Debug)]
pub struct NewKey {
    pub name: String,
    pub secret: String,
}

#[derive(Debug, Template)]
#[template(path = "keys.html")]
pub struct KeysPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub csrf_token: String,
    pub keys: Vec<KeyRow>,
    pub created: Option<NewKey>,
    /// What was typed in the name field, kept when it was refused.
    pub name: String,
    pub name_error: Option<String>,
}

async fn page(services: &Services, signed_in: &SignedIn) -> Result<KeysPage, UiError> {
    let keys = services.api_keys.list().await?;
    let chrome = signed_in.chrome();
    Ok(KeysPage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        asset_version: ASSET_VERSION,
        // Newest first: a new key is at the top, next to where it was created.
        keys: keys.iter().rev().map(KeyRow::from).collect(),
        created: None,
        name: String::new(),
        name_error: None,
    })
}

/// `GET /admin/keys`.
pub async fn list(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
) -> Result<HttpResponse, UiError> {
    render(StatusCode::OK, &page(&services, &signed_in).await?)
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

/// `POST /admin/keys`: `201` with the list and the new key, shown this once (the response
/// is `no-store` like every page); a refused name → the form again with its error (`422`).
pub async fn create(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, UiError> {
    let name = form.into_inner().name;
    match services.api_keys.create(&name).await {
        Ok(created) => {
            tracing::info!(key = %created.key.id, "API key created in the web UI");
            let new_key = NewKey {
                name: created.key.name.to_string(),
                secret: created.secret.expose_secret().to_owned(),
            };
            let page = KeysPage {
                created: Some(new_key),
                ..page(&services, &signed_in).await?
            };
            render(StatusCode::CREATED, &page)
        }
        Err(ApiKeyError::Name(problem)) => {
            let page = KeysPage {
                name,
                name_error: Some(sentence(problem)),
                ..page(&services, &signed_in).await?
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /admin/keys/{id}/revoke`: 303 back to the list (also when it was already revoked).
pub async fn revoke(
    services: web::Data<Services>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let id: ApiKeyId = id.parse().map_err(|_| UiError::NotFound)?;
    match services.api_keys.revoke(id).await {
        Ok(_) => tracing::info!(key = %id, "API key revoked in the web UI"),
        Err(ApiKeyError::AlreadyRevoked(_)) => {}
        Err(other) => return Err(other.into()),
    }
    Ok(see_other("/admin/keys").finish())
}
