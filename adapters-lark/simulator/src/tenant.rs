//! Tenant storage: users and departments plus the indexes that keep every request O(page), and the
//! read-side queries (lookups by any id type, contact range checks, subtree walks, member counts).
//! User groups and installed apps are stored here too; their queries and edits live in
//! `tenant_groups.rs` and `tenant_apps.rs`.
//!
//! Mutations live in `edit.rs`; both keep the invariants documented on [`Tenant`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;

use super::model::{ROOT_DEPARTMENT_ID, SimDepartment, SimTenantInfo, SimUser};
use super::model_apps::SimApp;
use super::tenant_groups::GroupRecord;

/// Index of the root department in [`Tenant::depts`].
pub(crate) const ROOT: usize = 0;

/// Which user id a request speaks (`user_id_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // named after Lark's values: open_id, union_id, user_id
pub(crate) enum UserIdType {
    OpenId,
    UnionId,
    UserId,
}

impl UserIdType {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "open_id" => Some(Self::OpenId),
            "union_id" => Some(Self::UnionId),
            "user_id" => Some(Self::UserId),
            _ => None,
        }
    }

    pub(crate) fn pick(self, user: &SimUser) -> &str {
        match self {
            Self::OpenId => &user.open_id,
            Self::UnionId => &user.union_id,
            Self::UserId => &user.user_id,
        }
    }
}

/// Which department id a request speaks (`department_id_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeptIdType {
    OpenDepartmentId,
    DepartmentId,
}

impl DeptIdType {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "open_department_id" => Some(Self::OpenDepartmentId),
            "department_id" => Some(Self::DepartmentId),
            _ => None,
        }
    }

    pub(crate) fn pick(self, dept: &SimDepartment) -> &str {
        match self {
            Self::OpenDepartmentId => &dept.open_department_id,
            Self::DepartmentId => &dept.department_id,
        }
    }
}

#[derive(Debug)]
pub(super) struct UserRecord {
    pub(super) user: SimUser,
    /// Department indexes of `user.department_ids`; for a resigned user, the departments it left
    /// (only used to decide whether it is inside the app's contact scope).
    pub(super) depts: Vec<usize>,
}

#[derive(Debug)]
pub(super) struct DeptRecord {
    pub(super) dept: SimDepartment,
    pub(super) parent: usize,
    /// Sorted by (`order`, index).
    pub(super) children: Vec<usize>,
    /// Direct, non-resigned members, sorted by user index (the paging cursor relies on it).
    pub(super) members: Vec<usize>,
    /// Deleted departments keep their slot so resigned users' former departments stay resolvable.
    pub(super) deleted: bool,
}

/// `member_count` / `primary_member_count` per department index (root included).
#[derive(Debug)]
pub(crate) struct MemberCounts {
    pub(crate) members: Vec<u32>,
    pub(crate) primary: Vec<u32>,
}

/// A contact range other than "all members": departments (with their subtrees) and user groups.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Department indexes, sorted; what `/scopes` lists in `department_ids`.
    pub(crate) departments: Vec<usize>,
    /// Live group indexes, sorted; what `/scopes` lists in `group_ids`.
    pub(crate) groups: Vec<usize>,
}

/// The whole simulated tenant.
///
/// Invariants: slot `ROOT` is the root department (`"0"`); a deleted user's slot is `None` and it
/// is in no index; every live, non-resigned user is in the `members` list of exactly the
/// departments of its `department_ids`; the id maps contain live entities only; a group's members
/// are live, non-resigned users and live departments (never the root), and its record's index
/// lists match its open id lists; the scope names live groups only.
#[derive(Debug)]
pub(crate) struct Tenant {
    pub(crate) info: SimTenantInfo,
    pub(super) users: Vec<Option<UserRecord>>,
    pub(super) user_by_open: HashMap<String, usize>,
    pub(super) user_by_union: HashMap<String, usize>,
    pub(super) user_by_uid: HashMap<String, usize>,
    pub(super) depts: Vec<DeptRecord>,
    pub(super) dept_by_open: HashMap<String, usize>,
    pub(super) dept_by_custom: HashMap<String, usize>,
    /// Every email address ever given out, so added users get fresh ones without a scan.
    pub(super) used_emails: HashSet<String>,
    /// `None`: all members ("全部成员"); otherwise the departments and groups granted.
    pub(super) scope: Option<Scope>,
    /// User groups; a deleted group's slot is `None`.
    pub(super) groups: Vec<Option<GroupRecord>>,
    pub(super) group_by_id: HashMap<String, usize>,
    pub(super) group_by_custom: HashMap<String, usize>,
    /// Installed applications in listing order (the simulator's own app first).
    pub(super) apps: Vec<SimApp>,
    /// Recomputed lazily after a mutation; a `Mutex` so readers holding only a read lock can fill it.
    pub(super) counts: Mutex<Option<Arc<MemberCounts>>>,
    /// Generates ids and values for entities added after the initial generation.
    pub(super) rng: StdRng,
    pub(super) next_employee_no: u64,
    pub(super) next_department_no: u64,
}

impl Tenant {
    pub(super) fn new(info: SimTenantInfo, rng: StdRng) -> Self {
        let root = SimDepartment {
            open_department_id: ROOT_DEPARTMENT_ID.to_owned(),
            department_id: ROOT_DEPARTMENT_ID.to_owned(),
            name: info.name.clone(),
            i18n_name: super::model::SimI18nName {
                zh_cn: info.name.clone(),
                ja_jp: info.name.clone(),
                en_us: info.name.clone(),
            },
            parent_open_department_id: String::new(),
            leader_open_id: None,
            chat_id: String::new(),
            order: 0,
            unit_ids: Vec::new(),
        };
        Self {
            info,
            users: Vec::new(),
            user_by_open: HashMap::new(),
            user_by_union: HashMap::new(),
            user_by_uid: HashMap::new(),
            depts: vec![DeptRecord {
                dept: root,
                parent: ROOT,
                children: Vec::new(),
                members: Vec::new(),
                deleted: false,
            }],
            dept_by_open: HashMap::new(),
            dept_by_custom: HashMap::new(),
            used_emails: HashSet::new(),
            scope: None,
            groups: Vec::new(),
            group_by_id: HashMap::new(),
            group_by_custom: HashMap::new(),
            apps: Vec::new(),
            counts: Mutex::new(None),
            rng,
            next_employee_no: 1,
            next_department_no: 1,
        }
    }

    // ----- raw inserts shared by the generator and the mutations -----

    /// Adds a department under `parent` (an index); ids must be unique. Returns its index.
    pub(super) fn insert_department(&mut self, dept: SimDepartment, parent: usize) -> usize {
        let idx = self.depts.len();
        self.dept_by_open
            .insert(dept.open_department_id.clone(), idx);
        self.dept_by_custom.insert(dept.department_id.clone(), idx);
        self.depts.push(DeptRecord {
            dept,
            parent,
            children: Vec::new(),
            members: Vec::new(),
            deleted: false,
        });
        self.attach_child(parent, idx);
        self.invalidate_counts();
        idx
    }

    pub(super) fn attach_child(&mut self, parent: usize, child: usize) {
        let order = self.depts[child].dept.order;
        let pos = {
            let depts = &self.depts;
            depts[parent]
                .children
                .partition_point(|&c| (depts[c].dept.order, c) < (order, child))
        };
        self.depts[parent].children.insert(pos, child);
    }

    /// Adds a user whose `department_ids` resolve to `depts` (same order). Returns its index.
    pub(super) fn insert_user(&mut self, user: SimUser, depts: Vec<usize>) -> usize {
        let idx = self.users.len();
        self.user_by_open.insert(user.open_id.clone(), idx);
        self.user_by_union.insert(user.union_id.clone(), idx);
        self.user_by_uid.insert(user.user_id.clone(), idx);
        self.used_emails.insert(user.email.clone());
        if !user.status.is_resigned {
            for &d in &depts {
                insert_sorted(&mut self.depts[d].members, idx);
            }
        }
        self.users.push(Some(UserRecord { user, depts }));
        self.invalidate_counts();
        idx
    }

    pub(super) fn invalidate_counts(&mut self) {
        *self
            .counts
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    // ----- lookups -----

    pub(crate) fn user(&self, idx: usize) -> Option<&SimUser> {
        self.users.get(idx)?.as_ref().map(|r| &r.user)
    }

    pub(super) fn record(&self, idx: usize) -> Option<&UserRecord> {
        self.users.get(idx)?.as_ref()
    }

    pub(crate) fn user_idx(&self, id_type: UserIdType, id: &str) -> Option<usize> {
        let map = match id_type {
            UserIdType::OpenId => &self.user_by_open,
            UserIdType::UnionId => &self.user_by_union,
            UserIdType::UserId => &self.user_by_uid,
        };
        map.get(id).copied()
    }

    pub(crate) fn user_by_open_id(&self, open_id: &str) -> Option<&SimUser> {
        self.user(*self.user_by_open.get(open_id)?)
    }

    /// Live department (or the root) by id in the given type.
    pub(crate) fn dept_idx(&self, id_type: DeptIdType, id: &str) -> Option<usize> {
        if id == ROOT_DEPARTMENT_ID {
            return Some(ROOT);
        }
        let map = match id_type {
            DeptIdType::OpenDepartmentId => &self.dept_by_open,
            DeptIdType::DepartmentId => &self.dept_by_custom,
        };
        map.get(id).copied()
    }

    pub(crate) fn dept(&self, idx: usize) -> &SimDepartment {
        &self.depts[idx].dept
    }

    pub(crate) fn dept_parent(&self, idx: usize) -> usize {
        self.depts[idx].parent
    }

    pub(crate) fn children(&self, idx: usize) -> &[usize] {
        &self.depts[idx].children
    }

    pub(crate) fn members(&self, idx: usize) -> &[usize] {
        &self.depts[idx].members
    }

    /// Renders a department id (open id or `"0"`) stored on a user in the requested type.
    pub(crate) fn dept_id_as<'a>(&'a self, open_id: &'a str, id_type: DeptIdType) -> &'a str {
        match (id_type, self.dept_by_open.get(open_id)) {
            (DeptIdType::DepartmentId, Some(&idx)) => &self.depts[idx].dept.department_id,
            _ => open_id,
        }
    }

    /// Renders a user reference (open id) in the requested type; `None` if the user vanished.
    pub(crate) fn user_id_as(&self, open_id: &str, id_type: UserIdType) -> Option<&str> {
        self.user_by_open_id(open_id).map(|u| id_type.pick(u))
    }

    /// Live departments (root excluded) in index order.
    pub(crate) fn live_departments(&self) -> impl Iterator<Item = (usize, &SimDepartment)> {
        self.depts
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, r)| !r.deleted)
            .map(|(i, r)| (i, &r.dept))
    }

    /// Users that were not deleted (resigned ones included) in index order.
    pub(crate) fn live_users(&self) -> impl Iterator<Item = (usize, &SimUser)> {
        self.users
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i, &r.user)))
    }

    // ----- contact scope -----

    pub(crate) fn is_full_scope(&self) -> bool {
        self.scope.is_none()
    }

    /// Top-level departments of the app's contact scope (what `/scopes` lists).
    pub(crate) fn scope_roots(&self) -> Vec<usize> {
        match &self.scope {
            None => self.depts[ROOT].children.clone(),
            Some(scope) => scope
                .departments
                .iter()
                .copied()
                .filter(|&d| !self.depts[d].deleted)
                .collect(),
        }
    }

    /// Whether the app may read department `idx`: it or an ancestor is a department of the range
    /// or a department member of a group of the range.
    pub(crate) fn dept_in_scope(&self, idx: usize) -> bool {
        let Some(scope) = &self.scope else {
            return true;
        };
        let mut cur = idx;
        // Depth is bounded by the tree; the guard protects against a corrupted parent chain.
        for _ in 0..=self.depts.len() {
            if cur == ROOT {
                return false;
            }
            if scope.departments.contains(&cur) || self.granted_through_group(scope, cur) {
                return true;
            }
            cur = self.depts[cur].parent;
        }
        false
    }

    /// Whether department `idx` is a department member of a group of the range.
    fn granted_through_group(&self, scope: &Scope, idx: usize) -> bool {
        scope
            .groups
            .iter()
            .filter_map(|&g| self.group_record(g))
            .any(|r| r.depts.contains(&idx))
    }

    /// Whether the app may read user `idx`: one of its departments is in range, or it is a user
    /// member of a group of the range.
    pub(crate) fn user_in_scope(&self, idx: usize) -> bool {
        let Some(scope) = &self.scope else {
            return true;
        };
        self.record(idx)
            .is_some_and(|r| r.depts.iter().any(|&d| self.dept_in_scope(d)))
            || scope
                .groups
                .iter()
                .filter_map(|&g| self.group_record(g))
                .any(|r| r.users.binary_search(&idx).is_ok())
    }

    // ----- tree walks and counts -----

    /// Departments below `idx` (itself excluded) breadth-first, so parents precede children.
    /// Returns `Err(count)` as soon as more than `limit` are found.
    pub(crate) fn subtree(&self, idx: usize, limit: usize) -> Result<Vec<usize>, usize> {
        let mut out: Vec<usize> = Vec::new();
        let mut next = 0;
        out.extend_from_slice(&self.depts[idx].children);
        while next < out.len() {
            if out.len() > limit {
                return Err(out.len());
            }
            let cur = out[next];
            next += 1;
            out.extend_from_slice(&self.depts[cur].children);
        }
        if out.len() > limit {
            return Err(out.len());
        }
        Ok(out)
    }

    pub(crate) fn member_counts(&self) -> Arc<MemberCounts> {
        let mut guard = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(counts) = guard.as_ref() {
            return Arc::clone(counts);
        }
        let counts = Arc::new(self.compute_counts());
        *guard = Some(Arc::clone(&counts));
        counts
    }

    fn compute_counts(&self) -> MemberCounts {
        let n = self.depts.len();
        let mut members = vec![0u32; n];
        let mut primary = vec![0u32; n];
        // stamp[d] == user index + 1 once the user was counted for d and all its ancestors.
        let mut stamp = vec![0usize; n];
        for (u, slot) in self.users.iter().enumerate() {
            let Some(rec) = slot else { continue };
            if rec.user.status.is_resigned {
                continue;
            }
            for (pos, &d) in rec.depts.iter().enumerate() {
                let mut cur = d;
                loop {
                    if stamp[cur] == u + 1 {
                        break;
                    }
                    stamp[cur] = u + 1;
                    members[cur] += 1;
                    if cur == ROOT {
                        break;
                    }
                    cur = self.depts[cur].parent;
                }
                if pos == 0 {
                    let mut cur = d;
                    loop {
                        primary[cur] += 1;
                        if cur == ROOT {
                            break;
                        }
                        cur = self.depts[cur].parent;
                    }
                }
            }
        }
        MemberCounts { members, primary }
    }
}

pub(super) fn insert_sorted(list: &mut Vec<usize>, value: usize) {
    if let Err(pos) = list.binary_search(&value) {
        list.insert(pos, value);
    }
}

pub(super) fn remove_sorted(list: &mut Vec<usize>, value: usize) {
    if let Ok(pos) = list.binary_search(&value) {
        list.remove(pos);
    }
}
