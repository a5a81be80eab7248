//! `GET /open-apis/authen/v1/user_info`: who a user access token belongs to, in Lark's envelope
//! (sample `authen_user_info_feishu.json`). Needs `Authorization: Bearer <user_access_token>`:
//! missing → 99991661, unknown/revoked/superseded → 99991668, expired → 99991677, a tenant token →
//! 99991663 (all HTTP 400). A user deleted or resigned since is an invalid token too.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::gateway::{Kind, LarkError, bearer, serve, user_token_owner};
use super::render;
use super::state::SimState;
use super::stats::endpoints;

#[derive(Serialize)]
struct UserInfo<'a> {
    name: &'a str,
    en_name: &'a str,
    avatar_url: String,
    avatar_thumb: String,
    avatar_middle: String,
    avatar_big: String,
    open_id: &'a str,
    union_id: &'a str,
    email: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    enterprise_email: &'a str,
    user_id: &'a str,
    mobile: &'a str,
    tenant_key: &'a str,
    employee_no: &'a str,
}

pub(crate) async fn user_info(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::USER_INFO,
        Kind::UserData,
        |state, _| {
            let token = bearer(&req).ok_or_else(LarkError::token_missing)?;
            let open_id = user_token_owner(state, token)?;
            let t = state.read();
            let user = t
                .user_by_open_id(&open_id)
                .filter(|u| !u.status.is_resigned)
                .ok_or_else(LarkError::user_token_invalid)?;
            let avatar = &user.avatar_url;
            render::ok(UserInfo {
                name: &user.name,
                en_name: &user.en_name,
                avatar_url: format!("{avatar}~72x72.png"),
                avatar_thumb: format!("{avatar}~72x72.png"),
                avatar_middle: format!("{avatar}~240x240.png"),
                avatar_big: format!("{avatar}~640x640.png"),
                open_id: &user.open_id,
                union_id: &user.union_id,
                email: &user.email,
                enterprise_email: &user.enterprise_email,
                user_id: &user.user_id,
                mobile: &user.mobile,
                tenant_key: &t.info.tenant_key,
                employee_no: &user.employee_no,
            })
        },
    )
    .await
}
