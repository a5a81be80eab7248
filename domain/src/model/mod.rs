//! Entities of the domain: integrations, accounts, departments, sync runs and recorded changes.

mod account;
mod change;
mod department;
mod grant;
mod integration;
mod run;

pub use account::{AccountState, AccountStatus, Role, StatusFlags, UserAccount, UserProfile};
pub use change::{ChangeKind, ChangeRecord, FieldChange, Subject, field_changes};
pub use department::{Department, DepartmentState};
pub use grant::{AuthorizedUser, Grant, LOGIN_TIMEOUT_MINUTES, PendingLogin, TokenSet};
pub use integration::{Integration, IntegrationStatus, Region, TenantInfo, UnknownValue};
pub use run::{ApiCounters, EntityCounts, RunStatus, RunTrigger, SyncCounts, SyncRun};
