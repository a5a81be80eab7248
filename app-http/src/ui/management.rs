//! The routes of the management pages (adding, editing and deleting integrations; API keys),
//! registered into the guarded scope by `ui::configure` — before
//! `/admin/integrations/{id}/…`, so that `/admin/integrations/new` is matched as itself.

use actix_web::web;

use super::{form_config, integration_delete, integration_form, keys, resource};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/admin/integrations/new").route(web::get().to(integration_form::new_form)),
    )
    .service(
        resource("/admin/integrations")
            .app_data(form_config())
            .route(web::post().to(integration_form::create)),
    )
    .service(
        resource("/admin/integrations/{id}/edit")
            .app_data(form_config())
            .route(web::get().to(integration_form::edit_form))
            .route(web::post().to(integration_form::update)),
    )
    .service(
        resource("/admin/integrations/{id}/delete")
            .route(web::get().to(integration_delete::confirm))
            .route(web::post().to(integration_delete::delete)),
    )
    .service(
        resource("/admin/keys")
            .app_data(form_config())
            .route(web::get().to(keys::list))
            .route(web::post().to(keys::create)),
    )
    .service(resource("/admin/keys/{id}/revoke").route(web::post().to(keys::revoke)));
}
