//! Turns listed departments into stored departments, the same way accounts are handled, and
//! collects the department leaders that give accounts their `department_leader` role.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::accounts::departure_kind;
use super::tracker::{Decision, StoredVersion, Tracker, settle};
use super::withheld::WithheldTally;
use super::writer::Writer;
use crate::model::{
    ChangeKind, ChangeRecord, Department, DepartmentState, FieldChange, FieldGroup, Presence,
    Subject,
};
use crate::ports::{RemoteDepartment, SyncStore, SyncStoreError};
use crate::values::{ContentHash, DepartmentId, IntegrationId, OpenId, RunId};

/// Everyone who leads (or co-leads) at least one listed department.
pub(super) fn leaders(departments: &[RemoteDepartment]) -> HashSet<OpenId> {
    departments
        .iter()
        .flat_map(|d| {
            d.state
                .leader_open_id
                .iter()
                .chain(d.state.leader_open_ids.iter())
        })
        .cloned()
        .collect()
}

pub(super) struct DepartmentIngest {
    integration: IntegrationId,
    run_id: RunId,
    pub(super) tracker: Tracker<DepartmentId>,
    /// Records seen and found unchanged (the rest is counted when committed).
    pub(super) unchanged: u64,
    pub(super) withheld: WithheldTally,
}

impl DepartmentIngest {
    pub(super) fn new(
        integration: IntegrationId,
        run_id: RunId,
        tracker: Tracker<DepartmentId>,
        accepted: &[FieldGroup],
    ) -> Self {
        Self {
            integration,
            run_id,
            tracker,
            unchanged: 0,
            withheld: WithheldTally::new(accepted),
        }
    }

    fn change(
        &self,
        id: &DepartmentId,
        kind: ChangeKind,
        fields: Vec<FieldChange>,
        now: DateTime<Utc>,
    ) -> ChangeRecord {
        ChangeRecord {
            run_id: self.run_id,
            integration_id: self.integration,
            subject: Subject::Department(id.clone()),
            kind,
            fields,
            recorded_at: now,
        }
    }

    /// Diffs every listed department against the store and batches the writes.
    pub(super) async fn ingest_all(
        &mut self,
        listed: Vec<RemoteDepartment>,
        store: &dyn SyncStore,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) -> Result<(), SyncStoreError> {
        let mut pending = Vec::new();
        for department in listed {
            let hash = ContentHash::of_record(&department.state, &department.raw);
            let id = department.state.open_department_id.clone();
            match self.tracker.observe(&id, &hash) {
                None => {}
                Some(Decision::Unchanged) => {
                    self.unchanged += 1;
                    self.withheld
                        .unchanged(FieldGroup::DEPARTMENT, &department.state.withheld);
                }
                Some(Decision::Added) => {
                    writer
                        .batch
                        .changes
                        .push(self.change(&id, ChangeKind::Added, Vec::new(), now));
                    writer.batch.departments.push(Department {
                        integration_id: self.integration,
                        state: department.state,
                        raw: department.raw,
                        content_hash: hash,
                        first_seen_at: now,
                        last_changed_at: now,
                        removed_at: None,
                        presence: Presence::Present,
                    });
                }
                Some(Decision::NeedsStored) => pending.push(department),
            }
        }
        let ids: Vec<DepartmentId> = pending
            .iter()
            .map(|d| d.state.open_department_id.clone())
            .collect();
        let mut stored: HashMap<DepartmentId, Department> = if ids.is_empty() {
            HashMap::new()
        } else {
            store
                .load_departments(self.integration, &ids)
                .await?
                .into_iter()
                .map(|d| (d.state.open_department_id.clone(), d))
                .collect()
        };
        for department in pending {
            let old = stored.remove(&department.state.open_department_id);
            self.settle_one(department, old, writer, now);
            writer.flush_if_full().await?;
        }
        writer.flush_if_full().await
    }

    /// Puts back what Lark withheld, then writes the department if anything differs from its
    /// stored version.
    fn settle_one(
        &mut self,
        mut department: RemoteDepartment,
        old: Option<Department>,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) {
        if let Some(old) = &old {
            self.withheld.merge(
                FieldGroup::DEPARTMENT,
                &mut department.state,
                &mut department.raw,
                &old.state,
                &old.raw,
            );
        }
        let RemoteDepartment { state, raw } = department;
        let hash = ContentHash::of_record(&state, &raw);
        if let Some(old) = &old
            && old.content_hash == hash
            && old.presence == Presence::Present
        {
            self.unchanged += 1;
            return;
        }
        let to_json = |state: &DepartmentState| serde_json::to_value(state).unwrap_or(Value::Null);
        let id = state.open_department_id.clone();
        let settled = settle(
            old.as_ref().map(|old| StoredVersion {
                state: to_json(&old.state),
                raw: &old.raw,
                removed: old.presence != Presence::Present,
                first_seen_at: old.first_seen_at,
                last_changed_at: old.last_changed_at,
            }),
            &to_json(&state),
            &raw,
            now,
        );
        match settled.change {
            Some((kind, fields)) => writer
                .batch
                .changes
                .push(self.change(&id, kind, fields, now)),
            None => self.unchanged += 1,
        }
        writer.batch.departments.push(Department {
            integration_id: self.integration,
            state,
            raw,
            content_hash: hash,
            first_seen_at: settled.first_seen_at,
            last_changed_at: settled.last_changed_at,
            removed_at: None,
            presence: Presence::Present,
        });
    }

    /// Marks departments removed or out of the contact range, with a change record each.
    pub(super) fn depart(
        &mut self,
        departed: Vec<(DepartmentId, Presence)>,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) {
        for (id, why) in &departed {
            writer
                .batch
                .changes
                .push(self.change(id, departure_kind(*why), Vec::new(), now));
        }
        writer.batch.removed_departments.extend(departed);
    }
}
