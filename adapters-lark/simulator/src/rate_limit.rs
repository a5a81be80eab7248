//! Lark's per-API frequency limits: at most 50 requests per second AND 1000 per minute for each API
//! (path template) of the app, unless the API documents its own (the installed-apps list: 100 per
//! minute, still at most 50 in a second).
//!
//! Fixed windows aligned to the simulator's start: second `k` covers `[k s, k+1 s)` and minute `m`
//! covers `[60m s, 60(m+1) s)`. `x-ogw-ratelimit-reset` is the whole seconds (rounded up, at least 1)
//! until the window that refused the request ends, which is what Lark's header describes. Refused
//! requests do not count against the windows, so a client that waits for the reset gets through.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::stats::endpoints;

pub(crate) const PER_SECOND: u32 = 50;
pub(crate) const PER_MINUTE: u32 = 1000;

/// The per-minute limit of `api`: [`PER_MINUTE`] unless its page documents another.
fn per_minute(api: &str) -> u32 {
    match api {
        endpoints::APPLICATIONS => 100,
        _ => PER_MINUTE,
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limited {
    /// The limit of the window that is full (`x-ogw-ratelimit-limit`).
    pub(crate) limit: u32,
    /// Seconds until that window ends (`x-ogw-ratelimit-reset`).
    pub(crate) reset_secs: u64,
}

#[derive(Debug, Default)]
struct Windows {
    second: u64,
    second_count: u32,
    minute: u64,
    minute_count: u32,
}

#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<&'static str, Windows>>,
}

impl RateLimiter {
    /// Admits (and counts) one request to `api` at `now` since the simulator started.
    pub(crate) fn check(&self, api: &'static str, now: Duration) -> Result<(), Limited> {
        let millis = now.as_millis();
        let second = (millis / 1000) as u64;
        let minute = (millis / 60_000) as u64;
        let mut all = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = all.entry(api).or_default();
        if w.second != second {
            w.second = second;
            w.second_count = 0;
        }
        if w.minute != minute {
            w.minute = minute;
            w.minute_count = 0;
        }
        let per_minute = per_minute(api);
        if w.minute_count >= per_minute {
            return Err(Limited {
                limit: per_minute,
                reset_secs: secs_until(millis, (u128::from(minute) + 1) * 60_000),
            });
        }
        if w.second_count >= PER_SECOND {
            return Err(Limited {
                limit: PER_SECOND,
                reset_secs: secs_until(millis, (u128::from(second) + 1) * 1000),
            });
        }
        w.second_count += 1;
        w.minute_count += 1;
        Ok(())
    }

    pub(crate) fn reset(&self) {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

fn secs_until(now_ms: u128, end_ms: u128) -> u64 {
    (end_ms.saturating_sub(now_ms).div_ceil(1000) as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "/open-apis/contact/v3/users/find_by_department";
    const OTHER: &str = "/open-apis/contact/v3/departments/:department_id/children";

    #[test]
    fn fifty_per_second_then_refused_until_the_next_second() {
        let limiter = RateLimiter::default();
        let at = Duration::from_millis(10_200);
        for _ in 0..50 {
            assert_eq!(limiter.check(API, at), Ok(()));
        }
        assert_eq!(
            limiter.check(API, at),
            Err(Limited {
                limit: 50,
                reset_secs: 1
            })
        );
        // Another API has its own budget.
        assert_eq!(limiter.check(OTHER, at), Ok(()));
        assert_eq!(limiter.check(API, Duration::from_millis(11_000)), Ok(()));
    }

    #[test]
    fn thousand_per_minute_with_reset_to_the_minute_boundary() {
        let limiter = RateLimiter::default();
        // 50 per second for 20 seconds fills the minute without tripping the second window.
        for s in 0..20u64 {
            for _ in 0..50 {
                assert_eq!(limiter.check(API, Duration::from_secs(60 + s)), Ok(()));
            }
        }
        assert_eq!(
            limiter.check(API, Duration::from_millis(80_500)),
            Err(Limited {
                limit: 1000,
                reset_secs: 40
            })
        );
        assert_eq!(limiter.check(API, Duration::from_secs(120)), Ok(()));
    }

    #[test]
    fn the_installed_apps_list_allows_a_hundred_a_minute() {
        let limiter = RateLimiter::default();
        for s in 0..4u64 {
            for _ in 0..25 {
                assert_eq!(
                    limiter.check(endpoints::APPLICATIONS, Duration::from_secs(s)),
                    Ok(())
                );
            }
        }
        assert_eq!(
            limiter.check(endpoints::APPLICATIONS, Duration::from_secs(4)),
            Err(Limited {
                limit: 100,
                reset_secs: 56
            })
        );
        assert_eq!(limiter.check(API, Duration::from_secs(4)), Ok(()));
    }
}
