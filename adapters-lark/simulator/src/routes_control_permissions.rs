//! The app-permission part of the `/_simulator/…` control surface (see `routes_control.rs` for
//! the table): list, remove and add the app's scopes, and reset its App Secret.

use actix_web::web::{self, Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::routes_control::{bad_request, body, control, sim_error};
use super::state::SimState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/scopes", web::get().to(list))
        .route("/scopes/{scope}", web::put().to(add))
        .route("/scopes/{scope}", web::delete().to(remove))
        .route("/app_secret", web::put().to(set_secret));
}

#[derive(Serialize)]
struct Scopes {
    scopes: Vec<String>,
}

fn path_scope(req: &HttpRequest) -> String {
    req.match_info().get("scope").unwrap_or_default().to_owned()
}

async fn list(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(Scopes {
        scopes: control(state).app_scopes(),
    })
}

async fn add(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let control = control(state);
    match control.add_scope(&path_scope(&req)) {
        Ok(()) => HttpResponse::Ok().json(Scopes {
            scopes: control.app_scopes(),
        }),
        Err(err) => sim_error(&err),
    }
}

async fn remove(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let control = control(state);
    let scope = path_scope(&req);
    if control.remove_scope(&scope) {
        HttpResponse::Ok().json(Scopes {
            scopes: control.app_scopes(),
        })
    } else {
        HttpResponse::NotFound().json(serde_json::json!({
            "error": format!("the app does not have the scope {scope:?}")
        }))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretRequest {
    app_secret: String,
}

async fn set_secret(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let request: SecretRequest = match body(&bytes) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    match control(state).set_app_secret(&request.app_secret) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => sim_error(&err),
    }
}
