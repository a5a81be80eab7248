//! Per-client throttling of failed sign-ins: at most [`MAX_FAILED_PER_CLIENT`] failed
//! `POST /signin` per client address in a fixed [`WINDOW_MINUTES`]-minute window, in memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::ports::Clock;
use chrono::{DateTime, Duration, Utc};

/// Failed sign-ins a client may make per window; the next attempt is refused.
pub const MAX_FAILED_PER_CLIENT: u32 = 10;
/// Length of a client's window, counted from its first failure.
pub const WINDOW_MINUTES: i64 = 15;
/// Above this many tracked clients, ended windows are dropped (bounds memory).
const PRUNE_ABOVE: usize = 10_000;

/// A client's sign-ins are refused for this many more seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    failures: u32,
}

/// Failed sign-ins per client address (`None`: the address is unknown; such clients share
/// one allowance). Shared by every worker of the process; each process counts on its own.
#[derive(Clone)]
pub struct SignInThrottle {
    clock: Arc<dyn Clock>,
    windows: Arc<Mutex<HashMap<Option<IpAddr>, Window>>>,
}

impl std::fmt::Debug for SignInThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInThrottle").finish_non_exhaustive()
    }
}

fn window_ends(window: &Window) -> DateTime<Utc> {
    window.started + Duration::minutes(WINDOW_MINUTES)
}

impl SignInThrottle {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            windows: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Whether `client` may try to sign in now.
    ///
    /// # Errors
    /// [`Throttled`] once the client has failed [`MAX_FAILED_PER_CLIENT`] times in its window.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Throttled> {
        let now = self.clock.now();
        // A panic while holding the lock cannot leave a window half-written: use it anyway.
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        match windows.get(&client) {
            Some(window)
                if window_ends(window) > now && window.failures >= MAX_FAILED_PER_CLIENT =>
            {
                let secs = (window_ends(window) - now).num_seconds().max(1);
                Err(Throttled {
                    retry_after_secs: u64::try_from(secs).unwrap_or(1),
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in of `client`.
    pub fn record_failure(&self, client: Option<IpAddr>) {
        let now = self.clock.now();
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| window_ends(window) > now);
        }
        let window = windows.entry(client).or_insert(Window {
            started: now,
            failures: 0,
        });
        if window_ends(window) <= now {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone as _;

    /// A clock tests move by hand.
    #[derive(Debug)]
    struct Manual(Mutex<DateTime<Utc>>);

    impl Clock for Manual {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    #[test]
    fn the_eleventh_attempt_in_a_window_is_refused_until_the_window_ends() {
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let clock = Arc::new(Manual(Mutex::new(start)));
        let throttle = SignInThrottle::new(clock.clone());
        let client = Some(IpAddr::from([192, 0, 2, 1]));
        let other = Some(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..MAX_FAILED_PER_CLIENT {
            assert_eq!(throttle.check(client), Ok(()));
            throttle.record_failure(client);
        }
        *clock.0.lock().unwrap() = start + Duration::minutes(5);
        assert_eq!(
            throttle.check(client),
            Err(Throttled {
                retry_after_secs: 600
            })
        );
        assert_eq!(
            throttle.check(other),
            Ok(()),
            "other clients are not affected"
        );
        *clock.0.lock().unwrap() = start + Duration::minutes(WINDOW_MINUTES);
        assert_eq!(throttle.check(client), Ok(()));
        throttle.record_failure(client);
        assert_eq!(throttle.check(client), Ok(()), "a new window starts afresh");
    }
}
