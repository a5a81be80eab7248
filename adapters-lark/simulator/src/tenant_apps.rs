//! Installed apps on the [`Tenant`]: lookups, install (add), replace, uninstall, and forgetting
//! departed users, departments and groups in their availability. Every change is validated
//! first; the simulator's own app cannot be uninstalled.

use super::generator_apps::custom_app;
use super::model::{ROOT_DEPARTMENT_ID, SimError};
use super::model_apps::{NewApp, SimApp, SimAppVisibility};
use super::tenant::{DeptIdType, Tenant, UserIdType};
use super::tenant_groups::dedupe;

const LANGUAGES: [&str; 3] = ["zh_cn", "en_us", "ja_jp"];
const ABILITIES: [&str; 4] = ["gadget", "web_app", "bot", ""];

impl Tenant {
    /// Installed apps in listing order.
    pub(crate) fn apps(&self) -> &[SimApp] {
        &self.apps
    }

    pub(crate) fn app_idx(&self, app_id: &str) -> Option<usize> {
        self.apps.iter().position(|a| a.app_id == app_id)
    }

    /// Appends an app the generator built (ids fresh by construction).
    pub(crate) fn insert_app(&mut self, app: SimApp) {
        self.apps.push(app);
    }

    /// Installs a custom app built from `spec`; returns its `app_id`.
    pub(crate) fn add_app(&mut self, spec: NewApp) -> Result<String, SimError> {
        let app_id = match &spec.app_id {
            Some(id) => id.clone(),
            None => loop {
                let id = super::ids::prefixed_hex(&mut self.rng, "cli_", 16);
                if self.app_idx(&id).is_none() {
                    break id;
                }
            },
        };
        if self.app_idx(&app_id).is_some() {
            return Err(SimError::Invalid(format!(
                "app {app_id} is installed already"
            )));
        }
        let creator = match &spec.creator_id {
            Some(id) => id.clone(),
            None => self.default_creator(),
        };
        let domain = self.info.domain.clone();
        let mut app = custom_app(&mut self.rng, spec, app_id.clone(), creator, &domain);
        self.check_app(&mut app, None)?;
        self.apps.push(app);
        Ok(app_id)
    }

    /// A working tenant super administrator, else any user (`""` in a tenant without users).
    pub(crate) fn default_creator(&self) -> String {
        let working = |u: &&super::model::SimUser| super::generator::is_working(u);
        self.live_users()
            .map(|(_, u)| u)
            .filter(working)
            .find(|u| u.is_tenant_manager)
            .or_else(|| self.live_users().map(|(_, u)| u).find(working))
            .map(|u| u.open_id.clone())
            .unwrap_or_default()
    }

    /// Replaces `old` (as the caller read it) by `new`; `app_id` is immutable.
    pub(crate) fn replace_app(
        &mut self,
        old: &SimApp,
        mut new: SimApp,
    ) -> Result<SimApp, SimError> {
        let idx = self
            .app_idx(&old.app_id)
            .ok_or_else(|| SimError::UnknownApp(old.app_id.clone()))?;
        if &self.apps[idx] != old {
            return Err(SimError::Invalid(format!(
                "app {} changed concurrently; retry",
                old.app_id
            )));
        }
        if new.app_id != old.app_id {
            return Err(SimError::Invalid("an app's app_id is immutable".to_owned()));
        }
        self.check_app(&mut new, Some(old))?;
        self.apps[idx] = new.clone();
        Ok(new)
    }

    /// Uninstalls an app.
    pub(crate) fn remove_app(&mut self, app_id: &str) -> Result<(), SimError> {
        let idx = self
            .app_idx(app_id)
            .ok_or_else(|| SimError::UnknownApp(app_id.to_owned()))?;
        self.apps.remove(idx);
        Ok(())
    }

    /// Validates an app (normalising group references to `id`s and dropping duplicates).
    fn check_app(&self, app: &mut SimApp, old: Option<&SimApp>) -> Result<(), SimError> {
        let invalid = |what: String| Err(SimError::Invalid(what));
        if app.app_id.is_empty() || app.app_id.chars().any(char::is_whitespace) {
            return invalid(format!("app_id {:?}", app.app_id));
        }
        if app.app_name.trim().is_empty() {
            return invalid("an app needs a name".to_owned());
        }
        let ranges = [
            ("status", app.status, 3),
            ("scene_type", app.scene_type, 3),
            ("payment_type", app.payment_type, 1),
            ("owner.type", app.owner.owner_type, 2),
        ];
        for (field, value, max) in ranges {
            if value > max {
                return invalid(format!("{field} {value} (0 to {max})"));
            }
        }
        if let Some(bad) = app
            .scopes
            .iter()
            .find(|s| s.level > 3 || s.scope.is_empty())
        {
            return invalid(format!("scope {:?} level {}", bad.scope, bad.level));
        }
        if !LANGUAGES.contains(&app.primary_language.as_str()) {
            return invalid(format!("primary_language {:?}", app.primary_language));
        }
        for ability in [&app.mobile_default_ability, &app.pc_default_ability] {
            if !ABILITIES.contains(&ability.as_str()) {
                return invalid(format!(
                    "default ability {ability:?} (gadget, web_app, bot)"
                ));
            }
        }
        let creator_kept = old.is_some_and(|o| o.creator_id == app.creator_id);
        if !creator_kept && self.user_idx(UserIdType::OpenId, &app.creator_id).is_none() {
            return Err(SimError::UnknownUser(app.creator_id.clone()));
        }
        let owner_kept = old.is_some_and(|o| o.owner == app.owner);
        if app.owner.owner_type == 2
            && !owner_kept
            && self
                .user_idx(UserIdType::OpenId, &app.owner.owner_id)
                .is_none()
        {
            return Err(SimError::UnknownUser(app.owner.owner_id.clone()));
        }
        self.check_visibility(&mut app.visibility)
    }

    fn check_visibility(&self, v: &mut SimAppVisibility) -> Result<(), SimError> {
        for list in [&mut v.users, &mut v.invisible_users] {
            dedupe(list);
            if let Some(bad) = list
                .iter()
                .find(|u| self.user_idx(UserIdType::OpenId, u).is_none())
            {
                return Err(SimError::UnknownUser(bad.clone()));
            }
        }
        for list in [&mut v.departments, &mut v.invisible_departments] {
            dedupe(list);
            if let Some(bad) = list.iter().find(|d| {
                *d == ROOT_DEPARTMENT_ID || self.dept_idx(DeptIdType::OpenDepartmentId, d).is_none()
            }) {
                return Err(SimError::UnknownDepartment(bad.clone()));
            }
        }
        for list in [&mut v.groups, &mut v.invisible_groups] {
            let mut ids = Vec::with_capacity(list.len());
            for id in list.iter() {
                let g = self
                    .group_idx(id)
                    .and_then(|g| self.group(g))
                    .ok_or_else(|| SimError::UnknownGroup(id.clone()))?;
                ids.push(g.id.clone());
            }
            dedupe(&mut ids);
            *list = ids;
        }
        Ok(())
    }

    /// A deleted user leaves every app's availability (a deleted creator stays, unresolvable).
    pub(crate) fn forget_user_in_apps(&mut self, open_id: &str) {
        for app in &mut self.apps {
            app.visibility.users.retain(|u| u != open_id);
            app.visibility.invisible_users.retain(|u| u != open_id);
        }
    }

    pub(crate) fn forget_department_in_apps(&mut self, open_department_id: &str) {
        for app in &mut self.apps {
            app.visibility
                .departments
                .retain(|d| d != open_department_id);
            app.visibility
                .invisible_departments
                .retain(|d| d != open_department_id);
        }
    }

    pub(crate) fn forget_group_in_apps(&mut self, id: &str) {
        for app in &mut self.apps {
            app.visibility.groups.retain(|g| g != id);
            app.visibility.invisible_groups.retain(|g| g != id);
        }
    }
}
