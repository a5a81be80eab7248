//! The HTTP server: the actix `App` built from `Services` (health, readiness, the JSON API,
//! the web UI), security headers on every response, request logging without secrets, and running it on
//! the configured address until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::api::{self, ApiError};
use crate::ui;
use aviary_wiring::Services;

/// Logs method, path (never the query string, which may carry search terms), status and
/// duration at debug level, and counts the request in the metrics by its route pattern (a
/// bounded set, unlike paths); headers (API keys) are never logged.
async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().clone();
    let path = req.path().to_owned();
    let metrics = req
        .app_data::<web::Data<Services>>()
        .map(|services| std::sync::Arc::clone(&services.metrics));
    let started = Instant::now();
    let response = next.call(req).await;
    let status = response.as_ref().map_or_else(
        |err| err.as_response_error().status_code().as_u16(),
        |res| res.status().as_u16(),
    );
    if let Some(metrics) = metrics {
        let route = response
            .as_ref()
            .ok()
            .and_then(|res| res.request().match_pattern())
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.http_request(&route, method.as_str(), status, started.elapsed());
    }
    tracing::debug!(
        %method,
        %path,
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Liveness: the process is up
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "health",
    security(),
    responses((status = 200, description = "Up", body = Object, example = json!({"status": "ok"})))
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers a trivial query and has no pending migration
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "health",
    security(),
    responses(
        (status = 200, description = "Ready", body = Object, example = json!({"status": "ready"})),
        (status = 503, description = "`database_unavailable`", body = crate::api::error::Body),
    )
)]
async fn readyz(services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    match services.readiness.check().await {
        Ok(()) => Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(ApiError::database_unavailable())
        }
    }
}

/// `Strict-Transport-Security` when the public base URL is https.
pub const HSTS: &str = "max-age=63072000";

/// The whole application over `services`.
pub fn app(
    services: Services,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    application(services, Surface::Everything)
}

/// What a server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// The web UI, the JSON API, the health checks and the metrics.
    Everything,
    /// The health checks and the metrics only (`aviary worker --metrics-port`).
    Probes,
}

fn application(
    services: Services,
    surface: Surface,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (path_config, query_config) = api::extractor_config();
    let mut headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", ui::csp::DEFAULT_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cache-Control", "no-store"));
    if services
        .settings
        .http
        .public_base_url()
        .starts_with("https://")
    {
        // Browsers that reached Aviary over https keep to it for two years; subdomains are
        // left alone (they may be other services of the operator's).
        headers = headers.add(("Strict-Transport-Security", HSTS));
    }
    App::new()
        .app_data(web::Data::new(services))
        .app_data(path_config)
        .app_data(query_config)
        .service(api::get("/healthz", healthz))
        .service(api::get("/readyz", readyz))
        .configure(|cfg| match surface {
            Surface::Everything => {
                api::configure(cfg);
                ui::configure(cfg);
            }
            Surface::Probes => api::configure_metrics(cfg),
        })
        // Only added where a response has not set its own (the stylesheet's cache).
        .wrap(headers)
        .wrap(from_fn(crate::body_deadline::body_deadline))
        .wrap(from_fn(log_request))
}

/// Work done once before serving: the dummy password hash that makes sign-ins with unknown
/// emails cost what the others do, from the first one on.
///
/// # Errors
/// When the password hasher fails.
pub async fn prepare(services: &Services) -> anyhow::Result<()> {
    services
        .sign_in
        .prepare()
        .await
        .map_err(|err| anyhow::anyhow!("cannot prepare sign-ins: {err}"))
}

pub use aviary_wiring::signals::stop_requested;

/// A request's head must arrive within this time (actix's default, made explicit).
const HEAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A server bound to its address, not yet running.
pub struct Bound {
    server: Server,
    addrs: Vec<SocketAddr>,
    services: Services,
}

/// Binds the server on `host:port` (port 0 picks a free port). Call [`prepare`] first.
///
/// # Errors
/// When the address cannot be bound.
pub fn bind(services: Services, host: &str, port: u16) -> std::io::Result<Bound> {
    bind_surface(services, host, port, Surface::Everything)
}

/// Binds a server that answers only `/healthz`, `/readyz` and `/metrics` (for `aviary worker`,
/// which serves no UI and no API); it runs like [`bind`]'s, scheduler included.
///
/// # Errors
/// When the address cannot be bound.
pub fn bind_probes(services: Services, host: &str, port: u16) -> std::io::Result<Bound> {
    bind_surface(services, host, port, Surface::Probes)
}

fn bind_surface(
    services: Services,
    host: &str,
    port: u16,
    surface: Surface,
) -> std::io::Result<Bound> {
    let for_workers = services.clone();
    let http = &services.settings.http;
    let server = HttpServer::new(move || application(for_workers.clone(), surface))
        .disable_signals()
        .max_connections(http.max_connections)
        .client_request_timeout(HEAD_TIMEOUT)
        // In-flight requests get what the whole stop gets.
        .shutdown_timeout(services.settings.shutdown.timeout_secs)
        .bind((host, port))?;
    let addrs = server.addrs();
    Ok(Bound {
        server: server.run(),
        addrs,
        services,
    })
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

impl Bound {
    /// The bound addresses.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Serves, and runs scheduled syncs, until `shutdown` completes; then, within
    /// `shutdown.timeout_secs`, stops accepting, finishes the requests in flight and cancels
    /// the running syncs (each ends `cancelled` at a safe point, with what it committed, its
    /// lease released) side by side, and returns. What is not done by then is abandoned: a sync's
    /// lease then expires after `sync.lease_ttl_secs`.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            server,
            services,
            addrs: _,
        } = self;
        let runner = services.runner.clone();
        let timeout = services.settings.shutdown.timeout();
        runner.spawn_scheduler();
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        tokio::select! {
            served = &mut server => {
                // Failed on its own: the syncs still stop cleanly.
                let _ = tokio::time::timeout(timeout, runner.shutdown()).await;
                return served;
            }
            () = shutdown => {}
        }
        tracing::info!(
            timeout_secs = timeout.as_secs(),
            "stopping: finishing requests in flight and bringing running syncs to a safe point"
        );
        let stopping = async {
            let graceful = async {
                tokio::join!(handle.stop(true), runner.shutdown());
            };
            if tokio::time::timeout(timeout, graceful).await.is_err() {
                tracing::warn!(
                    timeout_secs = timeout.as_secs(),
                    "did not stop within shutdown.timeout_secs; leaving what is unfinished (a sync's lease expires after sync.lease_ttl_secs)"
                );
                handle.stop(false).await;
            }
        };
        // The server future carries out the stop: it is polled until it has.
        let (served, ()) = tokio::join!(&mut server, stopping);
        served
    }
}
