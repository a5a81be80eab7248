//! The routes of the management pages (adding, editing and deleting integrations; API keys),
//! registered into the guarded scope by `ui::configure` — before
//! `/admin/integrations/{id}/…`, so that `/admin/integrations/new` is matched as itself.

use actix_web::web;

use super::integration_form::form_config;
use super::{integration_delete, integration_form, keys, method_not_allowed};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/integrations/new")
            .route(web::get().to(integration_form::new_form))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/integrations")
            .app_data(form_config())
            .route(web::post().to(integration_form::create))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/integrations/{id}/edit")
            .app_data(form_config())
            .route(web::get().to(integration_form::edit_form))
            .route(web::post().to(integration_form::update))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/integrations/{id}/delete")
            .route(web::get().to(integration_delete::confirm))
            .route(web::post().to(integration_delete::delete))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/keys")
            .app_data(form_config())
            .route(web::get().to(keys::list))
            .route(web::post().to(keys::create))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/keys/{id}/revoke")
            .route(web::post().to(keys::revoke))
            .default_service(web::to(method_not_allowed)),
    );
}
