//! `ContentHash`: a stable fingerprint of a normalised record, used to skip unchanged rows.

use sha2::{Digest, Sha256};

/// The first 128 bits of SHA-256 over a record's canonical JSON, as 32 lowercase hex digits.
///
/// Stable across processes and versions (unlike `std`'s hasher), so stored hashes stay comparable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ContentHash(String);

impl ContentHash {
    /// Hashes canonical JSON (serde_json's maps are ordered, so equal values give equal bytes).
    pub fn of_json(value: &serde_json::Value) -> Self {
        Self::from_digest(&Sha256::digest(value.to_string().as_bytes()))
    }

    /// Hashes a record's tracked state together with Lark's raw JSON, serialising straight
    /// into the hasher (no intermediate strings or trees: this runs once per listed record).
    pub fn of_record<S: serde::Serialize>(state: &S, raw: &serde_json::Value) -> Self {
        let mut hasher = Sha256::new();
        // Writing into a hasher cannot fail, and these plain data types always serialise.
        let _ = serde_json::to_writer(&mut hasher, state);
        hasher.update(b"\n");
        let _ = serde_json::to_writer(&mut hasher, raw);
        Self::from_digest(&hasher.finalize())
    }

    fn from_digest(digest: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hex = digest[..16]
            .iter()
            .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0x0f)]])
            .map(char::from)
            .collect();
        Self(hex)
    }

    /// Rebuilds a hash read back from storage.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_hashes_see_both_state_and_raw() {
        let state = serde_json::json!({"name": "Ann"});
        let base = ContentHash::of_record(&state, &serde_json::json!({"x": 1}));
        assert_eq!(
            base,
            ContentHash::of_record(&state, &serde_json::json!({"x": 1}))
        );
        assert_ne!(
            base,
            ContentHash::of_record(&state, &serde_json::json!({"x": 2}))
        );
        assert_ne!(
            base,
            ContentHash::of_record(
                &serde_json::json!({"name": "Bo"}),
                &serde_json::json!({"x": 1})
            )
        );
    }

    #[test]
    fn equal_json_hashes_equal_and_different_json_differs() {
        let a = ContentHash::of_json(&serde_json::json!({"b": 1, "a": [1, 2]}));
        let b = ContentHash::of_json(&serde_json::json!({"a": [1, 2], "b": 1}));
        let c = ContentHash::of_json(&serde_json::json!({"a": [2, 1], "b": 1}));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str().len(), 32);
        assert!(
            a.as_str()
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}
