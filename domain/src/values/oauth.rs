//! OAuth login values: the `state` that ties a callback to the login that started it, and the
//! PKCE verifier whose S256 challenge goes into the authorize URL (RFC 7636).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};

/// Characters in a value made from 256 random bits, base64url without padding.
const ENCODED_LEN: usize = 43;

/// Why a `state` from a callback was rejected before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sign-in callback carries no valid state (it must come from a login started here)")]
pub struct OAuthStateError;

/// The OAuth `state`: 256 random bits, single use, bound server-side to the admin's session and
/// the integration. Safe to show (it grants nothing without the session and the PKCE verifier).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OAuthState(String);

impl OAuthState {
    /// A new state from 256 random bits.
    pub fn from_random(bits: [u8; 32]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bits))
    }

    /// Accepts only what [`OAuthState::from_random`] produces, so junk never reaches a lookup.
    ///
    /// # Errors
    /// [`OAuthStateError`] for any other text.
    pub fn parse(raw: &str) -> Result<Self, OAuthStateError> {
        let well_formed = raw.len() == ENCODED_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(OAuthStateError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OAuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The PKCE `code_verifier` (secret until the code exchange): 256 random bits, base64url.
#[derive(Debug, Clone)]
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    pub fn from_random(bits: [u8; 32]) -> Self {
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bits)))
    }

    /// A verifier read back from storage.
    pub fn from_stored(secret: SecretString) -> Self {
        Self(secret)
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// `code_challenge` for `code_challenge_method=S256`: BASE64URL(SHA-256(verifier)).
    pub fn challenge_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.expose_secret().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_rejects_junk() {
        let state = OAuthState::from_random([7; 32]);
        assert_eq!(state.as_str().len(), ENCODED_LEN);
        assert_eq!(OAuthState::parse(state.as_str()).unwrap(), state);
        for junk in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", &"a".repeat(42)),
        ] {
            assert_eq!(OAuthState::parse(junk), Err(OAuthStateError), "{junk:?}");
        }
    }

    #[test]
    fn s256_challenge_matches_rfc_7636_appendix_b() {
        // RFC 7636 Appendix B: these 32 octets give this verifier and this challenge.
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = PkceVerifier::from_random(octets);
        assert_eq!(
            verifier.secret().expose_secret(),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        assert_eq!(
            verifier.challenge_s256(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(
            !format!("{verifier:?}").contains("dBjf"),
            "redacted in Debug"
        );
    }
}
