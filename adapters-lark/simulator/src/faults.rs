//! Fault switches tests flip to reproduce Lark's bad days: forced rate limiting, 5xx (one-off or
//! persistent), malformed bodies and latency. They apply to every data API (not the token
//! endpoints), and each served fault is counted in the stats. The OAuth token endpoint has its own
//! one-off switch (20050 / 20072), so data-API faults never break a login.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Current fault settings (also what `GET/POST /_simulator/faults` show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSettings {
    /// The next `n` data requests answer 99991400 …
    pub rate_limit_next: u32,
    /// … with this HTTP status: 429, or 400 like some older Lark APIs.
    pub rate_limit_status: u16,
    /// The next `n` data requests fail with `fail_status`.
    pub fail_next: u32,
    pub fail_status: u16,
    /// Every data request fails with this status until cleared.
    pub fail_always: Option<u16>,
    /// The next `n` data requests answer 200 with a truncated JSON body.
    pub malformed_next: u32,
    /// Latency added to every Lark API request, in milliseconds.
    pub delay_ms: u64,
    /// The next `n` requests to the OAuth token endpoint fail: 20050 (HTTP 500), or 20072 when
    /// `oauth_fail_status` is 503.
    pub oauth_fail_next: u32,
    pub oauth_fail_status: u16,
    /// A hostile upstream: every data request is answered this way until cleared.
    #[serde(default)]
    pub hostile: Option<Hostile>,
}

/// How a hostile (or badly broken) upstream answers every data request. Not Lark behaviour: the
/// adversarial suite checks that a sync against it fails cleanly with bounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hostile {
    /// 200 with a 16 MiB body (Aviary reads at most 4 MiB).
    HugeBodies,
    /// 200 with the real body, one byte every 100 ms.
    SlowBodies,
    /// Every list says there is more, with page tokens that come round again (A, B, A, …).
    CyclingPageTokens,
    /// 99991400 with `x-ogw-ratelimit-reset: 60`, every time.
    LongRateLimitResets,
}

impl Default for FaultSettings {
    fn default() -> Self {
        Self {
            rate_limit_next: 0,
            rate_limit_status: 429,
            fail_next: 0,
            fail_status: 500,
            fail_always: None,
            malformed_next: 0,
            delay_ms: 0,
            oauth_fail_next: 0,
            oauth_fail_status: 500,
            hostile: None,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    settings: Mutex<FaultSettings>,
}

/// Clamps a test-supplied status to something HTTP can carry as an error.
pub(crate) fn error_status(status: u16) -> u16 {
    if (400..=599).contains(&status) {
        status
    } else {
        500
    }
}

impl Faults {
    fn with<T>(&self, f: impl FnOnce(&mut FaultSettings) -> T) -> T {
        let mut guard = self
            .settings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    pub(crate) fn snapshot(&self) -> FaultSettings {
        self.with(|s| s.clone())
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut FaultSettings)) {
        self.with(f);
    }

    pub(crate) fn clear(&self) {
        self.with(|s| *s = FaultSettings::default());
    }

    pub(crate) fn delay(&self) -> Option<Duration> {
        self.with(|s| (s.delay_ms > 0).then(|| Duration::from_millis(s.delay_ms)))
    }

    /// HTTP status of a forced rate-limit answer, consuming one if armed.
    pub(crate) fn take_rate_limit(&self) -> Option<u16> {
        self.with(|s| {
            (s.rate_limit_next > 0).then(|| {
                s.rate_limit_next -= 1;
                s.rate_limit_status
            })
        })
    }

    /// HTTP status of a forced failure, consuming a one-off failure if armed.
    pub(crate) fn take_failure(&self) -> Option<u16> {
        self.with(|s| {
            if s.fail_next > 0 {
                s.fail_next -= 1;
                Some(s.fail_status)
            } else {
                s.fail_always
            }
        })
    }

    /// HTTP status of a forced OAuth token-endpoint failure, consuming one if armed.
    pub(crate) fn take_oauth_failure(&self) -> Option<u16> {
        self.with(|s| {
            (s.oauth_fail_next > 0).then(|| {
                s.oauth_fail_next -= 1;
                s.oauth_fail_status
            })
        })
    }

    pub(crate) fn hostile(&self) -> Option<Hostile> {
        self.with(|s| s.hostile)
    }

    pub(crate) fn take_malformed(&self) -> bool {
        self.with(|s| {
            let armed = s.malformed_next > 0;
            if armed {
                s.malformed_next -= 1;
            }
            armed
        })
    }
}
