//! Finding an integration by the `<ID|LABEL>` text users type.

use crate::model::Integration;
use crate::ports::{IntegrationRepository, IntegrationStoreError};
use crate::values::{IntegrationId, IntegrationLabel};

/// The text named no integration, or the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("no integration with id or label \"{0}\" (see `aviary integration list`)")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] IntegrationStoreError),
}

/// Resolves an integration by UUID, or else by label.
///
/// # Errors
/// `Unknown` when neither matches, `Store` when the repository fails.
pub async fn find_integration(
    repo: &dyn IntegrationRepository,
    key: &str,
) -> Result<Integration, LookupError> {
    if let Ok(id) = key.parse::<IntegrationId>() {
        return repo
            .get(id)
            .await?
            .ok_or_else(|| LookupError::Unknown(key.to_owned()));
    }
    let label = IntegrationLabel::parse(key).map_err(|_| LookupError::Unknown(key.to_owned()))?;
    repo.find_by_label(&label)
        .await?
        .ok_or_else(|| LookupError::Unknown(key.to_owned()))
}
