//! Use cases: what users do with Aviary, expressed over the ports.

pub mod connect;
mod lookup;
mod queries;
mod register_integration;
pub mod sync;

pub use lookup::{LookupError, find_integration};
pub use queries::{AccountFilter, AccountWithHistory, DepartmentNotFound, Queries, QueriesError};
pub use register_integration::{NewIntegration, RegisterError, RegisterIntegration};
