//! The API's OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and
//! the views' `ToSchema` derives, and served at `GET /api/v1/openapi.json` without a key.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use super::error::Body as ErrorBody;
use super::{
    accounts, connect, departments, doctor, integrations, inventory, manage, metrics, runs, status,
    sync,
};
use crate::server;
use aviary_views::schema;

/// The whole document: every route, its parameters, bodies and answers.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Aviary",
        description = "Aviary's JSON API: the accounts, departments, user groups, installed \
            apps and sync runs of Lark and Feishu tenants, and the management of their integrations. Every route under \
            `/api/v1` needs an API key (`aviary key create`) sent as \
            `Authorization: Bearer avk_…`; this document and `/healthz` and `/readyz` do not. \
            Errors are `{\"error\": {\"code\", \"message\"}}` with a stable `code`.",
    ),
    paths(
        server::healthz,
        server::readyz,
        metrics::show,
        document,
        integrations::list,
        manage::create,
        integrations::show,
        manage::update,
        manage::remove,
        connect::start,
        status::show,
        doctor::show,
        accounts::list,
        accounts::show,
        departments::list,
        inventory::groups,
        inventory::group,
        inventory::apps,
        inventory::app,
        runs::list,
        runs::show,
        runs::confirm,
        sync::start,
    ),
    // Schemas that only query parameters name (the rest are collected from the paths).
    components(schemas(
        ErrorBody,
        schema::SortKey,
        accounts::SortOrder,
        accounts::Format,
        departments::Shape,
    )),
    modifiers(&BearerKey),
    security(("bearer" = [])),
    tags(
        (name = "integrations", description = "Registering, changing, connecting, checking \
            and removing integrations"),
        (name = "accounts", description = "The synced accounts of an integration's tenant"),
        (name = "departments", description = "The synced departments of an integration's tenant"),
        (name = "groups", description = "The synced user groups of an integration's tenant"),
        (name = "apps", description = "The apps installed in an integration's tenant"),
        (name = "runs", description = "Sync runs and the changes they recorded"),
        (name = "sync", description = "Starting a sync"),
        (name = "health", description = "Liveness, readiness and this document; no API key needed"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` scheme the document's global `security` names.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("avk_…")
                    .description(Some(
                        "An API key from `aviary key create`, as `Authorization: Bearer avk_…`",
                    ))
                    .build(),
            ),
        );
    }
}

/// What every route behind the API key can answer besides its own answers: the key refused,
/// the database not answering, an internal fault.
pub(super) struct SharedErrors;

impl IntoResponses for SharedErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            (
                "401",
                "`unauthorized`: no API key, or a malformed, unknown or revoked one \
                 (with `WWW-Authenticate: Bearer`)",
            ),
            (
                "429",
                "`rate_limited`: the key made `http.api_requests_per_minute` requests this \
                 minute; wait `Retry-After` seconds",
            ),
            (
                "500",
                "`internal_error`: e.g. stored credentials cannot be decrypted; see the server log",
            ),
            (
                "503",
                "`database_unavailable`: the database does not answer; retry later",
            ),
        ]
        .into_iter()
        .map(|(status, description)| {
            let body = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                .build();
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", body)
                .build();
            (status.to_owned(), response.into())
        })
        .collect()
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi_document",
    tag = "health",
    security(),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API", body = Object),
    )
)]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
