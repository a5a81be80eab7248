//! The Lark Open Platform client: `LarkGateway` implements the directory port's
//! `DirectoryGateway` (it owns the HTTP client, the tenant-token cache and the pacers shared by
//! all sessions) and opens `LarkSession`s (`DirectorySession`).

mod body;
mod budget;
#[cfg(test)]
mod decoder_properties;
mod errors;
mod mapping;
mod mapping_inventory;
mod oauth;
mod observer;
mod pacing;
mod retry;
mod session;
mod settings;
mod token;
mod transport;
mod wire;
mod wire_inventory;

use std::sync::Arc;

use async_trait::async_trait;
use aviary_domain::ports::{
    DirectoryConnection, DirectoryError, DirectoryGateway, DirectorySession,
};

pub use observer::{AttemptOutcome, CallObserver, Unobserved};
pub use settings::LarkClientSettings;

use pacing::PacerRegistry;
use session::LarkSession;
use token::TokenCache;
use transport::Transport;

/// Why a `LarkGateway` could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LarkClientError {
    #[error("invalid Lark client settings: {0}")]
    InvalidSettings(String),
    #[error("could not build the HTTP client for Lark: {0}")]
    Http(#[source] reqwest::Error),
}

/// Opens directory sessions against Lark/Feishu tenants. Cheap to clone; clones share the HTTP
/// connection pool, the tenant-token cache and the pacers.
#[derive(Debug, Clone)]
pub struct LarkGateway {
    http: reqwest::Client,
    settings: Arc<LarkClientSettings>,
    tokens: Arc<TokenCache>,
    pacers: Arc<PacerRegistry>,
    observer: Arc<dyn CallObserver>,
}

impl LarkGateway {
    /// Builds the HTTP client (rustls, no redirects: an answer is never followed elsewhere with
    /// the token) with the settings' timeouts.
    ///
    /// # Errors
    /// [`LarkClientError`] when the settings are unusable or the TLS backend cannot start.
    pub fn new(settings: LarkClientSettings) -> Result<Self, LarkClientError> {
        settings
            .validate()
            .map_err(LarkClientError::InvalidSettings)?;
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout())
            .connect_timeout(settings.connect_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aviary/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(LarkClientError::Http)?;
        Ok(Self {
            http,
            settings: Arc::new(settings),
            tokens: Arc::new(TokenCache::default()),
            pacers: Arc::new(PacerRegistry::default()),
            observer: Arc::new(Unobserved),
        })
    }

    /// Tells `observer` about every request of every session (metrics).
    #[must_use]
    pub fn observed_by(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = observer;
        self
    }

    pub fn settings(&self) -> &LarkClientSettings {
        &self.settings
    }
}

#[async_trait]
impl DirectoryGateway for LarkGateway {
    /// Resolves the host (override, else the region's), then gets a tenant token — the cached
    /// one if it was obtained with the same secret, else a fresh one — so that wrong credentials
    /// fail here with `InvalidCredentials`.
    async fn open(
        &self,
        connection: &DirectoryConnection,
    ) -> Result<Arc<dyn DirectorySession>, DirectoryError> {
        let transport = self.transport(connection)?;
        transport.bearer().await?;
        Ok(Arc::new(LarkSession::new(transport)))
    }

    /// As `open`, with a token fetched now: a cached token would hide a reset secret.
    async fn open_verified(
        &self,
        connection: &DirectoryConnection,
    ) -> Result<Arc<dyn DirectorySession>, DirectoryError> {
        let transport = self.transport(connection)?;
        transport.fresh_bearer().await?;
        Ok(Arc::new(LarkSession::new(transport)))
    }
}

impl LarkGateway {
    /// The transport of one session: the connection's host, credentials, shared token slot
    /// and pacer.
    fn transport(&self, connection: &DirectoryConnection) -> Result<Transport, DirectoryError> {
        let base = transport::connection_base_url(connection, self.settings.base_url_policy())?;
        let app_id = connection.app_id.as_str();
        let pacer = connection.rate_limits.map(|limits| {
            self.pacers
                .pacer(base.as_str(), app_id, limits, self.settings.pacing_margin())
        });
        let transport = Transport::new(
            self.http.clone(),
            Arc::clone(&self.settings),
            base.clone(),
            connection.app_id.clone(),
            connection.app_secret.clone(),
            self.tokens.slot(base.as_str(), app_id),
            pacer,
            Arc::clone(&self.observer),
        );
        Ok(transport)
    }
}
