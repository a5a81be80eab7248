//! API keys in the web UI: `GET /admin/keys` lists them (name, display prefix, scope, creator,
//! created, expiry, last used, revoked), `POST /admin/keys` creates one with the scope and
//! lifetime chosen and shows it on that response only — Aviary keeps just its digest — and
//! `POST /admin/keys/{id}/revoke` revokes one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::model::{ApiKey, KeyCreator, KeyScope, KeyStatus};
use aviary_domain::usecases::{ApiKeyError, ApiKeys, NewApiKey};
use aviary_domain::values::{ApiKeyId, EmailAddress};
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
            ApiKeyError::Name(_) | ApiKeyError::Lifetime(_) => Self::BadForm,
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
    pub scope: &'static str,
    pub created_by: String,
    pub created: String,
    pub expires: Option<String>,
    /// It has expired (and so no longer works), though it was not revoked.
    pub expired: bool,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

impl KeyRow {
    fn of(key: &ApiKey, status: KeyStatus) -> Self {
        Self {
            id: key.id.to_string(),
            name: key.name.to_string(),
            prefix: key.prefix.to_string(),
            scope: key.scope.as_str(),
            created_by: key.created_by.to_string(),
            created: when(key.created_at),
            expires: key.expires_at.map(when),
            expired: status == KeyStatus::Expired,
            last_used: key.last_used_at.map(when),
            revoked: key.revoked_at.map(when),
        }
    }
}

/// The lifetimes the form offers, in days (`None`: never expires).
const LIFETIMES: [(Option<u32>, &str); 5] = [
    (None, "Never"),
    (Some(30), "30 days"),
    (Some(90), "90 days"),
    (Some(365), "1 year"),
    (Some(730), "2 years"),
];

/// One choice of a select.
#[derive(Debug)]
pub struct Choice {
    pub value: String,
    pub label: &'static str,
    pub selected: bool,
}

fn scope_choices(selected: KeyScope) -> Vec<Choice> {
    [
        (KeyScope::Read, "Read — read everything, change nothing"),
        (
            KeyScope::Sync,
            "Sync — read, start syncs, confirm held runs",
        ),
        (
            KeyScope::Manage,
            "Manage — also add, change, connect and delete integrations",
        ),
    ]
    .into_iter()
    .map(|(scope, label)| Choice {
        value: scope.as_str().to_owned(),
        label,
        selected: scope == selected,
    })
    .collect()
}

fn lifetime_choices(selected: Option<u32>) -> Vec<Choice> {
    LIFETIMES
        .into_iter()
        .map(|(days, label)| Choice {
            value: days.map(|d| d.to_string()).unwrap_or_default(),
            label,
            selected: days == selected,
        })
        .collect()
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
    pub scopes: Vec<Choice>,
    pub lifetimes: Vec<Choice>,
    pub lifetime_error: Option<String>,
}

async fn page(services: &Services, signed_in: &SignedIn) -> Result<KeysPage, UiError> {
    let keys = services.api_keys.list().await?;
    let chrome = signed_in.chrome();
    Ok(KeysPage {
        csrf_token: chrome.csrf_token.clone(),
        chrome: Some(chrome),
        asset_version: ASSET_VERSION,
        // Newest first: a new key is at the top, next to where it was created.
        keys: keys
            .iter()
            .rev()
            .map(|key| KeyRow::of(key, services.api_keys.status(key)))
            .collect(),
        created: None,
        name: String::new(),
        name_error: None,
        // The narrowest scope unless the admin asks for more.
        scopes: scope_choices(KeyScope::Read),
        lifetimes: lifetime_choices(None),
        lifetime_error: None,
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
    #[serde(default)]
    scope: String,
    /// Days, or empty for never.
    #[serde(default)]
    expires_in_days: String,
}

/// The key the form asks for, created by the signed-in admin; `Err` for a form this page did
/// not send (an unknown scope, a lifetime that is not a number).
fn requested(form: &CreateForm, signed_in: &SignedIn) -> Result<NewApiKey, UiError> {
    let scope = form.scope.parse().map_err(|_| UiError::BadForm)?;
    let expires_in_days = match form.expires_in_days.trim() {
        "" => None,
        days => Some(days.parse().map_err(|_| UiError::BadForm)?),
    };
    let created_by = EmailAddress::parse(&signed_in.email)
        .map(KeyCreator::Admin)
        .unwrap_or(KeyCreator::Unrecorded);
    Ok(NewApiKey {
        name: form.name.clone(),
        scope,
        expires_in_days,
        created_by,
    })
}

/// `POST /admin/keys`: `201` with the list and the new key, shown this once (the response
/// is `no-store` like every page); a refused field → the form again with its error (`422`).
pub async fn create(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, UiError> {
    let form = form.into_inner();
    let new = requested(&form, &signed_in)?;
    let problems = ApiKeys::check(&new);
    if !problems.is_empty() {
        let mut page = KeysPage {
            name: form.name,
            scopes: scope_choices(new.scope),
            lifetimes: lifetime_choices(new.expires_in_days),
            ..page(&services, &signed_in).await?
        };
        for problem in problems {
            match problem {
                ApiKeyError::Name(problem) => page.name_error = Some(sentence(problem)),
                ApiKeyError::Lifetime(_) => page.lifetime_error = Some(sentence(problem)),
                other => return Err(other.into()),
            }
        }
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let created = services.api_keys.create(new).await?;
    tracing::info!(key = %created.key.id, scope = %created.key.scope, "API key created in the web UI");
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
