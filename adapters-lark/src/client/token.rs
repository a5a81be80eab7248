//! The tenant access token cache, kept in the gateway per (base URL, app id) and shared by every
//! session of that app.
//!
//! Refresh policy: a cached token is replaced when less than `token_refresh_margin_secs`
//! (default 5 minutes) of its lifetime remain. Not 30 minutes: Lark only issues a *new* token
//! when fewer than 30 minutes remain and otherwise returns the current one; our expiry estimate
//! (measured from when we sent the request) runs slightly ahead of Lark's, so a 30-minute margin
//! would keep getting the same token back with "just over 30 minutes" left and refetch it in a
//! loop. Five minutes is well inside Lark's rotation window, above the 3 minutes the official Go
//! and Node SDKs use, and far longer than one request (the token is re-read before every
//! attempt, so retries never reuse a token past its margin).
//!
//! The secret a token was obtained with is remembered: a session opened with a different secret
//! never reuses it (so a wrong secret fails at `open` even while a good token is cached).
//! Fetches are serialised per app (concurrent callers wait for one fetch), and invalidation after
//! 99991663/99991668/99991677 only drops the token the failed request actually used.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aviary_domain::ports::DirectoryError;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

/// A token as the token endpoint returned it.
#[derive(Debug)]
pub(crate) struct FreshToken {
    pub token: SecretString,
    /// Lark's `expire`: seconds of validity left.
    pub expire: Duration,
}

/// A token to send, with the generation that identifies it for invalidation.
#[derive(Debug, Clone)]
pub(crate) struct Bearer {
    pub token: SecretString,
    pub generation: u64,
}

#[derive(Debug)]
struct CachedToken {
    token: SecretString,
    secret: SecretString,
    refresh_at: Instant,
    generation: u64,
}

/// The token state of one app at one base URL.
#[derive(Debug, Default)]
pub(crate) struct TokenSlot {
    state: tokio::sync::Mutex<Option<CachedToken>>,
    generations: AtomicU64,
}

/// When to stop using a token fetched at `requested_at`: `margin` before it expires, or halfway
/// through a lifetime shorter than the margin.
fn refresh_at(requested_at: Instant, expire: Duration, margin: Duration) -> Instant {
    let usable = if expire > margin {
        expire - margin
    } else {
        expire / 2
    };
    requested_at + usable
}

impl TokenSlot {
    /// The cached token if it was obtained with `secret` and is not due for refresh; otherwise
    /// the result of `fetch`, which is then cached.
    pub(crate) async fn get<F, Fut>(
        &self,
        secret: &SecretString,
        margin: Duration,
        fetch: F,
    ) -> Result<Bearer, DirectoryError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FreshToken, DirectoryError>>,
    {
        let mut state = self.state.lock().await;
        if let Some(cached) = state.as_ref()
            && cached.secret.expose_secret() == secret.expose_secret()
            && Instant::now() < cached.refresh_at
        {
            return Ok(Bearer {
                token: cached.token.clone(),
                generation: cached.generation,
            });
        }
        self.fetch_into(&mut state, secret, margin, fetch).await
    }

    /// Always the result of `fetch` (cached on success); a failed fetch keeps the cached token,
    /// which other sessions may still be using.
    pub(crate) async fn refetch<F, Fut>(
        &self,
        secret: &SecretString,
        margin: Duration,
        fetch: F,
    ) -> Result<Bearer, DirectoryError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FreshToken, DirectoryError>>,
    {
        let mut state = self.state.lock().await;
        self.fetch_into(&mut state, secret, margin, fetch).await
    }

    /// Fetches a token and caches it under the held lock.
    async fn fetch_into<F, Fut>(
        &self,
        state: &mut Option<CachedToken>,
        secret: &SecretString,
        margin: Duration,
        fetch: F,
    ) -> Result<Bearer, DirectoryError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FreshToken, DirectoryError>>,
    {
        let requested_at = Instant::now();
        let fresh = fetch().await?;
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        *state = Some(CachedToken {
            token: fresh.token.clone(),
            secret: secret.clone(),
            refresh_at: refresh_at(requested_at, fresh.expire, margin),
            generation,
        });
        Ok(Bearer {
            token: fresh.token,
            generation,
        })
    }

    /// Drops the cached token if it is still the one of `generation`.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .as_ref()
            .is_some_and(|cached| cached.generation == generation)
        {
            *state = None;
        }
    }
}

/// All token slots of a gateway.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    slots: Mutex<HashMap<(String, String), Arc<TokenSlot>>>,
}

impl TokenCache {
    pub(crate) fn slot(&self, base_url: &str, app_id: &str) -> Arc<TokenSlot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            slots
                .entry((base_url.to_owned(), app_id.to_owned()))
                .or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    fn fresh(token: &str, secs: u64) -> FreshToken {
        FreshToken {
            token: SecretString::from(token.to_owned()),
            expire: Duration::from_secs(secs),
        }
    }

    const MARGIN: Duration = Duration::from_secs(300);

    #[tokio::test(start_paused = true)]
    async fn tokens_are_reused_until_the_margin_then_refetched() {
        let slot = TokenSlot::default();
        let secret = SecretString::from("s3cret".to_owned());
        let fetches = AtomicU32::new(0);
        let fetch = |name: &'static str| {
            let fetches = &fetches;
            move || async move {
                fetches.fetch_add(1, Ordering::Relaxed);
                Ok(fresh(name, 7_200))
            }
        };
        let first = slot.get(&secret, MARGIN, fetch("t-1")).await.unwrap();
        let again = slot.get(&secret, MARGIN, fetch("t-2")).await.unwrap();
        assert_eq!(again.token.expose_secret(), "t-1");
        assert_eq!(first.generation, again.generation);
        tokio::time::advance(Duration::from_secs(7_200 - 301)).await;
        assert_eq!(
            slot.get(&secret, MARGIN, fetch("t-2"))
                .await
                .unwrap()
                .token
                .expose_secret(),
            "t-1"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            slot.get(&secret, MARGIN, fetch("t-2"))
                .await
                .unwrap()
                .token
                .expose_secret(),
            "t-2"
        );
        assert_eq!(fetches.load(Ordering::Relaxed), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn another_secret_never_reuses_the_cached_token_and_failures_keep_it() {
        let slot = TokenSlot::default();
        let good = SecretString::from("good".to_owned());
        let bad = SecretString::from("bad".to_owned());
        slot.get(&good, MARGIN, || async { Ok(fresh("t-good", 7_200)) })
            .await
            .unwrap();
        let err = slot
            .get(&bad, MARGIN, || async {
                Err(DirectoryError::InvalidCredentials {
                    detail: "app secret invalid".to_owned(),
                })
            })
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::InvalidCredentials { .. }));
        let reused = slot
            .get(&good, MARGIN, || async { Ok(fresh("t-other", 7_200)) })
            .await
            .unwrap();
        assert_eq!(reused.token.expose_secret(), "t-good");
    }

    #[tokio::test(start_paused = true)]
    async fn invalidation_drops_only_the_generation_that_failed() {
        let slot = TokenSlot::default();
        let secret = SecretString::from("s".to_owned());
        let old = slot
            .get(&secret, MARGIN, || async { Ok(fresh("t-1", 7_200)) })
            .await
            .unwrap();
        slot.invalidate(old.generation).await;
        let new = slot
            .get(&secret, MARGIN, || async { Ok(fresh("t-2", 7_200)) })
            .await
            .unwrap();
        assert_eq!(new.token.expose_secret(), "t-2");
        // A late invalidation by a request that used t-1 must not drop t-2.
        slot.invalidate(old.generation).await;
        let kept = slot
            .get(&secret, MARGIN, || async { Ok(fresh("t-3", 7_200)) })
            .await
            .unwrap();
        assert_eq!(kept.token.expose_secret(), "t-2");
    }

    #[tokio::test(start_paused = true)]
    async fn refetching_always_asks_and_a_failure_keeps_the_cached_token() {
        let slot = TokenSlot::default();
        let secret = SecretString::from("s".to_owned());
        slot.get(&secret, MARGIN, || async { Ok(fresh("t-1", 7_200)) })
            .await
            .unwrap();
        let again = slot
            .refetch(&secret, MARGIN, || async { Ok(fresh("t-2", 7_200)) })
            .await
            .unwrap();
        assert_eq!(again.token.expose_secret(), "t-2");
        let refused = slot
            .refetch(&secret, MARGIN, || async {
                Err(DirectoryError::InvalidCredentials {
                    detail: "reset".to_owned(),
                })
            })
            .await;
        assert!(refused.is_err());
        let kept = slot
            .get(&secret, MARGIN, || async { Ok(fresh("t-3", 7_200)) })
            .await
            .unwrap();
        assert_eq!(kept.token.expose_secret(), "t-2");
    }

    #[test]
    fn short_lifetimes_are_used_for_half_their_length() {
        let now = Instant::now();
        assert_eq!(
            refresh_at(now, Duration::from_secs(7_200), MARGIN),
            now + Duration::from_secs(6_900)
        );
        assert_eq!(
            refresh_at(now, Duration::from_secs(120), MARGIN),
            now + Duration::from_secs(60)
        );
    }

    #[test]
    fn the_cache_has_one_slot_per_app_and_host() {
        let cache = TokenCache::default();
        let a = cache.slot("https://open.larksuite.com/", "cli_a");
        assert!(Arc::ptr_eq(
            &a,
            &cache.slot("https://open.larksuite.com/", "cli_a")
        ));
        assert!(!Arc::ptr_eq(
            &a,
            &cache.slot("https://open.feishu.cn/", "cli_a")
        ));
    }
}
