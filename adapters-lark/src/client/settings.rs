//! `LarkClientSettings`: the tunables of the Lark client (timeouts, retry bounds, pacing margin),
//! deserialisable so the application's configuration can embed them.

use std::time::Duration;

use aviary_domain::values::BaseUrlPolicy;
use serde::Deserialize;

/// How the Lark client times out, retries and paces itself. Every field has a default, so an
/// empty configuration section is valid.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct LarkClientSettings {
    /// Whole-request timeout (connect + send + read the body), seconds. Default 30.
    pub request_timeout_secs: u64,
    /// TCP/TLS connect timeout, seconds. Default 10.
    pub connect_timeout_secs: u64,
    /// Retries after the first attempt for 5xx answers, Lark's internal error 40003, timeouts and
    /// connection failures; then the call fails with `Unavailable`. Default 3 (4 attempts).
    pub max_retries: u32,
    /// First backoff delay in milliseconds; doubles per retry, with jitter. Default 200.
    pub backoff_base_ms: u64,
    /// Upper bound of one backoff delay in milliseconds. Default 5000.
    pub backoff_max_ms: u64,
    /// Retries after a rate-limited answer (99991400); then the call fails with `RateLimited`.
    /// Default 7 (8 attempts).
    pub max_rate_limit_retries: u32,
    /// Longest wait honoured from `x-ogw-ratelimit-reset`, seconds. Default 60.
    pub max_reset_wait_secs: u64,
    /// A cached tenant token is replaced when less than this many seconds of its lifetime remain.
    /// Default 300 (see `token.rs` for why not 30 minutes).
    pub token_refresh_margin_secs: u64,
    /// Safety margin added to the pacing windows (1 s and 60 s), milliseconds, so that network
    /// jitter cannot squeeze a full window of requests into less than Lark's window. Default 50.
    pub pacing_margin_ms: u64,
    /// Requests one session keeps in flight at most. Default 16.
    pub max_in_flight: usize,
    /// Concurrent requests used inside one call that fans out (batches of ids, the level-by-level
    /// department walk). Default 4.
    pub batch_concurrency: usize,
    /// Let integrations replace Lark's hosts with a base URL of their own (a private deployment,
    /// a proxy, the simulator): `https` only, plain `http` only to this machine. Default false:
    /// every request goes to Lark's own hosts, and an integration stored with a custom base URL
    /// fails before anything is sent.
    pub allow_custom_base_url: bool,
    /// Requests one sync sends at most (retries included); then it fails. Default 200000.
    pub max_requests_per_sync: u64,
    /// Listed items (users, departments, groups, members, apps) one sync receives at most;
    /// then it fails. Default 2000000.
    pub max_items_per_sync: u64,
}

impl Default for LarkClientSettings {
    fn default() -> Self {
        Self {
            request_timeout_secs: 30,
            connect_timeout_secs: 10,
            max_retries: 3,
            backoff_base_ms: 200,
            backoff_max_ms: 5_000,
            max_rate_limit_retries: 7,
            max_reset_wait_secs: 60,
            token_refresh_margin_secs: 300,
            pacing_margin_ms: 50,
            max_in_flight: 16,
            batch_concurrency: 4,
            allow_custom_base_url: false,
            max_requests_per_sync: 200_000,
            max_items_per_sync: 2_000_000,
        }
    }
}

impl LarkClientSettings {
    /// Checks the values that would make the client unusable.
    ///
    /// # Errors
    /// A plain-words reason when a timeout or a concurrency limit is zero.
    pub fn validate(&self) -> Result<(), String> {
        if self.request_timeout_secs == 0 {
            return Err("request_timeout_secs must be at least 1".to_owned());
        }
        if self.connect_timeout_secs == 0 {
            return Err("connect_timeout_secs must be at least 1".to_owned());
        }
        if self.max_in_flight == 0 {
            return Err("max_in_flight must be at least 1".to_owned());
        }
        if self.batch_concurrency == 0 {
            return Err("batch_concurrency must be at least 1".to_owned());
        }
        if self.max_requests_per_sync == 0 {
            return Err("max_requests_per_sync must be at least 1".to_owned());
        }
        if self.max_items_per_sync == 0 {
            return Err("max_items_per_sync must be at least 1".to_owned());
        }
        Ok(())
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    pub(crate) fn max_reset_wait(&self) -> Duration {
        Duration::from_secs(self.max_reset_wait_secs)
    }

    pub(crate) fn token_refresh_margin(&self) -> Duration {
        Duration::from_secs(self.token_refresh_margin_secs)
    }

    pub(crate) fn pacing_margin(&self) -> Duration {
        Duration::from_millis(self.pacing_margin_ms)
    }

    /// Where requests may go, from `allow_custom_base_url`.
    pub fn base_url_policy(&self) -> BaseUrlPolicy {
        BaseUrlPolicy::new(self.allow_custom_base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_section_takes_every_default() {
        let parsed: LarkClientSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, LarkClientSettings::default());
        assert_eq!(parsed.request_timeout_secs, 30);
        assert_eq!(parsed.max_retries, 3);
        assert!(parsed.validate().is_ok());
    }

    #[test]
    fn partial_sections_override_only_their_keys() {
        let parsed: LarkClientSettings =
            serde_json::from_str(r#"{"max_retries": 1, "backoff_base_ms": 5}"#).unwrap();
        assert_eq!(parsed.max_retries, 1);
        assert_eq!(parsed.backoff_base_ms, 5);
        assert_eq!(parsed.max_rate_limit_retries, 7);
    }

    #[test]
    fn zero_timeouts_are_rejected() {
        let settings = LarkClientSettings {
            request_timeout_secs: 0,
            ..LarkClientSettings::default()
        };
        assert!(
            settings
                .validate()
                .unwrap_err()
                .contains("request_timeout_secs")
        );
        let settings = LarkClientSettings {
            max_in_flight: 0,
            ..LarkClientSettings::default()
        };
        assert!(settings.validate().unwrap_err().contains("max_in_flight"));
    }
}
