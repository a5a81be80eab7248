//! Decides, per incoming record, whether it is new, unchanged or needs its stored version for a
//! diff; remembers what was seen so the unseen can be removed after a complete listing.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use serde_json::Value;

use crate::model::{FieldChange, field_changes};
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
pub(super) fn diff(
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
