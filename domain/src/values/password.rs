//! Admin passwords: the policy a new password must meet (`Password`, kept secret) and the
//! stored one-way hash (`PasswordHash`, a PHC string, never shown).

use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};

/// Why a new password was refused. Messages never contain the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is empty or only whitespace")]
    Blank,
    #[error("the password is too short: use at least {min} characters (a passphrase works well)")]
    TooShort { min: usize },
    #[error("the password is longer than {max} characters")]
    TooLong { max: usize },
}

/// A password that meets the policy: 12 to 1024 characters (Unicode scalar values), not only
/// whitespace. It is used exactly as typed (no trimming), and stays a [`SecretString`].
#[derive(Debug, Clone)]
pub struct Password(SecretString);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 1024;

    /// Checks a new password against the policy.
    ///
    /// # Errors
    /// [`PasswordError`]: blank, too short or too long.
    pub fn parse(candidate: SecretString) -> Result<Self, PasswordError> {
        let text = candidate.expose_secret();
        if text.chars().all(char::is_whitespace) {
            return Err(PasswordError::Blank);
        }
        let chars = text.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(PasswordError::TooShort {
                min: Self::MIN_CHARS,
            });
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(candidate))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$m=…`), as the `PasswordHasher` made
/// it. Not a secret in itself, but it is never shown: `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string from the hasher or from storage; the hasher checks its format.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Password, PasswordError> {
        Password::parse(SecretString::from(text))
    }

    #[test]
    fn accepts_twelve_to_1024_characters_as_typed() {
        let password = parse("  correct horse  ").unwrap();
        assert_eq!(password.secret().expose_secret(), "  correct horse  ");
        assert!(parse("ünïcödé-12ch").is_ok(), "characters, not bytes");
        assert!(parse(&"x".repeat(1024)).is_ok());
        assert!(
            !format!("{password:?}").contains("horse"),
            "redacted in Debug"
        );
    }

    #[test]
    fn refuses_blank_short_and_long_passwords() {
        assert_eq!(parse("").unwrap_err(), PasswordError::Blank);
        assert_eq!(parse(&" ".repeat(20)).unwrap_err(), PasswordError::Blank);
        assert_eq!(
            parse("eleven-char").unwrap_err(),
            PasswordError::TooShort { min: 12 }
        );
        assert_eq!(
            parse(&"x".repeat(1025)).unwrap_err(),
            PasswordError::TooLong { max: 1024 }
        );
        assert!(
            PasswordError::TooShort { min: 12 }
                .to_string()
                .contains("at least 12 characters")
        );
    }

    #[test]
    fn a_hash_is_not_shown_in_debug() {
        let hash = PasswordHash::from_phc("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA".into());
        assert_eq!(format!("{hash:?}"), "PasswordHash(..)");
        assert!(hash.as_phc().starts_with("$argon2id$"));
    }
}
