//! Use cases: what users do with Aviary, expressed over the ports.

pub mod admins;
mod api_keys;
pub mod connect;
pub mod doctor;
mod fixed_windows;
mod integration_health;
mod integrations;
mod inventory_queries;
mod lookup;
mod member_counts;
mod prune_history;
mod queries;
mod register_integration;
mod remove_integration;
mod run_cache;
mod schedule;
pub mod sync;
mod update_integration;

pub use admins::{
    AdminAccounts, AdminError, CsrfMismatch, PasswordReset, ResetPasswordError, SessionError,
    SignIn, SignInError,
};
pub use api_keys::{
    ApiKeyError, ApiKeys, AuthError, CreatedKey, LAST_USED_RESOLUTION, MAX_KEY_LIFETIME_DAYS,
    NewApiKey, OverBudget, RequestBudget, ScopeError, authorize,
};
pub use integration_health::{HealthError, HealthReport, IntegrationHealth, Problem};
pub use integrations::{Integrations, Readiness};
pub use inventory_queries::{AppWithHistory, GroupWithHistory};
pub use lookup::{LookupError, find_integration};
pub use member_counts::MemberCounts;
pub use prune_history::{PruneHistory, RetentionDays, RetentionDaysError};
pub use queries::{AccountFilter, AccountWithHistory, DepartmentNotFound, Queries, QueriesError};
pub use register_integration::{NewIntegration, RegisterError, RegisterIntegration};
pub use remove_integration::{RemoveError, RemoveIntegration};
pub use schedule::{DueSync, Schedule, ScheduleError};
pub use update_integration::{IntegrationChanges, UpdateError, UpdateIntegration};
