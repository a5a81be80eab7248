//! `RequestBudget`: how many API requests one key may make per minute, counted in fixed
//! one-minute windows in memory (per process). A script in a loop, or a leaked key, cannot
//! monopolise the server or its database.

use std::sync::Arc;

use chrono::Duration;

use crate::ports::Clock;
use crate::usecases::fixed_windows::FixedWindows;
use crate::values::ApiKeyId;

/// The key has used its requests of this minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this API key made more than {per_minute} requests this minute: try again in {retry_after_secs} seconds"
)]
pub struct OverBudget {
    pub per_minute: u32,
    pub retry_after_secs: u64,
}

/// Requests per key and minute; shared by every clone (every server worker).
#[derive(Clone)]
pub struct RequestBudget {
    per_minute: u32,
    clock: Arc<dyn Clock>,
    requests: FixedWindows<ApiKeyId>,
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
        let per_minute = per_minute.max(1);
        Self {
            per_minute,
            clock,
            requests: FixedWindows::new(Duration::minutes(1), per_minute),
        }
    }

    /// Counts one request of `key`.
    ///
    /// # Errors
    /// [`OverBudget`] when the key has made `per_minute` requests in its current minute.
    pub fn spend(&self, key: ApiKeyId) -> Result<(), OverBudget> {
        self.requests
            .take(key, self.clock.now())
            .map_err(|retry_after_secs| OverBudget {
                per_minute: self.per_minute,
                retry_after_secs,
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::testing::ManualClock;
    use chrono::{TimeZone as _, Utc};

    #[test]
    fn a_key_gets_its_requests_per_minute_and_others_are_not_affected() {
        let start = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::at(start));
        let budget = RequestBudget::new(3, clock.clone());
        let key = ApiKeyId::from_uuid(uuid::Uuid::from_u128(1));
        let other = ApiKeyId::from_uuid(uuid::Uuid::from_u128(2));
        for _ in 0..3 {
            assert_eq!(budget.spend(key), Ok(()));
        }
        clock.set(start + Duration::seconds(20));
        assert_eq!(
            budget.spend(key),
            Err(OverBudget {
                per_minute: 3,
                retry_after_secs: 40
            })
        );
        assert_eq!(budget.spend(other), Ok(()));
        clock.set(start + Duration::minutes(1));
        assert_eq!(budget.spend(key), Ok(()), "a new minute starts afresh");
    }
}
