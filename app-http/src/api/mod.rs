//! The JSON API under `/api/v1`: read-only routes, authenticated by API key only
//! (`Authorization: Bearer avk_…`). Every error has one shape (see [`error::ApiError`]).

mod accounts;
mod auth;
mod departments;
pub mod error;
mod integrations;
mod params;
mod runs;

use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, ResponseError, web};

pub use error::ApiError;

/// A route answering GET only; any other method gets the JSON 405.
fn get<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler))
        .default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> HttpResponse {
    ApiError::method_not_allowed().error_response()
}

async fn route_not_found() -> HttpResponse {
    ApiError::route_not_found().error_response()
}

/// `{"items": [...]}`: the envelope of every list.
#[derive(Debug, serde::Serialize)]
struct Items<T> {
    items: Vec<T>,
}

/// Registers `/api/v1/…` (behind the API key) and a JSON 404 for anything else under `/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(auth::require_api_key))
            .service(get("/integrations", integrations::list))
            .service(get("/integrations/{integration}", integrations::show))
            .service(get("/integrations/{integration}/accounts", accounts::list))
            .service(get(
                "/integrations/{integration}/accounts/{open_id}",
                accounts::show,
            ))
            .service(get(
                "/integrations/{integration}/departments",
                departments::list,
            ))
            .service(get("/integrations/{integration}/runs", runs::list))
            .service(get("/runs/{run_id}", runs::show))
            .default_service(web::to(route_not_found)),
    )
    .service(web::scope("/api").default_service(web::to(route_not_found)));
}

/// Extractor settings: malformed paths and query strings answer the JSON 400.
pub fn extractor_config() -> (web::PathConfig, web::QueryConfig) {
    (
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::invalid_parameter("path", err).into()),
        web::QueryConfig::default()
            .error_handler(|err, _| ApiError::invalid_parameter("query", err).into()),
    )
}
