//! sea-orm entities: one module per table, mirroring the schema the migrations create.
//!
//! Timestamps are stored as `BIGINT` microseconds since the Unix epoch (UTC) on both backends,
//! so they compare and sort correctly everywhere; `mapping` converts them.

pub mod account_departments;
pub mod accounts;
pub mod admins;
pub mod api_keys;
pub mod changes;
pub mod departments;
pub mod directory_objects;
pub mod grants;
pub mod held_subjects;
pub mod integrations;
pub mod oauth_logins;
pub mod raw_dictionaries;
pub mod sessions;
pub mod sync_leases;
pub mod sync_runs;
