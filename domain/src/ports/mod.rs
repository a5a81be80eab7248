//! Ports: the contracts between the domain and the outside world (adapters implement them).

mod admins;
mod api_keys;
mod clock;
mod directory;
mod fault;
mod grants;
mod integrations;
mod lease_holders;
mod oauth;
mod passwords;
mod progress;
mod read_model;
mod run_history;
mod sessions;
mod store_health;
mod sync_store;
mod timer;

pub use admins::{AdminStore, AdminStoreError};
pub use api_keys::{ApiKeyStore, ApiKeyStoreError};
pub use clock::{Clock, IdSource};
pub use directory::{
    ContactScope, DirectoryConnection, DirectoryError, DirectoryGateway, DirectorySession,
    RateLimits, Recheck, RemoteApp, RemoteDepartment, RemoteGroup, RemoteUser, UserPage,
};
pub use fault::{FaultKind, StoreFault};
pub use grants::{GrantStore, GrantStoreError};
pub use integrations::{
    IntegrationRepository, IntegrationSettings, IntegrationStoreError, StoredData,
};
pub use lease_holders::{LeaseHolders, NoLeaseHolders};
pub use oauth::{AuthorizeRequest, IssuedTokens, OAuthError, OAuthGateway};
pub use passwords::{PasswordHashError, PasswordHasher};
pub use progress::{NoProgress, SyncPhase, SyncProgress};
pub use read_model::{AccountQuery, GroupMembers, QueryError, ReadModel};
pub use run_history::{PruneFailed, Pruned, RunHistoryStore};
pub use sessions::{SessionStore, SessionStoreError};
pub use store_health::{StoreHealth, StoreUnavailable};
pub use sync_store::{Lease, StoredHash, StoredHold, SyncStore, SyncStoreError, WriteBatch};
pub use timer::Timer;

#[cfg(any(test, feature = "mock"))]
pub use admins::MockAdminStore;
#[cfg(any(test, feature = "mock"))]
pub use api_keys::MockApiKeyStore;
#[cfg(any(test, feature = "mock"))]
pub use clock::{MockClock, MockIdSource};
#[cfg(any(test, feature = "mock"))]
pub use directory::{MockDirectoryGateway, MockDirectorySession};
#[cfg(any(test, feature = "mock"))]
pub use grants::MockGrantStore;
#[cfg(any(test, feature = "mock"))]
pub use integrations::MockIntegrationRepository;
#[cfg(any(test, feature = "mock"))]
pub use lease_holders::MockLeaseHolders;
#[cfg(any(test, feature = "mock"))]
pub use oauth::MockOAuthGateway;
#[cfg(any(test, feature = "mock"))]
pub use passwords::MockPasswordHasher;
#[cfg(any(test, feature = "mock"))]
pub use read_model::MockReadModel;
#[cfg(any(test, feature = "mock"))]
pub use run_history::MockRunHistoryStore;
#[cfg(any(test, feature = "mock"))]
pub use sessions::MockSessionStore;
#[cfg(any(test, feature = "mock"))]
pub use store_health::MockStoreHealth;
#[cfg(any(test, feature = "mock"))]
pub use sync_store::MockSyncStore;
