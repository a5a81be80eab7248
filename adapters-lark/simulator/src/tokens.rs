//! Tenant (`t-…`) and app (`a-…`) access tokens with Lark's reuse rule: asking again returns the same
//! token while at least 30 minutes remain, and a new one (the old one staying valid until it
//! expires) once less remains. Expiry runs on a simulated clock that tests can fast-forward.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::ids::hex;

/// Below this remaining lifetime Lark hands out a fresh token.
pub(crate) const REUSE_THRESHOLD: Duration = Duration::from_secs(30 * 60);

/// Real time since start plus a test-controlled offset.
#[derive(Debug)]
pub(crate) struct SimClock {
    started: Instant,
    offset_ms: AtomicU64,
}

impl SimClock {
    pub(crate) fn new() -> Self {
        Self {
            started: Instant::now(),
            offset_ms: AtomicU64::new(0),
        }
    }

    /// Simulated time since start (token expiry only).
    pub(crate) fn now(&self) -> Duration {
        self.started.elapsed() + Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Real time since start (rate-limit windows are about real request pacing).
    pub(crate) fn real(&self) -> Duration {
        self.started.elapsed()
    }

    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// A token handed out by the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub(crate) token: String,
    /// Whole seconds left (`expire`).
    pub(crate) expire_secs: u64,
    /// False when an existing token was returned again.
    pub(crate) fresh: bool,
}

#[derive(Debug, Default)]
struct Store {
    /// token → expiry (simulated clock).
    valid: HashMap<String, Duration>,
    current: Option<String>,
    /// Every token ever issued, for tests that search for leaked secrets.
    issued: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct TokenStore {
    prefix: &'static str,
    inner: Mutex<Store>,
}

impl TokenStore {
    pub(crate) fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            inner: Mutex::new(Store::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn issue(&self, now: Duration, ttl: Duration) -> Issued {
        let mut store = self.lock();
        store.valid.retain(|_, expiry| *expiry > now);
        if let Some(current) = store.current.clone()
            && let Some(&expiry) = store.valid.get(&current)
        {
            let remaining = expiry.saturating_sub(now);
            if remaining >= REUSE_THRESHOLD {
                return Issued {
                    token: current,
                    expire_secs: remaining.as_secs(),
                    fresh: false,
                };
            }
        }
        let token = format!("{}{}", self.prefix, hex(&mut rand::rng(), 40));
        store.valid.insert(token.clone(), now + ttl);
        store.current = Some(token.clone());
        store.issued.push(token.clone());
        Issued {
            token,
            expire_secs: ttl.as_secs(),
            fresh: true,
        }
    }

    pub(crate) fn is_valid(&self, token: &str, now: Duration) -> bool {
        self.lock()
            .valid
            .get(token)
            .is_some_and(|&expiry| expiry > now)
    }

    /// Every token this store has issued, expired and revoked ones included.
    pub(crate) fn issued(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    /// Every token issued so far stops working now.
    pub(crate) fn revoke_all(&self) {
        let mut store = self.lock();
        store.valid.clear();
        store.current = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(7200);

    #[test]
    fn reuse_while_thirty_minutes_remain_then_rotate() {
        let store = TokenStore::new("t-");
        let first = store.issue(Duration::ZERO, TTL);
        assert!(first.fresh && first.token.starts_with("t-") && first.token.len() == 42);
        assert_eq!(first.expire_secs, 7200);

        let again = store.issue(Duration::from_secs(100), TTL);
        assert_eq!(
            (again.token.as_str(), again.expire_secs, again.fresh),
            (first.token.as_str(), 7100, false)
        );

        // 29 min 59 s left: a new token, and both work.
        let later = Duration::from_secs(7200 - 1799);
        let rotated = store.issue(later, TTL);
        assert!(rotated.fresh);
        assert_ne!(rotated.token, first.token);
        assert!(store.is_valid(&first.token, later));
        assert!(store.is_valid(&rotated.token, later));
        assert!(!store.is_valid(&first.token, Duration::from_secs(7200)));

        store.revoke_all();
        assert!(!store.is_valid(&rotated.token, later));
        assert!(store.issue(later, TTL).fresh);
    }
}
