//! [`TenantControl`]'s user-group half: read, add, change, delete groups and set their members,
//! and a contact range granted through groups as well as departments.

use super::control::TenantControl;
use super::model::SimError;
use super::model_groups::{NewGroup, SimGroup};

impl TenantControl {
    /// Every group, in creation order.
    #[must_use]
    pub fn groups(&self) -> Vec<SimGroup> {
        self.state
            .read()
            .live_groups()
            .map(|(_, g)| g.clone())
            .collect()
    }

    /// A group by `id` (`g…`) or custom `group_id`.
    #[must_use]
    pub fn group(&self, id: &str) -> Option<SimGroup> {
        let t = self.state.read();
        t.group_idx(id).and_then(|g| t.group(g)).cloned()
    }

    /// Adds a group (members must exist; a dynamic group has no department members); returns its
    /// `id`.
    pub fn add_group(&self, group: NewGroup) -> Result<String, SimError> {
        self.state.write().add_group(group)
    }

    /// Applies `change` to a copy, validates it (ids immutable, members exist and are not
    /// resigned, no department members in a dynamic group) and stores it.
    pub fn update_group(
        &self,
        id: &str,
        change: impl FnOnce(&mut SimGroup),
    ) -> Result<SimGroup, SimError> {
        let old = self
            .group(id)
            .ok_or_else(|| SimError::UnknownGroup(id.to_owned()))?;
        let mut new = old.clone();
        change(&mut new);
        self.state.write().replace_group(&old, new)
    }

    /// Replaces a group's members: users by `open_id`, departments by `open_department_id`.
    pub fn set_group_members<I, S, J, T>(
        &self,
        id: &str,
        user_open_ids: I,
        open_department_ids: J,
    ) -> Result<SimGroup, SimError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let users: Vec<String> = user_open_ids.into_iter().map(Into::into).collect();
        let departments: Vec<String> = open_department_ids.into_iter().map(Into::into).collect();
        self.update_group(id, move |g| {
            g.member_user_ids = users;
            g.member_department_ids = departments;
        })
    }

    /// Deletes a group; it leaves the contact range and every app's availability.
    pub fn delete_group(&self, id: &str) -> Result<(), SimError> {
        self.state.write().delete_group(id)
    }

    // ----- contact range with groups -----

    /// Sets the app's contact range to these departments' subtrees and these groups (by `id` or
    /// custom `group_id`): a user is in range when one of its departments is, or when it is a user
    /// member of one of the groups; a department when it or an ancestor is one of the departments
    /// or a department member of one of the groups. A `"0"` among the departments restores all
    /// members.
    pub fn set_scope<I, S, J, T>(&self, open_department_ids: I, groups: J) -> Result<(), SimError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let departments: Vec<String> = open_department_ids.into_iter().map(Into::into).collect();
        let groups: Vec<String> = groups.into_iter().map(Into::into).collect();
        self.state.write().set_scope(&departments, &groups)
    }

    /// A contact range of these groups only (by `id` or custom `group_id`).
    pub fn set_scope_groups<J, T>(&self, groups: J) -> Result<(), SimError>
    where
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.set_scope(Vec::<String>::new(), groups)
    }

    /// `None` for all members, else the `id`s of the groups in the contact range.
    #[must_use]
    pub fn scope_groups(&self) -> Option<Vec<String>> {
        let t = self.state.read();
        if t.is_full_scope() {
            return None;
        }
        Some(
            t.scope_groups()
                .into_iter()
                .filter_map(|g| t.group(g).map(|g| g.id.clone()))
                .collect(),
        )
    }
}
