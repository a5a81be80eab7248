//! The `/_simulator/…` control surface (JSON) for people running the simulator from the CLI:
//! inspect and change the tenant, flip fault switches, read stats. Not part of Lark's API, needs
//! no token and is not counted in the stats.
//!
//! | method + path | body | answer |
//! |---|---|---|
//! | `GET stats` / `DELETE stats` | | stats / 204 (reset) |
//! | `GET users` | | every user, resigned included |
//! | `POST users` | [`NewUser`] | 201 `{"open_id": …}` |
//! | `GET users/{open_id}` | | the user |
//! | `PATCH users/{open_id}` | partial user (see `UserPatch`) | the updated user |
//! | `POST users/{open_id}/resign` | | the resigned user |
//! | `DELETE users/{open_id}` | | 204 |
//! | `GET departments` | | every department |
//! | `GET scope` / `PUT scope` | `{"department_ids": [...], "group_ids": [...]}` (group `id`s or custom `group_id`s; both absent or `null` = all members, `[]` and `[]` = nobody) | the scope, groups by `id` |
//! | `GET groups` | | every user group |
//! | `POST groups` | [`NewGroup`](super::NewGroup) | 201 `{"id": …, "group_id": …}` |
//! | `GET groups/{id}` | | the group (`id` or custom `group_id`) |
//! | `PATCH groups/{id}` | top-level fields of the group to replace | the updated group |
//! | `PUT groups/{id}/members` | `{"user_ids": [...], "department_ids": [...]}` (open ids; absent = unchanged) | the updated group |
//! | `DELETE groups/{id}` | | 204 |
//! | `GET apps` | | every installed app |
//! | `POST apps` | [`NewApp`](super::NewApp) | 201 `{"app_id": …}` |
//! | `GET apps/{app_id}` | | the app |
//! | `PATCH apps/{app_id}` | top-level fields of the app to replace | the updated app |
//! | `DELETE apps/{app_id}` | | 204 (uninstalled; 400 for the simulator's own app) |
//! | `GET faults` / `POST faults` | `{"rate_limit_next":n,"rate_limit_status":429,"fail_next":n,"status":500,"fail_always":503,"malformed_next":n,"expire_tokens":true,"expire_user_tokens":true,"oauth_fail_next":n,"oauth_fail_status":503,"delay_ms":n,"rate_limits":false,"advance_token_clock_secs":n,"clear":true}` | the fault settings |
//! | `GET oauth` / `PATCH oauth` | `{"consent":"page"\|"approve"\|"deny","redirect_urls":[...],"enabled_scopes":[...],"refresh_enabled":bool}` (absent = unchanged) | the OAuth settings |
//! | `POST oauth/clients` | `{"client_id":…,"client_secret":…}` | 201 `{"client_id": …}` |
//! | `DELETE oauth/grants/{open_id}` | | 204 (the user's grant revoked) |
//! | `GET scopes` | | `{"scopes": [...]}`: the app's permissions |
//! | `DELETE scopes/{scope}` / `PUT scopes/{scope}` | | `{"scopes": [...]}`; 404 when removing a scope the app lacks |
//! | `PUT app_secret` | `{"app_secret": …}` | 204 (the old secret answers 10014) |
//!
//! Errors: `{"error": "..."}` with 404 (unknown user/department/group/app), 409 (department not
//! empty) or 400 (anything else invalid).

use std::time::Duration;

use actix_web::web::{self, Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::control::TenantControl;
use super::faults::FaultSettings;
use super::model::{NewUser, SimError, SimUser};
use super::state::SimState;
use super::{
    routes_control_apps, routes_control_groups, routes_control_oauth, routes_control_permissions,
};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_simulator")
            .route("/stats", web::get().to(stats))
            .route("/stats", web::delete().to(reset_stats))
            .route("/users", web::get().to(list_users))
            .route("/users", web::post().to(add_user))
            .route("/users/{open_id}", web::get().to(get_user))
            .route("/users/{open_id}", web::patch().to(patch_user))
            .route("/users/{open_id}", web::delete().to(delete_user))
            .route("/users/{open_id}/resign", web::post().to(resign_user))
            .route("/departments", web::get().to(list_departments))
            .route("/scope", web::get().to(get_scope))
            .route("/scope", web::put().to(put_scope))
            .route("/faults", web::get().to(get_faults))
            .route("/faults", web::post().to(post_faults))
            .configure(routes_control_groups::configure)
            .configure(routes_control_apps::configure)
            .configure(routes_control_oauth::configure)
            .configure(routes_control_permissions::configure),
    );
}

pub(super) fn control(state: Data<SimState>) -> TenantControl {
    TenantControl::new(state.into_inner())
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

fn fail(status: actix_web::http::StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        error: message.into(),
    })
}

pub(super) fn sim_error(err: &SimError) -> HttpResponse {
    use actix_web::http::StatusCode;
    let status = match err {
        SimError::UnknownUser(_)
        | SimError::UnknownDepartment(_)
        | SimError::UnknownGroup(_)
        | SimError::UnknownApp(_) => StatusCode::NOT_FOUND,
        SimError::DepartmentNotEmpty(_) => StatusCode::CONFLICT,
        SimError::DepartmentCycle { .. } | SimError::Invalid(_) => StatusCode::BAD_REQUEST,
    };
    fail(status, err.to_string())
}

/// Parses a JSON body; an empty body reads as `{}`.
pub(super) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON body: {e}"))
}

/// `current` with the top-level fields of the JSON object `bytes` replaced (a field the type
/// does not have is refused).
pub(super) fn merge_patch<T: Serialize + DeserializeOwned>(
    current: &T,
    bytes: &[u8],
) -> Result<T, String> {
    let patch: serde_json::Map<String, serde_json::Value> = body(bytes)?;
    let mut value = serde_json::to_value(current).map_err(|e| e.to_string())?;
    let Some(fields) = value.as_object_mut() else {
        return Err("not an object".to_owned());
    };
    for (key, field) in patch {
        match fields.get_mut(&key) {
            Some(slot) => *slot = field,
            None => return Err(format!("unknown field {key:?}")),
        }
    }
    serde_json::from_value(value).map_err(|e| format!("invalid JSON body: {e}"))
}

pub(super) fn bad_request(message: String) -> HttpResponse {
    fail(actix_web::http::StatusCode::BAD_REQUEST, message)
}

pub(super) fn path_open_id(req: &HttpRequest) -> String {
    req.match_info()
        .get("open_id")
        .unwrap_or_default()
        .to_owned()
}

async fn stats(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(control(state).stats())
}

async fn reset_stats(state: Data<SimState>) -> HttpResponse {
    control(state).reset_stats();
    HttpResponse::NoContent().finish()
}

async fn list_users(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(control(state).users())
}

#[derive(Serialize)]
struct Created {
    open_id: String,
}

async fn add_user(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let spec: NewUser = match body(&bytes) {
        Ok(spec) => spec,
        Err(message) => return bad_request(message),
    };
    match control(state).add_user(spec) {
        Ok(open_id) => HttpResponse::Created().json(Created { open_id }),
        Err(err) => sim_error(&err),
    }
}

async fn get_user(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let open_id = path_open_id(&req);
    match control(state).user(&open_id) {
        Some(user) => HttpResponse::Ok().json(user),
        None => sim_error(&SimError::UnknownUser(open_id)),
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct StatusPatch {
    is_frozen: Option<bool>,
    is_resigned: Option<bool>,
    is_activated: Option<bool>,
    is_exited: Option<bool>,
    is_unjoin: Option<bool>,
}

/// Fields `PATCH users/{open_id}` may change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct UserPatch {
    name: Option<String>,
    en_name: Option<String>,
    nickname: Option<String>,
    email: Option<String>,
    enterprise_email: Option<String>,
    mobile: Option<String>,
    job_title: Option<String>,
    city: Option<String>,
    country: Option<String>,
    work_station: Option<String>,
    employee_no: Option<String>,
    employee_type: Option<u8>,
    gender: Option<u8>,
    is_tenant_manager: Option<bool>,
    department_ids: Option<Vec<String>>,
    #[serde(deserialize_with = "nullable")]
    leader_open_id: Option<Option<String>>,
    status: Option<StatusPatch>,
}

impl UserPatch {
    fn apply(self, u: &mut SimUser) {
        let text = [
            (self.name, &mut u.name),
            (self.en_name, &mut u.en_name),
            (self.nickname, &mut u.nickname),
            (self.email, &mut u.email),
            (self.enterprise_email, &mut u.enterprise_email),
            (self.mobile, &mut u.mobile),
            (self.job_title, &mut u.job_title),
            (self.city, &mut u.city),
            (self.country, &mut u.country),
            (self.work_station, &mut u.work_station),
            (self.employee_no, &mut u.employee_no),
        ];
        for (value, field) in text {
            if let Some(value) = value {
                *field = value;
            }
        }
        if let Some(v) = self.employee_type {
            u.employee_type = v;
        }
        if let Some(v) = self.gender {
            u.gender = v;
        }
        if let Some(v) = self.is_tenant_manager {
            u.is_tenant_manager = v;
        }
        if let Some(v) = self.department_ids {
            u.department_ids = v;
        }
        if let Some(v) = self.leader_open_id {
            u.leader_open_id = v;
        }
        if let Some(s) = self.status {
            let flags = [
                (s.is_frozen, &mut u.status.is_frozen),
                (s.is_resigned, &mut u.status.is_resigned),
                (s.is_activated, &mut u.status.is_activated),
                (s.is_exited, &mut u.status.is_exited),
                (s.is_unjoin, &mut u.status.is_unjoin),
            ];
            for (value, field) in flags {
                if let Some(value) = value {
                    *field = value;
                }
            }
        }
    }
}

async fn patch_user(req: HttpRequest, state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let patch: UserPatch = match body(&bytes) {
        Ok(patch) => patch,
        Err(message) => return bad_request(message),
    };
    match control(state).update_user(&path_open_id(&req), |u| patch.apply(u)) {
        Ok(user) => HttpResponse::Ok().json(user),
        Err(err) => sim_error(&err),
    }
}

async fn resign_user(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    let open_id = path_open_id(&req);
    let control = control(state);
    match control.resign_user(&open_id) {
        Ok(()) => match control.user(&open_id) {
            Some(user) => HttpResponse::Ok().json(user),
            None => sim_error(&SimError::UnknownUser(open_id)),
        },
        Err(err) => sim_error(&err),
    }
}

async fn delete_user(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    match control(state).delete_user(&path_open_id(&req)) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => sim_error(&err),
    }
}

async fn list_departments(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(control(state).departments())
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Scope {
    /// `None` (with `group_ids` `None` too): all members.
    department_ids: Option<Vec<String>>,
    /// Group `id`s or custom `group_id`s.
    group_ids: Option<Vec<String>>,
}

fn scope_view(control: &TenantControl) -> Scope {
    Scope {
        department_ids: control.scope_departments(),
        group_ids: control.scope_groups(),
    }
}

async fn get_scope(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(scope_view(&control(state)))
}

async fn put_scope(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let scope: Scope = match body(&bytes) {
        Ok(scope) => scope,
        Err(message) => return bad_request(message),
    };
    let control = control(state);
    let result = match (scope.department_ids, scope.group_ids) {
        (None, None) => {
            control.full_scope();
            Ok(())
        }
        (departments, groups) => {
            control.set_scope(departments.unwrap_or_default(), groups.unwrap_or_default())
        }
    };
    match result {
        Ok(()) => HttpResponse::Ok().json(scope_view(&control)),
        Err(err) => sim_error(&err),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FaultsRequest {
    clear: bool,
    rate_limit_next: Option<u32>,
    rate_limit_status: Option<u16>,
    fail_next: Option<u32>,
    status: Option<u16>,
    fail_always: Option<u16>,
    malformed_next: Option<u32>,
    expire_tokens: bool,
    expire_user_tokens: bool,
    oauth_fail_next: Option<u32>,
    oauth_fail_status: Option<u16>,
    delay_ms: Option<u64>,
    rate_limits: Option<bool>,
    advance_token_clock_secs: Option<u64>,
}

#[derive(Serialize)]
struct FaultsView {
    #[serde(flatten)]
    faults: FaultSettings,
    rate_limits: bool,
}

fn faults_view(control: &TenantControl) -> FaultsView {
    FaultsView {
        faults: control.faults(),
        rate_limits: control.rate_limits_enabled(),
    }
}

async fn get_faults(state: Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(faults_view(&control(state)))
}

async fn post_faults(state: Data<SimState>, bytes: Bytes) -> HttpResponse {
    let req: FaultsRequest = match body(&bytes) {
        Ok(req) => req,
        Err(message) => return bad_request(message),
    };
    let control = control(state);
    if req.clear {
        control.clear_faults();
    }
    if let Some(n) = req.rate_limit_next {
        control.rate_limit_next_with_status(n, req.rate_limit_status.unwrap_or(429));
    }
    if let Some(n) = req.fail_next {
        control.fail_next(n, req.status.unwrap_or(500));
    }
    if let Some(status) = req.fail_always {
        control.fail_always(status);
    }
    if let Some(n) = req.malformed_next {
        control.malformed_next(n);
    }
    if let Some(ms) = req.delay_ms {
        control.set_delay(Duration::from_millis(ms));
    }
    if let Some(on) = req.rate_limits {
        control.set_rate_limits(on);
    }
    if let Some(secs) = req.advance_token_clock_secs {
        control.advance_token_clock(Duration::from_secs(secs));
    }
    if req.expire_tokens {
        control.expire_tokens();
    }
    if let Some(n) = req.oauth_fail_next {
        control.fail_oauth_next(n, req.oauth_fail_status.unwrap_or(500));
    }
    if req.expire_user_tokens {
        control.expire_user_tokens();
    }
    HttpResponse::Ok().json(faults_view(&control))
}
