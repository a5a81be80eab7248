//! `GET /open-apis/tenant/v2/tenant/query` (tenant identity) and the JSON 404 for unknown paths.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::gateway::{Kind, LarkError, error, serve};
use super::render::{self, Avatar, avatar};
use super::state::SimState;
use super::stats::endpoints;

#[derive(Serialize)]
struct TenantView<'a> {
    name: &'a str,
    display_id: &'a str,
    /// 0: team/enterprise tenant.
    tenant_tag: u8,
    tenant_key: &'a str,
    avatar: Avatar,
}

#[derive(Serialize)]
struct TenantData<'a> {
    tenant: TenantView<'a>,
}

pub(crate) async fn query(req: HttpRequest, state: Data<SimState>) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::TENANT_QUERY,
        Kind::Data,
        |state, _| {
            let t = state.read();
            let info = &t.info;
            render::ok(TenantData {
                tenant: TenantView {
                    name: &info.name,
                    display_id: &info.display_id,
                    tenant_tag: 0,
                    tenant_key: &info.tenant_key,
                    avatar: avatar(&info.avatar_url),
                },
            })
        },
    )
    .await
}

/// Any path or method the simulator does not serve: HTTP 404, `{"code":404,"msg":"not found"}`.
pub(crate) async fn not_found(state: Data<SimState>) -> HttpResponse {
    state.stats.request(endpoints::UNKNOWN);
    let log_id = state.next_log_id();
    error(&state, &log_id, &LarkError::not_found(), &[])
}
