//! Tenant mutations with Lark's semantics (resign vs delete, multi-department users, department
//! moves, contact scope changes). Every change is validated on a copy first, so a refused change
//! leaves the tenant untouched, and then re-indexes memberships. A user who resigns or is deleted
//! leaves every user group (and a deleted one every app's availability); a deleted department
//! leaves groups and availabilities too.

use super::generator::{Person, email_stem, random_user};
use super::ids::{hex, prefixed_hex};
use super::model::{
    NewUser, ROOT_DEPARTMENT_ID, SimDepartment, SimError, SimI18nName, SimUser, SimUserStatus,
};
use super::tenant::{DeptIdType, ROOT, Scope, Tenant, UserIdType, insert_sorted, remove_sorted};
use super::tenant_groups::dedupe;

impl Tenant {
    fn user_index(&self, open_id: &str) -> Result<usize, SimError> {
        self.user_idx(UserIdType::OpenId, open_id)
            .ok_or_else(|| SimError::UnknownUser(open_id.to_owned()))
    }

    /// A live department or the root, by `open_department_id`.
    fn dept_index(&self, open_id: &str) -> Result<usize, SimError> {
        self.dept_idx(DeptIdType::OpenDepartmentId, open_id)
            .ok_or_else(|| SimError::UnknownDepartment(open_id.to_owned()))
    }

    fn resolve_departments(&self, ids: &[String]) -> Result<Vec<usize>, SimError> {
        ids.iter().map(|id| self.dept_index(id)).collect()
    }

    /// Replaces `old` (as the caller read it) by `new`. The caller applies its change without
    /// holding the lock, so a change closure may itself read the tenant; a concurrent edit of the
    /// same user in between is refused rather than silently overwritten.
    pub(crate) fn replace_user(
        &mut self,
        old: &SimUser,
        new: SimUser,
    ) -> Result<SimUser, SimError> {
        let idx = self.user_index(&old.open_id)?;
        if self.user(idx) != Some(old) {
            return Err(SimError::Invalid(format!(
                "user {} changed concurrently; retry",
                old.open_id
            )));
        }
        self.commit_user(idx, old, new)
    }

    fn commit_user(
        &mut self,
        idx: usize,
        old: &SimUser,
        mut new: SimUser,
    ) -> Result<SimUser, SimError> {
        if new.open_id != old.open_id || new.union_id != old.union_id || new.user_id != old.user_id
        {
            return Err(SimError::Invalid(
                "open_id, union_id and user_id are immutable".to_owned(),
            ));
        }
        dedupe(&mut new.department_ids);
        let resigning = new.status.is_resigned && !old.status.is_resigned;
        let depts = if new.status.is_resigned {
            if resigning {
                // Lark empties department_ids on resignation; remember where the user was for scope.
                let left = if new.department_ids.is_empty() {
                    &old.department_ids
                } else {
                    &new.department_ids
                };
                let left = self.resolve_departments(left)?;
                new.department_ids.clear();
                left
            } else if !new.department_ids.is_empty() {
                return Err(SimError::Invalid(
                    "a resigned user has no departments; clear is_resigned to rehire".to_owned(),
                ));
            } else {
                self.record(idx)
                    .map(|r| r.depts.clone())
                    .unwrap_or_default()
            }
        } else {
            if new.department_ids.is_empty() {
                return Err(SimError::Invalid(
                    "an employee needs at least one department".to_owned(),
                ));
            }
            self.resolve_departments(&new.department_ids)?
        };
        self.check_references(&new)?;

        if !old.status.is_resigned {
            let old_depts = self
                .record(idx)
                .map(|r| r.depts.clone())
                .unwrap_or_default();
            for d in old_depts {
                remove_sorted(&mut self.depts[d].members, idx);
            }
        }
        if !new.status.is_resigned {
            for &d in &depts {
                insert_sorted(&mut self.depts[d].members, idx);
            }
        }
        let open_id = new.open_id.clone();
        if new.email != old.email {
            self.used_emails.insert(new.email.clone());
        }
        if let Some(rec) = self.users[idx].as_mut() {
            rec.user = new;
            rec.depts = depts;
        }
        if resigning {
            self.forget_leadership(&open_id);
            self.forget_user_in_groups(idx, &open_id);
        }
        self.invalidate_counts();
        self.user(idx)
            .cloned()
            .ok_or(SimError::UnknownUser(open_id))
    }

    fn check_references(&self, user: &SimUser) -> Result<(), SimError> {
        let refs = user
            .leader_open_id
            .iter()
            .chain(&user.dotted_line_leader_open_ids);
        for id in refs {
            if *id == user.open_id {
                return Err(SimError::Invalid("a user cannot manage itself".to_owned()));
            }
            self.user_index(id)?;
        }
        Ok(())
    }

    /// Clears a departed user from department leads, managers and dotted lines, as Lark does.
    fn forget_leadership(&mut self, open_id: &str) {
        for rec in &mut self.depts {
            if rec.dept.leader_open_id.as_deref() == Some(open_id) {
                rec.dept.leader_open_id = None;
            }
        }
        for rec in self.users.iter_mut().flatten() {
            if rec.user.leader_open_id.as_deref() == Some(open_id) {
                rec.user.leader_open_id = None;
            }
            rec.user
                .dotted_line_leader_open_ids
                .retain(|id| id != open_id);
        }
    }

    pub(crate) fn delete_user(&mut self, open_id: &str) -> Result<(), SimError> {
        let idx = self.user_index(open_id)?;
        let Some(rec) = self.users[idx].take() else {
            return Err(SimError::UnknownUser(open_id.to_owned()));
        };
        if !rec.user.status.is_resigned {
            for &d in &rec.depts {
                remove_sorted(&mut self.depts[d].members, idx);
            }
        }
        self.user_by_open.remove(&rec.user.open_id);
        self.user_by_union.remove(&rec.user.union_id);
        self.user_by_uid.remove(&rec.user.user_id);
        self.forget_leadership(open_id);
        self.forget_user_in_groups(idx, open_id);
        self.forget_user_in_apps(open_id);
        self.invalidate_counts();
        Ok(())
    }

    pub(crate) fn add_user(&mut self, spec: NewUser) -> Result<String, SimError> {
        if spec.name.trim().is_empty() {
            return Err(SimError::Invalid("a user needs a name".to_owned()));
        }
        let mut department_ids = spec.department_ids.clone();
        dedupe(&mut department_ids);
        if department_ids.is_empty() {
            return Err(SimError::Invalid(
                "an employee needs at least one department".to_owned(),
            ));
        }
        let depts = self.resolve_departments(&department_ids)?;
        let status = spec.status.unwrap_or_else(SimUserStatus::active);
        if status.is_resigned {
            return Err(SimError::Invalid(
                "add the user first, then resign it".to_owned(),
            ));
        }
        let en_name = spec.en_name.clone().unwrap_or_else(|| {
            if spec.name.is_ascii() {
                spec.name.clone()
            } else {
                String::new()
            }
        });
        let stem = email_stem(if en_name.is_empty() { "user" } else { &en_name });
        let email = match spec.email.clone() {
            Some(email) => email,
            None => self.free_email(&stem),
        };
        let person = Person {
            name: spec.name.clone(),
            en_name,
            email_stem: stem,
        };
        let employee_no = self.next_employee_no;
        self.next_employee_no += 1;
        let domain = self.info.domain.clone();
        let mut user = random_user(&mut self.rng, person, email, employee_no, &domain);
        while self.user_by_uid.contains_key(&user.user_id) {
            user.user_id = hex(&mut self.rng, 8);
        }
        user.department_ids = department_ids;
        user.status = status;
        user.is_tenant_manager = spec.is_tenant_manager;
        if let Some(title) = spec.job_title {
            user.job_title = title;
        }
        if let Some(mobile) = spec.mobile {
            user.mobile = mobile;
        }
        if let Some(kind) = spec.employee_type {
            user.employee_type = kind;
        }
        user.leader_open_id = match spec.leader_open_id {
            Some(leader) => Some(leader),
            None => depts
                .first()
                .and_then(|&d| self.dept(d).leader_open_id.clone()),
        };
        self.check_references(&user)?;
        let open_id = user.open_id.clone();
        self.insert_user(user, depts);
        Ok(open_id)
    }

    fn free_email(&self, stem: &str) -> String {
        let domain = &self.info.domain;
        let taken = |candidate: &str| self.used_emails.contains(candidate);
        let first = format!("{stem}@{domain}");
        if !taken(&first) {
            return first;
        }
        (2u32..)
            .map(|n| format!("{stem}{n}@{domain}"))
            .find(|c| !taken(c))
            .unwrap_or(first)
    }

    // ----- departments -----

    pub(crate) fn add_department(&mut self, name: &str, parent: &str) -> Result<String, SimError> {
        if name.trim().is_empty() {
            return Err(SimError::Invalid("a department needs a name".to_owned()));
        }
        let parent_idx = self.dept_index(parent)?;
        let mut custom = format!("D{:03}", self.next_department_no);
        while self.dept_by_custom.contains_key(&custom) {
            self.next_department_no += 1;
            custom = format!("D{:03}", self.next_department_no);
        }
        self.next_department_no += 1;
        let order = self
            .children(parent_idx)
            .iter()
            .map(|&c| self.dept(c).order)
            .max()
            .unwrap_or(0)
            + 100;
        let dept = SimDepartment {
            open_department_id: prefixed_hex(&mut self.rng, "od-", 32),
            department_id: custom,
            name: name.to_owned(),
            i18n_name: SimI18nName {
                zh_cn: name.to_owned(),
                ja_jp: name.to_owned(),
                en_us: name.to_owned(),
            },
            parent_open_department_id: self.dept(parent_idx).open_department_id.clone(),
            leader_open_id: None,
            chat_id: prefixed_hex(&mut self.rng, "oc_", 32),
            order,
            unit_ids: Vec::new(),
        };
        let open_id = dept.open_department_id.clone();
        self.insert_department(dept, parent_idx);
        Ok(open_id)
    }

    /// Changes anything but the ids and the parent (use [`Tenant::move_department`]).
    pub(crate) fn replace_department(
        &mut self,
        old: &SimDepartment,
        new: SimDepartment,
    ) -> Result<SimDepartment, SimError> {
        let idx = self.dept_index(&old.open_department_id)?;
        if idx == ROOT {
            return Err(SimError::Invalid("the root department is fixed".to_owned()));
        }
        if self.dept(idx) != old {
            return Err(SimError::Invalid(format!(
                "department {} changed concurrently; retry",
                old.open_department_id
            )));
        }
        if new.open_department_id != old.open_department_id
            || new.department_id != old.department_id
            || new.parent_open_department_id != old.parent_open_department_id
        {
            return Err(SimError::Invalid(
                "department ids are immutable; use move_department to change the parent".to_owned(),
            ));
        }
        if new.name.trim().is_empty() {
            return Err(SimError::Invalid("a department needs a name".to_owned()));
        }
        if let Some(leader) = &new.leader_open_id {
            self.user_index(leader)?;
        }
        let reorder = new.order != old.order;
        self.depts[idx].dept = new;
        if reorder {
            let parent = self.depts[idx].parent;
            self.depts[parent].children.retain(|&c| c != idx);
            self.attach_child(parent, idx);
        }
        Ok(self.dept(idx).clone())
    }

    pub(crate) fn move_department(
        &mut self,
        open_id: &str,
        new_parent: &str,
    ) -> Result<(), SimError> {
        let idx = self.dept_index(open_id)?;
        let target = self.dept_index(new_parent)?;
        if idx == ROOT {
            return Err(SimError::Invalid("the root department is fixed".to_owned()));
        }
        let mut cur = target;
        loop {
            if cur == idx {
                return Err(SimError::DepartmentCycle {
                    department: open_id.to_owned(),
                    new_parent: new_parent.to_owned(),
                });
            }
            if cur == ROOT {
                break;
            }
            cur = self.dept_parent(cur);
        }
        let old_parent = self.depts[idx].parent;
        self.depts[old_parent].children.retain(|&c| c != idx);
        self.depts[idx].parent = target;
        self.depts[idx].dept.parent_open_department_id =
            self.dept(target).open_department_id.clone();
        self.attach_child(target, idx);
        self.invalidate_counts();
        Ok(())
    }

    /// Lark refuses to delete a department that still has members or sub-departments.
    pub(crate) fn delete_department(&mut self, open_id: &str) -> Result<(), SimError> {
        let idx = self.dept_index(open_id)?;
        if idx == ROOT {
            return Err(SimError::Invalid("the root department is fixed".to_owned()));
        }
        if !self.children(idx).is_empty() || !self.members(idx).is_empty() {
            return Err(SimError::DepartmentNotEmpty(open_id.to_owned()));
        }
        let parent = self.depts[idx].parent;
        self.depts[parent].children.retain(|&c| c != idx);
        self.depts[idx].deleted = true;
        let dept = self.dept(idx).clone();
        self.dept_by_open.remove(&dept.open_department_id);
        self.dept_by_custom.remove(&dept.department_id);
        self.forget_department_in_groups(idx, &dept.open_department_id);
        self.forget_department_in_apps(&dept.open_department_id);
        if let Some(scope) = self.scope.as_mut() {
            scope.departments.retain(|&d| d != idx);
        }
        self.invalidate_counts();
        Ok(())
    }

    // ----- scope -----

    /// Restricts the app's contact range to these departments' subtrees and these groups (by
    /// `id` or custom `group_id`); a `"0"` among the departments means everyone.
    pub(crate) fn set_scope(
        &mut self,
        open_department_ids: &[String],
        groups: &[String],
    ) -> Result<(), SimError> {
        if open_department_ids
            .iter()
            .any(|id| id == ROOT_DEPARTMENT_ID)
        {
            self.scope = None;
            return Ok(());
        }
        let mut departments = self.resolve_departments(open_department_ids)?;
        departments.sort_unstable();
        departments.dedup();
        let mut groups = groups
            .iter()
            .map(|id| {
                self.group_idx(id)
                    .ok_or_else(|| SimError::UnknownGroup(id.clone()))
            })
            .collect::<Result<Vec<usize>, SimError>>()?;
        groups.sort_unstable();
        groups.dedup();
        self.scope = Some(Scope {
            departments,
            groups,
        });
        Ok(())
    }

    /// No department, no group and no user: an empty contact range.
    pub(crate) fn set_empty_scope(&mut self) {
        self.scope = Some(Scope::default());
    }

    pub(crate) fn set_full_scope(&mut self) {
        self.scope = None;
    }
}
