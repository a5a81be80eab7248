//! `FixedWindows`: a count per key in fixed windows of one length, in memory, shared by every
//! clone. A key's window starts at its first count and ends `length` later; at most `limit`
//! counts fit in one. The sign-in throttle and the API keys' request budget both count this way.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// Above this many tracked keys, ended windows are dropped (bounds memory).
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    count: u32,
}

/// Counts per key in fixed windows.
#[derive(Debug)]
pub(crate) struct FixedWindows<K> {
    length: Duration,
    limit: u32,
    windows: Arc<Mutex<HashMap<K, Window>>>,
}

impl<K> Clone for FixedWindows<K> {
    fn clone(&self) -> Self {
        Self {
            length: self.length,
            limit: self.limit,
            windows: Arc::clone(&self.windows),
        }
    }
}

impl<K: Eq + Hash> FixedWindows<K> {
    pub(crate) fn new(length: Duration, limit: u32) -> Self {
        Self {
            length,
            limit,
            windows: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts one for `key` at `now`.
    ///
    /// # Errors
    /// The seconds until `key`'s window ends (at least 1) when it already holds `limit`
    /// counts; nothing is counted then.
    pub(crate) fn take(&self, key: K, now: DateTime<Utc>) -> Result<(), u64> {
        let ends = |window: &Window| window.started + self.length;
        // A panic while holding the lock cannot leave a window half-written: use it anyway.
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, window| ends(window) > now);
        }
        let fresh = Window {
            started: now,
            count: 0,
        };
        let window = windows.entry(key).or_insert(fresh);
        if ends(window) <= now {
            *window = fresh;
        }
        if window.count >= self.limit {
            let secs = (ends(window) - now).num_seconds().max(1);
            return Err(u64::try_from(secs).unwrap_or(1));
        }
        window.count += 1;
        Ok(())
    }

    /// Takes back one count of `key` (one that turned out not to count).
    pub(crate) fn give_back(&self, key: &K) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(window) = windows.get_mut(key) {
            window.count = window.count.saturating_sub(1);
        }
    }
}
