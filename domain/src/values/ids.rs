//! Aviary's own identifiers (UUIDs) for integrations, sync runs and API keys.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The text was not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: expected a UUID like 6f1c2a9e-8d8e-4f57-9c43-3c8f4e0f6a11")]
pub struct IdParseError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdParseError)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// Identifies an integration (one Lark app in one tenant) within this installation.
    IntegrationId
);
uuid_id!(
    /// Identifies one sync run.
    RunId
);
uuid_id!(
    /// Identifies one admin user of the web UI.
    AdminId
);
uuid_id!(
    /// Identifies one API key (safe to show; the key itself is secret).
    ApiKeyId
);
