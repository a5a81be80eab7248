//! Random identifiers in Lark's formats (`ou_…`, `od-…`, `t-…`, `cli_…`) and log ids.

use std::fmt::Write as _;

use rand::Rng;

/// `len` lowercase hex characters.
pub(crate) fn hex(rng: &mut impl Rng, len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        // Writing to a String cannot fail.
        let _ = write!(out, "{:016x}", rng.random::<u64>());
    }
    out.truncate(len);
    out
}

pub(crate) fn prefixed_hex(rng: &mut impl Rng, prefix: &str, len: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    out.push_str(&hex(rng, len));
    out
}

/// `len` characters from `[A-Za-z0-9]` (app secrets).
pub(crate) fn alnum(rng: &mut impl Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// A log id shaped like Lark's (`20240827103845` + hex), unique per response.
pub(crate) fn log_id(seq: u64) -> String {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let mut rng = rand::rng();
    format!("{stamp}{seq:06X}{:014X}", rng.random::<u64>() >> 8)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn formats() {
        let mut rng = StdRng::seed_from_u64(7);
        let id = prefixed_hex(&mut rng, "ou_", 32);
        assert_eq!(id.len(), 35);
        assert!(
            id[3..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(hex(&mut rng, 8).len(), 8);
        let secret = alnum(&mut rng, 32);
        assert_eq!(secret.len(), 32);
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
        let log = log_id(3);
        assert!(log.len() >= 30, "{log}");
        assert_ne!(log_id(1), log_id(1));
    }
}
