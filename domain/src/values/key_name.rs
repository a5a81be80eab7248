//! `KeyName`: the human name an admin gives an API key (what it is for, e.g. "CI exporter").

use std::fmt;

/// Why an API key name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyNameError {
    #[error("the key name is empty")]
    Empty,
    #[error("the key name is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the key name contains control characters")]
    ControlCharacters,
}

/// A trimmed, non-empty name of at most 100 characters without control characters. Names
/// need not be unique: keys are told apart by id and display prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct KeyName(String);

impl KeyName {
    pub const MAX_CHARS: usize = 100;

    /// Validates and normalises (trims) a name.
    ///
    /// # Errors
    /// [`KeyNameError`] when the trimmed text is empty, too long or has control characters.
    pub fn parse(raw: &str) -> Result<Self, KeyNameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(KeyNameError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(KeyNameError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(KeyNameError::ControlCharacters);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_names_up_to_the_limit() {
        assert_eq!(
            KeyName::parse("  CI exporter \n").unwrap().as_str(),
            "CI exporter"
        );
        let longest = "é".repeat(100);
        assert_eq!(KeyName::parse(&longest).unwrap().as_str(), longest);
    }

    #[test]
    fn rejects_empty_long_and_control_names() {
        assert_eq!(KeyName::parse(""), Err(KeyNameError::Empty));
        assert_eq!(KeyName::parse(" \t "), Err(KeyNameError::Empty));
        assert_eq!(
            KeyName::parse(&"x".repeat(101)),
            Err(KeyNameError::TooLong { max: 100 })
        );
        assert_eq!(
            KeyName::parse("a\u{7}b"),
            Err(KeyNameError::ControlCharacters)
        );
        assert_eq!(
            KeyName::parse("line\nbreak"),
            Err(KeyNameError::ControlCharacters)
        );
    }
}
