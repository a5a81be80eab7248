//! Use cases: what users do with Aviary, expressed over the ports.

pub mod admins;
mod api_keys;
pub mod connect;
mod lookup;
mod queries;
mod register_integration;
pub mod sync;

pub use admins::{AdminAccounts, AdminError, CsrfMismatch, SessionError, SignIn, SignInError};
pub use api_keys::{ApiKeyError, ApiKeys, AuthError, CreatedKey, LAST_USED_RESOLUTION};
pub use lookup::{LookupError, find_integration};
pub use queries::{AccountFilter, AccountWithHistory, DepartmentNotFound, Queries, QueriesError};
pub use register_integration::{NewIntegration, RegisterError, RegisterIntegration};
