//! Withheld fields never overwrite stored data. When Lark leaves a field group out of a listed
//! record whose stored version has its values, the stored values are kept (fields and Lark's
//! JSON keys alike), and the run counts it per group. A group Lark stopped returning for more
//! than the threshold share of the records that had it holds the run — a withdrawn permission
//! looks exactly like that — unless a confirmation accepted its loss: then the values become
//! unknown.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{DepartmentState, FieldGroup, UserProfile, WithheldGroup};

/// A tracked record whose field groups Lark may withhold.
pub(super) trait Withholdable {
    fn withheld(&self) -> &[FieldGroup];
    fn keep(&mut self, group: FieldGroup, stored: &Self);
}

impl Withholdable for UserProfile {
    fn withheld(&self) -> &[FieldGroup] {
        &self.withheld
    }

    fn keep(&mut self, group: FieldGroup, stored: &Self) {
        UserProfile::keep(self, group, stored);
    }
}

impl Withholdable for DepartmentState {
    fn withheld(&self) -> &[FieldGroup] {
        &self.withheld
    }

    fn keep(&mut self, group: FieldGroup, stored: &Self) {
        DepartmentState::keep(self, group, stored);
    }
}

/// One kind of record's field groups over a run.
#[derive(Debug, Default)]
pub(super) struct WithheldTally {
    /// Listed records whose stored values of the group were known.
    known: BTreeMap<FieldGroup, u64>,
    /// …of which Lark withheld the group now (their stored values were kept).
    kept: BTreeMap<FieldGroup, u64>,
    /// Groups whose loss a confirmation accepted: withheld values become unknown.
    accepted: BTreeSet<FieldGroup>,
}

impl WithheldTally {
    pub(super) fn new(accepted: &[FieldGroup]) -> Self {
        Self {
            accepted: accepted.iter().copied().collect(),
            ..Self::default()
        }
    }

    /// A listed record identical to its stored version: what it knows, it knew before.
    pub(super) fn unchanged(&mut self, groups: &[FieldGroup], withheld: &[FieldGroup]) {
        for group in groups.iter().filter(|g| !withheld.contains(g)) {
            *self.known.entry(*group).or_default() += 1;
        }
    }

    /// Puts back, into a listed record and its JSON, every group Lark withheld now but whose
    /// values the stored version knows — unless its loss was accepted.
    pub(super) fn merge<T: Withholdable>(
        &mut self,
        groups: &[FieldGroup],
        incoming: &mut T,
        raw: &mut Value,
        stored: &T,
        stored_raw: &Value,
    ) {
        for group in groups {
            if stored.withheld().contains(group) {
                continue;
            }
            *self.known.entry(*group).or_default() += 1;
            if incoming.withheld().contains(group) && !self.accepted.contains(group) {
                incoming.keep(*group, stored);
                group.keep_keys(raw, stored_raw);
                *self.kept.entry(*group).or_default() += 1;
            }
        }
    }

    /// Groups withheld for more than `threshold_percent` of the records that had them (and for
    /// more than one record).
    pub(super) fn above(&self, threshold_percent: f64) -> Vec<WithheldGroup> {
        self.kept
            .iter()
            .filter_map(|(group, &kept)| {
                let of = self.known.get(group).copied().unwrap_or(kept);
                super::exceeds(kept as usize, of as usize, threshold_percent).then(|| {
                    WithheldGroup {
                        group: *group,
                        permission: group.permission().to_owned(),
                        records: kept,
                        of,
                    }
                })
            })
            .collect()
    }

    /// A warning for groups kept for a few records only (below the threshold): the stored
    /// values were kept, and the admin may want to know.
    pub(super) fn notes(&self, threshold_percent: f64, noun: &str) -> Vec<String> {
        let held: Vec<FieldGroup> = self
            .above(threshold_percent)
            .iter()
            .map(|w| w.group)
            .collect();
        self.kept
            .iter()
            .filter(|(group, _)| !held.contains(group))
            .map(|(group, kept)| {
                format!(
                    "Lark did not return the {} of {kept} {noun} (permission {}); their last \
                     known values were kept",
                    group.describe(),
                    group.permission()
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::AccountStatus;
    use crate::values::OpenId;

    fn profile(email: Option<&str>, withheld: &[FieldGroup]) -> UserProfile {
        let mut p = UserProfile::new(OpenId::parse("ou_1").unwrap());
        p.email = email.map(str::to_owned);
        p.status = AccountStatus::Suspended;
        p.withheld = withheld.to_vec();
        p
    }

    #[test]
    fn a_withheld_group_keeps_the_stored_values_and_json() {
        let mut tally = WithheldTally::new(&[]);
        let stored = profile(Some("ann@acme.example"), &[]);
        let stored_raw = json!({"open_id": "ou_1", "email": "ann@acme.example"});
        let mut incoming = profile(None, &[FieldGroup::Email]);
        let mut raw = json!({"open_id": "ou_1"});
        tally.merge(
            FieldGroup::USER,
            &mut incoming,
            &mut raw,
            &stored,
            &stored_raw,
        );
        assert_eq!(incoming, stored);
        assert_eq!(raw, stored_raw);
        assert_eq!(tally.kept[&FieldGroup::Email], 1);
        let above = tally.above(20.0);
        assert!(above.is_empty(), "one record is never above the threshold");
        assert_eq!(tally.notes(20.0, "accounts").len(), 1);
    }

    #[test]
    fn an_accepted_loss_leaves_the_values_unknown() {
        let mut tally = WithheldTally::new(&[FieldGroup::Email]);
        let stored = profile(Some("ann@acme.example"), &[]);
        let mut incoming = profile(None, &[FieldGroup::Email]);
        let mut raw = json!({"open_id": "ou_1"});
        tally.merge(
            FieldGroup::USER,
            &mut incoming,
            &mut raw,
            &stored,
            &json!({"email": "ann@acme.example"}),
        );
        assert_eq!(incoming.email, None);
        assert_eq!(incoming.withheld, [FieldGroup::Email]);
        assert!(tally.kept.is_empty());
    }

    #[test]
    fn most_records_losing_a_group_is_above_the_threshold() {
        let mut tally = WithheldTally::new(&[]);
        for _ in 0..8 {
            let stored = profile(Some("a@b.example"), &[]);
            let mut incoming = profile(None, &[FieldGroup::Email]);
            tally.merge(
                FieldGroup::USER,
                &mut incoming,
                &mut json!({}),
                &stored,
                &json!({}),
            );
        }
        tally.unchanged(FieldGroup::USER, &[]);
        tally.unchanged(FieldGroup::USER, &[FieldGroup::Email]);
        let above = tally.above(20.0);
        assert_eq!(above.len(), 1);
        assert_eq!((above[0].records, above[0].of), (8, 9));
        assert_eq!(above[0].permission, "contact:user.email:readonly");
        assert!(tally.notes(20.0, "accounts").is_empty());
    }
}
