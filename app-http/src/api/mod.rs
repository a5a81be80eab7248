//! The JSON API under `/api/v1`: read routes and integration management, authenticated by API
//! key only (`Authorization: Bearer avk_…`). Every error has one shape (see
//! [`error::ApiError`]). Its OpenAPI document (`openapi.rs`) is served without a key.

mod accounts;
mod auth;
mod body_problem;
mod connect;
mod departments;
mod doctor;
pub mod error;
mod integrations;
mod inventory;
mod manage;
mod metrics;
mod object_body;
mod openapi;
mod params;
mod runs;
mod status;
mod sync;

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{
    FromRequest, Handler, HttpResponse, Resource, Responder, ResponseError, Route, web,
};

pub use error::ApiError;

use auth::permitted;
use aviary_domain::model::ApiOperation as Op;

/// A path answering the methods of `routes` only; any other method gets the JSON 405 with an
/// `Allow` header listing them (RFC 9110).
fn resource(path: &str, routes: impl IntoIterator<Item = (Method, Route)>) -> Resource {
    let mut allowed = Vec::new();
    let mut resource = web::resource(path);
    for (method, route) in routes {
        allowed.push(method.to_string());
        resource = resource.route(route);
    }
    let allow = allowed.join(", ");
    resource.default_service(web::to(move || {
        let allow = allow.clone();
        async move { method_not_allowed(&allow) }
    }))
}

/// A route answering GET only; any other method gets the JSON 405.
pub(crate) fn get<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    resource(path, [(Method::GET, web::get().to(handler))])
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = ApiError::method_not_allowed().error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

async fn route_not_found() -> HttpResponse {
    ApiError::route_not_found().error_response()
}

/// `{"items": [...]}`: the envelope of every list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Items<T> {
    items: Vec<T>,
}

/// `/metrics`, for any API key.
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/metrics")
            .wrap(actix_web::middleware::from_fn(auth::require_api_key))
            .service(get("", metrics::show)),
    );
}

/// Registers `/api/v1/…` (behind the API key, except the OpenAPI document: matched first, it
/// holds no secret and clients need it to be built) and a JSON 404 for anything else under
/// `/api`. Reading needs any valid key; every route that changes something names its
/// operation, whose scope the key must have.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get("/api/v1/openapi.json", openapi::document));
    configure_metrics(cfg);
    cfg.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(auth::require_api_key))
            .app_data(json_config())
            .service(resource(
                "/integrations",
                [
                    (Method::GET, web::get().to(integrations::list)),
                    (
                        Method::POST,
                        permitted(web::post().to(manage::create), Op::Register),
                    ),
                ],
            ))
            .service(resource(
                "/integrations/{integration}",
                [
                    (Method::GET, web::get().to(integrations::show)),
                    (
                        Method::PATCH,
                        permitted(web::patch().to(manage::update), Op::Change),
                    ),
                    (
                        Method::DELETE,
                        permitted(web::delete().to(manage::remove), Op::Remove),
                    ),
                ],
            ))
            .service(resource(
                "/integrations/{integration}/connect",
                [(
                    Method::POST,
                    permitted(web::post().to(connect::start), Op::Connect),
                )],
            ))
            .service(get("/integrations/{integration}/status", status::show))
            .service(get("/integrations/{integration}/doctor", doctor::show))
            .service(get("/integrations/{integration}/accounts", accounts::list))
            .service(get(
                "/integrations/{integration}/accounts/{open_id}",
                accounts::show,
            ))
            .service(get(
                "/integrations/{integration}/departments",
                departments::list,
            ))
            .service(get("/integrations/{integration}/groups", inventory::groups))
            .service(get(
                "/integrations/{integration}/groups/{group}",
                inventory::group,
            ))
            .service(get("/integrations/{integration}/apps", inventory::apps))
            .service(get(
                "/integrations/{integration}/apps/{app_id}",
                inventory::app,
            ))
            .service(get("/integrations/{integration}/runs", runs::list))
            .service(resource(
                "/integrations/{integration}/sync",
                [(
                    Method::POST,
                    permitted(web::post().to(sync::start), Op::StartSync),
                )],
            ))
            .service(get("/runs/{run_id}", runs::show))
            .service(resource(
                "/runs/{run_id}/confirm",
                [(
                    Method::POST,
                    permitted(web::post().to(runs::confirm), Op::ConfirmRun),
                )],
            ))
            .default_service(web::to(route_not_found)),
    )
    .service(web::scope("/api").default_service(web::to(route_not_found)));
}

/// JSON bodies (the write routes): at most 64 KiB; anything that is not the JSON a route
/// takes answers the JSON 400 `invalid_body`.
fn json_config() -> web::JsonConfig {
    use actix_web::error::JsonPayloadError;
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| {
            let problem = match &err {
                JsonPayloadError::ContentType => {
                    "send it as JSON with `Content-Type: application/json`".to_owned()
                }
                JsonPayloadError::Deserialize(serde) => body_problem::describe(serde),
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => "larger than 64 KiB".to_owned(),
                // `JsonPayloadError` is non-exhaustive: the rest are transport failures.
                _ => "the body could not be read".to_owned(),
            };
            ApiError::invalid_body(problem).into()
        })
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
