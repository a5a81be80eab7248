//! `IntegrationLabel`: the human name an admin gives an integration, unique per installation.

use std::fmt;

/// Why a label was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("the label is empty")]
    Empty,
    #[error("the label is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the label contains control characters")]
    ControlCharacters,
    #[error("the label looks like an integration id; choose a name that is not a UUID")]
    LooksLikeId,
}

/// A trimmed, non-empty label of at most 64 characters without control characters.
///
/// A label may not be a UUID so that `<ID|LABEL>` arguments are never ambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct IntegrationLabel(String);

impl IntegrationLabel {
    pub const MAX_CHARS: usize = 64;

    /// Validates and normalises (trims) a label.
    ///
    /// # Errors
    /// [`LabelError`] when the trimmed text is empty, too long, has control characters or is a UUID.
    pub fn parse(raw: &str) -> Result<Self, LabelError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(LabelError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(LabelError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(LabelError::ControlCharacters);
        }
        if uuid::Uuid::parse_str(trimmed).is_ok() {
            return Err(LabelError::LooksLikeId);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IntegrationLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_ordinary_names() {
        assert_eq!(
            IntegrationLabel::parse("  Acme HQ ").unwrap().as_str(),
            "Acme HQ"
        );
    }

    #[test]
    fn rejects_empty_long_control_and_uuid_labels() {
        assert_eq!(IntegrationLabel::parse("   "), Err(LabelError::Empty));
        assert_eq!(
            IntegrationLabel::parse(&"x".repeat(65)),
            Err(LabelError::TooLong { max: 64 })
        );
        assert_eq!(
            IntegrationLabel::parse("a\tb"),
            Err(LabelError::ControlCharacters)
        );
        assert_eq!(
            IntegrationLabel::parse("6f1c2a9e-8d8e-4f57-9c43-3c8f4e0f6a11"),
            Err(LabelError::LooksLikeId)
        );
    }
}
