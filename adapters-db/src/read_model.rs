//! `ReadModel`: account listing with every filter in one SQL query (sorted, keyset-paginated
//! by `(sort key, open_id)`: `order.rs`), account names and department memberships, account
//! history, departments, runs; a run's changes in keyset pages in `run_changes.rs`, user
//! groups and apps in `objects.rs`.

mod objects;
mod order;
mod run_changes;
mod search;

use async_trait::async_trait;
use aviary_domain::model::{
    AccountStatus, App, ChangePage, ChangePosition, ChangeRecord, Department, DepartmentOutline,
    Group, HeldSubject, LeaseView, Role, RunStatus, Subject, SyncRun, UserAccount,
};
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{AccountQuery, GroupMembers, QueryError, ReadModel};
use aviary_domain::values::{DepartmentId, GroupId, InstalledAppId, IntegrationId, OpenId, RunId};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait as _, Order, Query};
use sea_orm::{
    ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use serde_json::Value;

use crate::connect::{Backend, Shared};
use crate::entities::{
    account_departments, accounts, changes, departments, held_subjects, sync_runs,
};
use crate::error::query_err;
use crate::mapping::{
    ACCOUNT_COLUMNS, AccountRow, DEPARTMENT_COLUMNS, DepartmentRow, change_from_row, from_micros,
    held_subject_from_row, run_from_row,
};
use crate::sync_store::newest_first;

/// `(open_department_id, department_id, name, parent_id, removed_at)` of a department.
type OutlineRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// SQL implementation of [`ReadModel`].
#[derive(Debug, Clone)]
pub(crate) struct SqlReadModel {
    shared: Shared,
}

impl SqlReadModel {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

/// The WHERE clause of an account listing (all given filters must match).
fn account_filter(backend: Backend, query: &AccountQuery) -> Condition {
    let mut filter =
        Condition::all().add(accounts::Column::IntegrationId.eq(query.integration.as_uuid()));
    if !query.include_removed {
        filter = filter.add(accounts::Column::RemovedAt.is_null());
    }
    if let Some(status) = query.status {
        filter = filter.add(accounts::Column::Status.eq(status.as_str()));
    }
    if let Some(role) = query.role {
        filter = match role {
            Role::TenantSuperAdmin => filter.add(accounts::Column::IsTenantAdmin.eq(true)),
            Role::DepartmentLeader => filter.add(accounts::Column::IsDepartmentLeader.eq(true)),
            Role::Member => filter
                .add(accounts::Column::IsTenantAdmin.eq(false))
                .add(accounts::Column::IsDepartmentLeader.eq(false)),
        };
    }
    if let Some(departments) = &query.departments {
        filter = filter.add(Expr::exists(in_departments(departments)));
    }
    if let Some(members) = &query.members_of {
        filter = filter.add(group_members(members));
    }
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        filter = filter.add(search::condition(backend, query.integration, search));
    }
    filter
}

/// A group's members: one of its users, or in one of its departments.
fn group_members(members: &GroupMembers) -> Condition {
    let mut any = Condition::any();
    if !members.users.is_empty() {
        any = any.add(
            accounts::Column::OpenId.is_in(members.users.iter().map(|u| u.as_str().to_owned())),
        );
    }
    if !members.departments.is_empty() {
        any = any.add(Expr::exists(in_departments(&members.departments)));
    }
    // Never empty: `accounts` answers a group without members before querying.
    any
}

/// `EXISTS` subquery: the account belongs to one of `departments`.
fn in_departments(departments: &[DepartmentId]) -> sea_orm::sea_query::SelectStatement {
    let membership = Alias::new("membership");
    Query::select()
        .expr(Expr::val(1))
        .from_as(account_departments::Entity, membership.clone())
        .and_where(
            Expr::col((
                membership.clone(),
                account_departments::Column::IntegrationId,
            ))
            .equals((accounts::Entity, accounts::Column::IntegrationId)),
        )
        .and_where(
            Expr::col((membership.clone(), account_departments::Column::OpenId))
                .equals((accounts::Entity, accounts::Column::OpenId)),
        )
        .and_where(
            Expr::col((membership, account_departments::Column::DepartmentId))
                .is_in(departments.iter().map(|d| d.as_str().to_owned())),
        )
        .to_owned()
}

/// Turns stored Lark ids back into values (a bad one is a stored-data fault).
fn stored_id<T, E: std::fmt::Display>(
    parse: impl Fn(&str) -> Result<T, E>,
    raw: &str,
) -> Result<T, QueryError> {
    parse(raw).map_err(|err| {
        QueryError::Backend(StoreFault::failed(format!("stored id \"{raw}\": {err}")))
    })
}

#[async_trait]
impl ReadModel for SqlReadModel {
    async fn accounts(&self, query: &AccountQuery) -> Result<Vec<UserAccount>, QueryError> {
        let no_members = query
            .members_of
            .as_ref()
            .is_some_and(|m| m.users.is_empty() && m.departments.is_empty());
        if query.departments.as_ref().is_some_and(Vec::is_empty)
            || no_members
            || query.limit == Some(0)
        {
            return Ok(Vec::new());
        }
        let select = accounts::Entity::find()
            .select_only()
            .columns(ACCOUNT_COLUMNS)
            .filter(account_filter(self.shared.backend, query));
        let mut select = order::apply(
            self.shared.backend,
            select,
            query.sort,
            query.after.as_ref(),
        )?;
        if let Some(limit) = query.limit {
            select = select.limit(limit);
        }
        let rows = select
            .into_model::<AccountRow>()
            .all(&self.shared.conn)
            .await
            .map_err(query_err("listing accounts"))?;
        rows.into_iter()
            .map(|row| row.into_account(Value::Null).map_err(QueryError::from))
            .collect()
    }

    async fn account(
        &self,
        integration: IntegrationId,
        open_id: &OpenId,
    ) -> Result<Option<UserAccount>, QueryError> {
        let row = accounts::Entity::find()
            .select_only()
            .columns(ACCOUNT_COLUMNS)
            .filter(accounts::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(accounts::Column::OpenId.eq(open_id.as_str()))
            .into_model::<AccountRow>()
            .one(&self.shared.conn)
            .await
            .map_err(query_err("reading an account"))?;
        Ok(row.map(|row| row.into_account(Value::Null)).transpose()?)
    }

    async fn account_names(
        &self,
        integration: IntegrationId,
        open_ids: &[OpenId],
    ) -> Result<Vec<(OpenId, Option<String>)>, QueryError> {
        let mut names = Vec::with_capacity(open_ids.len());
        // Chunks keep each statement well under the backends' bound-parameter limits.
        for chunk in open_ids.chunks(500) {
            let rows: Vec<(String, Option<String>)> = accounts::Entity::find()
                .select_only()
                .column(accounts::Column::OpenId)
                .column(accounts::Column::Name)
                .filter(accounts::Column::IntegrationId.eq(integration.as_uuid()))
                .filter(accounts::Column::OpenId.is_in(chunk.iter().map(OpenId::as_str)))
                .into_tuple()
                .all(&self.shared.conn)
                .await
                .map_err(query_err("reading account names"))?;
            for (open_id, name) in rows {
                names.push((stored_id(OpenId::parse, &open_id)?, name));
            }
        }
        Ok(names)
    }

    async fn memberships(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<(OpenId, DepartmentId)>, QueryError> {
        let current = Query::select()
            .column(accounts::Column::OpenId)
            .from(accounts::Entity)
            .and_where(accounts::Column::IntegrationId.eq(integration.as_uuid()))
            .and_where(accounts::Column::RemovedAt.is_null())
            .to_owned();
        let rows: Vec<(String, String)> = account_departments::Entity::find()
            .select_only()
            .column(account_departments::Column::OpenId)
            .column(account_departments::Column::DepartmentId)
            .filter(account_departments::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(account_departments::Column::OpenId.in_subquery(current))
            .into_tuple()
            .all(&self.shared.conn)
            .await
            .map_err(query_err("reading department memberships"))?;
        rows.into_iter()
            .map(|(open_id, department)| {
                Ok((
                    stored_id(OpenId::parse, &open_id)?,
                    stored_id(DepartmentId::parse, &department)?,
                ))
            })
            .collect()
    }

    async fn account_history(
        &self,
        integration: IntegrationId,
        open_id: &OpenId,
    ) -> Result<Vec<ChangeRecord>, QueryError> {
        let subject = Subject::Account(open_id.clone());
        self.subject_history(integration, &subject).await
    }

    async fn departments(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<Department>, QueryError> {
        let mut select = departments::Entity::find()
            .select_only()
            .columns(DEPARTMENT_COLUMNS)
            .filter(departments::Column::IntegrationId.eq(integration.as_uuid()));
        if !include_removed {
            select = select.filter(departments::Column::RemovedAt.is_null());
        }
        // Unnamed departments last on both backends, then by name, then by id for stability.
        let rows = select
            .order_by(Expr::col(departments::Column::Name).is_null(), Order::Asc)
            .order_by_asc(departments::Column::Name)
            .order_by_asc(departments::Column::OpenDepartmentId)
            .into_model::<DepartmentRow>()
            .all(&self.shared.conn)
            .await
            .map_err(query_err("listing departments"))?;
        rows.into_iter()
            .map(|row| row.into_department(Value::Null).map_err(QueryError::from))
            .collect()
    }

    async fn department_outlines(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<DepartmentOutline>, QueryError> {
        let mut select = departments::Entity::find()
            .select_only()
            .column(departments::Column::OpenDepartmentId)
            .column(departments::Column::DepartmentId)
            .column(departments::Column::Name)
            .column(departments::Column::ParentId)
            .column(departments::Column::RemovedAt)
            .filter(departments::Column::IntegrationId.eq(integration.as_uuid()));
        if !include_removed {
            select = select.filter(departments::Column::RemovedAt.is_null());
        }
        // The order of `departments`: unnamed last, then by name, then by id.
        let rows: Vec<OutlineRow> = select
            .order_by(Expr::col(departments::Column::Name).is_null(), Order::Asc)
            .order_by_asc(departments::Column::Name)
            .order_by_asc(departments::Column::OpenDepartmentId)
            .into_tuple()
            .all(&self.shared.conn)
            .await
            .map_err(query_err("listing department outlines"))?;
        rows.into_iter()
            .map(|(id, department_id, name, parent_id, removed_at)| {
                Ok(DepartmentOutline {
                    open_department_id: stored_id(DepartmentId::parse, &id)?,
                    department_id,
                    name,
                    parent_id: parent_id
                        .as_deref()
                        .map(|p| stored_id(DepartmentId::parse, p))
                        .transpose()?,
                    removed_at: removed_at.map(from_micros).transpose()?,
                })
            })
            .collect()
    }

    async fn department_names(
        &self,
        integration: IntegrationId,
        ids: &[DepartmentId],
    ) -> Result<Vec<(DepartmentId, Option<String>)>, QueryError> {
        let mut names = Vec::with_capacity(ids.len());
        // Chunks keep each statement well under the backends' bound-parameter limits.
        for chunk in ids.chunks(500) {
            let rows: Vec<(String, Option<String>)> = departments::Entity::find()
                .select_only()
                .column(departments::Column::OpenDepartmentId)
                .column(departments::Column::Name)
                .filter(departments::Column::IntegrationId.eq(integration.as_uuid()))
                .filter(
                    departments::Column::OpenDepartmentId
                        .is_in(chunk.iter().map(DepartmentId::as_str)),
                )
                .into_tuple()
                .all(&self.shared.conn)
                .await
                .map_err(query_err("reading department names"))?;
            for (id, name) in rows {
                names.push((stored_id(DepartmentId::parse, &id)?, name));
            }
        }
        Ok(names)
    }

    async fn runs(
        &self,
        integration: IntegrationId,
        limit: u64,
    ) -> Result<Vec<SyncRun>, QueryError> {
        let rows = crate::sync_store::newest_rows(&self.shared, integration, limit)
            .await
            .map_err(query_err("listing runs"))?;
        rows.into_iter()
            .map(|row| run_from_row(row).map_err(QueryError::from))
            .collect()
    }

    async fn lease(&self, integration: IntegrationId) -> Result<Option<LeaseView>, QueryError> {
        let row = crate::sync_store::stored_lease(&self.shared, integration)
            .await
            .map_err(query_err("reading the sync lease"))?;
        row.map(|row| {
            Ok(LeaseView {
                expires_at: from_micros(row.expires_at)?,
                owner: row.owner,
            })
        })
        .transpose()
    }

    async fn last_succeeded_run(
        &self,
        integration: IntegrationId,
    ) -> Result<Option<SyncRun>, QueryError> {
        let row = newest_first(integration.as_uuid())
            .filter(sync_runs::Column::Status.eq(RunStatus::Succeeded.as_str()))
            .one(&self.shared.conn)
            .await
            .map_err(query_err("reading the last good run"))?;
        Ok(row.map(run_from_row).transpose()?)
    }

    async fn account_status_counts(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<(AccountStatus, u64)>, QueryError> {
        let rows: Vec<(String, i64)> = accounts::Entity::find()
            .select_only()
            .column(accounts::Column::Status)
            .column_as(accounts::Column::OpenId.count(), "n")
            .filter(accounts::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(accounts::Column::RemovedAt.is_null())
            .group_by(accounts::Column::Status)
            .order_by_asc(accounts::Column::Status)
            .into_tuple()
            .all(&self.shared.conn)
            .await
            .map_err(query_err("counting accounts"))?;
        rows.into_iter()
            .map(|(status, n)| {
                let status = status.parse::<AccountStatus>().map_err(|err| {
                    QueryError::Backend(StoreFault::failed(format!("stored account status: {err}")))
                })?;
                let n = u64::try_from(n).map_err(|_| {
                    QueryError::Backend(StoreFault::failed(format!("negative account count {n}")))
                })?;
                Ok((status, n))
            })
            .collect()
    }

    async fn run(&self, id: RunId) -> Result<Option<SyncRun>, QueryError> {
        let row = sync_runs::Entity::find_by_id(id.as_uuid())
            .one(&self.shared.conn)
            .await
            .map_err(query_err("reading a run"))?;
        Ok(row.map(run_from_row).transpose()?)
    }

    async fn run_changes(
        &self,
        id: RunId,
        after: Option<ChangePosition>,
        limit: u64,
    ) -> Result<ChangePage, QueryError> {
        run_changes::page(&self.shared, id, after, limit).await
    }

    async fn subject_history(
        &self,
        integration: IntegrationId,
        subject: &Subject,
    ) -> Result<Vec<ChangeRecord>, QueryError> {
        let (subject_type, subject_id) = subject.parts();
        let rows = changes::Entity::find()
            .filter(changes::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(changes::Column::SubjectType.eq(subject_type))
            .filter(changes::Column::SubjectId.eq(subject_id))
            .order_by_asc(changes::Column::Id)
            .all(&self.shared.conn)
            .await
            .map_err(query_err("reading a record's history"))?;
        rows.into_iter()
            .map(|row| change_from_row(row).map_err(QueryError::from))
            .collect()
    }

    async fn groups(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<Group>, QueryError> {
        objects::groups(&self.shared, integration, include_removed).await
    }

    async fn group(
        &self,
        integration: IntegrationId,
        id: &GroupId,
    ) -> Result<Option<Group>, QueryError> {
        objects::group(&self.shared, integration, id).await
    }

    async fn apps(
        &self,
        integration: IntegrationId,
        include_removed: bool,
    ) -> Result<Vec<App>, QueryError> {
        objects::apps(&self.shared, integration, include_removed).await
    }

    async fn app(
        &self,
        integration: IntegrationId,
        id: &InstalledAppId,
    ) -> Result<Option<App>, QueryError> {
        objects::app(&self.shared, integration, id).await
    }

    async fn held_subjects(&self, id: RunId, limit: u64) -> Result<Vec<HeldSubject>, QueryError> {
        let rows = held_subjects::Entity::find()
            .filter(held_subjects::Column::RunId.eq(id.as_uuid()))
            .order_by_asc(held_subjects::Column::SubjectType)
            .order_by_asc(held_subjects::Column::SubjectId)
            .limit(limit)
            .all(&self.shared.conn)
            .await
            .map_err(query_err("reading what a run held"))?;
        rows.into_iter()
            .map(|row| held_subject_from_row(row).map_err(QueryError::from))
            .collect()
    }
}
