//! API-key authentication of every `/api/v1` route: `Authorization: Bearer avk_…` checked by
//! `ApiKeys::authenticate`. Missing, malformed, unknown, revoked and expired keys get the same
//! 401. Every route that changes something is wrapped by [`permitted`] with the operation it
//! performs: a key whose scope does not permit it gets 403 `insufficient_scope`.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, ResponseError, Route, web};
use aviary_domain::model::{ApiOperation, KeyScope};
use aviary_domain::usecases::authorize;
use aviary_domain::values::ApiKeyId;

use super::error::ApiError;
use aviary_wiring::Services;

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive), if well formed.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The API key a request was authenticated with, for handlers that record who acted
/// (`web::ReqData<Caller>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key: ApiKeyId,
    /// How records name the caller: `API key "nightly" (avk_AbCdEfGh)`.
    pub name: String,
    pub scope: KeyScope,
}

async fn authenticate(req: &ServiceRequest) -> Result<Caller, ApiError> {
    let services = req.app_data::<web::Data<Services>>().ok_or_else(|| {
        tracing::error!("the API is mounted without its services");
        ApiError::internal()
    })?;
    let token = bearer(req.headers()).ok_or_else(ApiError::unauthorized)?;
    let key = services.api_keys.authenticate(token).await?;
    services
        .api_budget
        .spend(key.id)
        .map_err(ApiError::rate_limited)?;
    Ok(Caller {
        key: key.id,
        name: format!("API key \"{}\" ({})", key.name, key.prefix),
        scope: key.scope,
    })
}

/// Middleware: answers the JSON error itself (so the outer middleware still adds its
/// headers) unless the request carries an active API key.
pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match authenticate(&req).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(err) => Ok(req
            .into_response(err.error_response())
            .map_into_right_body()),
    }
}

/// `route`, answered only for keys whose scope permits `operation` (the key was checked by
/// [`require_api_key`] around the whole API).
pub(super) fn permitted(route: Route, operation: ApiOperation) -> Route {
    route.wrap(actix_web::middleware::from_fn(
        move |req: ServiceRequest, next: Next<BoxBody>| check_scope(operation, req, next),
    ))
}

async fn check_scope(
    operation: ApiOperation,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let scope = req.extensions().get::<Caller>().map(|caller| caller.scope);
    let refusal = match scope {
        Some(scope) => authorize(scope, operation)
            .err()
            .map(ApiError::insufficient_scope),
        None => {
            tracing::error!("a scoped route is mounted outside the API key check");
            Some(ApiError::internal())
        }
    };
    match refusal {
        None => Ok(next.call(req).await?.map_into_left_body()),
        Some(err) => Ok(req
            .into_response(err.error_response())
            .map_into_right_body()),
    }
}
