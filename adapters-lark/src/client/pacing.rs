//! Client-side pacing under Lark's per-API rate limits (e.g. 50/s and 1000/min per API, app and
//! tenant), so that a normal sync never meets a 429.
//!
//! Each API has a sliding-window log of the send slots it handed out. A new request gets the
//! earliest slot at which neither window (1 s, 60 s) would hold more than its quota, reserves it,
//! and sleeps until then (`tokio::time`). This guarantees "at most N in any window", which holds
//! against a server counting with fixed windows, sliding windows or token buckets alike. A GCRA
//! token bucket (e.g. `governor`) with a burst equal to the quota does not: starting full, it
//! lets `2·N − 1` requests through in the first window, and shrinking its burst to stay safe
//! costs throughput. Reserving distinct slots also gives FIFO order without a thundering herd of
//! waiters.
//!
//! What must leave the window is the moment Lark *counted* a request, which the client cannot
//! see. It is no later than the moment its answer arrived, whatever the network did: Lark counts
//! a request before it answers it. So each slot carries `counted_by`: its answer's arrival once
//! there is one; until then (and for a request that never got one) its slot plus a small margin,
//! which holds as long as the network delays requests alike. Later requests reserve against it
//! once it is known, which the in-flight limit makes the rule: a request reserves its slot only
//! once one of the few in flight is answered, long after the request a quota before it. On a
//! fast link a window then costs a round trip instead of the margin; on a slow one it costs the
//! round trip too, which also covers requests delayed before they left (connection set-up, a
//! late wake-up) that the margin alone would not (ADR 0003).
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

/// One reserved send slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    at: Instant,
    /// The latest Lark can have counted the request: its answer's arrival, or until there is
    /// one, `at` plus the margin (see the module's documentation).
    counted_by: Instant,
}

/// The sliding-window log of one API.
#[derive(Debug, Default)]
struct Window {
    /// Reserved send slots, non-decreasing, at most `max(per_second, per_minute)` of them.
    slots: VecDeque<Slot>,
    /// The number of slots this window ever dropped from its front: slot `n` of the API is at
    /// `slots[n - dropped]` while kept.
    dropped: u64,
    /// The latest `counted_by` of the dropped slots: an answer may still come for one.
    dropped_counted_by: Option<Instant>,
}

/// A reserved slot, to report its answer with ([`AppPacer::answered`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    api: &'static str,
    number: u64,
}

/// Paces every API of one app in one tenant.
#[derive(Debug)]
pub(crate) struct AppPacer {
    per_second: usize,
    per_minute: usize,
    margin: Duration,
    windows: Mutex<HashMap<&'static str, Window>>,
}

impl AppPacer {
    /// A quota of 0 leaves that window unlimited.
    pub(crate) fn new(limits: RateLimits, margin: Duration) -> Self {
        Self {
            per_second: usize::try_from(limits.per_second).unwrap_or(usize::MAX),
            per_minute: usize::try_from(limits.per_minute).unwrap_or(usize::MAX),
            margin,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves the earliest slot at or after `now` that keeps both windows within quota.
    fn reserve(&self, api: &'static str, now: Instant) -> (Instant, Ticket) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let window = windows.entry(api).or_default();
        let slots = &mut window.slots;
        let mut at = slots.back().map_or(now, |last| last.at.max(now));
        for (quota, length) in [(self.per_second, SECOND), (self.per_minute, MINUTE)] {
            if quota > 0 && slots.len() >= quota {
                // The quota-th most recent request, and every one before it, must have been
                // counted a window ago (an answer arriving late can make an earlier request's
                // bound the latest).
                let counted = slots
                    .iter()
                    .take(slots.len() - quota + 1)
                    .map(|slot| slot.counted_by)
                    .chain(window.dropped_counted_by)
                    .max();
                if let Some(counted) = counted {
                    at = at.max(counted + length);
                }
            }
        }
        slots.push_back(Slot {
            at,
            counted_by: at + self.margin,
        });
        let number = window.dropped + slots.len() as u64 - 1;
        let keep = self.per_second.max(self.per_minute);
        while slots.len() > keep {
            let first = slots.pop_front();
            window.dropped += 1;
            window.dropped_counted_by = window.dropped_counted_by.max(first.map(|s| s.counted_by));
        }
        (at, Ticket { api, number })
    }

    /// Waits until `api` may be called again; the ticket reports the answer.
    pub(crate) async fn acquire(&self, api: &'static str) -> Ticket {
        let now = Instant::now();
        let (slot, ticket) = self.reserve(api, now);
        if slot > now {
            tracing::trace!(
                api,
                wait_ms = (slot - now).as_millis(),
                "pacing a Lark request"
            );
            tokio::time::sleep_until(slot).await;
        }
        ticket
    }

    /// Lark answered the request of `ticket` at `at`: it was counted by then, sooner or later
    /// than its slot plus the margin.
    pub(crate) fn answered(&self, ticket: Ticket, at: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(window) = windows.get_mut(ticket.api) else {
            return;
        };
        let kept = ticket
            .number
            .checked_sub(window.dropped)
            .and_then(|index| usize::try_from(index).ok())
            .and_then(|index| window.slots.get_mut(index));
        match kept {
            Some(slot) => slot.counted_by = at,
            // Dropped from the log, it still bounds every window after it.
            None => window.dropped_counted_by = window.dropped_counted_by.max(Some(at)),
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
    async fn an_answer_within_the_margin_opens_the_next_window_a_round_trip_after_the_request() {
        let pacer = AppPacer::new(limits(2, 0), Duration::from_millis(100));
        let start = Instant::now();
        let first = pacer.acquire("scopes").await;
        let _unanswered = pacer.acquire("scopes").await;
        tokio::time::advance(Duration::from_millis(5)).await;
        pacer.answered(first, Instant::now());
        pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(1_005));
        // The second request has no answer: its slot plus the margin stands in.
        pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(1_100));
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_later_than_the_margin_holds_the_next_window_until_a_window_after_it() {
        // A cold start on a far link: the first requests leave only after their connections
        // are set up, so Lark counts them long after their slots.
        let pacer = AppPacer::new(limits(2, 0), Duration::from_millis(50));
        let start = Instant::now();
        let first = pacer.acquire("scopes").await;
        let second = pacer.acquire("scopes").await;
        tokio::time::advance(Duration::from_millis(400)).await;
        pacer.answered(second, Instant::now());
        tokio::time::advance(Duration::from_millis(20)).await;
        pacer.answered(first, Instant::now());
        pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(1_420));
        pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(1_420));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_answer_to_an_older_request_holds_back_the_next_window_too() {
        let pacer = AppPacer::new(limits(1, 3), Duration::from_millis(50));
        let start = Instant::now();
        let first = pacer.acquire("scopes").await;
        let _second = pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(1_050));
        // The first request was answered only now: Lark may have counted it as late as this,
        // later than the second one's slot plus the margin.
        tokio::time::advance(Duration::from_millis(150)).await;
        pacer.answered(first, Instant::now());
        pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(2_200));
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_for_a_slot_the_log_has_dropped_still_bounds_the_next_window() {
        let pacer = AppPacer::new(limits(1, 0), Duration::from_millis(100));
        let start = Instant::now();
        let first = pacer.acquire("scopes").await;
        let _second = pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(1_100));
        // The log keeps one slot here; the first one's answer comes after it was dropped.
        tokio::time::advance(Duration::from_millis(200)).await;
        pacer.answered(first, Instant::now());
        let unknown = Ticket {
            api: "unknown",
            number: 0,
        };
        pacer.answered(unknown, Instant::now() + Duration::from_secs(10));
        pacer.acquire("scopes").await;
        assert_eq!(start.elapsed(), Duration::from_millis(2_300));
    }

    /// Requests that leave late (the first ones wait 300 ms for their connections) and are
    /// answered after random delays: each is sent a window after every request a quota or more
    /// before it was answered. Lark counts a request between its send and its answer, so no
    /// window at Lark can hold more than the quota, whatever the delays.
    #[tokio::test(start_paused = true)]
    async fn with_late_sends_and_answers_in_any_order_no_window_can_hold_more_than_its_quota() {
        const REQUESTS: usize = 400;
        let pacer = Arc::new(AppPacer::new(limits(50, 300), Duration::from_millis(50)));
        // The transport's in-flight limit: a request reserves its slot once one is free.
        let in_flight = Arc::new(tokio::sync::Semaphore::new(16));
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let tasks: Vec<_> = (0..REQUESTS)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let set_up = Duration::from_millis(if i < 16 { 300 } else { seed % 30 });
                let delay = Duration::from_millis(seed % 120);
                let pacer = Arc::clone(&pacer);
                let in_flight = Arc::clone(&in_flight);
                tokio::spawn(async move {
                    let _permit = in_flight.acquire().await.unwrap();
                    let reserved = Instant::now();
                    let ticket = pacer.acquire("users/find_by_department").await;
                    tokio::time::sleep(set_up).await;
                    let sent = Instant::now();
                    tokio::time::sleep(delay).await;
                    let answer = Instant::now();
                    pacer.answered(ticket, answer);
                    (ticket.number, reserved, sent, answer)
                })
            })
            .collect();
        let mut requests = Vec::new();
        for task in tasks {
            requests.push(task.await.unwrap());
        }
        requests.sort_by_key(|(number, ..)| *number);
        for (quota, length) in [(50, SECOND), (300, MINUTE)] {
            for j in quota..REQUESTS {
                let (_, reserved, sent, _) = requests[j];
                for (_, _, _, answer) in &requests[..=j - quota] {
                    assert!(*answer <= reserved, "request {j} reserved before an answer");
                    assert!(sent >= *answer + length, "request {j} too early");
                }
            }
        }
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
