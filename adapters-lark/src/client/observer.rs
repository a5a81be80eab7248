//! What the client tells an observer about its requests to Lark — every attempt's outcome,
//! every retry and every wait for a rate-limit window — so that the process can count them
//! (Prometheus metrics in the wiring). The default observer ignores everything.

use std::time::Duration;

/// How one attempt at a Lark API ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptOutcome {
    /// Lark answered with code 0.
    Ok,
    /// Rate limited (HTTP 429, 99991400): retried after the window resets, a bounded number of
    /// times.
    RateLimited,
    /// The tenant token was rejected: retried once with a new one.
    TokenRejected,
    /// A transient failure (5xx, timeout, reset): retried with backoff, a bounded number of times.
    Transient,
    /// Any other refusal (missing permission, out of range, bad request…): not retried.
    Refused,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::RateLimited => "rate_limited",
            Self::TokenRejected => "token_rejected",
            Self::Transient => "transient",
            Self::Refused => "refused",
        }
    }
}

/// Receives what the client does; called on the request path, so it must be quick.
pub trait CallObserver: Send + Sync + std::fmt::Debug {
    /// An attempt at `api` (a short name, e.g. `contact/v3/users/find_by_department`) ended.
    fn attempt(&self, api: &'static str, outcome: AttemptOutcome);
    /// The client is about to try `api` again.
    fn retry(&self, api: &'static str);
    /// The client waits `wait` for Lark's rate-limit window before trying `api` again.
    fn rate_limit_wait(&self, api: &'static str, wait: Duration);
}

/// Ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unobserved;

impl CallObserver for Unobserved {
    fn attempt(&self, _: &'static str, _: AttemptOutcome) {}
    fn retry(&self, _: &'static str) {}
    fn rate_limit_wait(&self, _: &'static str, _: Duration) {}
}
