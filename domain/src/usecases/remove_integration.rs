//! `RemoveIntegration`: delete an integration with everything synced for it, and say first
//! how much that is (confirmation pages and prompts).

use std::sync::Arc;

use crate::ports::{IntegrationRepository, IntegrationStoreError, StoredData};
use crate::values::IntegrationId;

/// Why an integration was not removed (or its data not counted). Nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoveError {
    #[error("integration {0} does not exist")]
    NotFound(IntegrationId),
    #[error(transparent)]
    Store(IntegrationStoreError),
}

impl From<IntegrationStoreError> for RemoveError {
    fn from(err: IntegrationStoreError) -> Self {
        match err {
            IntegrationStoreError::NotFound(id) => Self::NotFound(id),
            other => Self::Store(other),
        }
    }
}

/// Removes integrations.
#[derive(Clone)]
pub struct RemoveIntegration {
    repo: Arc<dyn IntegrationRepository>,
}

impl std::fmt::Debug for RemoveIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoveIntegration").finish_non_exhaustive()
    }
}

impl RemoveIntegration {
    pub fn new(repo: Arc<dyn IntegrationRepository>) -> Self {
        Self { repo }
    }

    /// What removing the integration would delete.
    ///
    /// # Errors
    /// `NotFound`, or `Store` when the store fails.
    pub async fn stored_data(&self, id: IntegrationId) -> Result<StoredData, RemoveError> {
        Ok(self.repo.stored_data(id).await?)
    }

    /// Deletes the integration with its accounts, departments, runs, changes, grant and
    /// logins in progress, in one transaction.
    ///
    /// # Errors
    /// `NotFound` (also when removed concurrently), or `Store` when the store fails (then
    /// nothing was deleted).
    pub async fn execute(&self, id: IntegrationId) -> Result<(), RemoveError> {
        Ok(self.repo.delete(id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockIntegrationRepository;

    fn id() -> IntegrationId {
        IntegrationId::from_uuid(uuid::Uuid::from_u128(3))
    }

    #[tokio::test]
    async fn removes_through_the_store_and_names_a_missing_integration() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_delete()
            .withf(|id_| *id_ == id())
            .times(1)
            .returning(|_| Ok(()));
        RemoveIntegration::new(Arc::new(repo))
            .execute(id())
            .await
            .unwrap();

        let mut gone = MockIntegrationRepository::new();
        gone.expect_delete()
            .returning(|id| Err(IntegrationStoreError::NotFound(id)));
        gone.expect_stored_data()
            .returning(|id| Err(IntegrationStoreError::NotFound(id)));
        let case = RemoveIntegration::new(Arc::new(gone));
        assert_eq!(
            case.execute(id()).await.unwrap_err(),
            RemoveError::NotFound(id())
        );
        assert_eq!(
            case.stored_data(id()).await.unwrap_err(),
            RemoveError::NotFound(id())
        );
    }

    #[tokio::test]
    async fn counts_what_would_be_removed_and_passes_store_failures_on() {
        let counts = StoredData {
            accounts: 40,
            departments: 6,
            runs: 2,
            changes: 45,
        };
        let mut repo = MockIntegrationRepository::new();
        repo.expect_stored_data().returning(move |_| Ok(counts));
        repo.expect_delete().returning(|_| {
            Err(IntegrationStoreError::Backend(
                crate::ports::StoreFault::failed("locked"),
            ))
        });
        let case = RemoveIntegration::new(Arc::new(repo));
        assert_eq!(case.stored_data(id()).await.unwrap(), counts);
        assert_eq!(
            case.execute(id()).await.unwrap_err(),
            RemoveError::Store(IntegrationStoreError::Backend(
                crate::ports::StoreFault::failed("locked")
            ))
        );
    }
}
