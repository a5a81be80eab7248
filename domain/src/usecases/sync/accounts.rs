//! Turns listed users into stored accounts: derive roles, hash, skip the unchanged, put back the
//! field groups Lark withheld (see `withheld.rs`), diff the changed against their stored
//! version, record one change per difference.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::tracker::{Decision, StoredVersion, Tracker, settle};
use super::withheld::WithheldTally;
use super::writer::Writer;
use crate::model::{
    AccountState, ChangeKind, ChangeRecord, FieldChange, FieldGroup, Presence, Subject,
    UserAccount, UserProfile,
};
use crate::ports::{RemoteUser, SyncStore, SyncStoreError};
use crate::values::{ContentHash, IntegrationId, OpenId, RunId};

/// An incoming account whose stored version must be read before it can be written.
struct Pending {
    profile: UserProfile,
    raw: Value,
}

pub(super) struct AccountIngest {
    integration: IntegrationId,
    run_id: RunId,
    leaders: HashSet<OpenId>,
    pub(super) tracker: Tracker<OpenId>,
    pending: Vec<Pending>,
    /// Records seen and found unchanged (the rest is counted when committed).
    pub(super) unchanged: u64,
    pub(super) withheld: WithheldTally,
}

fn state_json(state: &AccountState) -> Value {
    // Serialising plain data structs into a Value cannot fail.
    serde_json::to_value(state).unwrap_or(Value::Null)
}

impl AccountIngest {
    pub(super) fn new(
        integration: IntegrationId,
        run_id: RunId,
        leaders: HashSet<OpenId>,
        tracker: Tracker<OpenId>,
        accepted: &[FieldGroup],
    ) -> Self {
        Self {
            integration,
            run_id,
            leaders,
            tracker,
            pending: Vec::new(),
            unchanged: 0,
            withheld: WithheldTally::new(accepted),
        }
    }

    pub(super) fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn change(
        &self,
        id: &OpenId,
        kind: ChangeKind,
        fields: Vec<FieldChange>,
        now: DateTime<Utc>,
    ) -> ChangeRecord {
        ChangeRecord {
            run_id: self.run_id,
            integration_id: self.integration,
            subject: Subject::Account(id.clone()),
            kind,
            fields,
            recorded_at: now,
        }
    }

    /// Takes one listed user; duplicates (users in several departments) are ignored before any
    /// work is spent on them.
    pub(super) fn ingest(&mut self, user: RemoteUser, writer: &mut Writer, now: DateTime<Utc>) {
        if self.tracker.was_seen(&user.profile.open_id) {
            return;
        }
        let state = AccountState::derive(user.profile, &self.leaders);
        let hash = ContentHash::of_record(&state, &user.raw);
        match self.tracker.observe(state.open_id(), &hash) {
            None => {}
            Some(Decision::Unchanged) => {
                self.unchanged += 1;
                self.withheld
                    .unchanged(FieldGroup::USER, &state.profile.withheld);
            }
            Some(Decision::Added) => {
                writer.batch.changes.push(self.change(
                    state.open_id(),
                    ChangeKind::Added,
                    Vec::new(),
                    now,
                ));
                writer.batch.accounts.push(UserAccount {
                    integration_id: self.integration,
                    state,
                    raw: user.raw,
                    content_hash: hash,
                    first_seen_at: now,
                    last_changed_at: now,
                    removed_at: None,
                    presence: Presence::Present,
                });
            }
            Some(Decision::NeedsStored) => self.pending.push(Pending {
                profile: state.profile,
                raw: user.raw,
            }),
        }
    }

    /// Reads the stored versions of pending accounts and turns them into changed/restored rows
    /// (see [`settle`]).
    pub(super) async fn resolve_pending(
        &mut self,
        store: &dyn SyncStore,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) -> Result<(), SyncStoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let ids: Vec<OpenId> = pending.iter().map(|p| p.profile.open_id.clone()).collect();
        let mut stored: HashMap<OpenId, UserAccount> = store
            .load_accounts(self.integration, &ids)
            .await?
            .into_iter()
            .map(|account| (account.state.open_id().clone(), account))
            .collect();
        for item in pending {
            let old = stored.remove(&item.profile.open_id);
            self.settle_one(item, old, writer, now);
        }
        Ok(())
    }

    /// Puts back what Lark withheld, then writes the account if anything differs from its
    /// stored version.
    fn settle_one(
        &mut self,
        mut item: Pending,
        old: Option<UserAccount>,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) {
        if let Some(old) = &old {
            self.withheld.merge(
                FieldGroup::USER,
                &mut item.profile,
                &mut item.raw,
                &old.state.profile,
                &old.raw,
            );
        }
        let state = AccountState::derive(item.profile, &self.leaders);
        let hash = ContentHash::of_record(&state, &item.raw);
        if let Some(old) = &old
            && old.content_hash == hash
            && old.presence == Presence::Present
        {
            // Only withheld fields differed, and they were put back: nothing to write.
            self.unchanged += 1;
            return;
        }
        let settled = settle(
            old.as_ref().map(|old| StoredVersion {
                state: state_json(&old.state),
                raw: &old.raw,
                removed: old.presence != Presence::Present,
                first_seen_at: old.first_seen_at,
                last_changed_at: old.last_changed_at,
            }),
            &state_json(&state),
            &item.raw,
            now,
        );
        match settled.change {
            Some((kind, fields)) => {
                writer
                    .batch
                    .changes
                    .push(self.change(state.open_id(), kind, fields, now))
            }
            None => self.unchanged += 1,
        }
        writer.batch.accounts.push(UserAccount {
            integration_id: self.integration,
            state,
            raw: item.raw,
            content_hash: hash,
            first_seen_at: settled.first_seen_at,
            last_changed_at: settled.last_changed_at,
            removed_at: None,
            presence: Presence::Present,
        });
    }

    /// Marks accounts removed or out of the contact range (soft delete) with a change record
    /// each.
    pub(super) fn depart(
        &mut self,
        departed: Vec<(OpenId, Presence)>,
        writer: &mut Writer,
        now: DateTime<Utc>,
    ) {
        for (id, why) in &departed {
            writer
                .batch
                .changes
                .push(self.change(id, departure_kind(*why), Vec::new(), now));
        }
        writer.batch.removed_accounts.extend(departed);
    }
}

/// The change that records a departure.
pub(super) fn departure_kind(why: Presence) -> ChangeKind {
    match why {
        Presence::OutOfRange => ChangeKind::OutOfRange,
        Presence::Removed | Presence::Present => ChangeKind::Removed,
    }
}
