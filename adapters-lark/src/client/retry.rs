//! Retry timing: exponential backoff with jitter for transient failures, and the wait a
//! rate-limited answer asks for (`x-ogw-ratelimit-reset`, capped).

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

/// Wait after a rate-limited answer when Lark gave no (readable) reset header.
pub(crate) const DEFAULT_RESET_WAIT: Duration = Duration::from_secs(1);

/// A uniformly distributed number in `[0, 1)`, from the standard library's per-instance random
/// hasher keys (no extra dependency; good enough to spread retries, not for cryptography).
pub(crate) fn random_unit() -> f64 {
    let bits = RandomState::new().hash_one(std::time::Instant::now()) >> 11;
    // 53 random bits scaled into [0, 1): exact in an f64.
    #[allow(clippy::cast_precision_loss)]
    let unit = bits as f64 / (1u64 << 53) as f64;
    unit
}

/// The delay before retry number `retry` (1-based) after a transient failure: the exponential
/// step `base · 2^(retry-1)`, capped at `max`, of which the upper half is randomised by `unit`
/// (`[0, 1)`) so that concurrent callers do not retry in lockstep ("equal jitter").
pub(crate) fn backoff(retry: u32, base: Duration, max: Duration, unit: f64) -> Duration {
    let exponent = retry.saturating_sub(1).min(20);
    let step = base.saturating_mul(1u32 << exponent).min(max);
    let half = step / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

/// How long to wait after a rate-limited answer: the `x-ogw-ratelimit-reset` seconds (integer or
/// decimal), at most `max`; one second when the header is absent or unreadable.
pub(crate) fn rate_limit_wait(reset_header: Option<&str>, max: Duration) -> Duration {
    let parsed = reset_header
        .map(str::trim)
        .and_then(|raw| raw.parse::<f64>().ok())
        .filter(|secs| secs.is_finite() && *secs >= 0.0)
        .map(|secs| Duration::from_secs_f64(secs.min(max.as_secs_f64())));
    parsed.unwrap_or(DEFAULT_RESET_WAIT).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half_and_is_capped() {
        let base = Duration::from_millis(200);
        let max = Duration::from_secs(5);
        assert_eq!(backoff(1, base, max, 0.0), Duration::from_millis(100));
        assert!(backoff(1, base, max, 0.999_999) < base);
        assert_eq!(backoff(2, base, max, 0.0), Duration::from_millis(200));
        assert_eq!(backoff(3, base, max, 0.5), Duration::from_millis(600));
        assert_eq!(backoff(30, base, max, 0.0), Duration::from_millis(2_500));
        assert!(backoff(30, base, max, 0.99) <= max);
    }

    #[test]
    fn random_units_stay_in_range_and_vary() {
        let samples: Vec<f64> = (0..64).map(|_| random_unit()).collect();
        assert!(samples.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(
            samples
                .windows(2)
                .any(|w| (w[0] - w[1]).abs() > f64::EPSILON)
        );
    }

    #[test]
    fn reset_headers_are_honoured_and_capped() {
        let max = Duration::from_secs(60);
        assert_eq!(rate_limit_wait(Some("52"), max), Duration::from_secs(52));
        assert_eq!(rate_limit_wait(Some(" 2 "), max), Duration::from_secs(2));
        assert_eq!(
            rate_limit_wait(Some("0.25"), max),
            Duration::from_millis(250)
        );
        assert_eq!(rate_limit_wait(Some("0"), max), Duration::ZERO);
        assert_eq!(rate_limit_wait(Some("3600"), max), max);
        assert_eq!(rate_limit_wait(None, max), DEFAULT_RESET_WAIT);
        assert_eq!(rate_limit_wait(Some("soon"), max), DEFAULT_RESET_WAIT);
        assert_eq!(rate_limit_wait(Some("-4"), max), DEFAULT_RESET_WAIT);
        assert_eq!(
            rate_limit_wait(None, Duration::from_millis(10)),
            Duration::from_millis(10)
        );
    }
}
