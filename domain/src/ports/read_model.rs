//! Read-model port: queries over stored accounts, departments, user groups, installed apps,
//! runs and change history.

use async_trait::async_trait;

use super::fault::StoreFault;
use crate::model::{
    AccountCursor, AccountSort, AccountStatus, App, ChangePage, ChangePosition, ChangeRecord,
    Department, DepartmentOutline, Group, HeldSubject, LeaseView, Role, Subject, SyncRun,
    UserAccount,
};
use crate::values::{DepartmentId, GroupId, InstalledAppId, IntegrationId, OpenId, RunId};

/// Filters for listing accounts; all given filters must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountQuery {
    pub integration: IntegrationId,
    pub status: Option<AccountStatus>,
    pub role: Option<Role>,
    /// The account belongs to at least one of these departments.
    pub departments: Option<Vec<DepartmentId>>,
    /// The account is a member of a group: one of these users, or in one of these departments
    /// (the group's own and those below them).
    pub members_of: Option<GroupMembers>,
    /// Case-insensitive part of a name, English name, email, mobile, user id or employee
    /// number, or a whole open id or union id (opaque ids: a part of one names nothing).
    pub search: Option<String>,
    pub include_removed: bool,
    /// The order of the listing (see [`AccountSort`]: ties broken by `open_id`, missing values
    /// as empty text, text case-insensitive).
    pub sort: AccountSort,
    /// Keyset pagination: only accounts after this position. It must be a position in
    /// `sort` order (`after.sort() == sort`); the use case checks that.
    pub after: Option<AccountCursor>,
    pub limit: Option<u64>,
}

impl AccountQuery {
    /// All current accounts of an integration.
    pub fn all(integration: IntegrationId) -> Self {
        Self {
            integration,
            status: None,
            role: None,
            departments: None,
            members_of: None,
            search: None,
            include_removed: false,
            sort: AccountSort::default(),
            after: None,
            limit: None,
        }
    }
}

/// Who belongs to a group, as the account filter takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembers {
    pub users: Vec<OpenId>,
    pub departments: Vec<DepartmentId>,
}

/// A query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("database error")]
    Backend(#[from] StoreFault),
}

/// Read-only queries for the CLI, API and UI.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ReadModel: Send + Sync {
    /// Accounts matching the query, in its order. Lark's raw JSON is not read for queries:
    /// `raw` is `Null` in every account returned here (the sync store returns it).
    ///
    /// # Errors
    /// `Backend`, also when `after` is not a position in the query's order.
    async fn accounts(&self, query: &AccountQuery) -> Result<Vec<UserAccount>, QueryError>;

    /// One account (`raw` is `Null`, as in `accounts`).
    ///
    /// # Errors
    /// `Backend`.
    async fn account(
        &self,
        integration: IntegrationId,
        open_id: &OpenId,
    ) -> Result<Option<UserAccount>, QueryError>;

    /// The names of the given accounts (removed ones too) that exist; the others are left out.
    ///
    /// # Errors
    /// `Backend`.
    async fn account_names(
        &self,
        integration: IntegrationId,
        open_ids: &[OpenId],
    ) -> Result<Vec<(OpenId, Option<String>)>, QueryError>;

    /// Which departments each current (not removed) account belongs to, as
    /// `(open_id, open_department_id)` pairs.
    ///
    /// # Errors
    /// `Backend`.
    async fn memberships(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<(OpenId, DepartmentId)>, QueryError>;

    /// Changes recorded for one account, oldest first.
    ///
    /// # Errors
    /// `Backend`.
    async fn account_history(
        &self,
        integration: IntegrationId,
        open_id: &OpenId,
    ) -> Result<Vec<ChangeRecord>, QueryError>;

    /// Departments ordered by name, removed ones only when asked (`raw` is `Null`, as in
    /// `accounts`).
    ///
    /// # Errors
    /// `Backend`.
    async fn departments(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<Department>, QueryError>;

    /// Every department's outline (id, custom id, name, parent, removal), removed ones only
    /// when asked, in the order of [`ReadModel::departments`]; reads none of the stored JSON.
    ///
    /// # Errors
    /// `Backend`.
    async fn department_outlines(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<DepartmentOutline>, QueryError>;

    /// The names of the given departments (removed ones too) that exist; the others are left
    /// out.
    ///
    /// # Errors
    /// `Backend`.
    async fn department_names(
        &self,
        integration: IntegrationId,
        ids: &[DepartmentId],
    ) -> Result<Vec<(DepartmentId, Option<String>)>, QueryError>;

    /// Runs of an integration, newest first, at most `limit`.
    ///
    /// # Errors
    /// `Backend`.
    async fn runs(
        &self,
        integration: IntegrationId,
        limit: u64,
    ) -> Result<Vec<SyncRun>, QueryError>;

    /// The integration's sync lease as stored (released or expired ones too), if it ever had
    /// one: whether its `running` run still has a live process behind it.
    ///
    /// # Errors
    /// `Backend`.
    async fn lease(&self, integration: IntegrationId) -> Result<Option<LeaseView>, QueryError>;

    /// The newest run of an integration that succeeded, if any.
    ///
    /// # Errors
    /// `Backend`.
    async fn last_succeeded_run(
        &self,
        integration: IntegrationId,
    ) -> Result<Option<SyncRun>, QueryError>;

    /// How many current (not removed) accounts an integration has in each status; statuses
    /// without accounts are left out.
    ///
    /// # Errors
    /// `Backend`.
    async fn account_status_counts(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<(AccountStatus, u64)>, QueryError>;

    /// # Errors
    /// `Backend`.
    async fn run(&self, id: RunId) -> Result<Option<SyncRun>, QueryError>;

    /// One keyset page of the changes a run recorded, in the order they were recorded: at most
    /// `limit` changes that come after `after` (from the first when `None`), with the position
    /// to continue after when more follow. An unknown run has an empty last page.
    ///
    /// # Errors
    /// `Backend`.
    async fn run_changes(
        &self,
        id: RunId,
        after: Option<ChangePosition>,
        limit: u64,
    ) -> Result<ChangePage, QueryError>;

    /// Changes recorded for one record (any subject), oldest first.
    ///
    /// # Errors
    /// `Backend`.
    async fn subject_history(
        &self,
        integration: IntegrationId,
        subject: &Subject,
    ) -> Result<Vec<ChangeRecord>, QueryError>;

    /// User groups ordered by name, removed ones only when asked.
    ///
    /// # Errors
    /// `Backend`.
    async fn groups(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<Group>, QueryError>;

    /// # Errors
    /// `Backend`.
    async fn group(
        &self,
        integration: IntegrationId,
        id: &GroupId,
    ) -> Result<Option<Group>, QueryError>;

    /// Installed applications ordered by name, removed ones only when asked.
    ///
    /// # Errors
    /// `Backend`.
    async fn apps(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<App>, QueryError>;

    /// # Errors
    /// `Backend`.
    async fn app(
        &self,
        integration: IntegrationId,
        id: &InstalledAppId,
    ) -> Result<Option<App>, QueryError>;

    /// What a held run would have marked, accounts first, each ordered by id; at most `limit`.
    ///
    /// # Errors
    /// `Backend`.
    async fn held_subjects(&self, id: RunId, limit: u64) -> Result<Vec<HeldSubject>, QueryError>;
}
