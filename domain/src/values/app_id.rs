//! `AppId`: the App ID of a Lark custom app (`cli_…`), as shown in the developer console.

use std::fmt;

/// Why an App ID was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppIdError {
    #[error("the App ID is empty")]
    Empty,
    #[error("the App ID must start with \"cli_\" (copy it from the app's Credentials page)")]
    MissingPrefix,
    #[error("the App ID may only contain letters, digits and '_' and be at most 64 characters")]
    InvalidCharacters,
}

/// A Lark App ID: `cli_` followed by letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AppId(String);

impl AppId {
    /// # Errors
    /// [`AppIdError`] when the trimmed text is empty, lacks the `cli_` prefix or has other characters.
    pub fn parse(raw: &str) -> Result<Self, AppIdError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(AppIdError::Empty);
        }
        if !trimmed.starts_with("cli_") {
            return Err(AppIdError::MissingPrefix);
        }
        let valid = trimmed.len() <= 64
            && trimmed.len() > 4
            && trimmed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(AppIdError::InvalidCharacters);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_console_app_ids() {
        assert_eq!(
            AppId::parse(" cli_a41bc75349bc1234 ").unwrap().as_str(),
            "cli_a41bc75349bc1234"
        );
    }

    #[test]
    fn rejects_malformed_app_ids() {
        assert_eq!(AppId::parse(""), Err(AppIdError::Empty));
        assert_eq!(AppId::parse("a41bc75349bc"), Err(AppIdError::MissingPrefix));
        assert_eq!(AppId::parse("cli_"), Err(AppIdError::InvalidCharacters));
        assert_eq!(
            AppId::parse("cli_ab cd"),
            Err(AppIdError::InvalidCharacters)
        );
    }
}
