//! [`TenantControl`]: the Rust API tests use to inspect and change the running tenant between syncs,
//! inject faults and read the stats. Cheap to clone and safe to use from any thread.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::faults::{FaultSettings, Hostile, error_status};
use super::model::{NewUser, SimDepartment, SimError, SimTenantInfo, SimUser, SimUserStatus};
use super::state::SimState;
use super::stats::SimulatorStats;
use super::tenant::{DeptIdType, ROOT};

/// Handle on a running simulator's tenant, faults and stats.
#[derive(Clone)]
pub struct TenantControl {
    pub(super) state: Arc<SimState>,
}

impl std::fmt::Debug for TenantControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantControl")
            .field("app_id", &self.state.app_id)
            .finish_non_exhaustive()
    }
}

impl TenantControl {
    pub(crate) fn new(state: Arc<SimState>) -> Self {
        Self { state }
    }

    pub(crate) fn app_id(&self) -> String {
        self.state.app_id.clone()
    }

    pub(crate) fn app_secret(&self) -> String {
        self.state.app_secret()
    }

    // ----- reading the tenant -----

    /// Name, tenant key, mail domain….
    #[must_use]
    pub fn tenant_info(&self) -> SimTenantInfo {
        self.state.read().info.clone()
    }

    /// Every user not deleted, resigned ones included.
    #[must_use]
    pub fn users(&self) -> Vec<SimUser> {
        self.state
            .read()
            .live_users()
            .map(|(_, u)| u.clone())
            .collect()
    }

    #[must_use]
    pub fn user(&self, open_id: &str) -> Option<SimUser> {
        self.state.read().user_by_open_id(open_id).cloned()
    }

    /// Every department (the root `"0"` excluded).
    #[must_use]
    pub fn departments(&self) -> Vec<SimDepartment> {
        self.state
            .read()
            .live_departments()
            .map(|(_, d)| d.clone())
            .collect()
    }

    #[must_use]
    pub fn department(&self, open_department_id: &str) -> Option<SimDepartment> {
        let t = self.state.read();
        t.dept_idx(DeptIdType::OpenDepartmentId, open_department_id)
            .filter(|&d| d != ROOT)
            .map(|d| t.dept(d).clone())
    }

    /// Users a full-scope sync lists: not deleted, not resigned.
    #[must_use]
    pub fn user_count(&self) -> usize {
        self.state
            .read()
            .live_users()
            .filter(|(_, u)| !u.status.is_resigned)
            .count()
    }

    /// Departments, root excluded.
    #[must_use]
    pub fn department_count(&self) -> usize {
        self.state.read().live_departments().count()
    }

    /// Users a sync lists under the current contact scope.
    #[must_use]
    pub fn visible_user_count(&self) -> usize {
        let t = self.state.read();
        t.live_users()
            .filter(|&(i, u)| !u.status.is_resigned && t.user_in_scope(i))
            .count()
    }

    /// Departments readable under the current contact scope (scope roots included).
    #[must_use]
    pub fn visible_department_count(&self) -> usize {
        let t = self.state.read();
        t.live_departments()
            .filter(|&(i, _)| t.dept_in_scope(i))
            .count()
    }

    /// `open_id`s of the direct, listed members of a department (`"0"` for the root).
    pub fn department_members(&self, open_department_id: &str) -> Result<Vec<String>, SimError> {
        let t = self.state.read();
        let d = t
            .dept_idx(DeptIdType::OpenDepartmentId, open_department_id)
            .ok_or_else(|| SimError::UnknownDepartment(open_department_id.to_owned()))?;
        Ok(t.members(d)
            .iter()
            .filter_map(|&u| t.user(u).map(|u| u.open_id.clone()))
            .collect())
    }

    /// `member_count` as served: distinct users in the department and its subtree.
    pub fn member_count(&self, open_department_id: &str) -> Result<u32, SimError> {
        let t = self.state.read();
        let d = t
            .dept_idx(DeptIdType::OpenDepartmentId, open_department_id)
            .ok_or_else(|| SimError::UnknownDepartment(open_department_id.to_owned()))?;
        Ok(t.member_counts().members[d])
    }

    /// A listed user that sits in two or more departments.
    #[must_use]
    pub fn multi_department_user(&self) -> Option<SimUser> {
        self.find_user(|u| u.department_ids.len() >= 2)
    }

    /// A (listed) tenant super administrator.
    #[must_use]
    pub fn tenant_manager(&self) -> Option<SimUser> {
        self.find_user(|u| u.is_tenant_manager)
    }

    /// A department and its leader.
    #[must_use]
    pub fn department_leader(&self) -> Option<(SimUser, SimDepartment)> {
        let t = self.state.read();
        t.live_departments().find_map(|(_, d)| {
            let leader = t.user_by_open_id(d.leader_open_id.as_deref()?)?;
            Some((leader.clone(), d.clone()))
        })
    }

    /// The department with the most direct members (bigger than a page in default tenants).
    #[must_use]
    pub fn largest_department(&self) -> Option<SimDepartment> {
        let t = self.state.read();
        t.live_departments()
            .max_by_key(|&(i, _)| (t.members(i).len(), std::cmp::Reverse(i)))
            .map(|(_, d)| d.clone())
    }

    /// Listed users sitting directly under the root `"0"`.
    #[must_use]
    pub fn root_users(&self) -> Vec<SimUser> {
        let t = self.state.read();
        t.members(ROOT)
            .iter()
            .filter_map(|&u| t.user(u).cloned())
            .collect()
    }

    fn find_user(&self, pred: impl Fn(&SimUser) -> bool) -> Option<SimUser> {
        self.state
            .read()
            .live_users()
            .find(|(_, u)| !u.status.is_resigned && pred(u))
            .map(|(_, u)| u.clone())
    }

    // ----- changing users -----

    /// Applies `change` to a copy, validates it (ids immutable, departments and managers exist,
    /// at least one department unless resigned) and stores it. Setting `status.is_resigned`
    /// behaves like [`Self::resign_user`].
    pub fn update_user(
        &self,
        open_id: &str,
        change: impl FnOnce(&mut SimUser),
    ) -> Result<SimUser, SimError> {
        // The closure runs without the lock so it may read the tenant itself.
        let old = self
            .user(open_id)
            .ok_or_else(|| SimError::UnknownUser(open_id.to_owned()))?;
        let mut new = old.clone();
        change(&mut new);
        self.state.write().replace_user(&old, new)
    }

    /// Moves a user out of all its departments into `to_department` (`"0"` for the root).
    pub fn move_user(&self, open_id: &str, to_department: &str) -> Result<(), SimError> {
        let to = to_department.to_owned();
        self.update_user(open_id, move |u| u.department_ids = vec![to])
            .map(drop)
    }

    /// Adds a user with generated ids and details; returns its `open_id`.
    pub fn add_user(&self, user: NewUser) -> Result<String, SimError> {
        self.state.write().add_user(user)
    }

    /// Adds a (secondary) department to a user.
    pub fn add_user_to_department(&self, open_id: &str, department: &str) -> Result<(), SimError> {
        let dept = department.to_owned();
        self.update_user(open_id, move |u| u.department_ids.push(dept))
            .map(drop)
    }

    pub fn remove_user_from_department(
        &self,
        open_id: &str,
        department: &str,
    ) -> Result<(), SimError> {
        self.update_user(open_id, |u| u.department_ids.retain(|d| d != department))
            .map(drop)
    }

    /// Lark resignation: `is_resigned`, no departments, gone from department listings, still
    /// returned by `/users/:id` and `/users/batch`; it stops leading departments and people.
    pub fn resign_user(&self, open_id: &str) -> Result<(), SimError> {
        self.update_user(open_id, |u| u.status.is_resigned = true)
            .map(drop)
    }

    /// Removes a user completely: no endpoint returns it any more.
    pub fn delete_user(&self, open_id: &str) -> Result<(), SimError> {
        self.state.write().delete_user(open_id)
    }

    pub fn freeze_user(&self, open_id: &str) -> Result<(), SimError> {
        self.update_user(open_id, |u| u.status.is_frozen = true)
            .map(drop)
    }

    pub fn unfreeze_user(&self, open_id: &str) -> Result<(), SimError> {
        self.update_user(open_id, |u| u.status.is_frozen = false)
            .map(drop)
    }

    /// Replaces the five status flags (un-resigning needs departments: use `update_user`).
    pub fn set_status(&self, open_id: &str, status: SimUserStatus) -> Result<(), SimError> {
        self.update_user(open_id, |u| u.status = status).map(drop)
    }

    // ----- changing departments -----

    /// Adds an empty department under `parent` (`"0"` for first level); returns its `open_department_id`.
    pub fn add_department(&self, name: &str, parent: &str) -> Result<String, SimError> {
        self.state.write().add_department(name, parent)
    }

    /// Nests `depth` new departments under `parent`, each inside the one before (a broken or
    /// hostile directory: real ones are a few levels deep); returns the deepest.
    pub fn add_department_chain(&self, parent: &str, depth: usize) -> Result<String, SimError> {
        let mut tenant = self.state.write();
        let mut at = parent.to_owned();
        for level in 1..=depth {
            at = tenant.add_department(&format!("Level {level}"), &at)?;
        }
        Ok(at)
    }

    /// Renames (`name` and `i18n_name.en_us`).
    pub fn rename_department(&self, open_department_id: &str, name: &str) -> Result<(), SimError> {
        self.update_department(open_department_id, |d| {
            d.name = name.to_owned();
            d.i18n_name.en_us = name.to_owned();
        })
        .map(drop)
    }

    /// Changes anything but the ids and the parent.
    pub fn update_department(
        &self,
        open_department_id: &str,
        change: impl FnOnce(&mut SimDepartment),
    ) -> Result<SimDepartment, SimError> {
        let old = self
            .department(open_department_id)
            .ok_or_else(|| SimError::UnknownDepartment(open_department_id.to_owned()))?;
        let mut new = old.clone();
        change(&mut new);
        self.state.write().replace_department(&old, new)
    }

    pub fn set_department_leader(
        &self,
        open_department_id: &str,
        leader_open_id: Option<&str>,
    ) -> Result<(), SimError> {
        let leader = leader_open_id.map(str::to_owned);
        self.update_department(open_department_id, move |d| d.leader_open_id = leader)
            .map(drop)
    }

    /// Re-parents a department with its subtree (refused if `new_parent` is inside that subtree).
    pub fn move_department(
        &self,
        open_department_id: &str,
        new_parent: &str,
    ) -> Result<(), SimError> {
        self.state
            .write()
            .move_department(open_department_id, new_parent)
    }

    /// Deletes an empty department (like Lark, refused while it has members or children).
    pub fn delete_department(&self, open_department_id: &str) -> Result<(), SimError> {
        self.state.write().delete_department(open_department_id)
    }

    // ----- contact scope -----

    /// Shrinks the app's contact scope to these departments' subtrees, without groups (`"0"`
    /// restores full scope). [`Self::set_scope`] grants groups too.
    pub fn set_scope_departments<I, S>(&self, open_department_ids: I) -> Result<(), SimError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let ids: Vec<String> = open_department_ids.into_iter().map(Into::into).collect();
        self.state.write().set_scope(&ids, &[])
    }

    /// All members ("全部成员") again.
    pub fn full_scope(&self) {
        self.state.write().set_full_scope();
    }

    /// `None` for full scope, else the scope's root departments (groups: [`Self::scope_groups`]).
    #[must_use]
    pub fn scope_departments(&self) -> Option<Vec<String>> {
        let t = self.state.read();
        if t.is_full_scope() {
            return None;
        }
        Some(
            t.scope_roots()
                .into_iter()
                .map(|d| t.dept(d).open_department_id.clone())
                .collect(),
        )
    }

    // ----- faults -----

    /// The next `n` data requests answer HTTP 429 with code 99991400 and rate-limit headers.
    pub fn rate_limit_next(&self, n: u32) {
        self.rate_limit_next_with_status(n, 429);
    }

    /// Same as [`Self::rate_limit_next`] with another HTTP status (400 like some older APIs).
    pub fn rate_limit_next_with_status(&self, n: u32, status: u16) {
        let status = error_status(status);
        self.state.faults.update(|f| {
            f.rate_limit_next = n;
            f.rate_limit_status = status;
        });
    }

    /// The next `n` data requests fail with `status` (500: JSON code 40003; 502/503/504: plain text).
    pub fn fail_next(&self, n: u32, status: u16) {
        let status = error_status(status);
        self.state.faults.update(|f| {
            f.fail_next = n;
            f.fail_status = status;
        });
    }

    /// Every data request fails with `status` until [`Self::clear_faults`].
    pub fn fail_always(&self, status: u16) {
        let status = error_status(status);
        self.state.faults.update(|f| f.fail_always = Some(status));
    }

    /// The next `n` data requests answer 200 with a truncated JSON body.
    pub fn malformed_next(&self, n: u32) {
        self.state.faults.update(|f| f.malformed_next = n);
    }

    /// Latency added to every Lark API request (`Duration::ZERO` removes it).
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.state.faults.update(|f| f.delay_ms = ms);
    }

    /// Answers every data request as `hostile` does (`None`: as Lark does).
    pub fn set_hostile(&self, hostile: Option<Hostile>) {
        self.state.faults.update(|f| f.hostile = hostile);
    }

    /// Disarms every fault switch (not the rate limits, not token state).
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    #[must_use]
    pub fn faults(&self) -> FaultSettings {
        self.state.faults.snapshot()
    }

    /// Every token issued so far becomes invalid now (99991663); clients must fetch a new one.
    pub fn expire_tokens(&self) {
        self.state.tenant_tokens.revoke_all();
        self.state.app_tokens.revoke_all();
    }

    /// Fast-forwards the token clock — tenant/app token expiry and the 30-minute reuse rule, OAuth
    /// codes, pending consent pages and user tokens — not rate-limit windows.
    pub fn advance_token_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Turns Lark's real limits (50/s and 1000/min per API) on or off; windows restart empty.
    pub fn set_rate_limits(&self, on: bool) {
        self.state.limiter.reset();
        self.state.rate_limits.store(on, Ordering::Relaxed);
    }

    #[must_use]
    pub fn rate_limits_enabled(&self) -> bool {
        self.state.rate_limits_on()
    }

    /// Largest subtree `children?fetch_child=true` serves before answering 43010.
    pub fn set_recursion_limit(&self, limit: usize) {
        self.state.recursion_limit.store(limit, Ordering::Relaxed);
    }

    // ----- stats -----

    /// Every secret the tenant has handed out: tenant and app access tokens, authorization
    /// codes, user access and refresh tokens (expired and revoked ones too). Tests search
    /// Aviary's outputs for them.
    #[must_use]
    pub fn issued_secrets(&self) -> Vec<String> {
        let mut secrets = self.state.tenant_tokens.issued();
        secrets.extend(self.state.app_tokens.issued());
        secrets.extend(self.state.oauth.issued());
        secrets
    }

    #[must_use]
    pub fn stats(&self) -> SimulatorStats {
        self.state.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.state.stats.reset();
    }
}
