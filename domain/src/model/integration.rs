//! `Integration`: one Lark custom app connected to one tenant, with its credentials and status.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::values::{AppId, BaseUrl, IntegrationId, IntegrationLabel, SyncInterval};

/// A text did not name a known variant of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} \"{value}\" (expected one of: {expected})")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// An enumeration spelled in snake_case text everywhere (JSON, database, CLI, query strings).
/// A variant may list older spellings after `|`: they still parse (and deserialise), but only
/// the first is ever written.
macro_rules! text_enum {
    (
        $(#[$doc:meta])* $name:ident, $kind:literal {
            $($(#[$variant_doc:meta])* $variant:ident => $text:literal $(| $alias:literal)*),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$variant_doc])* #[serde(rename = $text $(, alias = $alias)*)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    other => Err($crate::model::UnknownValue {
                        kind: $kind,
                        value: other.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// Which brand of the platform the tenant lives on; selects the API and accounts hosts.
    Region, "region" { Lark => "lark", Feishu => "feishu" }
);

impl Region {
    /// The Open Platform base URL of the brand (the OAuth accounts host is derived by the adapter).
    pub const fn default_base_url(self) -> &'static str {
        match self {
            Region::Lark => "https://open.larksuite.com",
            Region::Feishu => "https://open.feishu.cn",
        }
    }
}

text_enum!(
    /// Health of an integration as shown to admins.
    IntegrationStatus, "integration status" {
        PendingAuthorization => "pending_authorization",
        Active => "active",
        Degraded => "degraded",
        NeedsReauthorization => "needs_reauthorization",
        Failing => "failing",
        Disabled => "disabled",
    }
);

/// What Lark says about the tenant an integration is connected to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantInfo {
    pub name: String,
    pub tenant_key: String,
}

/// One Lark custom app in one tenant, without its secret: what listings, health reports and
/// pages need. Reading it never decrypts anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationSummary {
    pub id: IntegrationId,
    pub label: IntegrationLabel,
    pub region: Region,
    /// Replaces both the API and the accounts host (tests, private deployments).
    pub base_url: Option<BaseUrl>,
    pub app_id: AppId,
    pub status: IntegrationStatus,
    pub tenant: Option<TenantInfo>,
    pub authorized_by: Option<String>,
    /// Time between scheduled syncs; `None` means on demand only.
    pub sync_interval: Option<SyncInterval>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl IntegrationSummary {
    /// Minutes between scheduled syncs, as the API and the CLI show them.
    pub fn sync_interval_minutes(&self) -> Option<u32> {
        self.sync_interval.map(SyncInterval::minutes)
    }

    /// The base URL requests go to: the override if set, else the brand's public host.
    pub fn effective_base_url(&self) -> &str {
        self.base_url
            .as_ref()
            .map_or(self.region.default_base_url(), BaseUrl::as_str)
    }
}

/// One Lark custom app in one tenant with its App Secret, which never leaves the process
/// unencrypted. Only what talks to Lark (sync, connect, doctor) reads it whole.
#[derive(Debug, Clone)]
pub struct Integration {
    pub summary: IntegrationSummary,
    pub app_secret: SecretString,
}

/// An integration is its summary plus a secret: every rule written for the summary applies to
/// it as is (`integration.label`, `&integration` where a `&IntegrationSummary` is expected).
impl std::ops::Deref for Integration {
    type Target = IntegrationSummary;

    fn deref(&self) -> &IntegrationSummary {
        &self.summary
    }
}

impl std::ops::DerefMut for Integration {
    fn deref_mut(&mut self) -> &mut IntegrationSummary {
        &mut self.summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerations_round_trip_through_text() {
        for region in Region::ALL {
            assert_eq!(region.as_str().parse::<Region>().unwrap(), *region);
        }
        for status in IntegrationStatus::ALL {
            assert_eq!(
                status.as_str().parse::<IntegrationStatus>().unwrap(),
                *status
            );
        }
        let err = "mars".parse::<Region>().unwrap_err();
        assert!(err.to_string().contains("lark feishu"), "{err}");
    }
}
