//! Decides, per incoming record, whether it is new, unchanged or needs its stored version for a
//! diff; remembers what was seen so the unseen can be removed after a complete listing.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use serde_json::Value;

use chrono::{DateTime, Utc};

use crate::model::{ChangeKind, FieldChange, field_changes};
use crate::ports::StoredHash;
use crate::values::ContentHash;

/// What to do with an incoming record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Added,
    Unchanged,
    /// Changed or restored: the stored row is needed to diff.
    NeedsStored,
}

/// Stored hashes of one kind of record plus the ids seen in this run.
#[derive(Debug)]
pub(super) struct Tracker<K> {
    stored: HashMap<K, StoredHash>,
    seen: HashSet<K>,
}

impl<K: Hash + Eq + Clone + Ord> Tracker<K> {
    pub(super) fn new(stored: HashMap<K, StoredHash>) -> Self {
        Self {
            stored,
            seen: HashSet::new(),
        }
    }

    /// Records `id` as seen; `None` when it was already seen in this run (duplicate listing).
    pub(super) fn observe(&mut self, id: &K, hash: &ContentHash) -> Option<Decision> {
        if !self.seen.insert(id.clone()) {
            return None;
        }
        Some(match self.stored.get(id) {
            None => Decision::Added,
            Some(stored) if stored.hash == *hash && !stored.removed => Decision::Unchanged,
            Some(_) => Decision::NeedsStored,
        })
    }

    pub(super) fn was_seen(&self, id: &K) -> bool {
        self.seen.contains(id)
    }

    /// Stored, not removed, and not seen in this run; sorted for stable output.
    pub(super) fn unseen_live(&self) -> Vec<K> {
        let mut unseen: Vec<K> = self
            .stored
            .iter()
            .filter(|(id, stored)| !stored.removed && !self.seen.contains(*id))
            .map(|(id, _)| id.clone())
            .collect();
        unseen.sort();
        unseen
    }

    /// Stored records that are not removed (the base of the removal threshold).
    pub(super) fn live_count(&self) -> usize {
        self.stored.values().filter(|s| !s.removed).count()
    }

    pub(super) fn seen_count(&self) -> usize {
        self.seen.len()
    }
}

/// Field changes between stored and incoming versions; when only fields Aviary does not model
/// changed, they are reported as `raw.<field>`.
fn diff(
    old_state: &Value,
    old_raw: &Value,
    new_state: &Value,
    new_raw: &Value,
) -> Vec<FieldChange> {
    let fields = field_changes(old_state, new_state);
    if !fields.is_empty() {
        return fields;
    }
    field_changes(old_raw, new_raw)
        .into_iter()
        .map(|change| FieldChange {
            field: format!("raw.{}", change.field),
            ..change
        })
        .collect()
}

/// A stored version of a record, as far as settling an incoming version needs it.
pub(super) struct StoredVersion<'a> {
    pub(super) state: Value,
    pub(super) raw: &'a Value,
    pub(super) removed: bool,
    pub(super) first_seen_at: DateTime<Utc>,
    pub(super) last_changed_at: DateTime<Utc>,
}

/// What an incoming version that needed its stored version becomes.
pub(super) struct Settled {
    /// The change to record; `None` when no field differs (only the stored hash is stale).
    pub(super) change: Option<(ChangeKind, Vec<FieldChange>)>,
    pub(super) first_seen_at: DateTime<Utc>,
    pub(super) last_changed_at: DateTime<Utc>,
}

/// Compares an incoming version with its stored one: restored if it was removed, changed
/// with its field differences, nothing if no field differs, added if it vanished meanwhile.
pub(super) fn settle(
    stored: Option<StoredVersion<'_>>,
    state: &Value,
    raw: &Value,
    now: DateTime<Utc>,
) -> Settled {
    let Some(old) = stored else {
        return Settled {
            change: Some((ChangeKind::Added, Vec::new())),
            first_seen_at: now,
            last_changed_at: now,
        };
    };
    let fields = diff(&old.state, old.raw, state, raw);
    if !old.removed && fields.is_empty() {
        return Settled {
            change: None,
            first_seen_at: old.first_seen_at,
            last_changed_at: old.last_changed_at,
        };
    }
    let kind = if old.removed {
        ChangeKind::Restored
    } else {
        ChangeKind::Changed
    };
    Settled {
        change: Some((kind, fields)),
        first_seen_at: old.first_seen_at,
        last_changed_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(hash: &ContentHash, removed: bool) -> StoredHash {
        StoredHash {
            hash: hash.clone(),
            removed,
        }
    }

    #[test]
    fn classifies_new_unchanged_changed_restored_and_duplicates() {
        let same = ContentHash::of_json(&json!(1));
        let other = ContentHash::of_json(&json!(2));
        let mut tracker = Tracker::new(HashMap::from([
            ("unchanged", stored(&same, false)),
            ("changed", stored(&same, false)),
            ("removed", stored(&same, true)),
            ("gone", stored(&same, false)),
            ("long_gone", stored(&same, true)),
        ]));
        assert_eq!(tracker.observe(&"new", &same), Some(Decision::Added));
        assert_eq!(
            tracker.observe(&"unchanged", &same),
            Some(Decision::Unchanged)
        );
        assert_eq!(
            tracker.observe(&"changed", &other),
            Some(Decision::NeedsStored)
        );
        assert_eq!(
            tracker.observe(&"removed", &same),
            Some(Decision::NeedsStored)
        );
        assert_eq!(tracker.observe(&"unchanged", &same), None);
        assert_eq!(tracker.unseen_live(), vec!["gone"]);
        assert_eq!(tracker.live_count(), 3);
    }

    #[test]
    fn raw_only_changes_are_reported_with_a_prefix() {
        let state = json!({"name": "Ann"});
        let changes = diff(&state, &json!({"x": 1}), &state, &json!({"x": 2}));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "raw.x");
    }
}
