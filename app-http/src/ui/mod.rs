//! The server-rendered web UI under `/` (askama templates, one stylesheet, no JavaScript):
//! sign-in and sign-out, and the pages behind the session guard (docs/ui.md), including the
//! Lark login that connects an integration.

mod account_page;
mod accounts_export;
mod accounts_form;
mod assets;
mod browse;
mod callback_error;
mod connect;
pub(crate) mod csp;
mod department_fold;
mod departments_page;
mod doctor;
pub mod error;
mod integration_delete;
mod integration_form;
mod integration_page;
mod inventory_pages;
mod keys;
mod management;
mod origin;
mod overview;
mod pages;
mod run_page;
mod runs_page;
pub mod session;
mod signin;
mod sync;

use actix_web::{HttpResponse, Resource, ResponseError, web};

pub use error::UiError;

async fn not_found() -> HttpResponse {
    UiError::NotFound.error_response()
}

async fn method_not_allowed() -> HttpResponse {
    UiError::MethodNotAllowed.error_response()
}

/// A page at `path`; the methods it has no route for get the 405 page.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// Forms that do not parse (a field of the wrong shape) get the "unexpected form" page.
fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(16 * 1024)
        .error_handler(|_, _| UiError::BadForm.into())
}

/// Registers the UI; mount it after every other route, as its guarded scope answers the rest
/// (unknown paths: `/signin` for visitors, the 404 page for admins).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/static/aviary.css").route(web::get().to(assets::stylesheet)))
        .service(
            resource("/signin")
                .app_data(form_config())
                .wrap(actix_web::middleware::from_fn(origin::same_site_forms))
                .route(web::get().to(signin::show))
                .route(web::post().to(signin::submit)),
        )
        .service(
            web::scope("")
                .wrap(actix_web::middleware::from_fn(session::require_session))
                // Outermost: a cross-site form is refused before the session is even read.
                .wrap(actix_web::middleware::from_fn(origin::same_site_forms))
                .service(resource("/").route(web::get().to(overview::show)))
                .configure(management::routes)
                .service(
                    resource("/admin/integrations/{id}/doctor").route(web::get().to(doctor::show)),
                )
                .service(
                    resource("/admin/integrations/{id}/connect")
                        .route(web::get().to(connect::confirm))
                        .route(web::post().to(connect::start)),
                )
                .service(
                    resource("/admin/integrations/{id}/sync").route(web::post().to(sync::start)),
                )
                .service(
                    resource("/admin/runs/{run_id}/confirm").route(web::post().to(sync::confirm)),
                )
                .service(
                    resource("/admin/integrations/callback/{region}")
                        .route(web::get().to(connect::callback)),
                )
                .service(resource("/signout").route(web::post().to(signin::sign_out)))
                // The browse pages: an integration's accounts, departments, groups, apps and runs
                // (browse.rs).
                .configure(browse::routes)
                .default_service(web::to(not_found)),
        );
}
