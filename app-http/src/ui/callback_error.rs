//! The one place every refused Lark callback ([`CallbackError`]) becomes a page: its status
//! and plain words, matched by name without wildcard arms, so a new refusal does not compile
//! until it has a page. Nothing was stored in any of these cases.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use aviary_domain::model::Region;
use aviary_domain::ports::OAuthError;
use aviary_domain::usecases::connect::CallbackError;

use super::error::UiError;
use super::pages::{ASSET_VERSION, ErrorPage, render};

const AGAIN: &str = "Nothing was connected. Go back to the integrations and press \u{201c}Connect \
                     with Lark\u{201d} again.";

fn brand(region: Region) -> &'static str {
    match region {
        Region::Lark => "Lark",
        Region::Feishu => "Feishu",
    }
}

/// Status, title and message for a refused callback (details of Lark and store failures are
/// logged here, not shown).
fn words(err: &CallbackError) -> (StatusCode, &'static str, String) {
    let bad = |title, message: String| (StatusCode::BAD_REQUEST, title, message);
    match err {
        CallbackError::InvalidState => bad(
            "This sign-in link is not valid",
            format!("The link from Lark is unknown or was already used. {AGAIN}"),
        ),
        CallbackError::ExpiredState => bad(
            "This sign-in took too long",
            format!("A Lark sign-in must be finished within 10 minutes. {AGAIN}"),
        ),
        CallbackError::ForeignSession => bad(
            "This sign-in belongs to another session",
            format!(
                "The Lark sign-in was started from another browser or before you signed in \
                 again. {AGAIN}"
            ),
        ),
        CallbackError::WrongRegion { expected, got } => bad(
            "This sign-in came back the wrong way",
            format!(
                "The sign-in came back to the {} callback address, but the integration is on \
                 {}. Check the Redirect URL registered in the developer console. {AGAIN}",
                brand(*got),
                brand(*expected)
            ),
        ),
        CallbackError::Denied => bad(
            "The sign-in was declined",
            format!("The authorisation was declined on Lark's page. {AGAIN}"),
        ),
        CallbackError::Lark(code) => {
            tracing::warn!(%code, "Lark returned an error to the callback");
            bad(
                "Lark reported an error",
                format!("Lark returned an error instead of a sign-in ({code}). {AGAIN}"),
            )
        }
        CallbackError::MissingCode => bad(
            "The sign-in is incomplete",
            format!("Lark's answer carried no authorisation code. {AGAIN}"),
        ),
        CallbackError::UnknownIntegration(id) => {
            tracing::warn!(integration = %id, "callback for a removed integration");
            bad(
                "The integration no longer exists",
                "The integration this sign-in was for has been removed. Nothing was connected."
                    .to_owned(),
            )
        }
        CallbackError::OAuth(oauth) => oauth_words(oauth),
        CallbackError::Tenant(detail) => {
            tracing::error!(error = %detail, "cannot read the tenant after a sign-in");
            (
                StatusCode::BAD_GATEWAY,
                "Cannot read the tenant from Lark",
                format!(
                    "Lark did not let the app read its tenant with the app's credentials. Check \
                     the app's permissions in the developer console. {AGAIN}"
                ),
            )
        }
        CallbackError::TenantMismatch => bad(
            "Signed in to another tenant",
            format!(
                "The Lark user who signed in belongs to another tenant than this integration's \
                 app. Sign in with an account of the app's tenant. {AGAIN}"
            ),
        ),
        // The fault's one mapping (it logs the cause) decides between the two pages.
        CallbackError::Store(store) => match super::error::UiError::from(store.clone()) {
            super::error::UiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Aviary is unavailable",
                format!("The database does not answer right now. {AGAIN}"),
            ),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                format!(
                    "Aviary could not store the sign-in; the server log has the details. {AGAIN}"
                ),
            ),
        },
    }
}

fn oauth_words(err: &OAuthError) -> (StatusCode, &'static str, String) {
    tracing::warn!(error = %err, "Lark refused the sign-in code exchange");
    let gateway = |title, message: String| (StatusCode::BAD_GATEWAY, title, message);
    match err {
        OAuthError::InvalidCode { .. } => (
            StatusCode::BAD_REQUEST,
            "Lark refused the sign-in",
            format!("The sign-in code is unknown, expired or already used. {AGAIN}"),
        ),
        OAuthError::UserNotAllowed { .. } => (
            StatusCode::BAD_REQUEST,
            "This Lark user may not use the app",
            format!(
                "Lark does not let the user who signed in use this app. Check the app's \
                 availability in the developer console. {AGAIN}"
            ),
        ),
        OAuthError::InvalidClient { .. } => gateway(
            "Lark rejected the app",
            format!("Lark rejected the app's ID or secret. Check the integration. {AGAIN}"),
        ),
        OAuthError::Unavailable { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Lark is unavailable",
            format!("Lark did not answer. Try again in a moment. {AGAIN}"),
        ),
        OAuthError::BaseUrlRefused(refusal) => (
            StatusCode::BAD_REQUEST,
            "Aviary will not contact this address",
            format!("Nothing was sent: {refusal}."),
        ),
        OAuthError::RefreshRejected { .. }
        | OAuthError::RefreshDisabled { .. }
        | OAuthError::AccessTokenRejected { .. }
        | OAuthError::Other { .. } => gateway(
            "Lark refused the sign-in",
            format!("Lark answered with an error; the server log has the details. {AGAIN}"),
        ),
    }
}

/// The page for a refused callback, with a link back to the integrations.
///
/// # Errors
/// `Internal` when the page fails to render.
pub fn refusal(err: CallbackError) -> Result<HttpResponse, UiError> {
    let (status, title, message) = words(&err);
    render(
        status,
        &ErrorPage {
            chrome: None,
            asset_version: ASSET_VERSION,
            title,
            message,
            next_href: "/",
            next_label: "Back to the integrations",
        },
    )
}
