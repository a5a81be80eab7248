//! Sync runs: status, timings, counts and API statistics of one synchronisation.

use chrono::{DateTime, Utc};

use super::hold::Hold;
use super::integration::text_enum;
use crate::values::{IntegrationId, RunId};

text_enum!(
    /// Where a run stands.
    RunStatus, "run status" {
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Held => "held",
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// What started a run.
    RunTrigger, "run trigger" { Schedule => "schedule", Manual => "manual", Api => "api" }
);

/// Added/changed/removed/restored/out-of-range/unchanged counts for one kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntityCounts {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub restored: u64,
    /// Left the app's contact range (still in the tenant).
    #[serde(default)]
    pub out_of_range: u64,
    pub unchanged: u64,
}

impl EntityCounts {
    /// Records written or marked in the run.
    pub fn touched(&self) -> u64 {
        self.added + self.changed + self.removed + self.restored + self.out_of_range
    }

    /// Counts one change of kind `kind`.
    pub fn count(&mut self, kind: super::ChangeKind) {
        use super::ChangeKind;
        match kind {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Changed => self.changed += 1,
            ChangeKind::Removed => self.removed += 1,
            ChangeKind::Restored => self.restored += 1,
            ChangeKind::OutOfRange => self.out_of_range += 1,
        }
    }
}

impl std::ops::AddAssign for EntityCounts {
    fn add_assign(&mut self, other: Self) {
        self.added += other.added;
        self.changed += other.changed;
        self.removed += other.removed;
        self.restored += other.restored;
        self.out_of_range += other.out_of_range;
        self.unchanged += other.unchanged;
    }
}

/// Counts for users, departments, user groups and installed apps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncCounts {
    pub users: EntityCounts,
    pub departments: EntityCounts,
    #[serde(default)]
    pub groups: EntityCounts,
    #[serde(default)]
    pub apps: EntityCounts,
}

impl std::ops::AddAssign for SyncCounts {
    fn add_assign(&mut self, other: Self) {
        self.users += other.users;
        self.departments += other.departments;
        self.groups += other.groups;
        self.apps += other.apps;
    }
}

/// How hard a run worked the Lark API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiCounters {
    pub calls: u64,
    pub retries: u64,
    pub rate_limit_waits: u64,
}

/// One synchronisation of an integration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SyncRun {
    pub id: RunId,
    pub integration_id: IntegrationId,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub counts: SyncCounts,
    pub api: ApiCounters,
    /// Why the run failed or was held, in plain words.
    pub error: Option<String>,
    /// What the run went on despite, in plain words (e.g. the admin's Lark sign-in no longer
    /// works); empty for most runs.
    pub warnings: Vec<String>,
    /// A held run: what it did not apply.
    pub hold: Option<Hold>,
    /// The held run this run was started to confirm, and who confirmed it.
    pub confirms: Option<RunId>,
    pub confirmed_by: Option<String>,
}

impl SyncRun {
    pub fn start(
        id: RunId,
        integration_id: IntegrationId,
        trigger: RunTrigger,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            integration_id,
            trigger,
            status: RunStatus::Running,
            started_at: now,
            finished_at: None,
            counts: SyncCounts::default(),
            api: ApiCounters::default(),
            error: None,
            warnings: Vec::new(),
            hold: None,
            confirms: None,
            confirmed_by: None,
        }
    }
}
