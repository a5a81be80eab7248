//! Integration repository port: the registered integrations and their (encrypted) credentials.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fault::StoreFault;
use crate::model::{Integration, IntegrationStatus, IntegrationSummary, TenantInfo};
use crate::values::{IntegrationId, IntegrationLabel, SyncInterval};

/// Why an integration could not be stored or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrationStoreError {
    #[error("an integration labelled \"{0}\" already exists")]
    LabelTaken(IntegrationLabel),
    #[error("integration {0} does not exist")]
    NotFound(IntegrationId),
    /// A stored secret could not be decrypted (wrong or missing master key).
    #[error("cannot decrypt the stored credentials: {0}")]
    Undecryptable(String),
    #[error("database error")]
    Backend(#[from] StoreFault),
}

/// What an admin may change of a registered integration (the credentials and region are
/// fixed: a new app is a new integration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationSettings {
    pub label: IntegrationLabel,
    /// Minutes between scheduled syncs; `None` means on demand only.
    pub sync_interval: Option<SyncInterval>,
}

/// How much synced data an integration holds: what deleting it would remove.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredData {
    /// Accounts, those already removed from the tenant included.
    pub accounts: u64,
    /// Departments, those already removed from the tenant included.
    pub departments: u64,
    pub runs: u64,
    /// Recorded field-level changes (the history).
    pub changes: u64,
}

/// Stores integrations; secrets are encrypted at rest by the implementation.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait IntegrationRepository: Send + Sync {
    /// # Errors
    /// `LabelTaken` when the label is in use, `Backend` otherwise.
    async fn insert(&self, integration: &Integration) -> Result<(), IntegrationStoreError>;

    /// # Errors
    /// `Undecryptable` when the secret cannot be decrypted, `Backend` otherwise.
    async fn get(&self, id: IntegrationId) -> Result<Option<Integration>, IntegrationStoreError>;

    /// # Errors
    /// As [`IntegrationRepository::get`].
    async fn find_by_label(
        &self,
        label: &IntegrationLabel,
    ) -> Result<Option<Integration>, IntegrationStoreError>;

    /// All integrations without their secrets, ordered by label: nothing is decrypted, so a
    /// row whose secret cannot be decrypted is listed too.
    ///
    /// # Errors
    /// `Backend`.
    async fn list(&self) -> Result<Vec<IntegrationSummary>, IntegrationStoreError>;

    /// Records the integration's health and, when known, its tenant.
    ///
    /// # Errors
    /// `NotFound` when it does not exist, `Backend` otherwise.
    async fn set_status(
        &self,
        id: IntegrationId,
        status: IntegrationStatus,
        tenant: Option<TenantInfo>,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError>;

    /// Records a completed login: the tenant, who authorised it, and status `active`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist, `Backend` otherwise.
    async fn record_authorization(
        &self,
        id: IntegrationId,
        tenant: TenantInfo,
        authorized_by: String,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError>;

    /// Replaces the integration's label and sync schedule, and sets `updated_at` to `now`.
    ///
    /// # Errors
    /// `LabelTaken` when another integration has the label, `NotFound` when it does not
    /// exist, `Backend` otherwise; nothing is changed on any error.
    async fn update_settings(
        &self,
        id: IntegrationId,
        settings: &IntegrationSettings,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError>;

    /// Counts the synced data stored for the integration.
    ///
    /// # Errors
    /// `NotFound` when it does not exist, `Backend` otherwise.
    async fn stored_data(&self, id: IntegrationId) -> Result<StoredData, IntegrationStoreError>;

    /// Deletes the integration with its accounts, departments, runs and changes.
    ///
    /// # Errors
    /// `NotFound` when it does not exist, `Backend` otherwise.
    async fn delete(&self, id: IntegrationId) -> Result<(), IntegrationStoreError>;
}
