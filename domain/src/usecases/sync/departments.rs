//! Turns listed departments into stored departments, the same way accounts are handled, and
//! collects the department leaders that give accounts their `department_leader` role.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::tracker::{Decision, StoredVersion, Tracker, settle};
use super::writer::Writer;
use crate::model::{ChangeKind, ChangeRecord, Department, DepartmentState, FieldChange, Subject};
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
}

impl DepartmentIngest {
    pub(super) fn new(
        integration: IntegrationId,
        run_id: RunId,
        tracker: Tracker<DepartmentId>,
    ) -> Self {
        Self {
            integration,
            run_id,
            tracker,
            unchanged: 0,
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
            subject: Subject::Department(id.as_str().to_owned()),
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
        writer: &mut Writer<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), SyncStoreError> {
        let mut pending = Vec::new();
        for department in listed {
            let hash = ContentHash::of_record(&department.state, &department.raw);
            match self
                .tracker
                .observe(&department.state.open_department_id, &hash)
            {
                None => {}
                Some(Decision::Unchanged) => self.unchanged += 1,
                Some(Decision::Added) => {
                    let id = department.state.open_department_id.clone();
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
                    });
                }
                Some(Decision::NeedsStored) => {
                    pending.push((department.state, department.raw, hash))
                }
            }
        }
        let ids: Vec<DepartmentId> = pending
            .iter()
            .map(|p| p.0.open_department_id.clone())
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
        let to_json = |state: &DepartmentState| serde_json::to_value(state).unwrap_or(Value::Null);
        for (state, raw, hash) in pending {
            let id = state.open_department_id.clone();
            let old = stored.remove(&id);
            let settled = settle(
                old.as_ref().map(|old| StoredVersion {
                    state: to_json(&old.state),
                    raw: &old.raw,
                    removed: old.removed_at.is_some(),
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
            });
            writer.flush_if_full().await?;
        }
        writer.flush_if_full().await
    }

    pub(super) fn remove(
        &mut self,
        ids: Vec<DepartmentId>,
        writer: &mut Writer<'_>,
        now: DateTime<Utc>,
    ) {
        for id in &ids {
            writer
                .batch
                .changes
                .push(self.change(id, ChangeKind::Removed, Vec::new(), now));
        }
        writer.batch.removed_departments.extend(ids);
    }
}
