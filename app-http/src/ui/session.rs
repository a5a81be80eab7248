//! The session cookie (`__Host-aviary_session`) and the guard in front of every page behind
//! sign-in: it authenticates the session, checks the CSRF token of every state-changing
//! request, and hands the page a [`SignedIn`].

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, ResponseError, web};
use aviary_domain::model::{SESSION_ABSOLUTE_DAYS, Session};
use secrecy::{ExposeSecret as _, SecretString};

use super::error::UiError;
use super::pages::Chrome;
use aviary_wiring::Services;

/// The session cookie's name. `__Host-` makes browsers insist on `Secure`, `Path=/` and no
/// `Domain`, so no other host or path can set or shadow it.
pub const COOKIE: &str = "__Host-aviary_session";
/// The hidden form field every state-changing request carries.
pub const CSRF_FIELD: &str = "csrf_token";
/// The most a state-changing form may send (the body is read to find the CSRF token).
const FORM_LIMIT: usize = 64 * 1024;

/// The admin a guarded page is for, and their session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub email: String,
    pub session: Session,
}

impl SignedIn {
    /// The header of every page: who is signed in, and the sign-out form's token.
    pub fn chrome(&self) -> Chrome {
        Chrome {
            email: self.email.clone(),
            csrf_token: self.session.csrf_token.as_str().to_owned(),
        }
    }
}

fn with_attributes(cookie: &mut Cookie<'_>) {
    cookie.set_path("/");
    cookie.set_http_only(true);
    // Browsers keep `Secure` cookies on http://localhost and http://127.0.0.1 too.
    cookie.set_secure(true);
    cookie.set_same_site(SameSite::Lax);
}

/// The cookie carrying a new session's token, living as long as the session can.
pub fn session_cookie(token: &SecretString) -> Cookie<'static> {
    let mut cookie = Cookie::new(COOKIE, token.expose_secret().to_owned());
    with_attributes(&mut cookie);
    cookie.set_max_age(time::Duration::days(SESSION_ABSOLUTE_DAYS));
    cookie
}

/// A cookie that makes the browser forget the session cookie.
pub fn removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::new(COOKIE, "");
    with_attributes(&mut cookie);
    cookie.make_removal();
    cookie
}

/// The session token the browser presents, if any.
pub fn presented_token(req: &HttpRequest) -> Option<SecretString> {
    req.cookie(COOKIE)
        .map(|cookie| SecretString::from(cookie.value().to_owned()))
        .filter(|token| !token.expose_secret().is_empty())
}

/// `303 See Other` to `location`.
pub fn see_other(location: &'static str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, location));
    response
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `csrf_token` field of a URL-encoded form body.
fn csrf_field(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned())
}

/// Authenticates the request and, unless its method is safe, checks its CSRF token (reading
/// the body, then putting it back for the page).
async fn admit(req: &mut ServiceRequest) -> Result<SignedIn, UiError> {
    let services = req
        .app_data::<web::Data<Services>>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("the UI is mounted without its services");
            UiError::Internal
        })?;
    let token = presented_token(req.request()).ok_or(UiError::NotSignedIn)?;
    let (admin, session) = services.sign_in.authenticate(&token).await?;
    if !is_safe(req.method()) {
        let body = req
            .extract::<web::Bytes>()
            .await
            .map_err(|_| UiError::BadForm)?;
        if body.len() > FORM_LIMIT {
            return Err(UiError::BadForm);
        }
        let submitted = csrf_field(&body).unwrap_or_default();
        services.sign_in.verify_csrf(&session, &submitted)?;
        req.set_payload(Payload::from(body));
    }
    Ok(SignedIn {
        email: admin.email.to_string(),
        session,
    })
}

/// Middleware for every page behind sign-in. Refusals: no, an unknown or an expired session →
/// `303 /signin` for GET and HEAD (clearing a stale cookie), the 401 page otherwise; a
/// state-changing request without the session's CSRF token → the 403 page.
pub async fn require_session(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match admit(&mut req).await {
        Ok(signed_in) => {
            req.extensions_mut().insert(signed_in);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(err) => {
            let stale_cookie =
                err == UiError::NotSignedIn && presented_token(req.request()).is_some();
            let mut response = match err {
                UiError::NotSignedIn if matches!(*req.method(), Method::GET | Method::HEAD) => {
                    see_other("/signin").finish()
                }
                other => other.error_response(),
            };
            if stale_cookie {
                // Best effort: the response is a refusal either way.
                let _ = response.add_cookie(&removal_cookie());
            }
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}
