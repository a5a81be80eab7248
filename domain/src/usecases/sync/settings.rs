//! Tunables of a sync run.

use std::time::Duration;

/// How a sync behaves. The apps build it from the `[sync]` settings (`app-http/src/settings.rs`,
/// docs/configuration.md); `Default` serves tests.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSettings {
    /// Removals above this share of the stored accounts (or departments) hold the run.
    pub removal_threshold_percent: f64,
    /// Department listings fetched concurrently (the adapter still paces requests).
    pub concurrency: usize,
    /// Rows per write transaction.
    pub batch_size: usize,
    /// How long a run's lease lasts without renewal.
    pub lease_ttl: Duration,
    /// Who holds the lease (host and process), shown when another run is refused.
    pub owner: String,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            removal_threshold_percent: 20.0,
            concurrency: 8,
            batch_size: 500,
            lease_ttl: Duration::from_secs(300),
            owner: "aviary".to_owned(),
        }
    }
}
