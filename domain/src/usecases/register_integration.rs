//! `RegisterIntegration`: validate a new integration, check its credentials against Lark and
//! store it (secret encrypted by the repository).

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::model::{Integration, IntegrationStatus, Region, TenantInfo};
use crate::ports::{
    Clock, DirectoryConnection, DirectoryError, DirectoryGateway, IdSource, IntegrationRepository,
    IntegrationStoreError, RateLimits,
};
use crate::values::{AppId, AppIdError, IntegrationId, IntegrationLabel, LabelError};

/// What an admin supplies to register an integration.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    pub label: String,
    pub region: Region,
    pub base_url: Option<String>,
    pub app_id: String,
    pub app_secret: SecretString,
    /// Check the credentials (and read the tenant) against Lark before storing.
    pub verify: bool,
    pub rate_limits: Option<RateLimits>,
}

/// Why an integration was not registered. Nothing is stored in any of these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("invalid label: {0}")]
    Label(#[from] LabelError),
    #[error("invalid App ID: {0}")]
    AppId(#[from] AppIdError),
    #[error("the App Secret is empty")]
    EmptySecret,
    #[error("invalid base URL \"{0}\": expected http:// or https:// followed by a host")]
    BaseUrl(String),
    #[error("an integration labelled \"{0}\" already exists")]
    LabelTaken(IntegrationLabel),
    #[error("could not verify the credentials with Lark: {0}")]
    Verification(DirectoryError),
    #[error(transparent)]
    Store(IntegrationStoreError),
}

/// Registers integrations.
#[derive(Clone)]
pub struct RegisterIntegration {
    repo: Arc<dyn IntegrationRepository>,
    directory: Arc<dyn DirectoryGateway>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
}

impl std::fmt::Debug for RegisterIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterIntegration")
            .finish_non_exhaustive()
    }
}

fn normalise_base_url(raw: &str) -> Result<String, RegisterError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| RegisterError::BaseUrl(raw.to_owned()))?;
    if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RegisterError::BaseUrl(raw.to_owned()));
    }
    Ok(trimmed.to_owned())
}

impl RegisterIntegration {
    pub fn new(
        repo: Arc<dyn IntegrationRepository>,
        directory: Arc<dyn DirectoryGateway>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Self {
        Self {
            repo,
            directory,
            clock,
            ids,
        }
    }

    /// Validates, optionally verifies with Lark, and stores a new integration.
    ///
    /// # Errors
    /// [`RegisterError`]; nothing is stored when an error is returned.
    pub async fn execute(&self, new: NewIntegration) -> Result<Integration, RegisterError> {
        let label = IntegrationLabel::parse(&new.label)?;
        let app_id = AppId::parse(&new.app_id)?;
        if new.app_secret.expose_secret().trim().is_empty() {
            return Err(RegisterError::EmptySecret);
        }
        let base_url = new
            .base_url
            .as_deref()
            .map(normalise_base_url)
            .transpose()?;
        if self
            .repo
            .find_by_label(&label)
            .await
            .map_err(RegisterError::Store)?
            .is_some()
        {
            return Err(RegisterError::LabelTaken(label));
        }
        let tenant = if new.verify {
            let connection = DirectoryConnection {
                region: new.region,
                base_url: base_url.clone(),
                app_id: app_id.clone(),
                app_secret: new.app_secret.clone(),
                rate_limits: new.rate_limits,
            };
            self.read_tenant(&connection).await?
        } else {
            None
        };
        let now = self.clock.now();
        let integration = Integration {
            id: IntegrationId::from_uuid(self.ids.new_uuid()),
            label,
            region: new.region,
            base_url,
            app_id,
            app_secret: new.app_secret,
            status: IntegrationStatus::PendingAuthorization,
            tenant,
            authorized_by: None,
            sync_interval_minutes: Some(60),
            created_at: now,
            updated_at: now,
        };
        self.repo.insert(&integration).await.map_err(|e| match e {
            IntegrationStoreError::LabelTaken(label) => RegisterError::LabelTaken(label),
            other => RegisterError::Store(other),
        })?;
        Ok(integration)
    }

    /// Opens a session (proving the credentials) and reads the tenant; a missing tenant scope
    /// is not fatal since syncing does not need it.
    async fn read_tenant(
        &self,
        connection: &DirectoryConnection,
    ) -> Result<Option<TenantInfo>, RegisterError> {
        let session = self
            .directory
            .open(connection)
            .await
            .map_err(RegisterError::Verification)?;
        match session.tenant().await {
            Ok(tenant) => Ok(Some(tenant)),
            Err(DirectoryError::MissingScope { .. }) => Ok(None),
            Err(other) => Err(RegisterError::Verification(other)),
        }
    }
}
