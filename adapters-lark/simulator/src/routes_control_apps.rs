//! The installed-apps part of the `/_simulator/…` control surface (see `routes_control.rs` for
//! the table): list, install, read, change and uninstall apps.

use actix_web::web::{self, Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::model::SimError;
use super::model_apps::{NewApp, SimApp};
use super::routes_control::{bad_request, body, control, merge_patch, sim_error};
use super::state::SimState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps", web::get().to(list))
        .route("/apps", web::post().to(add))
        .route("/apps/{app_id}", web::get().to(get))
        .route("/apps/{app_id}", web::patch().to(patch))
        .route("/apps/{app_id}", web::delete().to(remove));
}

fn path_app_id(req: &HttpRequest) -> String {
    req.match_info()
        .get("app_id")
        .unwrap_or_default()
        .to_owned()
}

async fn list(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(control(state).apps())
}

#[derive(Serialize)]
struct Created {
    app_id: String,
}

async fn add(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let spec: NewApp = match body(&bytes) {
        Ok(spec) => spec,
        Err(message) => return bad_request(message),
    };
    match control(state).add_app(spec) {
        Ok(app_id) => HttpResponse::Created().json(Created { app_id }),
        Err(err) => sim_error(&err),
    }
}

async fn get(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let app_id = path_app_id(&req);
    match control(state).app(&app_id) {
        Some(app) => HttpResponse::Ok().json(app),
        None => sim_error(&SimError::UnknownApp(app_id)),
    }
}

async fn patch(req: HttpRequest, state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let app_id = path_app_id(&req);
    let control = control(state);
    let Some(current) = control.app(&app_id) else {
        return sim_error(&SimError::UnknownApp(app_id));
    };
    let patched: SimApp = match merge_patch(&current, &bytes) {
        Ok(patched) => patched,
        Err(message) => return bad_request(message),
    };
    match control.update_app(&app_id, |a| *a = patched) {
        Ok(app) => HttpResponse::Ok().json(app),
        Err(err) => sim_error(&err),
    }
}

async fn remove(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    match control(state).remove_app(&path_app_id(&req)) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => sim_error(&err),
    }
}
