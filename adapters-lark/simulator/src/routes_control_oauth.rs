//! The user-OAuth part of the `/_simulator/…` control surface (see `routes_control.rs` for the
//! table): OAuth settings, extra OAuth clients, revoking a user's grant.

use actix_web::web::{self, Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::oauth_settings::ConsentMode;
use super::routes_control::{bad_request, body, control, path_open_id, sim_error};
use super::state::SimState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth", web::get().to(get_settings))
        .route("/oauth", web::patch().to(patch_settings))
        .route("/oauth/clients", web::post().to(add_client))
        .route("/oauth/grants/{open_id}", web::delete().to(revoke_grant));
}

async fn get_settings(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(control(state).oauth_settings())
}

/// Fields `PATCH oauth` may change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SettingsPatch {
    consent: Option<ConsentMode>,
    redirect_urls: Option<Vec<String>>,
    enabled_scopes: Option<Vec<String>>,
    refresh_enabled: Option<bool>,
}

async fn patch_settings(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let patch: SettingsPatch = match body(&bytes) {
        Ok(patch) => patch,
        Err(message) => return bad_request(message),
    };
    let control = control(state);
    // Validate both lists before changing anything.
    let before = control.oauth_settings();
    if let Some(urls) = patch.redirect_urls
        && let Err(err) = control.set_redirect_urls(urls)
    {
        return sim_error(&err);
    }
    if let Some(scopes) = patch.enabled_scopes
        && let Err(err) = control.set_enabled_scopes(scopes)
    {
        // Undo the redirect URLs so a refused request changes nothing.
        let _ = control.set_redirect_urls(before.redirect_urls);
        return sim_error(&err);
    }
    if let Some(mode) = patch.consent {
        control.set_consent_mode(mode);
    }
    if let Some(enabled) = patch.refresh_enabled {
        control.set_refresh_enabled(enabled);
    }
    HttpResponse::Ok().json(control.oauth_settings())
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Client {
    client_id: String,
    #[serde(skip_serializing)]
    client_secret: String,
}

async fn add_client(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let client: Client = match body(&bytes) {
        Ok(client) => client,
        Err(message) => return bad_request(message),
    };
    match control(state).add_oauth_client(&client.client_id, &client.client_secret) {
        Ok(()) => HttpResponse::Created().json(client),
        Err(err) => sim_error(&err),
    }
}

async fn revoke_grant(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    match control(state).revoke_user_grant(&path_open_id(&req)) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => sim_error(&err),
    }
}
