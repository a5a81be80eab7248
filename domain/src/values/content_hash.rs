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
        let digest = Sha256::digest(value.to_string().as_bytes());
        let mut hex = String::with_capacity(32);
        for byte in &digest[..16] {
            hex.push_str(&format!("{byte:02x}"));
        }
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
    fn equal_json_hashes_equal_and_different_json_differs() {
        let a = ContentHash::of_json(&serde_json::json!({"b": 1, "a": [1, 2]}));
        let b = ContentHash::of_json(&serde_json::json!({"a": [1, 2], "b": 1}));
        let c = ContentHash::of_json(&serde_json::json!({"a": [2, 1], "b": 1}));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str().len(), 32);
    }
}
