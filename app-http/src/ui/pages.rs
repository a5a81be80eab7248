//! The page templates (askama, compiled in and HTML-escaped; sources in `app-http/templates/`)
//! and the one function that turns a template into a response.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::error::UiError;
use super::overview::IntegrationRow;

/// Appended to the stylesheet's URL so that a new release is fetched despite the long cache.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The signed-in admin, shown in the header with the sign-out form.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub email: String,
    pub csrf_token: String,
}

#[derive(Debug, Template)]
#[template(path = "signin.html")]
pub struct SignInPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    /// What was typed, kept on a failed attempt; the password never is.
    pub email: String,
    pub error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    /// For the "Connect with Lark" forms.
    pub csrf_token: String,
    pub rows: Vec<IntegrationRow>,
}

#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub title: &'static str,
    pub message: String,
    pub next_href: &'static str,
    pub next_label: &'static str,
}

/// An HTML response with `status` rendering `page`.
///
/// # Errors
/// `Internal` when the template fails to render (logged).
pub fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, UiError> {
    let html = page.render().map_err(|err| {
        tracing::error!(error = %err, "a page failed to render");
        UiError::Internal
    })?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}
