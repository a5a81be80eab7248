//! Whether a run may apply what vanished and what Lark withheld, or must hold. A shrunk contact
//! range or a withdrawn permission looks exactly like a mass deletion or a mass erasure, so above
//! the threshold nothing of it is applied until an admin confirms the held run — and a
//! confirmation applies at most what that run held: the same records with the same outcome, and
//! the field groups it named. A later run that would do more holds again.

use std::collections::HashSet;

use crate::model::{Departures, FieldGroup, HeldSubject, Hold, Presence, Subject, WithheldGroup};
use crate::ports::StoredHold;
use crate::values::{DepartmentId, GroupId, InstalledAppId, OpenId};

/// What vanished from a complete listing and what Lark said about each.
#[derive(Debug, Default)]
pub(super) struct Departing {
    pub(super) accounts: Vec<(OpenId, Presence)>,
    pub(super) departments: Vec<(DepartmentId, Presence)>,
    pub(super) groups: Vec<(GroupId, Presence)>,
    pub(super) apps: Vec<(InstalledAppId, Presence)>,
}

fn held<K>(departed: &[(K, Presence)], subject: impl Fn(&K) -> Subject) -> Vec<HeldSubject> {
    departed
        .iter()
        .map(|(id, why)| HeldSubject {
            subject: subject(id),
            outcome: *why,
        })
        .collect()
}

impl Departing {
    fn subjects(&self) -> Vec<HeldSubject> {
        let mut all = held(&self.accounts, |id| Subject::Account(id.clone()));
        all.extend(held(&self.departments, |id| {
            Subject::Department(id.clone())
        }));
        all.extend(held(&self.groups, |id| Subject::Group(id.clone())));
        all.extend(held(&self.apps, |id| Subject::App(id.clone())));
        all
    }
}

fn departures<K>(departed: &[(K, Presence)]) -> Departures {
    let mut counts = Departures::default();
    for (_, why) in departed {
        counts.count(*why);
    }
    counts
}

/// The base of the threshold: how many of each were present before the run.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Stored {
    pub(super) accounts: usize,
    pub(super) departments: usize,
    pub(super) groups: usize,
    pub(super) apps: usize,
}

/// A held run's record: the hold and every record it would have marked.
pub(super) type Held = (Hold, Vec<HeldSubject>);

/// Holds when departures or withheld groups exceed the threshold, unless `confirmed` (the held
/// run an admin confirmed) covers every one of them.
pub(super) fn judge(
    departing: &Departing,
    stored: Stored,
    withheld: Vec<WithheldGroup>,
    threshold_percent: f64,
    confirmed: Option<&StoredHold>,
) -> Option<Held> {
    let over = |departed: usize, base: usize| super::exceeds(departed, base, threshold_percent);
    let too_many = over(departing.accounts.len(), stored.accounts)
        || over(departing.departments.len(), stored.departments)
        || over(departing.groups.len(), stored.groups)
        || over(departing.apps.len(), stored.apps)
        || !withheld.is_empty();
    if !too_many {
        return None;
    }
    let hold = Hold {
        accounts: departures(&departing.accounts),
        accounts_stored: stored.accounts as u64,
        departments: departures(&departing.departments),
        departments_stored: stored.departments as u64,
        groups: departures(&departing.groups),
        groups_stored: stored.groups as u64,
        apps: departures(&departing.apps),
        apps_stored: stored.apps as u64,
        withheld,
        threshold_percent,
    };
    let subjects = departing.subjects();
    if let Some(confirmed) = confirmed
        && covered(confirmed, &hold, &subjects)
    {
        return None;
    }
    Some((hold, subjects))
}

fn covered(confirmed: &StoredHold, hold: &Hold, subjects: &[HeldSubject]) -> bool {
    let Some(held) = &confirmed.run.hold else {
        return false;
    };
    let allowed: HashSet<&HeldSubject> = confirmed.subjects.iter().collect();
    held.covers(hold) && subjects.iter().all(|s| allowed.contains(s))
}

fn departure_words(what: &str, counts: Departures, stored: u64) -> Option<String> {
    if counts.total() == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if counts.removed > 0 {
        parts.push(format!("{} removed", counts.removed));
    }
    if counts.out_of_range > 0 {
        parts.push(format!(
            "{} left the contact range — check the app's contact range",
            counts.out_of_range
        ));
    }
    Some(format!(
        "{} of {stored} {what} would go ({})",
        counts.total(),
        parts.join(", ")
    ))
}

/// The plain-words reason a run was held.
pub(super) fn message(hold: &Hold, integration_label: &str) -> String {
    let mut reasons: Vec<String> = [
        departure_words("accounts", hold.accounts, hold.accounts_stored),
        departure_words("departments", hold.departments, hold.departments_stored),
        departure_words("user groups", hold.groups, hold.groups_stored),
        departure_words("installed apps", hold.apps, hold.apps_stored),
    ]
    .into_iter()
    .flatten()
    .collect();
    reasons.extend(hold.withheld.iter().map(|w| {
        let noun = if FieldGroup::DEPARTMENT.contains(&w.group) {
            "departments"
        } else {
            "accounts"
        };
        format!(
            "Lark no longer returns the {} of {} of {} {noun} — the app seems to have lost the \
             permission {}",
            w.group.describe(),
            w.records,
            w.of,
            w.permission
        )
    }));
    format!(
        "held: {}; that is above the {}% threshold, so nothing was removed and no stored value was \
         overwritten. Check the app's permissions and contact range (aviary integration doctor \
         {integration_label}, or Check permissions in the web UI); if the change is intended, \
         confirm this run",
        reasons.join("; "),
        hold.threshold_percent
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RunTrigger, SyncRun};
    use crate::values::{IntegrationId, RunId};

    fn account(n: u32, why: Presence) -> (OpenId, Presence) {
        (OpenId::parse(&format!("ou_{n}")).unwrap(), why)
    }

    fn departing(removed: u32, out_of_range: u32) -> Departing {
        let mut d = Departing::default();
        d.accounts
            .extend((0..removed).map(|n| account(n, Presence::Removed)));
        d.accounts
            .extend((100..100 + out_of_range).map(|n| account(n, Presence::OutOfRange)));
        d
    }

    const STORED: Stored = Stored {
        accounts: 100,
        departments: 10,
        groups: 0,
        apps: 0,
    };

    fn confirmed(held: Held) -> StoredHold {
        let mut run = SyncRun::start(
            RunId::from_uuid(uuid::Uuid::from_u128(9)),
            IntegrationId::from_uuid(uuid::Uuid::from_u128(1)),
            RunTrigger::Manual,
            chrono::DateTime::UNIX_EPOCH,
        );
        run.hold = Some(held.0);
        StoredHold {
            run,
            subjects: held.1,
            newest: true,
        }
    }

    #[test]
    fn below_the_threshold_everything_applies() {
        assert!(judge(&departing(10, 5), STORED, Vec::new(), 20.0, None).is_none());
    }

    #[test]
    fn above_it_the_run_holds_with_counts_per_outcome() {
        let (hold, subjects) = judge(&departing(15, 10), STORED, Vec::new(), 20.0, None).unwrap();
        assert_eq!(hold.accounts.removed, 15);
        assert_eq!(hold.accounts.out_of_range, 10);
        assert_eq!(subjects.len(), 25);
        let words = message(&hold, "acme");
        assert!(words.contains("10 left the contact range"), "{words}");
        assert!(words.contains("aviary integration doctor acme"), "{words}");
    }

    #[test]
    fn a_confirmation_applies_at_most_what_was_held() {
        let held = judge(&departing(15, 10), STORED, Vec::new(), 20.0, None).unwrap();
        let confirmed = confirmed(held);
        assert!(
            judge(
                &departing(15, 10),
                STORED,
                Vec::new(),
                20.0,
                Some(&confirmed)
            )
            .is_none()
        );
        assert!(
            judge(
                &departing(16, 10),
                STORED,
                Vec::new(),
                20.0,
                Some(&confirmed)
            )
            .is_some(),
            "one more removal holds again"
        );
        let mut moved = departing(15, 9);
        moved.accounts.push(account(0, Presence::OutOfRange));
        moved.accounts.remove(0);
        assert!(
            judge(&moved, STORED, Vec::new(), 20.0, Some(&confirmed)).is_some(),
            "a record with another outcome than the one held holds again"
        );
    }

    #[test]
    fn a_withheld_group_holds_and_names_its_permission() {
        let withheld = vec![WithheldGroup {
            group: FieldGroup::Employment,
            permission: FieldGroup::Employment.permission().to_owned(),
            records: 95,
            of: 100,
        }];
        let (hold, _) = judge(&Departing::default(), STORED, withheld, 20.0, None).unwrap();
        let words = message(&hold, "acme");
        assert!(words.contains("contact:user.employee:readonly"), "{words}");
        assert!(words.contains("95 of 100 accounts"), "{words}");
    }
}
