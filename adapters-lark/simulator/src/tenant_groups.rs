//! User groups on the [`Tenant`]: storage records, lookups by either id, visibility under the
//! contact range, and edits (add, replace, delete, forgetting departed members), each validated
//! before anything changes.

use std::collections::HashSet;

use rand::Rng;

use super::ids::hex;
use super::model::{ROOT_DEPARTMENT_ID, SimError};
use super::model_groups::{NewGroup, SimGroup, SimGroupType};
use super::tenant::{DeptIdType, ROOT, Tenant, UserIdType, remove_sorted};

/// A stored group and the indexes of its members.
#[derive(Debug)]
pub(crate) struct GroupRecord {
    pub(crate) group: SimGroup,
    /// User indexes of `group.member_user_ids`, sorted (range checks binary-search them).
    pub(crate) users: Vec<usize>,
    /// Department indexes of `group.member_department_ids`, in the same order.
    pub(crate) depts: Vec<usize>,
}

impl Tenant {
    // ----- lookups -----

    pub(crate) fn group_record(&self, idx: usize) -> Option<&GroupRecord> {
        self.groups.get(idx)?.as_ref()
    }

    pub(crate) fn group(&self, idx: usize) -> Option<&SimGroup> {
        self.group_record(idx).map(|r| &r.group)
    }

    /// A live group by the id used in API paths (`g…`) only.
    pub(crate) fn group_by_path_id(&self, id: &str) -> Option<usize> {
        self.group_by_id.get(id).copied()
    }

    /// A live group by `id` or by custom `group_id`.
    pub(crate) fn group_idx(&self, id: &str) -> Option<usize> {
        self.group_by_path_id(id)
            .or_else(|| self.group_by_custom.get(id).copied())
    }

    /// Live groups in index (creation) order.
    pub(crate) fn live_groups(&self) -> impl Iterator<Item = (usize, &SimGroup)> {
        self.groups
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i, &r.group)))
    }

    /// Whether the app may read group `idx`: every group under "all members", otherwise only the
    /// groups granted in the contact range.
    pub(crate) fn group_visible(&self, idx: usize) -> bool {
        match &self.scope {
            None => true,
            Some(scope) => scope.groups.contains(&idx),
        }
    }

    /// The groups `/scopes` lists: every live group under "all members", else the granted ones.
    pub(crate) fn scope_groups(&self) -> Vec<usize> {
        match &self.scope {
            None => self.live_groups().map(|(i, _)| i).collect(),
            Some(scope) => scope
                .groups
                .iter()
                .copied()
                .filter(|&g| self.group(g).is_some())
                .collect(),
        }
    }

    // ----- edits -----

    /// Validates `group` (dropping duplicate members) and resolves its members: user indexes
    /// sorted, department indexes in order.
    fn resolve_group(&self, group: &mut SimGroup) -> Result<(Vec<usize>, Vec<usize>), SimError> {
        if group.name.trim().is_empty() {
            return Err(SimError::Invalid("a group needs a name".to_owned()));
        }
        for id in [&group.id, &group.group_id] {
            if id.is_empty() || id.chars().any(char::is_whitespace) {
                return Err(SimError::Invalid(format!("group id {id:?}")));
            }
        }
        if group.id == group.group_id {
            return Err(SimError::Invalid(
                "a group's custom group_id differs from its id".to_owned(),
            ));
        }
        dedupe(&mut group.member_user_ids);
        dedupe(&mut group.member_department_ids);
        dedupe(&mut group.department_scope_list);
        if group.group_type == SimGroupType::Dynamic && !group.member_department_ids.is_empty() {
            return Err(SimError::Invalid(
                "a dynamic group has no department members".to_owned(),
            ));
        }
        let mut users = Vec::with_capacity(group.member_user_ids.len());
        for open_id in &group.member_user_ids {
            let u = self
                .user_idx(UserIdType::OpenId, open_id)
                .ok_or_else(|| SimError::UnknownUser(open_id.clone()))?;
            if self.user(u).is_some_and(|u| u.status.is_resigned) {
                return Err(SimError::Invalid(format!(
                    "user {open_id} has resigned and cannot join a group"
                )));
            }
            users.push(u);
        }
        users.sort_unstable();
        let mut depts = Vec::with_capacity(group.member_department_ids.len());
        for open_id in &group.member_department_ids {
            if open_id == ROOT_DEPARTMENT_ID {
                return Err(SimError::Invalid(
                    "the root department cannot be a group member".to_owned(),
                ));
            }
            depts.push(self.department_index(open_id)?);
        }
        for open_id in &group.department_scope_list {
            self.department_index(open_id)?;
        }
        Ok((users, depts))
    }

    fn department_index(&self, open_id: &str) -> Result<usize, SimError> {
        self.dept_idx(DeptIdType::OpenDepartmentId, open_id)
            .ok_or_else(|| SimError::UnknownDepartment(open_id.to_owned()))
    }

    /// Stores a new group whose ids must be fresh. Returns its index.
    pub(crate) fn insert_group(&mut self, mut group: SimGroup) -> Result<usize, SimError> {
        for id in [&group.id, &group.group_id] {
            if self.group_id_taken(id) {
                return Err(SimError::Invalid(format!("group id {id} is taken")));
            }
        }
        let (users, depts) = self.resolve_group(&mut group)?;
        let idx = self.groups.len();
        self.group_by_id.insert(group.id.clone(), idx);
        self.group_by_custom.insert(group.group_id.clone(), idx);
        self.groups.push(Some(GroupRecord {
            group,
            users,
            depts,
        }));
        Ok(idx)
    }

    /// Whether `id` is the `id` or custom `group_id` of a live group.
    pub(crate) fn group_id_taken(&self, id: &str) -> bool {
        self.group_by_id.contains_key(id) || self.group_by_custom.contains_key(id)
    }

    /// Adds a group with generated ids (the custom one unless given); returns its `id`.
    pub(crate) fn add_group(&mut self, spec: NewGroup) -> Result<String, SimError> {
        let (id, generated) = fresh_group_ids(&mut self.rng, |id| {
            self.group_by_id.contains_key(id) || self.group_by_custom.contains_key(id)
        });
        let group = SimGroup {
            id: id.clone(),
            group_id: spec.group_id.unwrap_or(generated),
            name: spec.name,
            description: spec.description,
            group_type: spec.group_type,
            member_user_ids: spec.member_user_ids,
            member_department_ids: spec.member_department_ids,
            department_scope_list: spec.department_scope_list,
        };
        self.insert_group(group)?;
        Ok(id)
    }

    /// Replaces `old` (as the caller read it) by `new`; both ids are immutable.
    pub(crate) fn replace_group(
        &mut self,
        old: &SimGroup,
        mut new: SimGroup,
    ) -> Result<SimGroup, SimError> {
        let idx = self
            .group_by_path_id(&old.id)
            .ok_or_else(|| SimError::UnknownGroup(old.id.clone()))?;
        if self.group(idx) != Some(old) {
            return Err(SimError::Invalid(format!(
                "group {} changed concurrently; retry",
                old.id
            )));
        }
        if new.id != old.id || new.group_id != old.group_id {
            return Err(SimError::Invalid(
                "a group's id and group_id are immutable".to_owned(),
            ));
        }
        let (users, depts) = self.resolve_group(&mut new)?;
        let group = new.clone();
        self.groups[idx] = Some(GroupRecord {
            group,
            users,
            depts,
        });
        Ok(new)
    }

    /// Deletes a group: it leaves the contact range and every app's availability.
    pub(crate) fn delete_group(&mut self, id: &str) -> Result<(), SimError> {
        let idx = self
            .group_idx(id)
            .ok_or_else(|| SimError::UnknownGroup(id.to_owned()))?;
        let Some(record) = self.groups[idx].take() else {
            return Err(SimError::UnknownGroup(id.to_owned()));
        };
        self.group_by_id.remove(&record.group.id);
        self.group_by_custom.remove(&record.group.group_id);
        if let Some(scope) = self.scope.as_mut() {
            scope.groups.retain(|&g| g != idx);
        }
        self.forget_group_in_apps(&record.group.id);
        Ok(())
    }

    /// A user who resigned or was deleted leaves every group.
    pub(crate) fn forget_user_in_groups(&mut self, idx: usize, open_id: &str) {
        for record in self.groups.iter_mut().flatten() {
            if record.users.binary_search(&idx).is_ok() {
                remove_sorted(&mut record.users, idx);
                record.group.member_user_ids.retain(|u| u != open_id);
            }
        }
    }

    /// A deleted department leaves every group (members and department scope lists).
    pub(crate) fn forget_department_in_groups(&mut self, idx: usize, open_id: &str) {
        if idx == ROOT {
            return;
        }
        for record in self.groups.iter_mut().flatten() {
            record.depts.retain(|&d| d != idx);
            record.group.member_department_ids.retain(|d| d != open_id);
            record.group.department_scope_list.retain(|d| d != open_id);
        }
    }
}

/// A group id (`g` + 6 digits, like the documentation's `g193821`) and a custom group id (16
/// lowercase hex, like `4ba51ab38648f9cd`), neither `taken`.
pub(crate) fn fresh_group_ids(
    rng: &mut impl Rng,
    taken: impl Fn(&str) -> bool,
) -> (String, String) {
    let id = loop {
        let id = format!("g{}", rng.random_range(100_000..1_000_000u32));
        if !taken(&id) {
            break id;
        }
    };
    let group_id = loop {
        let candidate = hex(rng, 16);
        if !taken(&candidate) {
            break candidate;
        }
    };
    (id, group_id)
}

pub(crate) fn dedupe(ids: &mut Vec<String>) {
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
}
