//! `Integrations`: the registered integrations, listed (secret-free) or found by the
//! `<ID|LABEL>` text users type; and `Readiness`, whether this process can serve requests.

use std::sync::Arc;

use crate::model::{Integration, IntegrationSummary};
use crate::ports::{IntegrationRepository, IntegrationStoreError, StoreHealth, StoreUnavailable};
use crate::values::IntegrationId;

use super::lookup::{LookupError, find_integration};

/// Lists and finds integrations.
#[derive(Clone)]
pub struct Integrations {
    repo: Arc<dyn IntegrationRepository>,
}

impl std::fmt::Debug for Integrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integrations").finish_non_exhaustive()
    }
}

impl Integrations {
    pub fn new(repo: Arc<dyn IntegrationRepository>) -> Self {
        Self { repo }
    }

    /// Every integration, ordered by label, without decrypting any secret.
    ///
    /// # Errors
    /// The store's error.
    pub async fn list(&self) -> Result<Vec<IntegrationSummary>, IntegrationStoreError> {
        self.repo.list().await
    }

    /// The integration with this id, if any.
    ///
    /// # Errors
    /// The store's error.
    pub async fn get(
        &self,
        id: IntegrationId,
    ) -> Result<Option<Integration>, IntegrationStoreError> {
        self.repo.get(id).await
    }

    /// The integration `key` names: its UUID, or else its label.
    ///
    /// # Errors
    /// `Unknown` when none matches, `Store` when the store fails.
    pub async fn find(&self, key: &str) -> Result<Integration, LookupError> {
        find_integration(self.repo.as_ref(), key).await
    }
}

/// Whether the process can serve requests: its database answers.
#[derive(Clone)]
pub struct Readiness {
    store: Arc<dyn StoreHealth>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness").finish_non_exhaustive()
    }
}

impl Readiness {
    pub fn new(store: Arc<dyn StoreHealth>) -> Self {
        Self { store }
    }

    /// # Errors
    /// [`StoreUnavailable`] when the database does not answer.
    pub async fn check(&self) -> Result<(), StoreUnavailable> {
        self.store.ping().await
    }
}
