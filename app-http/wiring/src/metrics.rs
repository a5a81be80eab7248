//! Prometheus metrics of one process (`GET /metrics`, OpenMetrics text): the sync runs it ran
//! by trigger and outcome and their durations, its requests to Lark by API and outcome with
//! retries and rate-limit waits, its HTTP requests by route, method and status with their
//! latency — and, read from the database at each scrape (so every process reports the same),
//! the accounts of each integration by status and the seconds since its last good sync.

use std::sync::Arc;
use std::time::Duration;

use aviary_adapters_lark::{AttemptOutcome, CallObserver};
use aviary_domain::model::{AccountStatus, RunStatus, RunTrigger};
use aviary_domain::values::IntegrationId;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    trigger: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LarkLabels {
    api: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabels {
    api: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AccountLabels {
    integration: String,
    label: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IntegrationLabels {
    integration: String,
    label: String,
}

/// What the database says about one integration at a scrape.
#[derive(Debug, Clone)]
pub struct IntegrationGauges {
    pub id: IntegrationId,
    pub label: String,
    pub accounts: Vec<(AccountStatus, u64)>,
    /// Seconds since its newest succeeded run finished; `None` when none ever did.
    pub since_good_sync: Option<f64>,
}

/// The process's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    run_seconds: Family<OutcomeLabels, Histogram>,
    lark_attempts: Family<LarkLabels, Counter>,
    lark_retries: Family<ApiLabels, Counter>,
    lark_rate_limit_waits: Family<ApiLabels, Counter>,
    lark_rate_limit_wait_seconds: Family<ApiLabels, Counter<f64, std::sync::atomic::AtomicU64>>,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Family<RouteLabels, Histogram>,
    accounts: Family<AccountLabels, Gauge>,
    since_good_sync: Family<IntegrationLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

/// Run durations: 1 s to about 2 h.
fn run_buckets() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 14))
}

/// Request latencies: 5 ms to about 20 s.
fn http_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("aviary");
        let metrics = Self {
            runs: Family::default(),
            run_seconds: Family::new_with_constructor(run_buckets),
            lark_attempts: Family::default(),
            lark_retries: Family::default(),
            lark_rate_limit_waits: Family::default(),
            lark_rate_limit_wait_seconds: Family::default(),
            http_requests: Family::default(),
            http_seconds: Family::new_with_constructor(http_buckets),
            accounts: Family::default(),
            since_good_sync: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "sync_runs",
            "Sync runs this process ran, by trigger and outcome",
            metrics.runs.clone(),
        );
        registry.register(
            "sync_run_duration_seconds",
            "How long this process's sync runs took, by outcome",
            metrics.run_seconds.clone(),
        );
        registry.register(
            "lark_requests",
            "Attempts at Lark's APIs, by API and outcome (ok, rate_limited, token_rejected, transient, refused)",
            metrics.lark_attempts.clone(),
        );
        registry.register(
            "lark_retries",
            "Requests to Lark tried again, by API",
            metrics.lark_retries.clone(),
        );
        registry.register(
            "lark_rate_limit_waits",
            "Waits for Lark's rate-limit window, by API",
            metrics.lark_rate_limit_waits.clone(),
        );
        registry.register(
            "lark_rate_limit_wait_seconds",
            "Time spent waiting for Lark's rate-limit window, by API",
            metrics.lark_rate_limit_wait_seconds.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests this process answered, by route pattern, method and status",
            metrics.http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "How long this process took to answer HTTP requests, by route pattern",
            metrics.http_seconds.clone(),
        );
        registry.register(
            "accounts",
            "Current accounts of each integration by status (from the database)",
            metrics.accounts.clone(),
        );
        registry.register(
            "seconds_since_last_good_sync",
            "Seconds since each integration's newest succeeded run finished (from the database; absent when none did)",
            metrics.since_good_sync.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }

    /// A sync run of this process ended (`duration`: from its start to its end).
    pub fn run_finished(&self, trigger: RunTrigger, status: RunStatus, duration: Duration) {
        let outcome = status.as_str();
        self.runs
            .get_or_create(&RunLabels {
                trigger: trigger.as_str(),
                outcome,
            })
            .inc();
        self.run_seconds
            .get_or_create(&OutcomeLabels { outcome })
            .observe(duration.as_secs_f64());
    }

    /// This process answered an HTTP request; `route` is the matched pattern (bounded), never
    /// the path itself.
    pub fn http_request(&self, route: &str, method: &str, status: u16, duration: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.http_seconds
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(duration.as_secs_f64());
    }

    /// The metrics in the OpenMetrics text format, with the database gauges set from
    /// `integrations` (integrations gone since the last scrape disappear).
    pub fn render(&self, integrations: &[IntegrationGauges]) -> String {
        self.accounts.clear();
        self.since_good_sync.clear();
        for integration in integrations {
            let (id, label) = (integration.id.to_string(), integration.label.clone());
            for (status, count) in &integration.accounts {
                self.accounts
                    .get_or_create(&AccountLabels {
                        integration: id.clone(),
                        label: label.clone(),
                        status: status.as_str(),
                    })
                    .set(i64::try_from(*count).unwrap_or(i64::MAX));
            }
            if let Some(seconds) = integration.since_good_sync {
                self.since_good_sync
                    .get_or_create(&IntegrationLabels {
                        integration: id,
                        label,
                    })
                    .set(seconds);
            }
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

impl CallObserver for Metrics {
    fn attempt(&self, api: &'static str, outcome: AttemptOutcome) {
        self.lark_attempts
            .get_or_create(&LarkLabels {
                api,
                outcome: outcome.as_str(),
            })
            .inc();
    }

    fn retry(&self, api: &'static str) {
        self.lark_retries.get_or_create(&ApiLabels { api }).inc();
    }

    fn rate_limit_wait(&self, api: &'static str, wait: Duration) {
        self.lark_rate_limit_waits
            .get_or_create(&ApiLabels { api })
            .inc();
        self.lark_rate_limit_wait_seconds
            .get_or_create(&ApiLabels { api })
            .inc_by(wait.as_secs_f64());
    }
}

/// The one [`Metrics`] of a process, shared by the server, the scheduler and the Lark client.
pub type SharedMetrics = Arc<Metrics>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_requests_and_database_gauges_are_rendered_as_openmetrics() {
        let metrics = Metrics::new();
        metrics.run_finished(
            RunTrigger::Schedule,
            RunStatus::Succeeded,
            Duration::from_secs(3),
        );
        metrics.attempt("contact/v3/users/find_by_department", AttemptOutcome::Ok);
        metrics.attempt(
            "contact/v3/users/find_by_department",
            AttemptOutcome::RateLimited,
        );
        metrics.rate_limit_wait(
            "contact/v3/users/find_by_department",
            Duration::from_millis(1_500),
        );
        metrics.http_request(
            "/api/v1/integrations/{id}",
            "GET",
            200,
            Duration::from_millis(7),
        );
        let id = IntegrationId::from_uuid(uuid::Uuid::from_u128(5));
        let text = metrics.render(&[IntegrationGauges {
            id,
            label: "acme".to_owned(),
            accounts: vec![(AccountStatus::Active, 40), (AccountStatus::Resigned, 2)],
            since_good_sync: Some(12.5),
        }]);
        for line in [
            "aviary_sync_runs_total{trigger=\"schedule\",outcome=\"succeeded\"} 1",
            "aviary_sync_run_duration_seconds_count{outcome=\"succeeded\"} 1",
            "aviary_lark_requests_total{api=\"contact/v3/users/find_by_department\",outcome=\"rate_limited\"} 1",
            "aviary_lark_rate_limit_wait_seconds_total{api=\"contact/v3/users/find_by_department\"} 1.5",
            "aviary_http_requests_total{route=\"/api/v1/integrations/{id}\",method=\"GET\",status=\"200\"} 1",
            &format!("aviary_accounts{{integration=\"{id}\",label=\"acme\",status=\"active\"}} 40"),
            &format!(
                "aviary_seconds_since_last_good_sync{{integration=\"{id}\",label=\"acme\"}} 12.5"
            ),
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        // An integration removed since: its gauges go.
        let text = metrics.render(&[]);
        assert!(!text.contains("label=\"acme\""), "{text}");
    }
}
