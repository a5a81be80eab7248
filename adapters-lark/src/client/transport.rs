//! The one place that sends a request to Lark: it attaches the tenant token (fetching it through
//! the shared cache), keeps at most `max_in_flight` requests per session, paces each attempt,
//! decodes the answer (`code` first, HTTP status as fallback), and applies the error catalogue's
//! verdict — wait for the rate-limit reset, refresh the token once, back off on transient
//! failures — within the configured bounds. It also counts calls, retries and rate-limit waits.
//!
//! Secrets: the app secret is only exposed into the token request's JSON body and the token only
//! into an `Authorization` header marked sensitive; neither appears in URLs, errors or logs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aviary_domain::model::ApiCounters;
use aviary_domain::ports::{DirectoryConnection, DirectoryError};
use aviary_domain::values::AppId;
use aviary_domain::values::{BaseUrl, BaseUrlPolicy};
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use super::body::{BodyError, MAX_BODY_BYTES, read_bounded};
use super::budget::Budget;
use super::errors::{self, Endpoint, Failure, LarkFault, Verdict};
use super::observer::{AttemptOutcome, CallObserver};
use super::pacing::AppPacer;
use super::retry;
use super::settings::LarkClientSettings;
use super::token::{Bearer, FreshToken, TokenSlot};
use super::wire::{WireHead, WireTenantToken};

/// Extra random wait (up to this) after a rate-limit reset, so that callers released together do
/// not all hit the fresh window in the same instant.
const RESET_JITTER: Duration = Duration::from_millis(100);

/// How an attempt ended, as the observer counts it, from the catalogue's verdict.
fn outcome_of(verdict: &Verdict) -> AttemptOutcome {
    match verdict {
        Verdict::RateLimited => AttemptOutcome::RateLimited,
        Verdict::RefreshToken => AttemptOutcome::TokenRejected,
        Verdict::Retry { .. } => AttemptOutcome::Transient,
        Verdict::RecursionRefused | Verdict::Fail(_) => AttemptOutcome::Refused,
    }
}

/// Why a call failed: a domain error, or Lark's refusal to recurse a big department (43010),
/// which the department walk handles itself.
#[derive(Debug)]
pub(crate) enum CallError {
    Directory(DirectoryError),
    RecursionRefused(LarkFault),
}

impl From<DirectoryError> for CallError {
    fn from(err: DirectoryError) -> Self {
        CallError::Directory(err)
    }
}

impl From<CallError> for DirectoryError {
    fn from(err: CallError) -> Self {
        match err {
            CallError::Directory(err) => err,
            CallError::RecursionRefused(fault) => fault.to_api_error(),
        }
    }
}

/// Calls, retries and rate-limit waits of one session.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    calls: AtomicU64,
    retries: AtomicU64,
    rate_limit_waits: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ApiCounters {
        ApiCounters {
            calls: self.calls.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rate_limit_waits: self.rate_limit_waits.load(Ordering::Relaxed),
        }
    }
}

/// The retries one call has used, each kind bounded on its own.
#[derive(Debug, Default)]
struct Attempts {
    transient_failures: u32,
    rate_limited: u32,
    /// A call fetches a new tenant token at most once.
    refreshed: bool,
}

/// What happens before the next attempt.
#[derive(Debug)]
enum Next {
    Wait(Duration),
    /// Drop the token of this generation: the next attempt fetches a new one.
    NewToken(u64),
}

/// One logical request.
#[derive(Debug)]
struct Request<'a> {
    /// Pacing key and log label, e.g. `users/find_by_department`.
    api: &'static str,
    method: Method,
    url: Url,
    /// What the request is about, for `NoAuthority`.
    resource: &'a str,
    endpoint: Endpoint,
}

#[derive(serde::Serialize)]
struct TokenRequestBody<'a> {
    app_id: &'a str,
    app_secret: &'a str,
}

/// Checks a base URL (`Region::default_base_url()` or the connection's override).
///
/// # Errors
/// `Unavailable` when it is not an absolute http(s) URL with a host.
pub(crate) fn parse_base_url(raw: &str) -> Result<Url, DirectoryError> {
    let bad = |why: &str| DirectoryError::Unavailable {
        detail: format!("the Lark base URL {raw:?} is unusable: {why}"),
    };
    let mut url = Url::parse(raw.trim()).map_err(|err| bad(&err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none() || url.cannot_be_a_base() {
        return Err(bad("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it must not carry credentials"));
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The API base URL of a connection: its override if `policy` admits it, else its region's
/// public host. Checked before every session and token exchange, so an integration stored while
/// custom base URLs were allowed sends nothing once the operator turns them off.
///
/// # Errors
/// `BaseUrlRefused` for an override the policy refuses, else as [`parse_base_url`].
pub(crate) fn connection_base_url(
    connection: &DirectoryConnection,
    policy: BaseUrlPolicy,
) -> Result<Url, DirectoryError> {
    if let Some(custom) = &connection.base_url {
        policy
            .admit(custom)
            .map_err(DirectoryError::BaseUrlRefused)?;
    }
    parse_base_url(
        connection
            .base_url
            .as_ref()
            .map_or(connection.region.default_base_url(), BaseUrl::as_str),
    )
}

/// `{base}/open-apis/{segments…}?{query}`; segments and query values are percent-encoded (a page
/// token's `+`, `/` and `=` become `%2B`, `%2F`, `%3D`).
pub(crate) fn endpoint_url(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push("open-apis").extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn network_failure(api: &str, err: reqwest::Error) -> Failure {
    let err = err.without_url();
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let detail = format!("{api} request {kind}: {}", error_chain(&err));
    if err.is_builder() {
        Failure::Local { detail }
    } else {
        Failure::Network { detail }
    }
}

/// Decodes an answer: a Lark `code` decides first (0 = success whatever the status); without
/// one, the HTTP status does.
pub(crate) fn decode(
    status: StatusCode,
    reset: Option<String>,
    header_log_id: Option<String>,
    body: &[u8],
) -> Result<serde_json::Value, Failure> {
    let success = status.is_success();
    let without_code = |why: String| {
        if success {
            Failure::Malformed {
                detail: format!("HTTP {}: {why}", status.as_u16()),
            }
        } else {
            Failure::Http {
                status: status.as_u16(),
                log_id: header_log_id.clone(),
                reset: reset.clone(),
            }
        }
    };
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => return Err(without_code(format!("the body is not JSON ({err})"))),
    };
    let head = match WireHead::deserialize(&value) {
        Ok(head) => head,
        Err(err) => {
            return Err(without_code(format!(
                "the body is not a Lark answer ({err})"
            )));
        }
    };
    match head.code {
        Some(0) => Ok(value),
        Some(code) => {
            let (log_id, scopes) = match head.error {
                Some(detail) => (
                    detail.log_id.filter(|l| !l.is_empty()),
                    detail
                        .permission_violations
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|violation| violation.subject)
                        .collect(),
                ),
                None => (None, Vec::new()),
            };
            Err(Failure::Lark(LarkFault {
                status: status.as_u16(),
                code,
                msg: head.msg.unwrap_or_default(),
                log_id: log_id.or(header_log_id),
                scopes,
                reset,
            }))
        }
        None => Err(without_code("the answer has no code".to_owned())),
    }
}

/// Sends the requests of one session.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    settings: Arc<LarkClientSettings>,
    base: Url,
    app_id: AppId,
    secret: SecretString,
    tokens: Arc<TokenSlot>,
    pacer: Option<Arc<AppPacer>>,
    in_flight: Semaphore,
    counters: Counters,
    observer: Arc<dyn CallObserver>,
    /// What this session (one sync) may still send and receive.
    budget: Budget,
}

impl Transport {
    #[allow(clippy::too_many_arguments)] // the session's parts, each distinct; one caller
    pub(crate) fn new(
        http: reqwest::Client,
        settings: Arc<LarkClientSettings>,
        base: Url,
        app_id: AppId,
        secret: SecretString,
        tokens: Arc<TokenSlot>,
        pacer: Option<Arc<AppPacer>>,
        observer: Arc<dyn CallObserver>,
    ) -> Self {
        let in_flight = Semaphore::new(settings.max_in_flight.max(1));
        let budget = Budget::new(settings.max_requests_per_sync, settings.max_items_per_sync);
        Self {
            http,
            settings,
            base,
            app_id,
            secret,
            tokens,
            pacer,
            in_flight,
            counters: Counters::default(),
            observer,
            budget,
        }
    }

    pub(crate) fn counters(&self) -> ApiCounters {
        self.counters.snapshot()
    }

    pub(crate) fn settings(&self) -> &LarkClientSettings {
        &self.settings
    }

    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        endpoint_url(&self.base, segments, query)
    }

    /// A tenant token: the cached one, or a fresh one from the token endpoint.
    pub(crate) async fn bearer(&self) -> Result<Bearer, DirectoryError> {
        self.tokens
            .get(&self.secret, self.settings.token_refresh_margin(), || {
                self.fetch_token()
            })
            .await
    }

    /// A tenant token fetched now, whatever is cached (the cache then holds it).
    pub(crate) async fn fresh_bearer(&self) -> Result<Bearer, DirectoryError> {
        self.tokens
            .refetch(&self.secret, self.settings.token_refresh_margin(), || {
                self.fetch_token()
            })
            .await
    }

    /// Boxed as a type-erased `Send` future: API calls reach the token endpoint through
    /// `execute` → `bearer` → here → `execute`, and the erasure breaks that type cycle.
    fn fetch_token(&self) -> BoxFuture<'_, Result<FreshToken, DirectoryError>> {
        async move {
            let request = Request {
                api: "auth/v3/tenant_access_token",
                method: Method::POST,
                url: self.url(&["auth", "v3", "tenant_access_token", "internal"], &[]),
                resource: "the app credentials",
                endpoint: Endpoint::TenantToken,
            };
            let body = self.execute(&request).await.map_err(DirectoryError::from)?;
            let invalid = |detail: &str| DirectoryError::InvalidResponse {
                detail: detail.to_owned(),
            };
            let wire = WireTenantToken::deserialize(&body).map_err(|_| {
                invalid("the tenant token answer does not have the documented shape")
            })?;
            let token = wire
                .tenant_access_token
                .filter(|token| !token.is_empty())
                .ok_or_else(|| invalid("the tenant token answer has no tenant_access_token"))?;
            if !token.chars().all(|c| c.is_ascii_graphic()) {
                return Err(invalid(
                    "the tenant token has characters a header cannot carry",
                ));
            }
            let expire = wire
                .expire
                .and_then(|secs| u64::try_from(secs).ok())
                .filter(|secs| *secs > 0)
                .ok_or_else(|| invalid("the tenant token answer has no positive expire"))?;
            Ok(FreshToken {
                token: SecretString::from(token),
                expire: Duration::from_secs(expire),
            })
        }
        .boxed()
    }

    /// Sends a GET to a contact/tenant API and returns its `data`, deserialised.
    pub(crate) async fn get_data<T: DeserializeOwned>(
        &self,
        api: &'static str,
        url: Url,
        resource: &str,
    ) -> Result<T, CallError> {
        let request = Request {
            api,
            method: Method::GET,
            url,
            resource,
            endpoint: Endpoint::Api,
        };
        let mut body = self.execute(&request).await?;
        let data = body
            .get_mut("data")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        if data.is_null() {
            return Err(DirectoryError::InvalidResponse {
                detail: format!("the {api} answer has no data"),
            }
            .into());
        }
        self.budget.items_of(&data)?;
        T::deserialize(data).map_err(|err| {
            CallError::Directory(super::mapping::invalid(format!(
                "the {api} answer does not have the documented shape: {err}"
            )))
        })
    }

    /// Sends `request` until it succeeds or the catalogue's verdict and the bounds say stop.
    async fn execute(&self, request: &Request<'_>) -> Result<serde_json::Value, CallError> {
        let mut attempts = Attempts::default();
        loop {
            self.budget.request()?;
            let (bearer, outcome) = self.send_once(request).await?;
            let failure = match outcome {
                Ok(body) => {
                    self.observer.attempt(request.api, AttemptOutcome::Ok);
                    return Ok(body);
                }
                Err(failure) => failure,
            };
            let verdict = errors::classify(&failure, request.endpoint, request.resource);
            self.observer.attempt(request.api, outcome_of(&verdict));
            tracing::debug!(api = request.api, ?failure, ?verdict, "Lark request failed");
            let next = self.next_step(request, verdict, failure.clone(), bearer, &mut attempts);
            // Lark's status, message and log id go to the log only: the error's text reaches
            // API clients and pages without them.
            if let Err(CallError::Directory(err)) = &next {
                tracing::warn!(api = request.api, ?failure, error = ?err, "Lark request failed for good");
            }
            let next = next?;
            // Every way on from a failed attempt is a retry: counted here, once.
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            self.observer.retry(request.api);
            match next {
                Next::Wait(wait) => tokio::time::sleep(wait).await,
                Next::NewToken(generation) => self.tokens.invalidate(generation).await,
            }
        }
    }

    /// One attempt: an API call takes a tenant token, an in-flight slot and its pacing turn;
    /// the token endpoint takes none of them. Returns the token used with the outcome.
    async fn send_once(
        &self,
        request: &Request<'_>,
    ) -> Result<(Option<Bearer>, Result<serde_json::Value, Failure>), CallError> {
        if request.endpoint == Endpoint::TenantToken {
            return Ok((None, self.attempt(request, None).await));
        }
        let bearer = self.bearer().await?;
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| DirectoryError::Unavailable {
                detail: "the Lark session was closed".to_owned(),
            })?;
        let paced = match &self.pacer {
            Some(pacer) => Some((pacer, pacer.acquire(request.api).await)),
            None => None,
        };
        let outcome = self.attempt(request, Some(&bearer)).await;
        if let Some((pacer, ticket)) = paced
            && answered(&outcome)
        {
            pacer.answered(ticket, tokio::time::Instant::now());
        }
        Ok((Some(bearer), outcome))
    }

    /// What to do after a failed attempt, by the catalogue's verdict: wait and retry, fetch a
    /// new tenant token and retry, or give up with the call's error.
    fn next_step(
        &self,
        request: &Request<'_>,
        verdict: Verdict,
        failure: Failure,
        bearer: Option<Bearer>,
        attempts: &mut Attempts,
    ) -> Result<Next, CallError> {
        match verdict {
            Verdict::Fail(err) => Err(err.into()),
            Verdict::RecursionRefused => match failure {
                Failure::Lark(fault) => Err(CallError::RecursionRefused(fault)),
                _ => Err(DirectoryError::InvalidResponse {
                    detail: "recursion refused without a Lark code".to_owned(),
                }
                .into()),
            },
            Verdict::RateLimited => self.after_rate_limit(request, &failure, attempts),
            Verdict::RefreshToken => self.after_token_rejected(request, failure, bearer, attempts),
            Verdict::Retry { detail } => self.after_transient(request, &detail, attempts),
        }
    }

    /// Lark rate limited the call: wait until its window resets (plus jitter), a bounded
    /// number of times.
    fn after_rate_limit(
        &self,
        request: &Request<'_>,
        failure: &Failure,
        attempts: &mut Attempts,
    ) -> Result<Next, CallError> {
        let settings = &self.settings;
        attempts.rate_limited += 1;
        if attempts.rate_limited > settings.max_rate_limit_retries {
            tracing::warn!(
                api = request.api,
                attempts = attempts.rate_limited,
                "Lark kept rate limiting"
            );
            return Err(DirectoryError::RateLimited {
                attempts: attempts.rate_limited,
            }
            .into());
        }
        let wait = retry::rate_limit_wait(failure.reset_header(), settings.max_reset_wait())
            + RESET_JITTER.mul_f64(retry::random_unit());
        tracing::info!(
            api = request.api,
            wait_ms = wait.as_millis(),
            "rate limited by Lark; waiting"
        );
        self.counters
            .rate_limit_waits
            .fetch_add(1, Ordering::Relaxed);
        self.observer.rate_limit_wait(request.api, wait);
        Ok(Next::Wait(wait))
    }

    /// Lark rejected the tenant token: fetch a new one, once per call.
    fn after_token_rejected(
        &self,
        request: &Request<'_>,
        failure: Failure,
        bearer: Option<Bearer>,
        attempts: &mut Attempts,
    ) -> Result<Next, CallError> {
        let (Some(bearer), false) = (bearer, attempts.refreshed) else {
            let err = match failure {
                Failure::Lark(fault) => fault.to_api_error(),
                other => DirectoryError::InvalidResponse {
                    detail: format!("{other:?}"),
                },
            };
            return Err(err.into());
        };
        tracing::info!(
            api = request.api,
            "Lark rejected the tenant token; fetching a new one"
        );
        attempts.refreshed = true;
        Ok(Next::NewToken(bearer.generation))
    }

    /// A transient failure (5xx, 40003, timeout, reset): back off exponentially with jitter, a
    /// bounded number of times.
    fn after_transient(
        &self,
        request: &Request<'_>,
        detail: &str,
        attempts: &mut Attempts,
    ) -> Result<Next, CallError> {
        let settings = &self.settings;
        attempts.transient_failures += 1;
        let failures = attempts.transient_failures;
        if failures > settings.max_retries {
            tracing::warn!(api = request.api, attempts = failures, %detail, "Lark unavailable");
            return Err(DirectoryError::Unavailable {
                detail: format!("{detail} (after {failures} attempts)"),
            }
            .into());
        }
        Ok(Next::Wait(retry::backoff(
            failures,
            Duration::from_millis(settings.backoff_base_ms),
            Duration::from_millis(settings.backoff_max_ms),
            retry::random_unit(),
        )))
    }

    /// One HTTP exchange.
    async fn attempt(
        &self,
        request: &Request<'_>,
        bearer: Option<&Bearer>,
    ) -> Result<serde_json::Value, Failure> {
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone());
        if let Some(bearer) = bearer {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", bearer.token.expose_secret()))
                    .map_err(|_| Failure::Local {
                        detail: "the tenant token cannot be sent as a header".to_owned(),
                    })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if request.endpoint == Endpoint::TenantToken {
            builder = builder.json(&TokenRequestBody {
                app_id: self.app_id.as_str(),
                app_secret: self.secret.expose_secret(),
            });
        }
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        let response = builder
            .send()
            .await
            .map_err(|err| network_failure(request.api, err))?;
        let status = response.status();
        let reset = header_text(response.headers(), "x-ogw-ratelimit-reset");
        let log_id = header_text(response.headers(), "x-tt-logid")
            .or_else(|| header_text(response.headers(), "x-request-id"));
        let body = read_bounded(response, MAX_BODY_BYTES)
            .await
            .map_err(|err| match err {
                BodyError::Network(err) => network_failure(request.api, err),
                BodyError::TooLarge => Failure::Malformed {
                    detail: format!(
                        "the {} answer is larger than {} MiB",
                        request.api,
                        MAX_BODY_BYTES / (1024 * 1024)
                    ),
                },
            })?;
        tracing::trace!(
            api = request.api,
            status = status.as_u16(),
            bytes = body.len(),
            "Lark answered"
        );
        decode(status, reset, log_id, &body)
    }
}

/// Whether Lark answered the attempt (and so had counted it): anything but a request that did
/// not complete or was never sent.
fn answered(outcome: &Result<serde_json::Value, Failure>) -> bool {
    !matches!(
        outcome,
        Err(Failure::Network { .. } | Failure::Local { .. })
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_attempt_lark_answered_reports_an_answer_to_the_pacer() {
        let detail = || "x".to_owned();
        let answered_ones = [
            Ok(serde_json::json!({"code": 0})),
            Err(Failure::Malformed { detail: detail() }),
            Err(Failure::Http {
                status: 502,
                log_id: None,
                reset: None,
            }),
            Err(Failure::Lark(LarkFault {
                status: 429,
                code: 99_991_400,
                msg: "too many requests".to_owned(),
                log_id: None,
                scopes: Vec::new(),
                reset: Some("1".to_owned()),
            })),
        ];
        for outcome in &answered_ones {
            assert!(answered(outcome), "{outcome:?}");
        }
        // No answer: the slot plus the margin keeps standing in for the count.
        assert!(!answered(&Err(Failure::Network { detail: detail() })));
        assert!(!answered(&Err(Failure::Local { detail: detail() })));
    }

    #[test]
    fn urls_encode_page_tokens_and_path_segments() {
        let base = parse_base_url("http://127.0.0.1:8080").unwrap();
        let url = endpoint_url(
            &base,
            &["contact", "v3", "departments", "od-1/x", "children"],
            &[("page_token", "AQD9/Rn9+G8=%2B"), ("fetch_child", "true")],
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/open-apis/contact/v3/departments/od-1%2Fx/children?page_token=AQD9%2FRn9%2BG8%3D%252B&fetch_child=true"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0].1, "AQD9/Rn9+G8=%2B");
    }

    #[test]
    fn base_urls_keep_a_path_prefix_and_reject_nonsense() {
        let base = parse_base_url("https://lark.example.com/proxy/").unwrap();
        assert_eq!(
            endpoint_url(&base, &["tenant", "v2", "tenant", "query"], &[]).as_str(),
            "https://lark.example.com/proxy/open-apis/tenant/v2/tenant/query"
        );
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
        assert!(parse_base_url("https://user:pw@x.example").is_err());
    }

    #[test]
    fn decode_reads_the_code_first() {
        let ok = decode(StatusCode::OK, None, None, br#"{"code":0,"data":{}}"#).unwrap();
        assert_eq!(ok["code"], 0);
        let limited = decode(
            StatusCode::BAD_REQUEST,
            Some("52".to_owned()),
            Some("hdr-log".to_owned()),
            br#"{"code":99991400,"msg":"request trigger frequency limit"}"#,
        )
        .unwrap_err();
        let Failure::Lark(fault) = limited else {
            panic!("{limited:?}")
        };
        assert_eq!((fault.status, fault.code), (400, 99_991_400));
        assert_eq!(fault.reset.as_deref(), Some("52"));
        assert_eq!(fault.log_id.as_deref(), Some("hdr-log"));
        let scoped = decode(
            StatusCode::BAD_REQUEST,
            None,
            Some("hdr-log".to_owned()),
            br#"{"code":99991672,"msg":"m","error":{"log_id":"body-log","permission_violations":[{"subject":"a:b"}]}}"#,
        )
        .unwrap_err();
        let Failure::Lark(fault) = scoped else {
            panic!("{scoped:?}")
        };
        assert_eq!(fault.log_id.as_deref(), Some("body-log"));
        assert_eq!(fault.scopes, ["a:b"]);
    }

    #[test]
    fn decode_falls_back_to_the_status_without_a_code() {
        assert!(matches!(
            decode(
                StatusCode::BAD_GATEWAY,
                None,
                None,
                b"<html>bad gateway</html>"
            ),
            Err(Failure::Http { status: 502, .. })
        ));
        assert!(matches!(
            decode(StatusCode::OK, None, None, b"{\"code\":"),
            Err(Failure::Malformed { .. })
        ));
        assert!(matches!(
            decode(StatusCode::OK, None, None, b"[1,2]"),
            Err(Failure::Malformed { .. })
        ));
        assert!(matches!(
            decode(StatusCode::OK, None, None, b"{\"data\":{}}"),
            Err(Failure::Malformed { .. })
        ));
        assert!(matches!(
            decode(
                StatusCode::TOO_MANY_REQUESTS,
                Some("1".to_owned()),
                None,
                b""
            ),
            Err(Failure::Http {
                status: 429,
                reset: Some(_),
                ..
            })
        ));
    }
}
