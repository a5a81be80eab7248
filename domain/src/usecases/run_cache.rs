//! Values derived from an integration's stored directory, kept until its next run: only a run
//! writes accounts and departments, so what was read after the newest run had finished stays
//! true until another run is the newest. One entry per integration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::model::SyncRun;
use crate::values::{IntegrationId, RunId};

/// An integration's value and the run it was read after.
type Kept<T> = (RunId, Arc<T>);

#[derive(Debug)]
pub(super) struct RunCache<T>(Arc<Mutex<HashMap<IntegrationId, Kept<T>>>>);

impl<T> Default for RunCache<T> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<T> Clone for RunCache<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

/// The run a value read now may be kept for: the newest run, once it has finished (while one
/// is going, its batches change the directory).
pub(super) fn settled(newest: Option<&SyncRun>) -> Option<RunId> {
    newest
        .filter(|run| run.finished_at.is_some())
        .map(|run| run.id)
}

impl<T> RunCache<T> {
    pub(super) fn get(&self, integration: IntegrationId, run: RunId) -> Option<Arc<T>> {
        // A poisoned lock only means another caller panicked mid-insert: read afresh.
        let entries = self.0.lock().ok()?;
        entries
            .get(&integration)
            .filter(|(read_after, _)| *read_after == run)
            .map(|(_, value)| Arc::clone(value))
    }

    pub(super) fn put(&self, integration: IntegrationId, run: RunId, value: Arc<T>) {
        if let Ok(mut entries) = self.0.lock() {
            entries.insert(integration, (run, value));
        }
    }
}
