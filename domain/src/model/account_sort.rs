//! How account listings are ordered: a sort key with a direction ([`AccountSort`]), and the
//! keyset position a page continues after ([`AccountCursor`]: the sort key's value and the
//! `open_id` of the last account shown).
//!
//! Every order ends with `open_id` in the same direction as the key, so it is total (ties on
//! the key are broken by `open_id`) and a descending order is exactly the ascending one
//! reversed. Text keys compare case-insensitively, and a missing value sorts as empty text:
//! first in ascending order, last in descending.

use chrono::{DateTime, Utc};

use super::account::{AccountStatus, UserAccount};
use super::integration::text_enum;
use crate::values::OpenId;

text_enum!(
    /// What accounts can be sorted by; `updated` is the last recorded change
    /// (`last_changed_at`).
    SortKey, "sort key" {
        Name => "name",
        Email => "email",
        Status => "status",
        Updated => "updated",
        OpenId => "open_id",
    }
);

/// A sort key and a direction. The default is ascending by `open_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountSort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for AccountSort {
    fn default() -> Self {
        Self {
            key: SortKey::OpenId,
            descending: false,
        }
    }
}

impl AccountSort {
    pub const fn ascending(key: SortKey) -> Self {
        Self {
            key,
            descending: false,
        }
    }

    pub const fn descending(key: SortKey) -> Self {
        Self {
            key,
            descending: true,
        }
    }

    /// The same key in the other direction: the exact reverse order.
    #[must_use]
    pub const fn reversed(self) -> Self {
        Self {
            key: self.key,
            descending: !self.descending,
        }
    }

    /// `asc` or `desc`.
    pub const fn direction(self) -> &'static str {
        if self.descending { "desc" } else { "asc" }
    }
}

impl std::fmt::Display for AccountSort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.key, self.direction())
    }
}

/// The value of an account's sort key, as the store compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Name(Option<String>),
    /// The email, else the enterprise email (what listings show as the email).
    Email(Option<String>),
    Status(AccountStatus),
    Updated(DateTime<Utc>),
    /// The `open_id` is the key itself: the cursor's `open_id` says it all.
    OpenId,
}

impl SortValue {
    /// The value of `key` for `account`.
    pub fn of(key: SortKey, account: &UserAccount) -> Self {
        let profile = &account.state.profile;
        match key {
            SortKey::Name => Self::Name(profile.name.clone()),
            SortKey::Email => Self::Email(
                profile
                    .email
                    .clone()
                    .or_else(|| profile.enterprise_email.clone()),
            ),
            SortKey::Status => Self::Status(profile.status),
            SortKey::Updated => Self::Updated(account.last_changed_at),
            SortKey::OpenId => Self::OpenId,
        }
    }

    pub const fn key(&self) -> SortKey {
        match self {
            Self::Name(_) => SortKey::Name,
            Self::Email(_) => SortKey::Email,
            Self::Status(_) => SortKey::Status,
            Self::Updated(_) => SortKey::Updated,
            Self::OpenId => SortKey::OpenId,
        }
    }
}

/// A keyset position: the accounts after it (in its order) are the next page. It names its
/// order, so a cursor made for one order is recognised when offered for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCursor {
    value: SortValue,
    descending: bool,
    open_id: OpenId,
}

impl AccountCursor {
    pub fn new(value: SortValue, descending: bool, open_id: OpenId) -> Self {
        Self {
            value,
            descending,
            open_id,
        }
    }

    /// The position of `account` in `sort` order: a page after it starts with its successor.
    pub fn after(sort: AccountSort, account: &UserAccount) -> Self {
        Self::new(
            SortValue::of(sort.key, account),
            sort.descending,
            account.state.profile.open_id.clone(),
        )
    }

    /// The order this cursor is a position in.
    pub const fn sort(&self) -> AccountSort {
        AccountSort {
            key: self.value.key(),
            descending: self.descending,
        }
    }

    /// The same position in the reverse order: what comes after it there comes before it
    /// here (nearest first), which is how a previous page is read.
    #[must_use]
    pub fn reversed(self) -> Self {
        Self {
            descending: !self.descending,
            ..self
        }
    }

    pub fn value(&self) -> &SortValue {
        &self.value
    }

    pub fn open_id(&self) -> &OpenId {
        &self.open_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountState, UserProfile};
    use crate::values::{ContentHash, IntegrationId};

    fn account(email: Option<&str>, enterprise: Option<&str>) -> UserAccount {
        let mut profile = UserProfile::new(OpenId::parse("ou_a").unwrap());
        profile.email = email.map(str::to_owned);
        profile.enterprise_email = enterprise.map(str::to_owned);
        profile.name = Some("Ann".to_owned());
        UserAccount {
            integration_id: IntegrationId::from_uuid(uuid::Uuid::nil()),
            state: AccountState {
                profile,
                roles: Vec::new(),
            },
            raw: serde_json::Value::Null,
            content_hash: ContentHash::of_json(&serde_json::Value::Null),
            first_seen_at: DateTime::UNIX_EPOCH,
            last_changed_at: DateTime::UNIX_EPOCH,
            removed_at: None,
            presence: crate::model::Presence::Present,
        }
    }

    #[test]
    fn a_cursor_knows_its_order_and_reverses_it() {
        let ann = account(None, Some("ann@corp.example"));
        let cursor = AccountCursor::after(AccountSort::descending(SortKey::Email), &ann);
        assert_eq!(
            cursor.value(),
            &SortValue::Email(Some("ann@corp.example".to_owned())),
            "the enterprise email stands in for a missing email"
        );
        assert_eq!(cursor.sort(), AccountSort::descending(SortKey::Email));
        assert_eq!(cursor.open_id().as_str(), "ou_a");
        let back = cursor.reversed();
        assert_eq!(back.sort(), AccountSort::ascending(SortKey::Email));
        assert_eq!(
            AccountCursor::after(AccountSort::default(), &ann).value(),
            &SortValue::OpenId
        );
        assert_eq!(
            SortValue::of(SortKey::Email, &account(Some("a@x"), Some("b@x"))),
            SortValue::Email(Some("a@x".to_owned()))
        );
    }

    #[test]
    fn sorts_parse_from_text_and_default_to_open_id() {
        assert_eq!(
            AccountSort::default(),
            AccountSort::ascending(SortKey::OpenId)
        );
        for key in SortKey::ALL {
            assert_eq!(key.as_str().parse::<SortKey>().unwrap(), *key);
        }
        assert!("size".parse::<SortKey>().is_err());
        assert_eq!(
            AccountSort::descending(SortKey::Updated).to_string(),
            "updated desc"
        );
        assert_eq!(
            AccountSort::ascending(SortKey::Name).reversed(),
            AccountSort::descending(SortKey::Name)
        );
    }
}
