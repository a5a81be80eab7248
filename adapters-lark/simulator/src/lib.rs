//! A faithful fake Lark/Feishu tenant served over HTTP, in process: for tests, the demo and
//! benchmarks of the Lark client (`aviary-adapters-lark`) and of whole syncs. It is used by the
//! `aviary demo` and `aviary simulator` commands and by tests, never by `aviary-server`, and it
//! does not depend on the client it tests. It models what Lark's documentation says, page by page:
//! docs/simulator.md describes what it serves and how to steer it, docs/lark-fidelity.md lists each
//! behaviour with its public source and the tests that pin it here and in the client.
//!
//! It serves the token endpoints and the contact/tenant endpoints Aviary uses — users, departments,
//! user groups, the contact range (departments and groups) — and the installed applications with
//! their availability, with Lark's envelopes, paging (opaque base64 page tokens containing `+`,
//! `/`, `=`), error codes and real rate limits (50/s and 1000/min per API, 100/min for the
//! installed-apps list; fixed windows), plus fault switches and a way to change the tenant between
//! syncs ([`TenantControl`]). Its JSON is rendered from its own model, never
//! from the client's wire structs, so the two can disagree and tests notice.
//!
//! It also serves the admin's user OAuth on its one base URL: the authorize page (accounts host in
//! production) with a consent page or automatic approval/denial ([`ConsentMode`]), the v2 token
//! endpoint (code exchange with PKCE, single-use refresh tokens whose rotation leaves the previous
//! access token a 1-minute grace) and `authen/v1/user_info`. Codes last 5 minutes and tokens expire
//! on the same simulated clock as tenant tokens.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use aviary_lark_simulator::{Simulator, SimulatorConfig};
//! let sim = Simulator::start(SimulatorConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! let base = sim.base_url(); // the client appends "/open-apis/..."
//! sim.tenant().rate_limit_next(1);
//! // ... run a sync against `base` with sim.app_id() / sim.app_secret() ...
//! assert_eq!(sim.stats().rate_limited, 1);
//! sim.stop().await;
//! # Ok(()) }
//! ```
//!
//! Error codes served (HTTP status in brackets): token endpoint — malformed body, missing field or
//! unknown `app_id` 10003 (400), wrong secret 10014 (400); no bearer token 99991661 (400); unknown,
//! revoked or expired token 99991663 (400); rate limited 99991400 (429, or 400 when injected so);
//! bad `*_id_type`/`fetch_child`/non-numeric `page_size`/missing `department_id` 99992402 (400);
//! batch without ids or with more than 50 40001 (400); injected 500 40003; `page_size` out of range
//! 40011 (400); bad page token 40012 (400); department outside the contact scope 40004 (403);
//! unknown department 40015 (400); unknown user 41012 (400); user outside the scope 41050 (400);
//! subtree above the recursion limit 43010 (400); API without the app's permission 99991672 (400);
//! groups — bad `type` 99992402 (400), unknown group 42002 (400), group outside the contact range
//! 42009 (403), bad `member_id_type` 41071 (400), `member_id_type` not for that `member_type` 41072
//! (400), bad `member_type` 41074 (400); installed apps — missing or unknown `lang` 99992402 (400),
//! bad page token 211003 (400), `page_size` out of 1–50 211004 (400); app availability — unknown
//! `app_id` 50003 (**200**); unknown path 404 (404).
//!
//! User OAuth. Authorize page — HTML error page (400), never a redirect: missing `client_id` or
//! `redirect_uri` 20001, unknown `client_id` 20048, malformed or unregistered `redirect_uri` 20029,
//! `response_type` other than `code`, more than 50 scopes or a bad PKCE challenge 20063, scope not
//! enabled 20027; consent form: unknown/expired/answered request 20063, unknown user 20008, user
//! who cannot sign in 20066. Token endpoint — flat `{code, error, error_description}` with `code` a
//! string (400 unless noted): missing parameter 20001 (`invalid_request`), wrong secret 20002
//! (`invalid_client`), unknown code 20003, expired code 20004, user gone 20008, code or refresh token
//! of another client 20024, unknown refresh token 20026 (`invalid_grant`), unsupported grant type
//! 20036 (`unsupported_grant_type`), expired refresh token or 365 days since the authorization 20037,
//! unknown client 20048 (`invalid_client`), PKCE failure 20049, injected 20050 (500,
//! `server_error`), malformed body 20063 (`invalid_request`), revoked refresh token 20064, used code
//! 20065, user cannot sign in 20066, duplicate or ungranted `scope` 20067/20068 (`invalid_scope`),
//! Basic auth and `client_secret` together 20070 (`invalid_client`), `redirect_uri` mismatch 20071,
//! injected 20072 (503, `temporarily_unavailable`), used refresh token 20073 (`invalid_grant`
//! unless noted). `user_info` — no token 99991661, invalid, revoked or superseded user token
//! 99991668, expired user token 99991677, a tenant token 99991663 (all 400).

mod consent_page;
mod control;
mod control_apps;
mod control_groups;
mod control_oauth;
mod control_permissions;
mod edit;
mod faults;
mod gateway;
mod generator;
mod generator_apps;
mod generator_groups;
mod hostile;
mod ids;
mod model;
mod model_apps;
mod model_groups;
mod oauth_error;
mod oauth_grants;
mod oauth_secrets;
mod oauth_settings;
mod own_app;
mod page_token;
mod params;
mod permissions;
mod rate_limit;
mod redirect_uri;
mod render;
mod render_apps;
mod render_groups;
mod routes_apps;
mod routes_auth;
mod routes_authorize;
mod routes_control;
mod routes_control_apps;
mod routes_control_groups;
mod routes_control_oauth;
mod routes_control_permissions;
mod routes_departments;
mod routes_groups;
mod routes_oauth_token;
mod routes_scopes;
mod routes_tenant;
mod routes_user_info;
mod routes_users;
mod server;
mod state;
mod stats;
mod tenant;
mod tenant_apps;
mod tenant_groups;
mod tokens;
mod vocabulary;
mod vocabulary_apps;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

pub use control::TenantControl;
pub use faults::{FaultSettings, Hostile};
pub use model::{
    NewUser, ROOT_DEPARTMENT_ID, SimCustomAttr, SimDepartment, SimError, SimI18nName,
    SimTenantInfo, SimUser, SimUserStatus,
};
pub use model_apps::{NewApp, SimApp, SimAppI18n, SimAppOwner, SimAppScope, SimAppVisibility};
pub use model_groups::{NewGroup, SimGroup, SimGroupType};
pub use oauth_settings::{ConsentMode, DEFAULT_OAUTH_SCOPES, OAuthSettings, OFFLINE_ACCESS};
pub use stats::{SimulatorStats, endpoints};

use oauth_grants::Lifetimes;
use state::{Settings, SimState};

/// How to build and run a simulated tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorConfig {
    /// Users generated (none resigned; every other status occurs). Default 200.
    pub users: usize,
    /// Departments generated besides the root `"0"`. Default 20.
    pub departments: usize,
    /// User groups generated: every fourth dynamic, the rest normal. Default 12.
    pub groups: usize,
    /// Apps installed in the tenant, the simulator's own included (always installed, so at
    /// least one). Default 8.
    pub apps: usize,
    /// Same seed and sizes, same tenant. Default 1.
    pub seed: u64,
    /// Lark's real limits (50/s and 1000/min per API). Default on.
    pub rate_limits: bool,
    /// Empty (the default) means derived from `seed`: `cli_` + 16 lowercase hex. The running value
    /// is [`SimulatorHandle::app_id`].
    pub app_id: String,
    /// Empty (the default) means derived from `seed`: 32 alphanumerics.
    pub app_secret: String,
    /// Lifetime of a new tenant token. Default 7200 s.
    pub token_ttl: Duration,
    /// Most departments `children?fetch_child=true` returns before answering 43010. Default 1000.
    pub recursion_limit: usize,
    /// HTTP worker threads. Default 2.
    pub workers: usize,
    /// Lifetime of user access tokens (`expires_in`). Default 7200 s.
    pub user_token_ttl: Duration,
    /// Lifetime of refresh tokens (`refresh_token_expires_in`). Default 604800 s (7 days).
    pub refresh_token_ttl: Duration,
    /// What the OAuth authorize endpoint does with a valid request. Default [`ConsentMode::Page`].
    pub consent: ConsentMode,
    /// Redirect URLs "registered in the console" (exact match). Empty, the default, accepts any
    /// http(s) URL — a convenience no real app has.
    pub redirect_urls: Vec<String>,
    /// Scopes the app has enabled. Default [`DEFAULT_OAUTH_SCOPES`]: the setup guide's list,
    /// without `offline_access`.
    pub oauth_scopes: Vec<String>,
    /// The console's "refresh user_access_token" switch. Default on, as Lark documents it
    /// (off: refreshes → 20074).
    pub refresh_enabled: bool,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            users: 200,
            departments: 20,
            groups: 12,
            apps: 8,
            seed: 1,
            rate_limits: true,
            app_id: String::new(),
            app_secret: String::new(),
            token_ttl: Duration::from_secs(7200),
            recursion_limit: 1000,
            workers: 2,
            user_token_ttl: Duration::from_secs(7200),
            refresh_token_ttl: Duration::from_secs(604_800),
            consent: ConsentMode::Page,
            redirect_urls: Vec::new(),
            oauth_scopes: OAuthSettings::default().enabled_scopes,
            refresh_enabled: true,
        }
    }
}

impl SimulatorConfig {
    /// Defaults for `seed`, with the derived app credentials filled in (known before starting).
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        let (app_id, app_secret) = generator::credentials(seed);
        Self {
            seed,
            app_id,
            app_secret,
            ..Self::default()
        }
    }
}

/// Entry point: [`Simulator::start`].
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Generates the tenant and serves it on `addr` (port 0 picks a free port). Must be called
    /// inside a Tokio runtime; the server runs on its own worker threads until
    /// [`SimulatorHandle::stop`] (or until the handle is dropped). A `redirect_urls` entry that is
    /// not an absolute http(s) URL is an `InvalidInput` error.
    pub async fn start(config: SimulatorConfig, addr: SocketAddr) -> io::Result<SimulatorHandle> {
        if let Some(bad) = config
            .redirect_urls
            .iter()
            .find(|u| redirect_uri::problem(u).is_some())
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("redirect URL {bad:?} is not an absolute http(s) URL"),
            ));
        }
        let (derived_id, derived_secret) = generator::credentials(config.seed);
        let app_id = non_empty_or(config.app_id, derived_id);
        let app_secret = non_empty_or(config.app_secret, derived_secret);
        let (users, departments, seed) = (config.users, config.departments, config.seed);
        let (groups, apps, own_app_id) = (config.groups, config.apps, app_id.clone());
        let tenant = tokio::task::spawn_blocking(move || {
            let mut tenant = generator::generate(users, departments, seed);
            generator_groups::generate_groups(&mut tenant, groups, seed);
            generator_apps::generate_apps(&mut tenant, apps, seed, &own_app_id);
            tenant
        })
        .await
        .map_err(io::Error::other)?;
        let state = Arc::new(SimState::new(
            tenant,
            Settings {
                app_id,
                app_secret,
                token_ttl: config.token_ttl,
                rate_limits: config.rate_limits,
                recursion_limit: config.recursion_limit,
                user_token_lifetimes: Lifetimes {
                    access: config.user_token_ttl,
                    refresh: config.refresh_token_ttl,
                },
                oauth: OAuthSettings {
                    consent: config.consent,
                    redirect_urls: config.redirect_urls,
                    enabled_scopes: config.oauth_scopes,
                    refresh_enabled: config.refresh_enabled,
                },
            },
        ));
        let data = web::Data::from(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .configure(server::routes)
                .default_service(web::to(routes_tenant::not_found))
        })
        .workers(config.workers.max(1))
        .disable_signals()
        .shutdown_timeout(1)
        .bind(addr)?;
        let mut bound = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| io::Error::other("the simulator bound no address"))?;
        if bound.ip().is_unspecified() {
            bound.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        let server = server.run();
        let server_handle = server.handle();
        let task = tokio::spawn(server);
        tracing::info!(%bound, "Lark simulator listening");
        Ok(SimulatorHandle {
            addr: bound,
            control: TenantControl::new(state),
            server: server_handle,
            task: Some(task),
        })
    }
}

fn non_empty_or(value: String, fallback: String) -> String {
    if value.is_empty() { fallback } else { value }
}

/// A running simulator. Dropping it stops the server too; [`Self::stop`] also waits for it.
pub struct SimulatorHandle {
    addr: SocketAddr,
    control: TenantControl,
    server: ServerHandle,
    task: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for SimulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimulatorHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash; Lark paths (`/open-apis/…`) go after it.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    #[must_use]
    pub fn app_id(&self) -> String {
        self.control.app_id()
    }

    #[must_use]
    pub fn app_secret(&self) -> String {
        self.control.app_secret()
    }

    /// Inspect and change the tenant, inject faults.
    #[must_use]
    pub fn tenant(&self) -> TenantControl {
        self.control.clone()
    }

    #[must_use]
    pub fn stats(&self) -> SimulatorStats {
        self.control.stats()
    }

    /// Stops accepting requests, drops open connections and waits for the workers to exit.
    pub async fn stop(mut self) {
        self.server.stop(false).await;
        if let Some(task) = self.task.take()
            && let Err(err) = task.await
        {
            tracing::warn!(%err, "Lark simulator task ended abnormally");
        }
    }

    /// Runs until Ctrl-C, then stops (for `aviary simulator` in the foreground).
    pub async fn run_until_ctrl_c(self) -> io::Result<()> {
        let signal = tokio::signal::ctrl_c().await;
        self.stop().await;
        signal
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        if self.task.is_some() {
            // The stop command is sent eagerly; nobody needs to await its completion here.
            drop(self.server.stop(false));
        }
    }
}
