//! Connecting an integration with the admin's Lark login: `GET /admin/integrations/{id}/connect`
//! asks the signed-in admin to confirm (the page the JSON API hands out), `POST` to the same path
//! (CSRF-checked by the guard) starts the login bound to this session and sends the browser to
//! Lark's authorize page, and
//! `GET /admin/integrations/callback/{lark|feishu}` completes the login, starts the first sync
//! in the background and returns to the overview. Refusals are pages from `callback_error.rs`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use aviary_domain::model::{Region, RunTrigger};
use aviary_domain::usecases::connect::{Callback, LoginOptions};
use aviary_domain::values::IntegrationId;

use super::callback_error::refusal;
use super::error::UiError;
use super::integration_form::integration_of;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::{SignedIn, see_other};
use aviary_wiring::Services;

/// Binds a login to the browser session that started it: the session id is the SHA-256 of
/// the cookie's token, so it is stable and not a secret (the token itself never is used).
fn started_by(signed_in: &SignedIn) -> &str {
    signed_in.session.id.as_str()
}

/// The connect form's "Keep the sign-in renewable" box (`offline_access=true`); the session
/// guard has already checked the form's CSRF token and bounded its size.
fn options(form: &[u8]) -> LoginOptions {
    LoginOptions {
        offline_access: url::form_urlencoded::parse(form)
            .any(|(name, value)| name == "offline_access" && value == "true"),
    }
}

#[derive(Debug, Template)]
#[template(path = "connect_confirm.html")]
pub struct ConfirmPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub csrf_token: String,
    pub id: String,
    pub label: String,
    pub tenant: Option<String>,
    /// The renewable box starts ticked (`?offline_access=true`).
    pub renewable: bool,
}

/// `GET /admin/integrations/{id}/connect[?offline_access=true]`: asks the signed-in admin to
/// confirm; nothing is started until they do.
pub async fn confirm(
    req: HttpRequest,
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = integration_of(&services, &id).await?;
    let chrome = signed_in.chrome();
    render(
        StatusCode::OK,
        &ConfirmPage {
            csrf_token: chrome.csrf_token.clone(),
            chrome: Some(chrome),
            asset_version: ASSET_VERSION,
            id: integration.id.to_string(),
            label: integration.label.to_string(),
            tenant: integration.summary.tenant.map(|t| t.name),
            renewable: options(req.query_string().as_bytes()).offline_access,
        },
    )
}

/// `POST /admin/integrations/{id}/connect`: 303 to Lark's authorize page.
pub async fn start(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    id: web::Path<String>,
    form: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let id: IntegrationId = id.parse().map_err(|_| UiError::NotFound)?;
    let url = services
        .connect
        .start(id, started_by(&signed_in), options(&form))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url))
        .finish())
}

/// The callback's query parameters; anything malformed is simply absent.
fn callback_of(region: Region, query: &str) -> Callback {
    let mut callback = Callback {
        region: Some(region),
        ..Callback::default()
    };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "state" => &mut callback.state,
            "code" => &mut callback.code,
            "error" => &mut callback.error,
            _ => continue,
        };
        // A repeated parameter is suspicious: keep none of it.
        *slot = if slot.is_some() {
            Some(String::new())
        } else {
            Some(value.into_owned())
        };
    }
    callback
}

/// Starts the first sync of a newly connected integration in the background; the overview
/// then shows it running. A sync that cannot start is logged: the login itself succeeded.
async fn start_first_sync(services: &Services, integration: IntegrationId) {
    if let Err(err) = services.runner.start(integration, RunTrigger::Manual).await {
        tracing::warn!(%integration, error = %err, "first sync after connecting not started");
    }
}

/// `GET /admin/integrations/callback/{lark|feishu}`: completes the login (303 to `/`), or
/// explains in plain words why nothing was connected.
pub async fn callback(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    region: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, UiError> {
    let region = match region.as_str() {
        "lark" => Region::Lark,
        "feishu" => Region::Feishu,
        _ => return Err(UiError::NotFound),
    };
    let callback = callback_of(region, req.query_string());
    match services
        .connect
        .complete(&callback, started_by(&signed_in))
        .await
    {
        Ok(connected) => {
            tracing::info!(
                integration = %connected.integration_id,
                tenant = %connected.tenant.name,
                "integration connected"
            );
            start_first_sync(&services, connected.integration_id).await;
            Ok(no_store(see_other("/").finish()))
        }
        Err(err) => Ok(no_store(refusal(err)?)),
    }
}

/// The callback's answers are never cached, and never leak its URL (code, state) onwards.
fn no_store(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    response
}
