//! Secrets the OAuth endpoints mint — authorization codes (64 chars of `[A-Za-z0-9-_]`), opaque
//! request ids, JWT-looking user tokens (`eyJ…`, about 1 KB, like Lark's v2 tokens) — and the PKCE
//! (RFC 7636) checks.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// `code_challenge_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChallengeMethod {
    Plain,
    S256,
}

impl ChallengeMethod {
    /// `None` for anything but `plain` / `S256` (case-sensitive, like RFC 7636).
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "plain" => Some(Self::Plain),
            "S256" => Some(Self::S256),
            _ => None,
        }
    }
}

/// The PKCE challenge an authorization request carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pkce {
    pub(crate) method: ChallengeMethod,
    pub(crate) challenge: String,
}

impl Pkce {
    pub(crate) fn verify(&self, verifier: &str) -> bool {
        match self.method {
            ChallengeMethod::Plain => verifier == self.challenge,
            ChallengeMethod::S256 => s256(verifier) == self.challenge,
        }
    }
}

/// BASE64URL-no-pad(SHA-256(verifier)).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1); challenges share the rule.
pub(crate) fn valid_verifier(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(buf.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buf)
}

/// An authorization code: 64 characters of `[A-Za-z0-9-_]`.
pub(crate) fn authorization_code() -> String {
    random_b64(48)
}

/// An unguessable id for a pending authorization request (the consent form carries only this).
pub(crate) fn request_id() -> String {
    random_b64(24)
}

/// Which user token to mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Access,
    Refresh,
}

/// `header.payload.signature`, each base64url: starts with `eyJhbGciOiJFUzI1NiIs` like Lark's
/// samples, carries only random data (clients must treat it as opaque), about 1 KB long.
pub(crate) fn user_token(kind: TokenKind) -> String {
    const HEADER: &str = r#"{"alg":"ES256","kid":"aviary-simulator","typ":"JWT"}"#;
    let typ = match kind {
        TokenKind::Access => "user_access_token",
        TokenKind::Refresh => "refresh_token",
    };
    let payload = format!(
        r#"{{"typ":"{typ}","jti":"{}","ctx":"{}"}}"#,
        random_b64(24),
        random_b64(480)
    );
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(payload),
        random_b64(64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_rfc7636_vector_and_plain() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let s = Pkce {
            method: ChallengeMethod::S256,
            challenge: s256(verifier),
        };
        assert!(s.verify(verifier) && !s.verify(&s.challenge));
        let plain = Pkce {
            method: ChallengeMethod::Plain,
            challenge: verifier.to_owned(),
        };
        assert!(plain.verify(verifier) && !plain.verify("x"));
        assert!(valid_verifier(verifier));
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{verifier}+")));
        assert_eq!(ChallengeMethod::parse("s256"), None);
    }

    #[test]
    fn formats() {
        let code = authorization_code();
        assert_eq!(code.len(), 64);
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(code, authorization_code());
        let token = user_token(TokenKind::Access);
        assert!(token.starts_with("eyJhbGciOiJFUzI1NiIs"), "{token}");
        assert!((900..2048).contains(&token.len()), "{}", token.len());
        assert_eq!(token.matches('.').count(), 2);
        assert_ne!(token, user_token(TokenKind::Access));
        assert!(user_token(TokenKind::Refresh).starts_with("eyJ"));
    }
}
