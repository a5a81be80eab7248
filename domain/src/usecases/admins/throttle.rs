//! Per-client throttling of failed sign-ins: at most [`MAX_FAILED_PER_CLIENT`] failed
//! `POST /signin` per client in a fixed [`WINDOW_MINUTES`]-minute window, in memory.
//!
//! An attempt takes its slot *before* the password is checked ([`SignInThrottle::reserve`])
//! and gives it back only when it turns out not to be a failure: a burst of concurrent attempts
//! cannot all pass the check before the first failure is counted. A client is an IPv4 address
//! or an IPv6 /64 (what one customer usually gets, so rotating through it gains nothing).

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use crate::ports::Clock;
use crate::usecases::fixed_windows::FixedWindows;
use chrono::Duration;

/// Failed sign-ins a client may make per window; the next attempt is refused.
pub const MAX_FAILED_PER_CLIENT: u32 = 10;
/// Length of a client's window, counted from its first failure.
pub const WINDOW_MINUTES: i64 = 15;
/// A client's sign-ins are refused for this many more seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
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
    failures: FixedWindows<ClientKey>,
}

impl std::fmt::Debug for SignInThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInThrottle").finish_non_exhaustive()
    }
}

impl SignInThrottle {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            failures: FixedWindows::new(Duration::minutes(WINDOW_MINUTES), MAX_FAILED_PER_CLIENT),
        }
    }

    /// Takes one of `client`'s failure slots for an attempt about to be checked; the attempt
    /// counts as failed unless it is [`refund`](Self::refund)ed.
    ///
    /// # Errors
    /// [`Throttled`] when the client has no slot left in its window; nothing is taken.
    pub fn reserve(&self, client: Option<IpAddr>) -> Result<(), Throttled> {
        self.failures
            .take(ClientKey::of(client), self.clock.now())
            .map_err(|retry_after_secs| Throttled { retry_after_secs })
    }

    /// Gives back a slot [`reserve`](Self::reserve)d for an attempt that was not a failure
    /// (it succeeded, or nothing could be checked).
    pub fn refund(&self, client: Option<IpAddr>) {
        self.failures.give_back(&ClientKey::of(client));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::testing::ManualClock;
    use chrono::{DateTime, TimeZone as _, Utc};

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_eleventh_attempt_in_a_window_is_refused_until_the_window_ends() {
        let clock = Arc::new(ManualClock::at(start()));
        let throttle = SignInThrottle::new(clock.clone());
        let client = Some(IpAddr::from([192, 0, 2, 1]));
        let other = Some(IpAddr::from([192, 0, 2, 2]));
        for _ in 0..MAX_FAILED_PER_CLIENT {
            assert_eq!(throttle.reserve(client), Ok(()));
        }
        clock.set(start() + Duration::minutes(5));
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
        clock.set(start() + Duration::minutes(WINDOW_MINUTES));
        assert_eq!(
            throttle.reserve(client),
            Ok(()),
            "a new window starts afresh"
        );
    }

    #[test]
    fn slots_are_taken_before_checking_so_a_burst_gets_no_more_than_the_allowance() {
        let throttle = SignInThrottle::new(Arc::new(ManualClock::at(start())));
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
        let throttle = SignInThrottle::new(Arc::new(ManualClock::at(start())));
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
