//! `GET /signin`, `POST /signin` (throttled per client) and `POST /signout`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use aviary_domain::model::{MAX_FAILED_SIGN_INS, SIGN_IN_LOCK_MINUTES};
use aviary_domain::usecases::SignInError;
use secrecy::SecretString;
use serde::Deserialize;

use super::error::UiError;
use super::pages::{ASSET_VERSION, SignInPage, render};
use super::session::{presented_token, removal_cookie, see_other, session_cookie};
use aviary_wiring::Services;

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: SecretString,
}

fn form(email: String, error: Option<String>) -> SignInPage {
    SignInPage {
        chrome: None,
        asset_version: ASSET_VERSION,
        email,
        error,
    }
}

/// The one answer to an unknown email, a wrong password and a locked account.
fn invalid_credentials() -> String {
    format!(
        "Wrong email or password. After {MAX_FAILED_SIGN_INS} failed attempts in a row an account \
         is locked for {SIGN_IN_LOCK_MINUTES} minutes."
    )
}

pub async fn show() -> Result<HttpResponse, UiError> {
    render(StatusCode::OK, &form(String::new(), None))
}

pub async fn submit(
    req: HttpRequest,
    services: web::Data<Services>,
    form_data: web::Form<SignInForm>,
) -> Result<HttpResponse, UiError> {
    let SignInForm { email, password } = form_data.into_inner();
    // A new sign-in never continues a session the browser still holds.
    let presented = presented_token(&req);
    if let Some(token) = &presented {
        services.sign_in.sign_out(token).await?;
    }
    let client = req.peer_addr().map(|addr| addr.ip());
    match services
        .sign_in
        .sign_in_from(client, &email, &password)
        .await
    {
        Ok((_session, token)) => Ok(see_other("/").cookie(session_cookie(&token)).finish()),
        Err(SignInError::InvalidCredentials) => {
            let mut response = render(
                StatusCode::UNAUTHORIZED,
                &form(email, Some(invalid_credentials())),
            )?;
            if presented.is_some() {
                // Best effort: the failed attempt is answered either way.
                let _ = response.add_cookie(&removal_cookie());
            }
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

/// Reached only through the guard, which has checked the session and its CSRF token.
pub async fn sign_out(
    req: HttpRequest,
    services: web::Data<Services>,
) -> Result<HttpResponse, UiError> {
    if let Some(token) = presented_token(&req) {
        services.sign_in.sign_out(&token).await?;
    }
    Ok(see_other("/signin").cookie(removal_cookie()).finish())
}
