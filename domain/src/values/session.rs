//! Admin session values: the cookie token (256 random bits, base64url; secret), the session id
//! stored in its place (SHA-256 of the token, hex), and the per-session CSRF token.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// Characters of 32 bytes in base64url without padding.
const TOKEN_CHARS: usize = 43;
/// Characters of a SHA-256 digest in hex.
const ID_CHARS: usize = 64;

fn is_base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The presented text is not a session token Aviary issued (wrong length or alphabet).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a session token")]
pub struct MalformedSessionToken;

/// A stored session id is not 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a session id: expected 64 hex digits")]
pub struct SessionIdError;

/// Identifies a session: the hex SHA-256 of its token. Only this is stored, so reading the
/// database does not give anyone a usable cookie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A new token from 256 random bits (the cookie value, secret) and the id it maps to.
    pub fn issue(bits: [u8; 32]) -> (SecretString, Self) {
        let token = URL_SAFE_NO_PAD.encode(bits);
        let id = Self::digest(&token);
        (SecretString::from(token), id)
    }

    /// The id of a presented token, after checking its format so junk never reaches a lookup.
    ///
    /// # Errors
    /// [`MalformedSessionToken`] unless the token is the canonical base64url of 32 bytes.
    pub fn of_token(token: &str) -> Result<Self, MalformedSessionToken> {
        if token.len() != TOKEN_CHARS || !is_base64url(token) {
            return Err(MalformedSessionToken);
        }
        match URL_SAFE_NO_PAD.decode(token) {
            Ok(bytes) if bytes.len() == 32 => Ok(Self::digest(token)),
            _ => Err(MalformedSessionToken),
        }
    }

    /// An id read back from storage.
    ///
    /// # Errors
    /// [`SessionIdError`] unless it is 64 lowercase hex digits.
    pub fn parse(stored: &str) -> Result<Self, SessionIdError> {
        let well_formed = stored.len() == ID_CHARS
            && stored
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if well_formed {
            Ok(Self(stored.to_owned()))
        } else {
            Err(SessionIdError)
        }
    }

    fn digest(token: &str) -> Self {
        let digest = Sha256::digest(token.as_bytes());
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The anti-CSRF token of one session (256 random bits, base64url): rendered into every form
/// and checked on every state-changing request. Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl CsrfToken {
    pub fn from_random(bits: [u8; 32]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bits))
    }

    /// A token read back from storage.
    pub fn from_stored(token: String) -> Self {
        Self(token)
    }

    /// For rendering into a form or a header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `submitted` is this token, in time that depends on neither value (both are
    /// hashed first, so not even the length of a wrong guess matters).
    pub fn matches(&self, submitted: &str) -> bool {
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(submitted.as_bytes());
        bool::from(expected.as_slice().ct_eq(given.as_slice()))
    }
}

impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn an_issued_token_maps_back_to_its_id() {
        let (token, id) = SessionId::issue([9; 32]);
        assert_eq!(token.expose_secret().len(), TOKEN_CHARS);
        assert_eq!(SessionId::of_token(token.expose_secret()).unwrap(), id);
        assert_eq!(id.as_str().len(), ID_CHARS);
        assert_ne!(
            id.as_str(),
            token.expose_secret(),
            "only the hash is the id"
        );
        assert_eq!(SessionId::parse(id.as_str()).unwrap(), id);
        assert_ne!(SessionId::issue([8; 32]).1, id);
    }

    #[test]
    fn junk_tokens_and_ids_are_refused() {
        let (token, _) = SessionId::issue([1; 32]);
        let valid = token.expose_secret();
        // A last character whose low bits are not zero is a non-canonical spelling.
        let non_canonical = format!("{}B", &valid[..TOKEN_CHARS - 1]);
        for junk in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}=", &valid[..42]),
            &non_canonical,
        ] {
            assert_eq!(
                SessionId::of_token(junk),
                Err(MalformedSessionToken),
                "{junk:?}"
            );
        }
        assert_eq!(SessionId::parse(&"A".repeat(64)), Err(SessionIdError));
        assert_eq!(SessionId::parse("abc"), Err(SessionIdError));
    }

    #[test]
    fn csrf_tokens_compare_exactly_and_stay_out_of_debug() {
        let csrf = CsrfToken::from_random([3; 32]);
        assert!(csrf.matches(csrf.as_str()));
        assert!(!csrf.matches(""));
        assert!(!csrf.matches(&csrf.as_str()[..42]));
        assert!(!csrf.matches(CsrfToken::from_random([4; 32]).as_str()));
        assert_eq!(CsrfToken::from_stored(csrf.as_str().to_owned()), csrf);
        assert_eq!(format!("{csrf:?}"), "CsrfToken(..)");
    }
}
