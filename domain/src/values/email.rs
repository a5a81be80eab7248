//! `EmailAddress`: an admin's sign-in name — trimmed, lowercased and checked for a plausible
//! shape (one `@`, a local part, a domain with a dot). Deliverability is not checked.

use std::fmt;

/// Why an email address was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("the email address is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the email address contains spaces or control characters")]
    InvalidCharacters,
    #[error("the email address has no @ (expected name@example.com)")]
    MissingAt,
    #[error("the email address has more than one @")]
    SeveralAts,
    #[error("the email address has nothing before the @")]
    EmptyLocalPart,
    #[error(
        "the email address needs a domain with a dot after the @, like example.com, without empty parts"
    )]
    InvalidDomain,
}

/// A trimmed, lowercased email address of at most 254 characters with exactly one `@`, a
/// non-empty local part and a domain of at least two non-empty dot-separated labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// RFC 5321's limit on a forward path, the practical maximum of an address.
    pub const MAX_CHARS: usize = 254;

    /// Validates and normalises (trims, lowercases) an address.
    ///
    /// # Errors
    /// [`EmailError`] naming the first problem found.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(EmailError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::InvalidCharacters);
        }
        let normalised = trimmed.to_lowercase();
        let mut parts = normalised.split('@');
        let (Some(local), Some(domain)) = (parts.next(), parts.next()) else {
            return Err(EmailError::MissingAt);
        };
        if parts.next().is_some() {
            return Err(EmailError::SeveralAts);
        }
        if local.is_empty() {
            return Err(EmailError::EmptyLocalPart);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|label| label.is_empty()) {
            return Err(EmailError::InvalidDomain);
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let email = EmailAddress::parse("  Ada.Lovelace+Aviary@Example.COM \n").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace+aviary@example.com");
        assert_eq!(email.to_string(), email.as_str());
        assert_eq!(
            EmailAddress::parse("a@b.co").unwrap().as_str(),
            "a@b.co",
            "short is fine"
        );
    }

    #[test]
    fn rejects_each_malformation_with_its_own_error() {
        let cases = [
            ("   ", EmailError::Empty),
            ("ada example.com", EmailError::InvalidCharacters),
            ("ada@exa\tmple.com", EmailError::InvalidCharacters),
            ("ada.example.com", EmailError::MissingAt),
            ("ada@home@example.com", EmailError::SeveralAts),
            ("@example.com", EmailError::EmptyLocalPart),
            ("ada@localhost", EmailError::InvalidDomain),
            ("ada@", EmailError::InvalidDomain),
            ("ada@example.", EmailError::InvalidDomain),
            ("ada@.example.com", EmailError::InvalidDomain),
            ("ada@example..com", EmailError::InvalidDomain),
        ];
        for (raw, expected) in cases {
            assert_eq!(EmailAddress::parse(raw), Err(expected), "{raw:?}");
        }
    }

    #[test]
    fn at_most_254_characters() {
        let domain = "@example.com";
        let fits = format!("{}{domain}", "a".repeat(254 - domain.len()));
        assert!(EmailAddress::parse(&fits).is_ok());
        let long = format!("a{fits}");
        assert_eq!(
            EmailAddress::parse(&long),
            Err(EmailError::TooLong { max: 254 })
        );
        assert!(
            EmailError::TooLong { max: 254 }
                .to_string()
                .contains("254 characters")
        );
    }
}
