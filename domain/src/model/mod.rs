//! Entities of the domain: integrations, accounts, departments, sync runs and recorded changes.

mod account;
mod account_sort;
mod admin;
mod api_key;
mod app;
mod change;
mod change_page;
mod department;
mod field_group;
mod grant;
mod group;
mod hold;
mod integration;
mod record;
mod run;
mod schedule;
mod session;

pub use account::{
    AccountState, AccountStatus, Presence, Role, StatusFlags, UserAccount, UserProfile,
};
pub use account_sort::{AccountCursor, AccountSort, SortKey, SortValue};
pub use admin::{Admin, MAX_FAILED_SIGN_INS, SIGN_IN_LOCK_MINUTES};
pub use api_key::{ApiKey, ApiOperation, KeyCreator, KeyScope, KeyStatus};
pub use app::{App, AppOwner, AppOwnerKind, AppScene, AppState, AppStatus, AppVisibility};
pub use change::{ChangeKind, ChangeRecord, FieldChange, Subject, field_changes};
pub use change_page::{ChangePage, ChangePosition};
pub use department::{Department, DepartmentOutline, DepartmentState};
pub use field_group::FieldGroup;
pub use grant::{AuthorizedUser, Grant, LOGIN_TIMEOUT_MINUTES, PendingLogin, TokenSet};
pub use group::{Group, GroupKind, GroupState};
pub use hold::{Departures, HeldSubject, Hold, WithheldGroup};
pub(crate) use integration::text_enum;
pub use integration::{
    Integration, IntegrationStatus, IntegrationSummary, Region, TenantInfo, UnknownValue,
};
pub use record::Record;
pub use run::{ApiCounters, EntityCounts, RunStatus, RunTrigger, SyncCounts, SyncRun};
pub use schedule::{LeaseView, RUNS_FOR_SCHEDULE, RunHistory, is_scheduled, next_sync_at};
pub use session::{
    SESSION_ABSOLUTE_DAYS, SESSION_IDLE_HOURS, SESSION_TOUCH_INTERVAL_SECS, Session,
};
