//! A run's user groups and installed apps. Groups are listed first: the contact range may grant
//! users and departments through groups (`/contact/v3/scopes` lists them in `group_ids`), whose
//! members then count as granted — without them those users would silently go missing. Without
//! `contact:group:readonly` groups are left as stored with a warning, unless the range names
//! groups: then the listing cannot be complete and the run fails before anything is removed.
//! Apps (`admin:app.info:readonly`) are optional in the same way: a refused listing leaves them
//! as stored with a warning, and nothing else fails.

use std::sync::Arc;

use super::objects::ObjectIngest;
use super::recheck::Rechecked;
use super::tracker::Tracker;
use super::writer::Writer;
use super::{RunFailure, SyncIntegration};
use crate::model::{AppState, GroupState, Presence};
use crate::ports::{
    ContactScope, DirectoryError, DirectorySession, Recheck, RemoteApp, RemoteGroup,
};
use crate::values::{GroupId, IntegrationId, RunId};

const GROUPS_PERMISSION: &str = "contact:group:readonly";
const APPS_PERMISSION: &str = "admin:app.info:readonly";

fn missing_permission(err: &DirectoryError) -> bool {
    matches!(err, DirectoryError::MissingScope { .. })
}

/// Adds `value` to `list` unless it is there.
fn push_new<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

impl SyncIntegration {
    /// Every group with its members; `None` (and a warning) when the app may not read groups
    /// and the contact range names none.
    ///
    /// # Errors
    /// The listing's errors; a refusal when the range names groups.
    pub(super) async fn list_groups(
        &self,
        session: &Arc<dyn DirectorySession>,
        scope: &ContactScope,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Vec<RemoteGroup>>, RunFailure> {
        match session.groups().await {
            Ok(groups) => Ok(Some(groups)),
            Err(err) if missing_permission(&err) && scope.group_ids.is_empty() => {
                warnings.push(format!(
                    "user groups were not synced: the app lacks the permission {GROUPS_PERMISSION} \
                     (the permission doctor says how to add it); stored groups were left as they are"
                ));
                Ok(None)
            }
            Err(err) if missing_permission(&err) => Err(RunFailure::Incomplete(format!(
                "the app's contact range includes {} user group(s), but the app lacks the \
                 permission {GROUPS_PERMISSION} to read their members, so the listing would be \
                 incomplete; nothing was removed. Add the permission (see the permission doctor)",
                scope.group_ids.len()
            ))),
            Err(err) => Err(err.into()),
        }
    }

    /// The contact range with the departments and users its groups grant.
    ///
    /// # Errors
    /// The directory's errors asking about a group the listing did not return.
    pub(super) async fn widen_scope(
        &self,
        session: &Arc<dyn DirectorySession>,
        scope: ContactScope,
        groups: &mut Vec<RemoteGroup>,
        warnings: &mut Vec<String>,
    ) -> Result<ContactScope, RunFailure> {
        let mut widened = scope.clone();
        for reference in &scope.group_ids {
            let index = match groups.iter().position(|g| g.state.is_named(reference)) {
                Some(index) => index,
                None => match self.ask_for_group(session, reference).await? {
                    Some(group) => {
                        groups.push(group);
                        groups.len() - 1
                    }
                    None => {
                        warnings.push(format!(
                            "the app's contact range names user group {reference}, which Lark \
                             does not return; its members may be missing"
                        ));
                        continue;
                    }
                },
            };
            let group = &groups[index].state;
            for department in &group.departments {
                push_new(&mut widened.department_ids, department.clone());
            }
            for user in &group.users {
                push_new(&mut widened.user_ids, user.clone());
            }
        }
        Ok(widened)
    }

    async fn ask_for_group(
        &self,
        session: &Arc<dyn DirectorySession>,
        reference: &str,
    ) -> Result<Option<RemoteGroup>, RunFailure> {
        let Ok(id) = GroupId::parse(reference) else {
            return Ok(None);
        };
        match session.group(&id).await? {
            Recheck::Found(group) => Ok(Some(group)),
            Recheck::OutOfRange | Recheck::Gone => Ok(None),
        }
    }

    /// Diffs and writes the listed groups.
    ///
    /// # Errors
    /// The store's errors.
    pub(super) async fn ingest_groups(
        &self,
        integration: IntegrationId,
        run_id: RunId,
        groups: Vec<RemoteGroup>,
        writer: &mut Writer,
    ) -> Result<ObjectIngest<GroupState>, RunFailure> {
        let stored = self.store.group_hashes(integration).await?;
        let mut ingest = ObjectIngest::new(integration, run_id, Tracker::new(stored));
        let listed = groups.into_iter().map(|g| (g.state, g.raw)).collect();
        ingest
            .ingest_all(listed, self.store.as_ref(), writer, self.clock.now())
            .await?;
        Ok(ingest)
    }

    /// Diffs and writes the installed apps as `listed` (the run lists them beside the members);
    /// `None` (and a warning) when the app may not read them.
    ///
    /// # Errors
    /// The listing's errors other than a missing permission; the store's.
    pub(super) async fn sync_apps(
        &self,
        listed: Result<Vec<RemoteApp>, DirectoryError>,
        integration: IntegrationId,
        run_id: RunId,
        writer: &mut Writer,
        warnings: &mut Vec<String>,
    ) -> Result<Option<ObjectIngest<AppState>>, RunFailure> {
        let apps = match listed {
            Ok(apps) => apps,
            Err(err) if missing_permission(&err) => {
                warnings.push(format!(
                    "installed apps were not synced: the app lacks the permission \
                     {APPS_PERMISSION} (the permission doctor says how to add it); stored apps \
                     were left as they are"
                ));
                return Ok(None);
            }
            Err(err) => return Err(err.into()),
        };
        let stored = self.store.app_hashes(integration).await?;
        let mut ingest = ObjectIngest::new(integration, run_id, Tracker::new(stored));
        let listed = apps.into_iter().map(|a| (a.state, a.raw)).collect();
        ingest
            .ingest_all(listed, self.store.as_ref(), writer, self.clock.now())
            .await?;
        Ok(Some(ingest))
    }

    /// Asks about each group that vanished from the listing: returned (written), refused as
    /// outside the contact range, or gone.
    ///
    /// # Errors
    /// The directory's and the store's errors.
    pub(super) async fn recheck_groups(
        &self,
        session: &Arc<dyn DirectorySession>,
        groups: &mut ObjectIngest<GroupState>,
        writer: &mut Writer,
    ) -> Result<Vec<(GroupId, Presence)>, RunFailure> {
        let mut rechecked = Rechecked {
            found: Vec::new(),
            departed: Vec::new(),
        };
        for id in groups.tracker.unseen_live() {
            match session.group(&id).await? {
                Recheck::Found(group) => rechecked.found.push((group.state, group.raw)),
                Recheck::OutOfRange => rechecked.departed.push((id, Presence::OutOfRange)),
                Recheck::Gone => rechecked.departed.push((id, Presence::Removed)),
            }
        }
        groups
            .ingest_all(
                rechecked.found,
                self.store.as_ref(),
                writer,
                self.clock.now(),
            )
            .await?;
        Ok(rechecked.departed)
    }
}
