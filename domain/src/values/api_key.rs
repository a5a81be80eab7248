//! API key values: the plaintext format (`avk_` + base64url of 256 random bits), the short
//! non-secret display prefix, and the SHA-256 digest that is all Aviary ever stores.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// What every Aviary API key starts with (lets secret scanners and people recognise one).
pub const API_KEY_MARKER: &str = "avk_";
/// Characters of the random part: 32 bytes in base64url without padding.
const RANDOM_CHARS: usize = 43;
/// Characters of the random part repeated in the display prefix (48 of the 256 bits: enough to
/// tell keys apart in a list, far too few to help guess the rest).
const DISPLAY_CHARS: usize = 8;

fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A freshly generated key: the plaintext (shown to the admin once, then dropped) and what is
/// kept of it.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    pub secret: SecretString,
    pub prefix: KeyPrefix,
    pub hash: ApiKeyHash,
}

impl GeneratedKey {
    /// The key made from 256 random bits (from the `IdSource` port).
    pub fn from_random(bits: [u8; 32]) -> Self {
        let random = URL_SAFE_NO_PAD.encode(bits);
        let plaintext = format!("{API_KEY_MARKER}{random}");
        let prefix = KeyPrefix(format!("{API_KEY_MARKER}{}", &random[..DISPLAY_CHARS]));
        let hash = ApiKeyHash::of(&plaintext);
        Self {
            secret: SecretString::from(plaintext),
            prefix,
            hash,
        }
    }
}

/// The text is not an Aviary API key (wrong marker, length or alphabet).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an Aviary API key")]
pub struct MalformedKey;

/// The digest of a presented key, after checking its format, so junk never reaches a lookup.
///
/// # Errors
/// [`MalformedKey`] unless `raw` is `avk_` followed by the canonical base64url of 32 bytes.
pub fn hash_presented_key(raw: &str) -> Result<ApiKeyHash, MalformedKey> {
    let random = raw.strip_prefix(API_KEY_MARKER).ok_or(MalformedKey)?;
    if random.len() != RANDOM_CHARS || !is_base64url(random) {
        return Err(MalformedKey);
    }
    // Decoding rejects non-canonical trailing bits, so each key has exactly one spelling.
    match URL_SAFE_NO_PAD.decode(random) {
        Ok(bytes) if bytes.len() == 32 => Ok(ApiKeyHash::of(raw)),
        _ => Err(MalformedKey),
    }
}

/// A stored display prefix was not `avk_` plus 8 base64url characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an API key display prefix: expected avk_ and 8 characters")]
pub struct KeyPrefixError;

/// `avk_` and the first 8 characters of the random part: shown in lists so admins can tell
/// keys apart and match one to a key they hold. Not secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    /// A prefix read back from storage.
    ///
    /// # Errors
    /// [`KeyPrefixError`] when it does not have the shape [`GeneratedKey`] gives it.
    pub fn parse(raw: &str) -> Result<Self, KeyPrefixError> {
        match raw.strip_prefix(API_KEY_MARKER) {
            Some(rest) if rest.len() == DISPLAY_CHARS && is_base64url(rest) => {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(KeyPrefixError),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored digest was not 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 digest: expected 64 lowercase hex digits")]
pub struct ApiKeyHashError;

/// SHA-256 of the whole plaintext key: how a key is stored and looked up.
///
/// A fast, unsalted hash is right here, unlike for passwords: the key carries 256 bits of
/// randomness, so neither brute force nor precomputed tables can invert the digest, and a slow
/// hash (Argon2) would only cost CPU on every API request. Equality is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct ApiKeyHash([u8; 32]);

impl ApiKeyHash {
    fn of(plaintext: &str) -> Self {
        Self(Sha256::digest(plaintext.as_bytes()).into())
    }

    /// A digest read back from storage (lowercase hex).
    ///
    /// # Errors
    /// [`ApiKeyHashError`] unless `hex` is 64 lowercase hex digits.
    pub fn from_hex(hex: &str) -> Result<Self, ApiKeyHashError> {
        let digits = hex.as_bytes();
        if digits.len() != 64 {
            return Err(ApiKeyHashError);
        }
        let nibble = |d: u8| match d {
            b'0'..=b'9' => Ok(d - b'0'),
            b'a'..=b'f' => Ok(d - b'a' + 10),
            _ => Err(ApiKeyHashError),
        };
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Ok(Self(bytes))
    }

    /// Lowercase hex, the stored form.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut hex, b| {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{b:02x}");
            hex
        })
    }
}

impl PartialEq for ApiKeyHash {
    /// Constant-time, so comparing a presented key's digest leaks nothing through timing.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for ApiKeyHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for ApiKeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyHash({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn a_generated_key_has_the_documented_shape_and_hashes_to_its_digest() {
        let key = GeneratedKey::from_random([7; 32]);
        let plain = key.secret.expose_secret();
        assert_eq!(plain.len(), 4 + 43);
        assert!(plain.starts_with("avk_"));
        assert_eq!(key.prefix.as_str(), &plain[..12]);
        assert_eq!(
            KeyPrefix::parse(key.prefix.as_str()),
            Ok(key.prefix.clone())
        );
        assert_eq!(hash_presented_key(plain), Ok(key.hash));
        // SHA-256 of the whole key, as hex.
        let expected: [u8; 32] = Sha256::digest(plain.as_bytes()).into();
        assert_eq!(key.hash, ApiKeyHash(expected));
        assert!(
            !format!("{key:?}").contains(plain),
            "the secret is redacted"
        );
    }

    #[test]
    fn different_random_bits_give_different_keys() {
        let a = GeneratedKey::from_random([1; 32]);
        let b = GeneratedKey::from_random([2; 32]);
        assert_ne!(a.secret.expose_secret(), b.secret.expose_secret());
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn malformed_keys_are_refused_before_hashing() {
        let good = GeneratedKey::from_random([9; 32]);
        let plain = good.secret.expose_secret().to_owned();
        for bad in [
            String::new(),
            "avk_".to_owned(),
            plain[4..].to_owned(),
            format!("xvk_{}", &plain[4..]),
            format!("{plain}A"),
            plain[..plain.len() - 1].to_owned(),
            format!("{}+{}", &plain[..10], &plain[11..]),
            format!(" {}", &plain[..plain.len() - 1]),
            // The last character carries 2 unused bits; a non-zero value is not canonical.
            format!("{}B", &plain[..plain.len() - 1]),
        ] {
            assert_eq!(hash_presented_key(&bad), Err(MalformedKey), "{bad:?}");
        }
    }

    #[test]
    fn digests_round_trip_through_hex() {
        let hash = GeneratedKey::from_random([3; 32]).hash;
        let hex = hash.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(ApiKeyHash::from_hex(&hex), Ok(hash));
        assert_eq!(
            ApiKeyHash::from_hex(&hex.to_uppercase()),
            Err(ApiKeyHashError)
        );
        assert_eq!(ApiKeyHash::from_hex(&hex[1..]), Err(ApiKeyHashError));
        assert_eq!(ApiKeyHash::from_hex(&"g".repeat(64)), Err(ApiKeyHashError));
    }

    #[test]
    fn prefixes_are_validated() {
        assert!(KeyPrefix::parse("avk_abcdEF-_").is_ok());
        assert_eq!(KeyPrefix::parse("avk_abc"), Err(KeyPrefixError));
        assert_eq!(KeyPrefix::parse("key_abcdefgh"), Err(KeyPrefixError));
        assert_eq!(KeyPrefix::parse("avk_abcd efg"), Err(KeyPrefixError));
    }
}
