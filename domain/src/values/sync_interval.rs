//! `SyncInterval`: how many minutes apart an integration's scheduled syncs are.

use std::fmt;

/// Why a sync interval was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncIntervalError {
    #[error("must be from {min} to {max} minutes (one week)")]
    OutOfRange { min: u32, max: u32 },
}

/// Minutes between scheduled syncs: at least 5 (a sync of a big tenant takes minutes, and
/// Lark's rate limits are shared with the tenant's other apps), at most a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct SyncInterval(u32);

impl SyncInterval {
    pub const MIN_MINUTES: u32 = 5;
    pub const MAX_MINUTES: u32 = 7 * 24 * 60;
    /// What a new integration gets unless told otherwise: hourly.
    pub const DEFAULT: Self = Self(60);

    /// Validates a number of minutes (wide input type so that negative and huge numbers from
    /// forms and JSON get this error rather than a parse error).
    ///
    /// # Errors
    /// [`SyncIntervalError::OutOfRange`] outside `MIN_MINUTES..=MAX_MINUTES`.
    pub fn new(minutes: i64) -> Result<Self, SyncIntervalError> {
        u32::try_from(minutes)
            .ok()
            .filter(|m| (Self::MIN_MINUTES..=Self::MAX_MINUTES).contains(m))
            .map(Self)
            .ok_or(SyncIntervalError::OutOfRange {
                min: Self::MIN_MINUTES,
                max: Self::MAX_MINUTES,
            })
    }

    pub const fn minutes(self) -> u32 {
        self.0
    }
}

impl fmt::Display for SyncInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} minutes", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_five_minutes_to_a_week_and_nothing_else() {
        assert_eq!(SyncInterval::new(5).unwrap().minutes(), 5);
        assert_eq!(SyncInterval::new(10_080).unwrap().minutes(), 10_080);
        assert_eq!(SyncInterval::DEFAULT.minutes(), 60);
        let out = SyncIntervalError::OutOfRange {
            min: 5,
            max: 10_080,
        };
        for bad in [4, 0, -60, 10_081, i64::from(u32::MAX) + 1, i64::MIN] {
            assert_eq!(SyncInterval::new(bad), Err(out.clone()), "{bad}");
        }
        assert!(out.to_string().contains("from 5 to 10080 minutes"));
    }
}
