//! Per-client throttling of failed sign-ins: at most [`MAX_FAILED_PER_CLIENT`] failed
//! `POST /signin` per client in a fixed [`WINDOW_MINUTES`]-minute window, in memory.
//!
//! An attempt takes its slot *before* the password is checked ([`SignInThrottle::reserve`])
//! and gives it back only when it turns out not to be a failure: a burst of concurrent attempts
//! cannot all pass the check before the first failure is counted. A client is an IPv4 address
//! or an IPv6 /64 (what one customer usually gets, so rotating through it gains nothing).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
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

/// Who a throttle window belongs to: an IPv4 address, an IPv6 /64 (IPv4-mapped IPv6 addresses
/// count as their IPv4 address), or every client whose address is unknown, together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4([u8; 4]),
    V6Prefix64([u8; 8]),
    Unknown,
}

impl ClientKey {
    pub fn of(client: Option<IpAddr>) -> Self {
        match client {
            None => ClientKey::Unknown,
            Some(IpAddr::V4(v4)) => ClientKey::V4(v4.octets()),
            Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4.octets()),
                None => ClientKey::V6Prefix64(prefix_64(v6)),
            },
        }
    }
}

fn prefix_64(v6: Ipv6Addr) -> [u8; 8] {
    let octets = v6.octets();
    let mut prefix = [0; 8];
    prefix.copy_from_slice(&octets[..8]);
    prefix
}

/// Failed sign-ins per client. Shared by every worker of the process; each process counts on
/// its own.
#[derive(Clone)]
pub struct SignInThrottle {
    clock: Arc<dyn Clock>,
    windows: Arc<Mutex<HashMap<ClientKey, Window>>>,
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

    /// Takes one of `client`'s failure slots for an attempt about to be checked; the attempt
    /// counts as failed unless it is [`refund`](Self::refund)ed.
    ///
    /// # Errors
    /// [`Throttled`] when the client has no slot left in its window; nothing is taken.
    pub fn reserve(&self, client: Option<IpAddr>) -> Result<(), Throttled> {
        let now = self.clock.now();
        // A panic while holding the lock cannot leave a window half-written: use it anyway.
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| window_ends(window) > now);
        }
        let window = windows.entry(ClientKey::of(client)).or_insert(Window {
            started: now,
            failures: 0,
        });
        if window_ends(window) <= now {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        if window.failures >= MAX_FAILED_PER_CLIENT {
            let secs = (window_ends(window) - now).num_seconds().max(1);
            return Err(Throttled {
                retry_after_secs: u64::try_from(secs).unwrap_or(1),
            });
        }
        window.failures += 1;
        Ok(())
    }

    /// Gives back a slot [`reserve`](Self::reserve)d for an attempt that was not a failure
    /// (it succeeded, or nothing could be checked).
    pub fn refund(&self, client: Option<IpAddr>) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(window) = windows.get_mut(&ClientKey::of(client)) {
            window.failures = window.failures.saturating_sub(1);
        }
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

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_eleventh_attempt_in_a_window_is_refused_until_the_window_ends() {
        let clock = Arc::new(Manual(Mutex::new(start())));
        let throttle = SignInThrottle::new(clock.clone());
        let client = Some(IpAddr::from([192, 0, 2, 1]));
        let other = Some(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..MAX_FAILED_PER_CLIENT {
            assert_eq!(throttle.reserve(client), Ok(()));
        }
        *clock.0.lock().unwrap() = start() + Duration::minutes(5);
        assert_eq!(
            throttle.reserve(client),
            Err(Throttled {
                retry_after_secs: 600
            })
        );
        assert_eq!(
            throttle.reserve(other),
            Ok(()),
            "other clients are not affected"
        );
        *clock.0.lock().unwrap() = start() + Duration::minutes(WINDOW_MINUTES);
        assert_eq!(
            throttle.reserve(client),
            Ok(()),
            "a new window starts afresh"
        );
    }

    #[test]
    fn slots_are_taken_before_checking_so_a_burst_gets_no_more_than_the_allowance() {
        let throttle = SignInThrottle::new(Arc::new(Manual(Mutex::new(start()))));
        let client = Some(IpAddr::from([198, 51, 100, 7]));
        // 200 attempts at once: none has finished (been counted as failed) when the next asks.
        let admitted = (0..200)
            .filter(|_| throttle.reserve(client).is_ok())
            .count();
        assert_eq!(admitted, MAX_FAILED_PER_CLIENT as usize);
        // A success gives its slot back.
        throttle.refund(client);
        assert_eq!(throttle.reserve(client), Ok(()));
        assert!(throttle.reserve(client).is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let throttle = SignInThrottle::new(Arc::new(Manual(Mutex::new(start()))));
        let in_one_64 = |host: u16| Some(IpAddr::from([0x2001, 0xdb8, 0, 7, 0, 0, 0, host]));
        for host in 0..u16::try_from(MAX_FAILED_PER_CLIENT).unwrap() {
            assert_eq!(throttle.reserve(in_one_64(host)), Ok(()));
        }
        assert!(
            throttle.reserve(in_one_64(999)).is_err(),
            "another address of the same /64 is the same client"
        );
        let next_64 = Some(IpAddr::from([0x2001, 0xdb8, 0, 8, 0, 0, 0, 1]));
        assert_eq!(throttle.reserve(next_64), Ok(()));

        let v4 = Some(IpAddr::from([203, 0, 113, 9]));
        let mapped = Some(IpAddr::V6(
            std::net::Ipv4Addr::new(203, 0, 113, 9).to_ipv6_mapped(),
        ));
        assert_eq!(ClientKey::of(v4), ClientKey::of(mapped));
        assert_ne!(ClientKey::of(v4), ClientKey::of(None));
    }
}
