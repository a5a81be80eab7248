//! The permission doctor: for one integration, checks each capability the sync and the admin's
//! login need — app credentials, tenant, contact range, department and user listings, every
//! field the sync stores, the OAuth grant — by probing Lark the way Lark reveals a missing
//! permission (an error naming the scope, fields left out of answers, an empty contact range),
//! and says in plain words what is missing and which console step fixes it. Read-only: a
//! handful of small requests, nothing stored. Described in docs/architecture.md § The
//! permission doctor.

mod fields;
mod fixes;
mod lark;
mod login;
mod report;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::ports::{
    Clock, DirectoryConnection, DirectoryGateway, GrantStore, GrantStoreError,
    IntegrationRepository, IntegrationStoreError, RateLimits,
};
use crate::values::IntegrationId;

pub use report::{Capability, Check, DoctorReport, Outcome};

/// Why no report could be made (Lark's answers never fail the doctor: they are its findings).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoctorError {
    #[error("integration {0} does not exist")]
    UnknownIntegration(IntegrationId),
    /// The integration could not be read (database, master key).
    #[error(transparent)]
    Integrations(IntegrationStoreError),
    /// The admin's grant could not be read (database, master key).
    #[error(transparent)]
    Grants(GrantStoreError),
}

/// Runs the permission doctor.
#[derive(Clone)]
pub struct Doctor {
    integrations: Arc<dyn IntegrationRepository>,
    grants: Arc<dyn GrantStore>,
    directory: Arc<dyn DirectoryGateway>,
    clock: Arc<dyn Clock>,
    rate_limits: Option<RateLimits>,
}

impl std::fmt::Debug for Doctor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doctor")
            .field("rate_limits", &self.rate_limits)
            .finish_non_exhaustive()
    }
}

impl Doctor {
    /// `rate_limits` paces the probes like a sync's requests (`None`: unpaced).
    pub fn new(
        integrations: Arc<dyn IntegrationRepository>,
        grants: Arc<dyn GrantStore>,
        directory: Arc<dyn DirectoryGateway>,
        clock: Arc<dyn Clock>,
        rate_limits: Option<RateLimits>,
    ) -> Self {
        Self {
            integrations,
            grants,
            directory,
            clock,
            rate_limits,
        }
    }

    /// Only the `user_login` check of integration `id`: the admin's sign-in judged from the
    /// store, without asking Lark anything (for pages that show it next to other facts).
    ///
    /// # Errors
    /// `UnknownIntegration`, `Integrations`, `Grants`.
    pub async fn sign_in(&self, id: IntegrationId) -> Result<Check, DoctorError> {
        let integration = self
            .integrations
            .get(id)
            .await
            .map_err(DoctorError::Integrations)?
            .ok_or(DoctorError::UnknownIntegration(id))?;
        let grant = self.grants.grant(id).await.map_err(DoctorError::Grants)?;
        let console = fixes::Console::new(integration.region, integration.app_id.as_str());
        Ok(login::check(
            grant.as_ref(),
            integration.status,
            self.clock.now(),
            &console,
        ))
    }

    /// Checks every capability of integration `id`.
    ///
    /// # Errors
    /// `UnknownIntegration`, `Integrations`, `Grants`; what Lark answers is reported, never an
    /// error.
    pub async fn run(&self, id: IntegrationId) -> Result<DoctorReport, DoctorError> {
        let integration = self
            .integrations
            .get(id)
            .await
            .map_err(DoctorError::Integrations)?
            .ok_or(DoctorError::UnknownIntegration(id))?;
        let grant = self.grants.grant(id).await.map_err(DoctorError::Grants)?;
        let console = fixes::Console::new(integration.region, integration.app_id.as_str());
        let connection = DirectoryConnection::of(&integration, self.rate_limits);
        let mut checks = lark::probe(self.directory.as_ref(), &connection, &console).await;
        let now = self.clock.now();
        checks.push(login::check(
            grant.as_ref(),
            integration.status,
            now,
            &console,
        ));
        Ok(DoctorReport::new(
            integration.id,
            integration.label.as_str().to_owned(),
            now,
            checks,
        ))
    }
}
