//! The user-group part of the `/_simulator/…` control surface (see `routes_control.rs` for the
//! table): list, add, read, change and delete groups, and replace a group's members.

use actix_web::web::{self, Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::SimError;
use super::model_groups::{NewGroup, SimGroup};
use super::routes_control::{bad_request, body, control, merge_patch, sim_error};
use super::state::SimState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/groups", web::get().to(list))
        .route("/groups", web::post().to(add))
        .route("/groups/{id}", web::get().to(get))
        .route("/groups/{id}", web::patch().to(patch))
        .route("/groups/{id}", web::delete().to(delete))
        .route("/groups/{id}/members", web::put().to(set_members));
}

fn path_id(req: &HttpRequest) -> String {
    req.match_info().get("id").unwrap_or_default().to_owned()
}

async fn list(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(control(state).groups())
}

#[derive(Serialize)]
struct Created {
    id: String,
    group_id: String,
}

async fn add(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let spec: NewGroup = match body(&bytes) {
        Ok(spec) => spec,
        Err(message) => return bad_request(message),
    };
    let control = control(state);
    match control.add_group(spec) {
        Ok(id) => {
            let group_id = control.group(&id).map(|g| g.group_id).unwrap_or_default();
            HttpResponse::Created().json(Created { id, group_id })
        }
        Err(err) => sim_error(&err),
    }
}

async fn get(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let id = path_id(&req);
    match control(state).group(&id) {
        Some(group) => HttpResponse::Ok().json(group),
        None => sim_error(&SimError::UnknownGroup(id)),
    }
}

async fn patch(req: HttpRequest, state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let id = path_id(&req);
    let control = control(state);
    let Some(current) = control.group(&id) else {
        return sim_error(&SimError::UnknownGroup(id));
    };
    let patched: SimGroup = match merge_patch(&current, &bytes) {
        Ok(patched) => patched,
        Err(message) => return bad_request(message),
    };
    match control.update_group(&id, |g| *g = patched) {
        Ok(group) => HttpResponse::Ok().json(group),
        Err(err) => sim_error(&err),
    }
}

async fn delete(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    match control(state).delete_group(&path_id(&req)) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => sim_error(&err),
    }
}

/// `PUT groups/{id}/members`; an absent list stays as it is.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Members {
    user_ids: Option<Vec<String>>,
    department_ids: Option<Vec<String>>,
}

async fn set_members(req: HttpRequest, state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let members: Members = match body(&bytes) {
        Ok(members) => members,
        Err(message) => return bad_request(message),
    };
    let result = control(state).update_group(&path_id(&req), |g| {
        if let Some(users) = members.user_ids {
            g.member_user_ids = users;
        }
        if let Some(departments) = members.department_ids {
            g.member_department_ids = departments;
        }
    });
    match result {
        Ok(group) => HttpResponse::Ok().json(group),
        Err(err) => sim_error(&err),
    }
}
