//! `RequestBudget`: how many API requests one key may make per minute, counted in fixed
//! one-minute windows in memory (per process). A script in a loop, or a leaked key, cannot
//! monopolise the server or its database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use crate::ports::Clock;
use crate::values::ApiKeyId;

/// Above this many tracked keys, ended windows are dropped (bounds memory).
const PRUNE_ABOVE: usize = 10_000;

/// The key has used its requests of this minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this API key made more than {per_minute} requests this minute: try again in {retry_after_secs} seconds"
)]
pub struct OverBudget {
    pub per_minute: u32,
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    requests: u32,
}

/// Requests per key and minute; shared by every clone (every server worker).
#[derive(Clone)]
pub struct RequestBudget {
    per_minute: u32,
    clock: Arc<dyn Clock>,
    windows: Arc<Mutex<HashMap<ApiKeyId, Window>>>,
}

impl std::fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBudget")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

impl RequestBudget {
    /// `per_minute` requests per key (at least 1).
    pub fn new(per_minute: u32, clock: Arc<dyn Clock>) -> Self {
        Self {
            per_minute: per_minute.max(1),
            clock,
            windows: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts one request of `key`.
    ///
    /// # Errors
    /// [`OverBudget`] when the key has made `per_minute` requests in its current minute.
    pub fn spend(&self, key: ApiKeyId) -> Result<(), OverBudget> {
        let now = self.clock.now();
        let ends = |window: &Window| window.started + Duration::minutes(1);
        // A panic while holding the lock cannot leave a window half-written: use it anyway.
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| ends(window) > now);
        }
        let window = windows.entry(key).or_insert(Window {
            started: now,
            requests: 0,
        });
        if ends(window) <= now {
            *window = Window {
                started: now,
                requests: 0,
            };
        }
        if window.requests >= self.per_minute {
            let secs = (ends(window) - now).num_seconds().max(1);
            return Err(OverBudget {
                per_minute: self.per_minute,
                retry_after_secs: u64::try_from(secs).unwrap_or(1),
            });
        }
        window.requests += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone as _;

    #[derive(Debug)]
    struct Manual(Mutex<DateTime<Utc>>);

    impl Clock for Manual {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    #[test]
    fn a_key_gets_its_requests_per_minute_and_others_are_not_affected() {
        let start = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let clock = Arc::new(Manual(Mutex::new(start)));
        let budget = RequestBudget::new(3, clock.clone());
        let key = ApiKeyId::from_uuid(uuid::Uuid::from_u128(1));
        let other = ApiKeyId::from_uuid(uuid::Uuid::from_u128(2));
        for _ in 0..3 {
            assert_eq!(budget.spend(key), Ok(()));
        }
        *clock.0.lock().unwrap() = start + Duration::seconds(20);
        assert_eq!(
            budget.spend(key),
            Err(OverBudget {
                per_minute: 3,
                retry_after_secs: 40
            })
        );
        assert_eq!(budget.spend(other), Ok(()));
        *clock.0.lock().unwrap() = start + Duration::minutes(1);
        assert_eq!(budget.spend(key), Ok(()), "a new minute starts afresh");
    }
}
