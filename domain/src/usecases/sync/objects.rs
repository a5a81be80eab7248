//! User groups and installed applications: listed whole, each diffed against its stored version
//! the way departments are (`ObjectIngest`), with one change record per difference. A group's
//! member lists are recorded compactly: a change of `users` or `departments` names the members
//! that left (`old`) and those that joined (`new`), not the whole lists.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::accounts::departure_kind;
use super::tracker::{Decision, StoredVersion, Tracker, settle};
use super::writer::Writer;
use crate::model::{
    App, AppState, ChangeKind, ChangeRecord, FieldChange, Group, GroupState, Presence, Record,
    Subject,
};
use crate::ports::{SyncStore, SyncStoreError, WriteBatch};
use crate::values::{ContentHash, GroupId, InstalledAppId, IntegrationId, RunId};

/// A kind of record synced whole (groups, apps), by its state: what differs between kinds.
pub(super) trait Tracked: serde::Serialize + Clone + Send + Sync + Sized {
    type Id: Hash + Eq + Clone + Ord + Send + Sync;

    fn id(&self) -> &Self::Id;
    fn subject(id: &Self::Id) -> Subject;
    fn load<'a>(
        store: &'a dyn SyncStore,
        integration: IntegrationId,
        ids: &'a [Self::Id],
    ) -> impl Future<Output = Result<Vec<Record<Self>>, SyncStoreError>> + Send + 'a;
    fn push(batch: &mut WriteBatch, row: Record<Self>);
    fn depart(batch: &mut WriteBatch, departed: Vec<(Self::Id, Presence)>);
    /// The recorded form of the field changes (all of them, by default).
    fn compact(fields: Vec<FieldChange>) -> Vec<FieldChange> {
        fields
    }
}

/// A present record as of `seen` (first seen, last changed).
fn new_row<S>(
    integration: IntegrationId,
    state: S,
    raw: Value,
    hash: ContentHash,
    (first_seen_at, last_changed_at): (DateTime<Utc>, DateTime<Utc>),
) -> Record<S> {
    Record {
        integration_id: integration,
        state,
        raw,
        content_hash: hash,
        first_seen_at,
        last_changed_at,
        removed_at: None,
        presence: Presence::Present,
    }
}

/// The members of `old` missing from `new`, in `old`'s order.
fn missing(old: &Value, new: &Value) -> Value {
    let keep: BTreeSet<String> = new
        .as_array()
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect();
    Value::Array(
        old.as_array()
            .into_iter()
            .flatten()
            .filter(|v| !keep.contains(&v.to_string()))
            .cloned()
            .collect(),
    )
}

impl Tracked for GroupState {
    type Id = GroupId;

    fn id(&self) -> &GroupId {
        &self.id
    }
    fn subject(id: &GroupId) -> Subject {
        Subject::Group(id.clone())
    }
    fn load<'a>(
        store: &'a dyn SyncStore,
        integration: IntegrationId,
        ids: &'a [GroupId],
    ) -> impl Future<Output = Result<Vec<Group>, SyncStoreError>> + Send + 'a {
        store.load_groups(integration, ids)
    }
    fn push(batch: &mut WriteBatch, row: Group) {
        batch.groups.push(row);
    }
    fn depart(batch: &mut WriteBatch, departed: Vec<(GroupId, Presence)>) {
        batch.removed_groups.extend(departed);
    }
    fn compact(fields: Vec<FieldChange>) -> Vec<FieldChange> {
        fields
            .into_iter()
            .map(|change| match change.field.as_str() {
                "users" | "departments" => FieldChange {
                    old: missing(&change.old, &change.new),
                    new: missing(&change.new, &change.old),
                    field: change.field,
                },
                _ => change,
            })
            .collect()
    }
}

impl Tracked for AppState {
    type Id = InstalledAppId;

    fn id(&self) -> &InstalledAppId {
        &self.app_id
    }
    fn subject(id: &InstalledAppId) -> Subject {
        Subject::App(id.clone())
    }
    fn load<'a>(
        store: &'a dyn SyncStore,
        integration: IntegrationId,
        ids: &'a [InstalledAppId],
    ) -> impl Future<Output = Result<Vec<App>, SyncStoreError>> + Send + 'a {
        store.load_apps(integration, ids)
    }
    fn push(batch: &mut WriteBatch, row: App) {
        batch.apps.push(row);
    }
    fn depart(batch: &mut WriteBatch, departed: Vec<(InstalledAppId, Presence)>) {
        batch.removed_apps.extend(departed);
    }
}

/// One kind of whole-listed record over a run.
pub(super) struct ObjectIngest<R: Tracked> {
    integration: IntegrationId,
    run_id: RunId,
    pub(super) tracker: Tracker<R::Id>,
    pub(super) unchanged: u64,
}

fn to_json<T: serde::Serialize>(state: &T) -> Value {
    // Serialising plain data structs into a Value cannot fail.
    serde_json::to_value(state).unwrap_or(Value::Null)
}

impl<R: Tracked> ObjectIngest<R> {
    pub(super) fn new(integration: IntegrationId, run_id: RunId, tracker: Tracker<R::Id>) -> Self {
        Self {
            integration,
            run_id,
            tracker,
            unchanged: 0,
        }
    }

    fn change(
        &self,
        id: &R::Id,
        kind: ChangeKind,
        fields: Vec<FieldChange>,
        now: DateTime<Utc>,
    ) -> ChangeRecord {
        ChangeRecord {
            run_id: self.run_id,
            integration_id: self.integration,
            subject: R::subject(id),
            kind,
            fields,
            recorded_at: now,
        }
    }

    /// Diffs every listed record against the store and batches the writes.
    pub(super) async fn ingest_all(
        &mut self,
        listed: Vec<(R, Value)>,
        store: &dyn SyncStore,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) -> Result<(), SyncStoreError> {
        let mut pending = Vec::new();
        for (state, raw) in listed {
            let hash = ContentHash::of_record(&state, &raw);
            let id = state.id().clone();
            match self.tracker.observe(&id, &hash) {
                None => {}
                Some(Decision::Unchanged) => self.unchanged += 1,
                Some(Decision::Added) => {
                    writer
                        .batch
                        .changes
                        .push(self.change(&id, ChangeKind::Added, Vec::new(), now));
                    let row = new_row(self.integration, state, raw, hash, (now, now));
                    R::push(&mut writer.batch, row);
                }
                Some(Decision::NeedsStored) => pending.push((state, raw, hash)),
            }
        }
        let ids: Vec<R::Id> = pending.iter().map(|p| p.0.id().clone()).collect();
        let mut stored: HashMap<R::Id, Record<R>> = if ids.is_empty() {
            HashMap::new()
        } else {
            R::load(store, self.integration, &ids)
                .await?
                .into_iter()
                .map(|row| (row.state.id().clone(), row))
                .collect()
        };
        for (state, raw, hash) in pending {
            let old = stored.remove(state.id());
            self.settle_one(state, raw, hash, old, writer, now);
            writer.flush_if_full().await?;
        }
        writer.flush_if_full().await
    }

    fn settle_one(
        &mut self,
        state: R,
        raw: Value,
        hash: ContentHash,
        old: Option<Record<R>>,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) {
        let id = state.id().clone();
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
            Some((kind, fields)) => {
                let fields = R::compact(fields);
                writer
                    .batch
                    .changes
                    .push(self.change(&id, kind, fields, now));
            }
            None => self.unchanged += 1,
        }
        let row = new_row(
            self.integration,
            state,
            raw,
            hash,
            (settled.first_seen_at, settled.last_changed_at),
        );
        R::push(&mut writer.batch, row);
    }

    /// Marks records removed or out of range, with a change record each.
    pub(super) fn depart(
        &mut self,
        departed: Vec<(R::Id, Presence)>,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) {
        for (id, why) in &departed {
            writer
                .batch
                .changes
                .push(self.change(id, departure_kind(*why), Vec::new(), now));
        }
        R::depart(&mut writer.batch, departed);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn member_changes_name_who_left_and_who_joined() {
        let fields = GroupState::compact(vec![
            FieldChange {
                field: "users".into(),
                old: json!(["ou_a", "ou_b", "ou_c"]),
                new: json!(["ou_b", "ou_c", "ou_d"]),
            },
            FieldChange {
                field: "name".into(),
                old: json!("Old"),
                new: json!("New"),
            },
        ]);
        assert_eq!(fields[0].old, json!(["ou_a"]));
        assert_eq!(fields[0].new, json!(["ou_d"]));
        assert_eq!(fields[1].new, json!("New"), "other fields as they are");
    }
}
