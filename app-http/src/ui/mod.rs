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
mod csp;
mod departments_page;
mod doctor;
pub mod error;
mod integration_delete;
mod integration_form;
mod integration_page;
mod keys;
mod management;
mod overview;
mod pages;
mod run_page;
mod runs_page;
pub mod session;
mod signin;
mod sync;
pub mod throttle;

use actix_web::{HttpResponse, ResponseError, web};

pub use error::UiError;

async fn not_found() -> HttpResponse {
    UiError::NotFound.error_response()
}

async fn method_not_allowed() -> HttpResponse {
    UiError::MethodNotAllowed.error_response()
}

/// Registers the UI; mount it after every other route, as its guarded scope answers the rest
/// (unknown paths: `/signin` for visitors, the 404 page for admins).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let form_config = web::FormConfig::default()
        .limit(16 * 1024)
        .error_handler(|_, _| UiError::BadForm.into());
    cfg.service(
        web::resource("/static/aviary.css")
            .route(web::get().to(assets::stylesheet))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/signin")
            .app_data(form_config)
            .route(web::get().to(signin::show))
            .route(web::post().to(signin::submit))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::scope("")
            .wrap(actix_web::middleware::from_fn(session::require_session))
            .service(
                web::resource("/")
                    .route(web::get().to(overview::show))
                    .default_service(web::to(method_not_allowed)),
            )
            .configure(management::routes)
            .service(
                web::resource("/admin/integrations/{id}/doctor")
                    .route(web::get().to(doctor::show))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/admin/integrations/{id}/connect")
                    .route(web::post().to(connect::start))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/admin/integrations/{id}/sync")
                    .route(web::post().to(sync::start))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/admin/integrations/callback/{region}")
                    .route(web::get().to(connect::callback))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/signout")
                    .route(web::post().to(signin::sign_out))
                    .default_service(web::to(method_not_allowed)),
            )
            // The browse pages: an integration's accounts, departments and runs (browse.rs).
            .configure(browse::routes)
            .default_service(web::to(not_found)),
    );
}
