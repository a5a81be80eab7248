//! Identifiers Lark assigns: a user's `open_id`, a department's `open_department_id`, a user
//! group's `id` and an installed application's `app_id`.

use std::fmt;

/// A Lark identifier was empty, too long or had whitespace/control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Lark {kind}: {reason}")]
pub struct RemoteIdError {
    pub kind: &'static str,
    pub reason: &'static str,
}

fn check(kind: &'static str, raw: &str) -> Result<(), RemoteIdError> {
    if raw.is_empty() {
        return Err(RemoteIdError {
            kind,
            reason: "empty",
        });
    }
    if raw.len() > 128 {
        return Err(RemoteIdError {
            kind,
            reason: "longer than 128 bytes",
        });
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RemoteIdError {
            kind,
            reason: "contains whitespace",
        });
    }
    Ok(())
}

/// A user's `open_id` (`ou_…`): the key of an account within an integration.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct OpenId(String);

impl OpenId {
    /// # Errors
    /// [`RemoteIdError`] when empty, longer than 128 bytes or containing whitespace.
    pub fn parse(raw: &str) -> Result<Self, RemoteIdError> {
        check("open_id", raw)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A department's `open_department_id` (`od-…`), or `"0"` for the tenant root.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct DepartmentId(String);

impl DepartmentId {
    /// # Errors
    /// [`RemoteIdError`] when empty, longer than 128 bytes or containing whitespace.
    pub fn parse(raw: &str) -> Result<Self, RemoteIdError> {
        check("department id", raw)?;
        Ok(Self(raw.to_owned()))
    }

    /// The tenant's root department, `"0"` in every Lark API.
    pub fn root() -> Self {
        Self("0".to_owned())
    }

    pub fn is_root(&self) -> bool {
        self.0 == "0"
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user group's `id` (e.g. `g193821`): the id Lark's group APIs take in their paths. Groups
/// also have a custom `group_id`, kept in their state.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct GroupId(String);

impl GroupId {
    /// # Errors
    /// [`RemoteIdError`] when empty, longer than 128 bytes or containing whitespace.
    pub fn parse(raw: &str) -> Result<Self, RemoteIdError> {
        check("group id", raw)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An installed application's `app_id` (`cli_…`): any app of the tenant, not only the
/// integration's own (whose App ID is an [`crate::values::AppId`]).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct InstalledAppId(String);

impl InstalledAppId {
    /// # Errors
    /// [`RemoteIdError`] when empty, longer than 128 bytes or containing whitespace.
    pub fn parse(raw: &str) -> Result<Self, RemoteIdError> {
        check("app id", raw)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = RemoteIdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_conversions!(OpenId);
string_conversions!(DepartmentId);
string_conversions!(GroupId);
string_conversions!(InstalledAppId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lark_ids_and_rejects_blank_ones() {
        assert_eq!(
            OpenId::parse("ou_7dab8a3d").unwrap().as_str(),
            "ou_7dab8a3d"
        );
        assert!(OpenId::parse("").is_err());
        assert!(OpenId::parse("ou 1").is_err());
        assert!(DepartmentId::root().is_root());
        assert!(!DepartmentId::parse("od-4e6a").unwrap().is_root());
    }
}
