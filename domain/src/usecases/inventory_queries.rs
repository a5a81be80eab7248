//! Read-side use cases for user groups and installed apps: lists, one with its history, the
//! groups an account belongs to, and who a group's members are (for the account filter).

use std::collections::{HashMap, HashSet};

use super::queries::{Queries, QueriesError, subtree};
use crate::model::{App, ChangeRecord, Group, Presence, Subject, UserAccount};
use crate::ports::GroupMembers;
use crate::values::{DepartmentId, GroupId, InstalledAppId, IntegrationId, OpenId};

/// A group and every change recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupWithHistory {
    pub group: Group,
    pub history: Vec<ChangeRecord>,
}

/// An app and every change recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppWithHistory {
    pub app: App,
    pub history: Vec<ChangeRecord>,
}

impl Queries {
    /// # Errors
    /// `Store`.
    pub async fn groups(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<Group>, QueriesError> {
        Ok(self.read.groups(integration, include_removed).await?)
    }

    /// A group given by `id`, custom `group_id` or name (case-insensitive), removed ones
    /// included.
    ///
    /// # Errors
    /// `UnknownGroup` when none matches, `Store` otherwise.
    pub async fn find_group(
        &self,
        integration: IntegrationId,
        key: &str,
    ) -> Result<Group, QueriesError> {
        let key = key.trim();
        if let Ok(id) = GroupId::parse(key)
            && let Some(group) = self.read.group(integration, &id).await?
        {
            return Ok(group);
        }
        let all = self.read.groups(integration, true).await?;
        all.iter()
            .find(|g| g.state.is_named(key))
            .or_else(|| {
                all.iter().find(|g| {
                    g.state
                        .name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(key))
                })
            })
            .cloned()
            .ok_or_else(|| QueriesError::UnknownGroup(key.to_owned()))
    }

    /// A group with its change history.
    ///
    /// # Errors
    /// As [`Queries::find_group`].
    pub async fn group(
        &self,
        integration: IntegrationId,
        key: &str,
    ) -> Result<GroupWithHistory, QueriesError> {
        let group = self.find_group(integration, key).await?;
        let subject = Subject::Group(group.state.id.clone());
        let history = self.read.subject_history(integration, &subject).await?;
        Ok(GroupWithHistory { group, history })
    }

    /// Who belongs to a group: its user members, and its member departments with every
    /// department below them.
    ///
    /// # Errors
    /// As [`Queries::find_group`].
    pub(super) async fn group_members(
        &self,
        integration: IntegrationId,
        key: &str,
    ) -> Result<GroupMembers, QueriesError> {
        let group = self.find_group(integration, key).await?;
        let all = self.all_outlines(integration).await?;
        let mut departments = Vec::new();
        for root in &group.state.departments {
            departments.extend(subtree(&all, root));
        }
        departments.sort();
        departments.dedup();
        Ok(GroupMembers {
            users: group.state.users.clone(),
            departments,
        })
    }

    /// The present groups `account` belongs to: as a user member, or through one of its
    /// departments or a department above it.
    ///
    /// # Errors
    /// `Store`.
    pub async fn account_groups(&self, account: &UserAccount) -> Result<Vec<Group>, QueriesError> {
        let integration = account.integration_id;
        let groups = self.read.groups(integration, false).await?;
        if groups.is_empty() {
            return Ok(groups);
        }
        let departments = self.all_outlines(integration).await?;
        let parents: HashMap<&DepartmentId, &DepartmentId> = departments
            .iter()
            .filter_map(|d| d.parent_id.as_ref().map(|p| (&d.open_department_id, p)))
            .collect();
        let mut lineage: HashSet<DepartmentId> = HashSet::new();
        for department in &account.state.profile.department_ids {
            let mut current = Some(department);
            // Bounded by the number of departments: a parent cycle (bad data) cannot loop.
            for _ in 0..=departments.len() {
                let Some(id) = current.take() else { break };
                if !lineage.insert(id.clone()) {
                    break;
                }
                current = parents.get(id).copied();
            }
        }
        let open_id: &OpenId = &account.state.profile.open_id;
        Ok(groups
            .into_iter()
            .filter(|g| {
                g.presence == Presence::Present
                    && (g.state.users.contains(open_id)
                        || g.state.departments.iter().any(|d| lineage.contains(d)))
            })
            .collect())
    }

    /// # Errors
    /// `Store`.
    pub async fn apps(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<App>, QueriesError> {
        Ok(self.read.apps(integration, include_removed).await?)
    }

    /// An app (removed ones included) with its change history.
    ///
    /// # Errors
    /// `UnknownApp` when absent, `Store` otherwise.
    pub async fn app(
        &self,
        integration: IntegrationId,
        app_id: &str,
    ) -> Result<AppWithHistory, QueriesError> {
        let unknown = || QueriesError::UnknownApp(app_id.to_owned());
        let id = InstalledAppId::parse(app_id.trim()).map_err(|_| unknown())?;
        let app = self.read.app(integration, &id).await?.ok_or_else(unknown)?;
        let subject = Subject::App(id.clone());
        let history = self.read.subject_history(integration, &subject).await?;
        Ok(AppWithHistory { app, history })
    }
}
