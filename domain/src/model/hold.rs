//! What a held run refused to apply. A run is held when it would remove (or mark out of the
//! contact range) more than the threshold share of the stored accounts or departments, or when
//! Lark stopped returning a field group for more than that share of the accounts it returned it
//! for before — both look exactly like a narrowed permission or contact range. The hold records
//! its counts and the very records concerned, so that confirming it applies at most that set.

use super::account::Presence;
use super::change::Subject;
use super::field_group::FieldGroup;

/// How many records a run would have marked, per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Departures {
    /// Gone from the tenant.
    pub removed: u64,
    /// Left the app's contact range.
    pub out_of_range: u64,
}

impl Departures {
    pub fn total(&self) -> u64 {
        self.removed + self.out_of_range
    }

    /// Counts one departure.
    pub fn count(&mut self, why: Presence) {
        match why {
            Presence::Removed => self.removed += 1,
            Presence::OutOfRange => self.out_of_range += 1,
            Presence::Present => {}
        }
    }
}

/// A field group Lark stopped returning.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WithheldGroup {
    pub group: FieldGroup,
    /// The Lark permission that returns it (`FieldGroup::permission`).
    pub permission: String,
    /// Accounts (or departments) whose stored values Lark no longer returns…
    pub records: u64,
    /// …of those listed whose values were known before.
    pub of: u64,
}

/// What a held run did not apply, and why. Everything else it found was applied.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hold {
    /// Accounts the run would have marked, per outcome.
    pub accounts: Departures,
    /// Present accounts before the run (the base of the threshold).
    pub accounts_stored: u64,
    pub departments: Departures,
    pub departments_stored: u64,
    #[serde(default)]
    pub groups: Departures,
    #[serde(default)]
    pub groups_stored: u64,
    #[serde(default)]
    pub apps: Departures,
    #[serde(default)]
    pub apps_stored: u64,
    /// Field groups withheld above the threshold (their stored values were kept).
    #[serde(default)]
    pub withheld: Vec<WithheldGroup>,
    pub threshold_percent: f64,
}

impl Hold {
    /// Whether a confirmation of this hold covers `other` (a later run's): no more departures
    /// of any kind, and no field group that this hold did not name.
    pub fn covers(&self, other: &Hold) -> bool {
        let within = |held: Departures, now: Departures| {
            now.removed <= held.removed && now.out_of_range <= held.out_of_range
        };
        within(self.accounts, other.accounts)
            && within(self.departments, other.departments)
            && within(self.groups, other.groups)
            && within(self.apps, other.apps)
            && other
                .withheld
                .iter()
                .all(|w| self.withheld.iter().any(|h| h.group == w.group))
    }

    /// The field groups whose loss confirming this hold accepts.
    pub fn accepted_groups(&self) -> Vec<FieldGroup> {
        self.withheld.iter().map(|w| w.group).collect()
    }
}

/// One record a held run would have marked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct HeldSubject {
    pub subject: Subject,
    /// `Removed` or `OutOfRange`.
    pub outcome: Presence,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(removed: u64, out_of_range: u64, withheld: &[FieldGroup]) -> Hold {
        Hold {
            accounts: Departures {
                removed,
                out_of_range,
            },
            accounts_stored: 100,
            departments: Departures::default(),
            departments_stored: 10,
            groups: Departures::default(),
            groups_stored: 0,
            apps: Departures::default(),
            apps_stored: 0,
            withheld: withheld
                .iter()
                .map(|group| WithheldGroup {
                    group: *group,
                    permission: group.permission().to_owned(),
                    records: 90,
                    of: 100,
                })
                .collect(),
            threshold_percent: 20.0,
        }
    }

    #[test]
    fn a_confirmation_covers_no_more_than_what_was_held() {
        let held = hold(30, 5, &[FieldGroup::Email]);
        assert!(held.covers(&hold(30, 5, &[FieldGroup::Email])));
        assert!(held.covers(&hold(10, 0, &[])));
        assert!(!held.covers(&hold(31, 5, &[])), "one removal more");
        assert!(!held.covers(&hold(0, 6, &[])), "one more out of range");
        assert!(!held.covers(&hold(0, 0, &[FieldGroup::Employment])));
        assert_eq!(held.accepted_groups(), [FieldGroup::Email]);
    }
}
