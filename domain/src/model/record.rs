//! A stored record that is synced whole (a user group, an installed app): its state as the
//! directory reported it, Lark's JSON, and when it was seen, changed and left.

use chrono::{DateTime, Utc};

use super::account::Presence;
use crate::values::{ContentHash, IntegrationId};

/// A stored record of an integration with state `S`.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<S> {
    pub integration_id: IntegrationId,
    pub state: S,
    /// Lark's JSON of the record (its listing item).
    pub raw: serde_json::Value,
    pub content_hash: ContentHash,
    pub first_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    /// When it stopped being present (`presence` says why); `None` while present.
    pub removed_at: Option<DateTime<Utc>>,
    pub presence: Presence,
}
