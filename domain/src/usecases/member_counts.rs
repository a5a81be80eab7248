//! Department member counts from the stored accounts: members directly in a department, and
//! members anywhere in its subtree (an account in two sub-departments counted once).

use std::collections::{HashMap, HashSet};

use crate::model::DepartmentOutline;
use crate::values::{DepartmentId, OpenId};

/// Current accounts per department.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberCounts {
    direct: HashMap<DepartmentId, u64>,
    total: HashMap<DepartmentId, u64>,
}

impl MemberCounts {
    /// Counts `memberships` (`(open_id, department)` pairs) over the tree that `departments`
    /// form by `parent_id`. A parent cycle (bad data) is walked once, not forever.
    pub fn count(
        departments: &[DepartmentOutline],
        memberships: &[(OpenId, DepartmentId)],
    ) -> Self {
        let parents: HashMap<&DepartmentId, &DepartmentId> = departments
            .iter()
            .filter_map(|d| {
                d.parent_id
                    .as_ref()
                    .map(|parent| (&d.open_department_id, parent))
            })
            .collect();
        let mut per_account: HashMap<&OpenId, HashSet<&DepartmentId>> = HashMap::new();
        let mut direct: HashMap<DepartmentId, u64> = HashMap::new();
        let mut seen: HashSet<(&OpenId, &DepartmentId)> = HashSet::new();
        for (open_id, department) in memberships {
            if !seen.insert((open_id, department)) {
                continue;
            }
            *direct.entry(department.clone()).or_default() += 1;
            // The department and its ancestors, up to one already reached for this account.
            let reached = per_account.entry(open_id).or_default();
            let mut current = Some(department);
            while let Some(id) = current {
                if !reached.insert(id) {
                    break;
                }
                current = parents.get(id).copied();
            }
        }
        let mut total: HashMap<DepartmentId, u64> = HashMap::new();
        for reached in per_account.values() {
            for id in reached {
                *total.entry((*id).clone()).or_default() += 1;
            }
        }
        Self { direct, total }
    }

    /// Accounts that are members of `department` itself.
    pub fn direct(&self, department: &DepartmentId) -> u64 {
        self.direct.get(department).copied().unwrap_or(0)
    }

    /// Accounts that are members of `department` or of any department below it.
    pub fn total(&self, department: &DepartmentId) -> u64 {
        self.total.get(department).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn department(id: &str, parent: &str) -> DepartmentOutline {
        DepartmentOutline {
            open_department_id: DepartmentId::parse(id).unwrap(),
            department_id: None,
            name: None,
            parent_id: Some(DepartmentId::parse(parent).unwrap()),
            removed_at: None,
        }
    }

    fn member(open_id: &str, department: &str) -> (OpenId, DepartmentId) {
        (
            OpenId::parse(open_id).unwrap(),
            DepartmentId::parse(department).unwrap(),
        )
    }

    fn id(raw: &str) -> DepartmentId {
        DepartmentId::parse(raw).unwrap()
    }

    #[test]
    fn subtree_totals_count_each_account_once() {
        let departments = [
            department("od-eng", "0"),
            department("od-web", "od-eng"),
            department("od-db", "od-eng"),
            department("od-sales", "0"),
        ];
        let memberships = [
            member("ou_ann", "od-web"),
            member("ou_ann", "od-db"),
            member("ou_bob", "od-eng"),
            member("ou_bob", "od-web"),
            member("ou_cat", "od-sales"),
            member("ou_dan", "0"),
        ];
        let counts = MemberCounts::count(&departments, &memberships);
        assert_eq!(counts.direct(&id("od-eng")), 1);
        assert_eq!(counts.total(&id("od-eng")), 2, "ann and bob, each once");
        assert_eq!(counts.direct(&id("od-web")), 2);
        assert_eq!(counts.total(&id("od-web")), 2);
        assert_eq!(counts.total(&id("od-db")), 1);
        assert_eq!(counts.total(&id("od-sales")), 1);
        assert_eq!(counts.direct(&id("0")), 1);
        assert_eq!(counts.total(&id("0")), 4, "the root holds everyone");
        assert_eq!(counts.total(&id("od-none")), 0);
    }

    #[test]
    fn a_parent_cycle_ends() {
        let departments = [department("od-a", "od-b"), department("od-b", "od-a")];
        let counts = MemberCounts::count(&departments, &[member("ou_x", "od-a")]);
        assert_eq!(counts.total(&id("od-a")), 1);
        assert_eq!(counts.total(&id("od-b")), 1);
        assert_eq!(counts.direct(&id("od-b")), 0);
    }
}
