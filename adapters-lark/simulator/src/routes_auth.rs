//! `POST /open-apis/auth/v3/{tenant,app}_access_token/internal`: app credentials → token, flat
//! response (no `data`), Lark's 30-minute reuse rule.
//!
//! Errors (HTTP 400): body not JSON or a field missing → 10003 "invalid param"; unknown `app_id`
//! → 10003 "invalid param"; wrong `app_secret` → 10014 "app secret invalid".

use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::gateway::{Kind, LarkError, serve};
use super::state::SimState;
use super::stats::endpoints;

#[derive(Deserialize)]
struct Credentials {
    app_id: Option<String>,
    app_secret: Option<String>,
}

#[derive(Serialize)]
struct TenantToken<'a> {
    code: i64,
    msg: &'static str,
    tenant_access_token: &'a str,
    expire: u64,
}

#[derive(Serialize)]
struct AppToken<'a> {
    code: i64,
    msg: &'static str,
    app_access_token: &'a str,
    expire: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Tenant,
    App,
}

pub(crate) async fn tenant_token(
    req: HttpRequest,
    state: Data<SimState>,
    body: Bytes,
) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::TENANT_ACCESS_TOKEN,
        Kind::Auth,
        |state, _| issue(state, &body, Which::Tenant),
    )
    .await
}

pub(crate) async fn app_token(
    req: HttpRequest,
    state: Data<SimState>,
    body: Bytes,
) -> HttpResponse {
    serve(
        &state,
        &req,
        endpoints::APP_ACCESS_TOKEN,
        Kind::Auth,
        |state, _| issue(state, &body, Which::App),
    )
    .await
}

fn issue(state: &SimState, body: &[u8], which: Which) -> Result<Vec<u8>, LarkError> {
    let invalid_param = || LarkError::new(400, 10_003, "invalid param");
    let creds: Credentials = serde_json::from_slice(body).map_err(|_| invalid_param())?;
    let (Some(app_id), Some(app_secret)) = (creds.app_id, creds.app_secret) else {
        return Err(invalid_param());
    };
    if app_id != state.app_id {
        return Err(invalid_param());
    }
    if app_secret != state.app_secret() {
        return Err(LarkError::new(400, 10_014, "app secret invalid"));
    }
    let now = state.clock.now();
    let bytes = match which {
        Which::Tenant => {
            let issued = state.tenant_tokens.issue(now, state.token_ttl);
            if issued.fresh {
                state.stats.token_issued();
            }
            serde_json::to_vec(&TenantToken {
                code: 0,
                msg: "ok",
                tenant_access_token: &issued.token,
                expire: issued.expire_secs,
            })
        }
        Which::App => {
            let issued = state.app_tokens.issue(now, state.token_ttl);
            serde_json::to_vec(&AppToken {
                code: 0,
                msg: "success",
                app_access_token: &issued.token,
                expire: issued.expire_secs,
            })
        }
    };
    bytes.map_err(|_| LarkError::internal())
}
