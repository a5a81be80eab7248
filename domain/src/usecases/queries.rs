//! Read-side use cases: accounts with filters (department = subtree) in a chosen order with
//! keyset pages, one account with its history, departments with member counts, runs and
//! keyset pages of their changes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::member_counts::MemberCounts;
use super::run_cache::{RunCache, settled};
use crate::model::{
    AccountCursor, AccountSort, AccountStatus, ChangePage, ChangePosition, ChangeRecord,
    Department, DepartmentOutline, HeldSubject, Role, SyncRun, UserAccount,
};
use crate::ports::{AccountQuery, QueryError, ReadModel};
use crate::values::{DepartmentId, IntegrationId, OpenId, RunId};

/// Filters as users state them; `department` is an `open_department_id`, a custom department id
/// or a department name (case-insensitive) and matches its whole subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub status: Option<AccountStatus>,
    pub role: Option<Role>,
    pub department: Option<String>,
    /// A user group (`id`, custom `group_id` or name): its user members and everyone in its
    /// member departments (and below them).
    pub group: Option<String>,
    pub search: Option<String>,
    pub include_removed: bool,
    /// The order of the listing; `open_id` ascending by default.
    pub sort: AccountSort,
}

/// The department filter named no department.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no department with id or name \"{0}\" (see `aviary departments list`)")]
pub struct DepartmentNotFound(pub String);

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueriesError {
    #[error(transparent)]
    UnknownDepartment(#[from] DepartmentNotFound),
    #[error("no account with open_id \"{0}\" in this integration")]
    UnknownAccount(String),
    #[error("no sync run with id {0}")]
    UnknownRun(RunId),
    #[error("no user group with id or name \"{0}\" in this integration (see `aviary groups list`)")]
    UnknownGroup(String),
    /// The account filter's `group` names no group (a bad filter, not a missing page).
    #[error("no user group with id or name \"{0}\" to filter by (see `aviary groups list`)")]
    UnknownGroupFilter(String),
    #[error("no installed app with id \"{0}\" in this integration (see `aviary apps list`)")]
    UnknownApp(String),
    /// A page cursor made for another order than the one asked for.
    #[error(
        "the cursor continues a listing sorted by {cursor}, not by {requested}; \
         ask for that order or start from the first page"
    )]
    CursorMismatch {
        cursor: AccountSort,
        requested: AccountSort,
    },
    #[error(transparent)]
    Store(#[from] QueryError),
}

/// An account and every change recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountWithHistory {
    pub account: UserAccount,
    pub history: Vec<ChangeRecord>,
}

/// Read-side queries over the stored directory.
#[derive(Clone)]
pub struct Queries {
    pub(in crate::usecases) read: Arc<dyn ReadModel>,
    member_counts: RunCache<MemberCounts>,
    outlines: RunCache<Vec<DepartmentOutline>>,
}

impl std::fmt::Debug for Queries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queries").finish_non_exhaustive()
    }
}

/// The department and all its descendants (by `parent_id`).
pub(in crate::usecases) fn subtree(
    departments: &[DepartmentOutline],
    root: &DepartmentId,
) -> Vec<DepartmentId> {
    let mut children: HashMap<&DepartmentId, Vec<&DepartmentId>> = HashMap::new();
    for department in departments {
        if let Some(parent) = &department.parent_id {
            children
                .entry(parent)
                .or_default()
                .push(&department.open_department_id);
        }
    }
    let mut found = vec![root.clone()];
    let mut visited: HashSet<&DepartmentId> = HashSet::from([root]);
    let mut queue = vec![root];
    while let Some(current) = queue.pop() {
        for child in children.get(current).into_iter().flatten() {
            if visited.insert(child) {
                found.push((*child).clone());
                queue.push(child);
            }
        }
    }
    found
}

impl Queries {
    pub fn new(read: Arc<dyn ReadModel>) -> Self {
        Self {
            read,
            member_counts: RunCache::default(),
            outlines: RunCache::default(),
        }
    }

    /// Resolves a department given by id, custom id or name.
    fn resolve_department<'a>(
        departments: &'a [DepartmentOutline],
        key: &str,
    ) -> Option<&'a DepartmentOutline> {
        let key = key.trim();
        departments
            .iter()
            .find(|d| {
                d.open_department_id.as_str() == key || d.department_id.as_deref() == Some(key)
            })
            .or_else(|| {
                departments.iter().find(|d| {
                    d.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(key))
                })
            })
    }

    /// Accounts matching the filter, in the filter's order.
    ///
    /// # Errors
    /// `UnknownDepartment` when the department filter matches nothing, `Store` otherwise.
    pub async fn accounts(
        &self,
        integration: IntegrationId,
        filter: &AccountFilter,
    ) -> Result<Vec<UserAccount>, QueriesError> {
        self.accounts_page(integration, filter, None, None).await
    }

    /// One keyset page of [`Queries::accounts`]: at most `limit` accounts that come after
    /// the cursor in the filter's order (make the next cursor with [`AccountCursor::after`]).
    ///
    /// # Errors
    /// `CursorMismatch` when `after` is a position in another order than the filter's, else
    /// as [`Queries::accounts`].
    pub async fn accounts_page(
        &self,
        integration: IntegrationId,
        filter: &AccountFilter,
        after: Option<AccountCursor>,
        limit: Option<u64>,
    ) -> Result<Vec<UserAccount>, QueriesError> {
        if let Some(cursor) = &after
            && cursor.sort() != filter.sort
        {
            return Err(QueriesError::CursorMismatch {
                cursor: cursor.sort(),
                requested: filter.sort,
            });
        }
        let departments = match &filter.department {
            None => None,
            // The root (`0`) is every department's ancestor: its subtree is the whole tenant.
            Some(key) if key.trim() == DepartmentId::root().as_str() => None,
            Some(key) => {
                let all = self.all_outlines(integration).await?;
                let root = Self::resolve_department(&all, key)
                    .ok_or_else(|| DepartmentNotFound(key.clone()))?;
                Some(subtree(&all, &root.open_department_id))
            }
        };
        let members_of = match &filter.group {
            None => None,
            Some(key) => Some(self.group_members(integration, key).await.map_err(
                |err| match err {
                    QueriesError::UnknownGroup(key) => QueriesError::UnknownGroupFilter(key),
                    other => other,
                },
            )?),
        };
        let query = AccountQuery {
            status: filter.status,
            role: filter.role,
            departments,
            members_of,
            search: filter
                .search
                .as_ref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            include_removed: filter.include_removed,
            sort: filter.sort,
            after,
            limit,
            ..AccountQuery::all(integration)
        };
        Ok(self.read.accounts(&query).await?)
    }

    /// One account (removed ones included) with its change history.
    ///
    /// # Errors
    /// `UnknownAccount` when absent, `Store` otherwise.
    pub async fn account(
        &self,
        integration: IntegrationId,
        open_id: &str,
    ) -> Result<AccountWithHistory, QueriesError> {
        let unknown = || QueriesError::UnknownAccount(open_id.to_owned());
        let id = OpenId::parse(open_id).map_err(|_| unknown())?;
        let account = self
            .read
            .account(integration, &id)
            .await?
            .ok_or_else(unknown)?;
        let history = self.read.account_history(integration, &id).await?;
        Ok(AccountWithHistory { account, history })
    }

    /// # Errors
    /// `Store`.
    pub async fn departments(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<Department>, QueriesError> {
        Ok(self.read.departments(integration, include_removed).await?)
    }

    /// Every department's outline (id, custom id, name, parent, removal) in the order of
    /// [`Queries::departments`]: what trees, choices and names need, without the stored JSON.
    ///
    /// # Errors
    /// `Store`.
    pub async fn department_outlines(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<DepartmentOutline>, QueriesError> {
        let all = self.all_outlines(integration).await?;
        Ok(all
            .iter()
            .filter(|d| include_removed || d.removed_at.is_none())
            .cloned()
            .collect())
    }

    /// Every department's outline, removed ones too; only a run changes them, so they are read
    /// once per finished run (see `run_cache.rs`).
    ///
    /// # Errors
    /// `Store`.
    pub(in crate::usecases) async fn all_outlines(
        &self,
        integration: IntegrationId,
    ) -> Result<Arc<Vec<DepartmentOutline>>, QueriesError> {
        let newest = self.read.runs(integration, 1).await?.into_iter().next();
        let settled = settled(newest.as_ref());
        if let Some(run) = settled
            && let Some(kept) = self.outlines.get(integration, run)
        {
            return Ok(kept);
        }
        let all = Arc::new(self.read.department_outlines(integration, true).await?);
        if let Some(run) = settled {
            self.outlines.put(integration, run, Arc::clone(&all));
        }
        Ok(all)
    }

    /// The names of these departments (removed ones too), for showing names next to ids;
    /// ids without a department are left out.
    ///
    /// # Errors
    /// `Store`.
    pub async fn department_names(
        &self,
        integration: IntegrationId,
        ids: &[DepartmentId],
    ) -> Result<HashMap<DepartmentId, Option<String>>, QueriesError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .read
            .department_names(integration, ids)
            .await?
            .into_iter()
            .collect())
    }

    /// Current accounts per department, directly and in the department's subtree. Only a
    /// run changes them, so they are counted once per finished run and kept until the
    /// integration's newest run is another one (while a run is going, every call counts).
    ///
    /// # Errors
    /// `Store`.
    pub async fn member_counts(
        &self,
        integration: IntegrationId,
    ) -> Result<Arc<MemberCounts>, QueriesError> {
        let newest = self.read.runs(integration, 1).await?.into_iter().next();
        let settled = settled(newest.as_ref());
        if let Some(run) = settled
            && let Some(counts) = self.member_counts.get(integration, run)
        {
            return Ok(counts);
        }
        let departments = self.all_outlines(integration).await?;
        let memberships = self.read.memberships(integration).await?;
        let counts = Arc::new(MemberCounts::count(&departments, &memberships));
        if let Some(run) = settled {
            self.member_counts
                .put(integration, run, Arc::clone(&counts));
        }
        Ok(counts)
    }

    /// The names of these accounts (removed ones too), for showing names next to ids; ids
    /// without an account are left out.
    ///
    /// # Errors
    /// `Store`.
    pub async fn account_names(
        &self,
        integration: IntegrationId,
        open_ids: &[OpenId],
    ) -> Result<HashMap<OpenId, Option<String>>, QueriesError> {
        if open_ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .read
            .account_names(integration, open_ids)
            .await?
            .into_iter()
            .collect())
    }

    /// # Errors
    /// `Store`.
    pub async fn runs(
        &self,
        integration: IntegrationId,
        limit: u64,
    ) -> Result<Vec<SyncRun>, QueriesError> {
        Ok(self.read.runs(integration, limit).await?)
    }

    /// The newest run of an integration that succeeded: its last good sync.
    ///
    /// # Errors
    /// `Store`.
    pub async fn last_succeeded_run(
        &self,
        integration: IntegrationId,
    ) -> Result<Option<SyncRun>, QueriesError> {
        Ok(self.read.last_succeeded_run(integration).await?)
    }

    /// Current accounts per status (statuses without accounts left out).
    ///
    /// # Errors
    /// `Store`.
    pub async fn account_status_counts(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<(AccountStatus, u64)>, QueriesError> {
        Ok(self.read.account_status_counts(integration).await?)
    }

    /// A run (its changes come in pages: [`Queries::run_changes`]).
    ///
    /// # Errors
    /// `UnknownRun` when absent, `Store` otherwise.
    pub async fn run(&self, id: RunId) -> Result<SyncRun, QueriesError> {
        self.read.run(id).await?.ok_or(QueriesError::UnknownRun(id))
    }

    /// One page of the changes a run recorded, in the order it recorded them: those after
    /// `after` (from the first when `None`), at most `limit` of them and never more than
    /// [`ChangePage::MAX`] (a first sync records one change per record, so no caller reads
    /// them all at once). An unknown run has an empty last page.
    ///
    /// # Errors
    /// `Store`.
    pub async fn run_changes(
        &self,
        id: RunId,
        after: Option<ChangePosition>,
        limit: u64,
    ) -> Result<ChangePage, QueriesError> {
        Ok(self
            .read
            .run_changes(id, after, ChangePage::bounded(limit))
            .await?)
    }

    /// What a held run would have marked (accounts first), at most `limit`; empty for other
    /// runs.
    ///
    /// # Errors
    /// `Store`.
    pub async fn held_subjects(
        &self,
        id: RunId,
        limit: u64,
    ) -> Result<Vec<HeldSubject>, QueriesError> {
        Ok(self.read.held_subjects(id, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DepartmentState, SortKey, SortValue};
    use crate::ports::MockReadModel;
    use crate::values::ContentHash;
    use chrono::Utc;

    fn department(id: &str, parent: &str, name: &str) -> Department {
        let mut state = DepartmentState::new(DepartmentId::parse(id).unwrap());
        state.parent_id = Some(DepartmentId::parse(parent).unwrap());
        state.name = Some(name.into());
        Department {
            integration_id: IntegrationId::from_uuid(uuid::Uuid::nil()),
            state,
            raw: serde_json::Value::Null,
            content_hash: ContentHash::of_json(&serde_json::Value::Null),
            first_seen_at: Utc::now(),
            last_changed_at: Utc::now(),
            removed_at: None,
            presence: crate::model::Presence::Present,
        }
    }

    fn tree() -> Vec<DepartmentOutline> {
        [
            department("od-eng", "0", "Engineering"),
            department("od-platform", "od-eng", "Platform"),
            department("od-db", "od-platform", "Databases"),
            department("od-sales", "0", "Sales"),
        ]
        .iter()
        .map(DepartmentOutline::from)
        .collect()
    }

    #[tokio::test]
    async fn a_department_filter_matches_its_whole_subtree_by_name() {
        let mut read = MockReadModel::new();
        read.expect_runs().returning(|_, _| Ok(Vec::new()));
        read.expect_department_outlines()
            .returning(|_, _| Ok(tree()));
        read.expect_accounts()
            .withf(|q| {
                let mut ids: Vec<&str> = q
                    .departments
                    .iter()
                    .flatten()
                    .map(DepartmentId::as_str)
                    .collect();
                ids.sort_unstable();
                ids == ["od-db", "od-eng", "od-platform"]
                    && q.search.as_deref() == Some("ann")
                    && !q.include_removed
            })
            .times(1)
            .returning(|_| Ok(Vec::new()));
        let filter = AccountFilter {
            department: Some("engineering".into()),
            search: Some("  ann ".into()),
            ..Default::default()
        };
        Queries::new(Arc::new(read))
            .accounts(IntegrationId::from_uuid(uuid::Uuid::nil()), &filter)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_root_department_filter_matches_every_account() {
        let mut read = MockReadModel::new();
        read.expect_department_outlines().never();
        read.expect_accounts()
            .withf(|q| q.departments.is_none())
            .times(1)
            .returning(|_| Ok(Vec::new()));
        let filter = AccountFilter {
            department: Some("0".into()),
            ..Default::default()
        };
        Queries::new(Arc::new(read))
            .accounts(IntegrationId::from_uuid(uuid::Uuid::nil()), &filter)
            .await
            .unwrap();
    }

    fn name_cursor(descending: bool) -> AccountCursor {
        AccountCursor::new(
            SortValue::Name(Some("Bea".into())),
            descending,
            OpenId::parse("ou_b").unwrap(),
        )
    }

    #[tokio::test]
    async fn a_page_asks_the_store_for_accounts_after_the_cursor_in_the_filter_order() {
        let mut read = MockReadModel::new();
        read.expect_accounts()
            .withf(|q| {
                q.after == Some(name_cursor(true))
                    && q.sort == AccountSort::descending(SortKey::Name)
                    && q.limit == Some(3)
                    && q.status == Some(AccountStatus::Active)
            })
            .times(1)
            .returning(|_| Ok(Vec::new()));
        let filter = AccountFilter {
            status: Some(AccountStatus::Active),
            sort: AccountSort::descending(SortKey::Name),
            ..Default::default()
        };
        Queries::new(Arc::new(read))
            .accounts_page(
                IntegrationId::from_uuid(uuid::Uuid::nil()),
                &filter,
                Some(name_cursor(true)),
                Some(3),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_cursor_for_another_order_is_refused_before_the_store_is_asked() {
        let mut read = MockReadModel::new();
        read.expect_accounts().never();
        let queries = Queries::new(Arc::new(read));
        let integration = IntegrationId::from_uuid(uuid::Uuid::nil());
        for (sort, cursor) in [
            (AccountSort::ascending(SortKey::Name), name_cursor(true)),
            (AccountSort::descending(SortKey::Email), name_cursor(true)),
            (AccountSort::default(), name_cursor(false)),
        ] {
            let filter = AccountFilter {
                sort,
                ..Default::default()
            };
            let err = queries
                .accounts_page(integration, &filter, Some(cursor.clone()), None)
                .await
                .unwrap_err();
            assert_eq!(
                err,
                QueriesError::CursorMismatch {
                    cursor: cursor.sort(),
                    requested: sort
                }
            );
            assert!(err.to_string().contains("first page"), "{err}");
        }
    }

    #[tokio::test]
    async fn member_counts_come_from_the_stored_memberships() {
        let mut read = MockReadModel::new();
        read.expect_department_outlines()
            .withf(|_, include_removed| *include_removed)
            .returning(|_, _| Ok(tree()));
        read.expect_runs().returning(|_, _| Ok(Vec::new()));
        read.expect_memberships().returning(|_| {
            Ok(vec![
                (
                    OpenId::parse("ou_a").unwrap(),
                    DepartmentId::parse("od-db").unwrap(),
                ),
                (
                    OpenId::parse("ou_b").unwrap(),
                    DepartmentId::parse("od-eng").unwrap(),
                ),
            ])
        });
        let counts = Queries::new(Arc::new(read))
            .member_counts(IntegrationId::from_uuid(uuid::Uuid::nil()))
            .await
            .unwrap();
        let eng = DepartmentId::parse("od-eng").unwrap();
        assert_eq!((counts.direct(&eng), counts.total(&eng)), (1, 2));
    }

    fn run(n: u128, finished: bool) -> SyncRun {
        let mut run = SyncRun::start(
            RunId::from_uuid(uuid::Uuid::from_u128(n)),
            IntegrationId::from_uuid(uuid::Uuid::nil()),
            crate::model::RunTrigger::Manual,
            Utc::now(),
        );
        run.finished_at = finished.then(Utc::now);
        run
    }

    #[tokio::test]
    async fn member_counts_are_counted_once_per_finished_run() {
        let newest = Arc::new(std::sync::Mutex::new(run(1, true)));
        let mut read = MockReadModel::new();
        let shown = Arc::clone(&newest);
        read.expect_runs()
            .returning(move |_, _| Ok(vec![shown.lock().unwrap().clone()]));
        read.expect_department_outlines()
            .times(3)
            .returning(|_, _| Ok(tree()));
        read.expect_memberships()
            .times(3)
            .returning(|_| Ok(Vec::new()));
        let queries = Queries::new(Arc::new(read));
        let integration = IntegrationId::from_uuid(uuid::Uuid::nil());
        // Counted for run 1, then kept.
        queries.member_counts(integration).await.unwrap();
        queries.member_counts(integration).await.unwrap();
        // A run going: counted every time, and not kept.
        *newest.lock().unwrap() = run(2, false);
        queries.member_counts(integration).await.unwrap();
        // Run 2 finished: counted once more, then kept.
        *newest.lock().unwrap() = run(2, true);
        queries.member_counts(integration).await.unwrap();
        queries.member_counts(integration).await.unwrap();
    }

    #[tokio::test]
    async fn department_outlines_are_read_once_per_finished_run_and_filtered_in_memory() {
        let mut read = MockReadModel::new();
        read.expect_runs().returning(|_, _| Ok(vec![run(1, true)]));
        read.expect_department_outlines()
            .withf(|_, include_removed| *include_removed)
            .times(1)
            .returning(|_, _| {
                let mut all = tree();
                all[3].removed_at = Some(Utc::now());
                Ok(all)
            });
        let queries = Queries::new(Arc::new(read));
        let integration = IntegrationId::from_uuid(uuid::Uuid::nil());
        assert_eq!(
            queries
                .department_outlines(integration, true)
                .await
                .unwrap()
                .len(),
            4
        );
        let current = queries
            .department_outlines(integration, false)
            .await
            .unwrap();
        assert_eq!(current.len(), 3);
        assert!(current.iter().all(|d| d.removed_at.is_none()));
    }

    #[tokio::test]
    async fn a_page_of_a_runs_changes_is_never_larger_than_the_largest_page() {
        let run = RunId::from_uuid(uuid::Uuid::nil());
        for (asked, read_at_most) in [(0, 1), (100, 100), (u64::MAX, ChangePage::MAX)] {
            let mut read = MockReadModel::new();
            read.expect_run_changes()
                .withf(move |id, after, limit| {
                    *id == run && *after == Some(ChangePosition::new(9)) && *limit == read_at_most
                })
                .times(1)
                .returning(move |_, _, _| {
                    Ok(ChangePage {
                        changes: Vec::new(),
                        next: None,
                    })
                });
            let page = Queries::new(Arc::new(read))
                .run_changes(run, Some(ChangePosition::new(9)), asked)
                .await
                .unwrap();
            assert!(page.changes.is_empty() && page.next.is_none(), "{asked}");
        }
    }

    #[tokio::test]
    async fn unknown_departments_accounts_and_runs_are_named_errors() {
        let mut read = MockReadModel::new();
        read.expect_runs().returning(|_, _| Ok(Vec::new()));
        read.expect_department_outlines()
            .returning(|_, _| Ok(tree()));
        read.expect_accounts().never();
        read.expect_account().returning(|_, _| Ok(None));
        read.expect_run().returning(|_| Ok(None));
        let queries = Queries::new(Arc::new(read));
        let integration = IntegrationId::from_uuid(uuid::Uuid::nil());
        let filter = AccountFilter {
            department: Some("Marketing".into()),
            ..Default::default()
        };
        let err = queries.accounts(integration, &filter).await.unwrap_err();
        assert_eq!(
            err,
            QueriesError::UnknownDepartment(DepartmentNotFound("Marketing".into()))
        );
        assert!(matches!(
            queries.account(integration, "ou_x").await.unwrap_err(),
            QueriesError::UnknownAccount(_)
        ));
        let run = RunId::from_uuid(uuid::Uuid::nil());
        assert_eq!(
            queries.run(run).await.unwrap_err(),
            QueriesError::UnknownRun(run)
        );
    }
}
