//! Aviary's database adapter: sea-orm repositories implementing the domain's
//! `IntegrationRepository`, `SyncStore` and `ReadModel` ports on SQLite (the embedded default)
//! and PostgreSQL, one set of migrations for both, and AES-256-GCM encryption of secrets at rest.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aviary_adapters_db::{Database, MasterKey};
//! let key = MasterKey::load_or_create(std::path::Path::new("aviary-data"))?;
//! let db = Database::open("sqlite://aviary-data/aviary.db", key).await?;
//! let integrations = db.integrations();
//! # let _ = integrations; Ok(()) }
//! ```

mod admins;
mod api_keys;
mod batch;
mod connect;
mod crypto;
mod entities;
mod error;
mod grants;
mod integrations;
mod mapping;
mod master_key;
mod migrations;
mod own_task;
mod read_model;
mod sessions;
mod sync_store;

pub use connect::{Backend, Database};
pub use error::DbError;
pub use master_key::{MASTER_KEY_FILE, MasterKey, MasterKeyError, ROTATION_DIR};
pub use migrations::Migrator;
pub use sync_store::INTERRUPTED_RUN_ERROR;
