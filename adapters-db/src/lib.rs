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
//!
//! **A workspace that embeds `aviary-adapters-db` must carry Aviary's patch of `sqlx-core`** in
//! its root `Cargo.toml`, with a copy of `vendor/sqlx-core` (or a path to Aviary's):
//!
//! ```toml
//! [patch.crates-io]
//! sqlx-core = { path = "vendor/sqlx-core" }
//! ```
//!
//! Cargo reads `[patch]` only from the root manifest of the workspace being built, so this crate
//! cannot bring it along. Without it, `sqlx-core` 0.9.0 leaves `TCP_NODELAY` off, and every
//! PostgreSQL message that spans more than one TCP segment — a batch's multi-row insert, a
//! 500-id `IN (…)` list — waits about 40 ms for the server's delayed ACK (a 100k-user sync took
//! 34.5 s instead of 14–17 s). SQLite is not affected. Why and until when:
//! docs/adr/0004-vendored-sqlx-core-nodelay.md; what the patch changes: vendor/README.md.

mod admins;
mod api_keys;
mod backup;
mod batch;
mod connect;
mod crypto;
mod entities;
mod error;
mod grants;
mod integrations;
mod key_record;
mod key_usage;
mod keyring;
mod mapping;
mod master_key;
mod migrations;
mod own_task;
mod private_fs;
mod raw_json;
mod read_model;
mod run_history;
mod sessions;
mod sync_store;

pub use backup::BackupError;
pub use connect::{Backend, Database, PoolSettings};
pub use error::DbError;
pub use key_usage::{KeyCount, KeyUsage};
pub use master_key::{MASTER_KEY_FILE, MasterKey, MasterKeyError, RETIRED_DIR, ROTATION_DIR};
pub use migrations::Migrator;
pub use sync_store::INTERRUPTED_RUN_ERROR;
