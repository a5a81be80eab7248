//! Forms are accepted only from Aviary's own pages. A `POST` whose `Sec-Fetch-Site` says it came
//! from another site, or whose `Origin` names another host than the one it was sent to (or the
//! configured public URL), is refused with the 403 page before anything reads it. This covers
//! `POST /signin`, which has no session (and so no CSRF token) yet: without it, another site
//! could sign a visitor's browser into an account of its choosing. Requests without either
//! header (not sent by a browser) are let through; the CSRF tokens still guard every other form.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HOST, HeaderMap, ORIGIN};
use actix_web::middleware::Next;
use actix_web::{ResponseError as _, web};

use super::error::UiError;
use aviary_wiring::Services;

/// Whether a state-changing request's headers show it was sent from another site. `public` is
/// Aviary's public base URL.
fn cross_site(headers: &HeaderMap, public: &str) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        // `none`: typed in or a bookmark; `same-origin`: an Aviary page.
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = text(ORIGIN.as_str()) else {
        return false;
    };
    let authority = |url: &str| {
        url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .and_then(|u| {
                u.host_str().map(|host| match u.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                })
            })
            .map(|a| a.to_ascii_lowercase())
    };
    let Some(from) = authority(origin) else {
        return true; // `null` or garbage: an opaque or forged origin.
    };
    let host = text(HOST.as_str()).map(str::to_ascii_lowercase);
    host.as_deref() != Some(from.as_str()) && authority(public).as_deref() != Some(from.as_str())
}

/// Middleware in front of every page: refuses cross-site state-changing requests.
pub async fn same_site_forms(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let public = req
        .app_data::<web::Data<Services>>()
        .map(|services| services.settings.http.public_base_url())
        .unwrap_or_default();
    if changes && cross_site(req.headers(), &public) {
        tracing::warn!(path = req.path(), "refused a form sent from another site");
        let response = UiError::CrossSite.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    const PUBLIC: &str = "https://aviary.example.com";

    #[test]
    fn forms_from_aviarys_own_pages_or_without_browser_headers_pass() {
        for pairs in [
            &[][..],
            &[("sec-fetch-site", "same-origin")],
            &[("sec-fetch-site", "none")],
            &[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080"),
            ],
            &[
                ("origin", "https://aviary.example.com"),
                ("host", "10.0.0.5:8080"),
            ],
            &[("origin", "https://AVIARY.example.com")],
        ] {
            assert!(!cross_site(&headers(pairs), PUBLIC), "{pairs:?}");
        }
    }

    #[test]
    fn forms_from_other_sites_or_opaque_origins_are_refused() {
        for pairs in [
            &[("sec-fetch-site", "cross-site")][..],
            &[("sec-fetch-site", "same-site")],
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://aviary.example.com"),
            ],
            &[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:8080"),
            ],
            &[
                ("origin", "http://127.0.0.1:8081"),
                ("host", "127.0.0.1:8080"),
            ],
            &[("origin", "null"), ("host", "127.0.0.1:8080")],
        ] {
            assert!(cross_site(&headers(pairs), PUBLIC), "{pairs:?}");
        }
    }
}
