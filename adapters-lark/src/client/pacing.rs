//! Client-side pacing under Lark's per-API rate limits (e.g. 50/s and 1000/min per API, app and
//! tenant), so that a normal sync never meets a 429.
//!
//! Each API has a sliding-window log of the send slots it handed out. A new request gets the
//! earliest slot at which neither window (1 s, 60 s, each widened by a small margin) would hold
//! more than its quota, reserves it, and sleeps until then (`tokio::time`). This guarantees
//! "at most N in any window", which holds against a server counting with fixed windows, sliding
//! windows or token buckets alike. A GCRA token bucket (e.g. `governor`) with a burst equal to the
//! quota does not: starting full, it lets `2·N − 1` requests through in the first window, and
//! shrinking its burst to stay safe costs throughput. Reserving distinct slots also gives FIFO
//! order without a thundering herd of waiters.
//!
//! Pacers live in the gateway keyed by (base URL, app id, limits), so concurrent sessions of the
//! same app share them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aviary_domain::ports::RateLimits;
use tokio::time::Instant;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// The sliding-window log of one API.
#[derive(Debug, Default)]
struct Window {
    /// Reserved send slots, non-decreasing, at most `max(per_second, per_minute)` of them.
    slots: VecDeque<Instant>,
}

/// Paces every API of one app in one tenant.
#[derive(Debug)]
pub(crate) struct AppPacer {
    per_second: usize,
    per_minute: usize,
    second: Duration,
    minute: Duration,
    windows: Mutex<HashMap<&'static str, Window>>,
}

impl AppPacer {
    /// A quota of 0 leaves that window unlimited.
    pub(crate) fn new(limits: RateLimits, margin: Duration) -> Self {
        Self {
            per_second: usize::try_from(limits.per_second).unwrap_or(usize::MAX),
            per_minute: usize::try_from(limits.per_minute).unwrap_or(usize::MAX),
            second: SECOND + margin,
            minute: MINUTE + margin,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves the earliest slot at or after `now` that keeps both windows within quota.
    fn reserve(&self, api: &'static str, now: Instant) -> Instant {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let window = windows.entry(api).or_default();
        let slots = &mut window.slots;
        let mut slot = slots.back().map_or(now, |last| (*last).max(now));
        for (quota, length) in [
            (self.per_second, self.second),
            (self.per_minute, self.minute),
        ] {
            if quota > 0 && slots.len() >= quota {
                // The quota-th most recent slot must have left the window.
                slot = slot.max(slots[slots.len() - quota] + length);
            }
        }
        slots.push_back(slot);
        let keep = self.per_second.max(self.per_minute);
        while slots.len() > keep {
            slots.pop_front();
        }
        slot
    }

    /// Waits until `api` may be called again.
    pub(crate) async fn acquire(&self, api: &'static str) {
        let now = Instant::now();
        let slot = self.reserve(api, now);
        if slot > now {
            tracing::trace!(
                api,
                wait_ms = (slot - now).as_millis(),
                "pacing a Lark request"
            );
            tokio::time::sleep_until(slot).await;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PacerKey {
    base_url: String,
    app_id: String,
    per_second: u32,
    per_minute: u32,
}

/// The gateway's pacers, shared by all sessions of the same app and limits.
#[derive(Debug, Default)]
pub(crate) struct PacerRegistry {
    pacers: Mutex<HashMap<PacerKey, Arc<AppPacer>>>,
}

impl PacerRegistry {
    pub(crate) fn pacer(
        &self,
        base_url: &str,
        app_id: &str,
        limits: RateLimits,
        margin: Duration,
    ) -> Arc<AppPacer> {
        let key = PacerKey {
            base_url: base_url.to_owned(),
            app_id: app_id.to_owned(),
            per_second: limits.per_second,
            per_minute: limits.per_minute,
        };
        let mut pacers = self.pacers.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            pacers
                .entry(key)
                .or_insert_with(|| Arc::new(AppPacer::new(limits, margin))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: u32, per_minute: u32) -> RateLimits {
        RateLimits {
            per_second,
            per_minute,
        }
    }

    /// At most `quota` of `times` in any half-open window of `length`.
    fn max_in_window(times: &[Duration], length: Duration) -> usize {
        times
            .iter()
            .map(|start| {
                times
                    .iter()
                    .filter(|t| **t >= *start && **t < *start + length)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn both_windows_hold_and_the_first_second_is_a_burst() {
        let pacer = AppPacer::new(limits(5, 12), Duration::ZERO);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..30 {
            pacer.acquire("users/batch").await;
            sent.push(start.elapsed());
        }
        // A burst of 5, then 5 more a second later, then 2 more; then the minute is full.
        assert_eq!(&sent[..5], &[Duration::ZERO; 5]);
        assert_eq!(&sent[5..10], &[SECOND; 5]);
        assert_eq!(&sent[10..12], &[2 * SECOND; 2]);
        assert_eq!(sent[12], MINUTE);
        assert!(max_in_window(&sent, SECOND) <= 5);
        assert!(max_in_window(&sent, MINUTE) <= 12);
        assert_eq!(max_in_window(&sent, MINUTE), 12);
    }

    #[tokio::test(start_paused = true)]
    async fn apis_are_paced_separately_and_the_margin_widens_the_window() {
        let pacer = AppPacer::new(limits(2, 0), Duration::from_millis(100));
        let start = Instant::now();
        for _ in 0..2 {
            pacer.acquire("scopes").await;
            pacer.acquire("tenant/query").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(1_100));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_get_distinct_slots() {
        let pacer = Arc::new(AppPacer::new(limits(50, 1_000), Duration::ZERO));
        let start = Instant::now();
        let tasks: Vec<_> = (0..120)
            .map(|_| {
                let pacer = Arc::clone(&pacer);
                tokio::spawn(async move {
                    pacer.acquire("users/find_by_department").await;
                    start.elapsed()
                })
            })
            .collect();
        let mut sent = Vec::new();
        for task in tasks {
            sent.push(task.await.unwrap());
        }
        sent.sort();
        assert!(max_in_window(&sent, SECOND) <= 50);
        assert_eq!(sent.iter().filter(|t| **t == Duration::ZERO).count(), 50);
        assert_eq!(*sent.last().unwrap(), 2 * SECOND);
    }

    #[test]
    fn the_registry_shares_pacers_per_app_and_limits() {
        let registry = PacerRegistry::default();
        let a = registry.pacer(
            "https://open.larksuite.com",
            "cli_a",
            limits(50, 1000),
            Duration::ZERO,
        );
        let b = registry.pacer(
            "https://open.larksuite.com",
            "cli_a",
            limits(50, 1000),
            Duration::ZERO,
        );
        let c = registry.pacer(
            "https://open.larksuite.com",
            "cli_b",
            limits(50, 1000),
            Duration::ZERO,
        );
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
