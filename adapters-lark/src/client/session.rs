//! `LarkSession`: the directory port over Lark's contact v3 and tenant v2 APIs — scope, the
//! department tree (recursive `fetch_child`, level by level after 43010), department and user
//! batches of 50, one `find_by_department` page per call, the tenant query, and the permission
//! doctor's one-page probes (`probe.rs`), user groups and installed apps (`inventory.rs`). Every request asks for open ids
//! (`user_id_type=open_id`, `department_id_type=open_department_id`).

use std::collections::HashSet;

use async_trait::async_trait;
use aviary_domain::model::{ApiCounters, TenantInfo};
use aviary_domain::ports::{
    ContactScope, DirectoryError, DirectorySession, Recheck, RemoteApp, RemoteDepartment,
    RemoteGroup, RemoteUser, UserPage,
};
use aviary_domain::values::{DepartmentId, GroupId, OpenId};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt};

use super::mapping::{self, invalid};
use super::transport::{CallError, Transport};
use super::wire::{WireItems, WireOne, WireScopes, WireTenantData};

mod inventory;
mod probe;

/// Lark's maximum `page_size` for user and department listings.
const PAGE_SIZE: &str = "50";
/// `/contact/v3/scopes` accepts up to 100.
const SCOPES_PAGE_SIZE: &str = "100";
/// Ids per `/users/batch` and `/departments/batch` call.
const BATCH_SIZE: usize = 50;
const USER_ID_TYPE: (&str, &str) = ("user_id_type", "open_id");
const DEPARTMENT_ID_TYPE: (&str, &str) = ("department_id_type", "open_department_id");
/// `41012`: Lark does not know a user id.
const USER_ID_INVALID: i64 = 41_012;
/// `40015`: Lark does not know a department id.
const DEPARTMENT_NOT_FOUND: i64 = 40_015;

/// The `items` of a 200 answer. An answer without them is not an empty page: Lark always sends
/// the array (empty when there is nothing), so a missing one is refused rather than read as
/// "nobody".
pub(super) fn items(
    api: &str,
    page: &mut WireItems,
) -> Result<Vec<serde_json::Value>, DirectoryError> {
    page.items
        .take()
        .ok_or_else(|| invalid(format!("the {api} answer has no items")))
}

/// The next page token of a paged answer, refusing answers that would loop or stop early.
fn next_page_token(
    api: &str,
    has_more: Option<bool>,
    token: Option<String>,
    previous: Option<&str>,
) -> Result<Option<String>, DirectoryError> {
    if has_more != Some(true) {
        return Ok(None);
    }
    match token.filter(|t| !t.is_empty()) {
        None => Err(invalid(format!(
            "the {api} answer has has_more=true but no page_token"
        ))),
        Some(token) if previous == Some(token.as_str()) => Err(invalid(format!(
            "the {api} answer repeated the previous page_token"
        ))),
        Some(token) => Ok(Some(token)),
    }
}

/// The page tokens one listing has followed. A token that comes back (A, B, A, …) would page
/// forever, so it is refused as an invalid answer, like one that claims more pages and names
/// none.
#[derive(Debug, Default)]
pub(super) struct PageTokens(HashSet<String>);

impl PageTokens {
    /// The next page token of a paged answer, refusing one this listing followed before.
    pub(super) fn next(
        &mut self,
        api: &str,
        has_more: Option<bool>,
        token: Option<String>,
    ) -> Result<Option<String>, DirectoryError> {
        next_page_token(api, has_more, token, None)?
            .map(|token| self.follow(api, token))
            .transpose()
    }

    /// `token`, unless this listing followed it before.
    pub(super) fn follow(&mut self, api: &str, token: String) -> Result<String, DirectoryError> {
        if self.0.insert(token.clone()) {
            Ok(token)
        } else {
            Err(invalid(format!(
                "the {api} answer returned a page token it had returned before"
            )))
        }
    }
}

fn unique<T: Clone + Eq + std::hash::Hash>(ids: &[T]) -> Vec<T> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .filter(|id| seen.insert((*id).clone()))
        .cloned()
        .collect()
}

/// An authenticated session against one tenant.
#[derive(Debug)]
pub(crate) struct LarkSession {
    transport: Transport,
}

impl LarkSession {
    pub(crate) fn new(transport: Transport) -> Self {
        Self { transport }
    }

    fn concurrency(&self) -> usize {
        self.transport.settings().batch_concurrency.max(1)
    }

    /// All children of `parent` (all pages); with `fetch_child`, all descendants.
    async fn children(
        &self,
        parent: &DepartmentId,
        fetch_child: bool,
    ) -> Result<Vec<RemoteDepartment>, CallError> {
        const API: &str = "departments/children";
        let resource = format!("department {parent}");
        let mut departments = Vec::new();
        let mut page_token: Option<String> = None;
        let mut tokens = PageTokens::default();
        loop {
            let mut query = vec![
                USER_ID_TYPE,
                DEPARTMENT_ID_TYPE,
                ("fetch_child", if fetch_child { "true" } else { "false" }),
                ("page_size", PAGE_SIZE),
            ];
            if let Some(token) = &page_token {
                query.push(("page_token", token));
            }
            let url = self.transport.url(
                &["contact", "v3", "departments", parent.as_str(), "children"],
                &query,
            );
            let mut page: WireItems = self.transport.get_data(API, url, &resource).await?;
            for item in items(API, &mut page)? {
                if let Some(department) = mapping::department_from_item(item)? {
                    departments.push(department);
                }
            }
            match tokens.next(API, page.has_more, page.page_token)? {
                Some(next) => page_token = Some(next),
                None => return Ok(departments),
            }
        }
    }

    /// Breadth-first walk with `fetch_child=false`, one level at a time, the parents of a level
    /// listed concurrently (results kept in order).
    async fn walk_level_by_level(
        &self,
        root: &DepartmentId,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        let mut seen: HashSet<DepartmentId> = HashSet::from([root.clone()]);
        let mut found = Vec::new();
        let mut level = vec![root.clone()];
        while !level.is_empty() {
            // Futures are built before the stream (not in a `map` closure) to keep the async
            // trait's `Send` proof free of higher-ranked closure lifetimes.
            let requests: Vec<_> = level
                .iter()
                .map(|parent| self.children(parent, false))
                .collect();
            let children: Vec<Vec<RemoteDepartment>> = futures::stream::iter(requests)
                .buffered(self.concurrency())
                .try_collect()
                .await
                .map_err(DirectoryError::from)?;
            let mut next = Vec::new();
            for department in children.into_iter().flatten() {
                if seen.insert(department.state.open_department_id.clone()) {
                    next.push(department.state.open_department_id.clone());
                    found.push(department);
                }
            }
            level = next;
        }
        Ok(found)
    }

    async fn departments_batch(
        &self,
        ids: &[DepartmentId],
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        const API: &str = "departments/batch";
        let mut query: Vec<(&str, &str)> = ids
            .iter()
            .map(|id| ("department_ids", id.as_str()))
            .collect();
        query.extend([USER_ID_TYPE, DEPARTMENT_ID_TYPE]);
        let url = self
            .transport
            .url(&["contact", "v3", "departments", "batch"], &query);
        let resource = match ids {
            [one] => format!("department {one}"),
            _ => format!(
                "one of {} departments ({}…)",
                ids.len(),
                ids.first().map(DepartmentId::as_str).unwrap_or("")
            ),
        };
        let mut page: WireItems = self.transport.get_data(API, url, &resource).await?;
        let mut departments = Vec::new();
        for item in items(API, &mut page)? {
            if let Some(department) = mapping::department_from_item(item)? {
                departments.push(department);
            }
        }
        Ok(departments)
    }

    async fn users_batch(&self, ids: &[OpenId]) -> Result<Vec<RemoteUser>, DirectoryError> {
        const API: &str = "users/batch";
        let mut query: Vec<(&str, &str)> = ids.iter().map(|id| ("user_ids", id.as_str())).collect();
        query.extend([USER_ID_TYPE, DEPARTMENT_ID_TYPE]);
        let url = self
            .transport
            .url(&["contact", "v3", "users", "batch"], &query);
        let resource = match ids {
            [one] => format!("user {one}"),
            _ => format!("one of {} users", ids.len()),
        };
        let mut page: WireItems = self.transport.get_data(API, url, &resource).await?;
        items(API, &mut page)?
            .into_iter()
            .map(mapping::user_from_item)
            .collect()
    }

    /// One batch of users. When Lark refuses the whole batch because of some of its ids — a
    /// user outside the contact scope (41050) or an id it does not know (41012) — the batch is
    /// split in halves until those ids stand alone and are left out: the port's contract is that
    /// such users are simply absent.
    fn users_chunk<'a>(
        &'a self,
        ids: &'a [OpenId],
    ) -> BoxFuture<'a, Result<Vec<RemoteUser>, DirectoryError>> {
        async move {
            match self.users_batch(ids).await {
                Err(err) if refuses_some_user(&err) => {
                    if let [one] = ids {
                        tracing::debug!(user = %one, error = %err, "Lark does not return this user; leaving it out");
                        return Ok(Vec::new());
                    }
                    let (left, right) = ids.split_at(ids.len() / 2);
                    let mut users = self.users_chunk(left).await?;
                    users.extend(self.users_chunk(right).await?);
                    Ok(users)
                }
                other => other,
            }
        }
        .boxed()
    }
}

/// `/users/batch` errors that concern individual ids rather than the request.
fn refuses_some_user(err: &DirectoryError) -> bool {
    matches!(
        err,
        DirectoryError::NoAuthority { .. }
            | DirectoryError::Api {
                code: USER_ID_INVALID,
                ..
            }
    )
}

#[async_trait]
impl DirectorySession for LarkSession {
    async fn tenant(&self) -> Result<TenantInfo, DirectoryError> {
        let url = self
            .transport
            .url(&["tenant", "v2", "tenant", "query"], &[]);
        let data: WireTenantData = self
            .transport
            .get_data("tenant/query", url, "the tenant")
            .await?;
        mapping::tenant_info(data)
    }

    async fn contact_scope(&self) -> Result<ContactScope, DirectoryError> {
        const API: &str = "contact/scopes";
        let mut scope = ContactScope::default();
        let mut page_token: Option<String> = None;
        let mut tokens = PageTokens::default();
        loop {
            let mut query = vec![
                USER_ID_TYPE,
                DEPARTMENT_ID_TYPE,
                ("page_size", SCOPES_PAGE_SIZE),
            ];
            if let Some(token) = &page_token {
                query.push(("page_token", token));
            }
            let url = self.transport.url(&["contact", "v3", "scopes"], &query);
            let page: WireScopes = self
                .transport
                .get_data(API, url, "the contact scope")
                .await?;
            let (has_more, next) = (page.has_more, page.page_token.clone());
            mapping::extend_scope(&mut scope, page)?;
            match tokens.next(API, has_more, next)? {
                Some(next) => page_token = Some(next),
                None => return Ok(scope),
            }
        }
    }

    async fn departments(
        &self,
        ids: &[DepartmentId],
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        let ids = unique(ids);
        let requests: Vec<_> = ids
            .chunks(BATCH_SIZE)
            .map(|chunk| self.departments_batch(chunk))
            .collect();
        let batches: Vec<Vec<RemoteDepartment>> = futures::stream::iter(requests)
            .buffered(self.concurrency())
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }

    async fn departments_under(
        &self,
        root: &DepartmentId,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        match self.children(root, true).await {
            Ok(departments) => {
                let mut seen = HashSet::new();
                Ok(departments
                    .into_iter()
                    .filter(|d| {
                        d.state.open_department_id != *root
                            && seen.insert(d.state.open_department_id.clone())
                    })
                    .collect())
            }
            Err(CallError::RecursionRefused(fault)) => {
                tracing::info!(
                    department = %root,
                    code = fault.code,
                    "Lark refused to list a big department recursively; walking it level by level"
                );
                self.walk_level_by_level(root).await
            }
            Err(CallError::Directory(err)) => Err(err),
        }
    }

    async fn users_page(
        &self,
        department: &DepartmentId,
        page_token: Option<String>,
    ) -> Result<UserPage, DirectoryError> {
        const API: &str = "users/find_by_department";
        let mut query = vec![
            USER_ID_TYPE,
            DEPARTMENT_ID_TYPE,
            ("department_id", department.as_str()),
            ("page_size", PAGE_SIZE),
        ];
        if let Some(token) = page_token.as_deref().filter(|t| !t.is_empty()) {
            query.push(("page_token", token));
        }
        let url = self
            .transport
            .url(&["contact", "v3", "users", "find_by_department"], &query);
        let mut page: WireItems = self
            .transport
            .get_data(API, url, &format!("department {department}"))
            .await?;
        let users = items(API, &mut page)?
            .into_iter()
            .map(mapping::user_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_token =
            next_page_token(API, page.has_more, page.page_token, page_token.as_deref())?;
        Ok(UserPage {
            users,
            next_page_token,
        })
    }

    async fn users(&self, ids: &[OpenId]) -> Result<Vec<RemoteUser>, DirectoryError> {
        let ids = unique(ids);
        let requests: Vec<_> = ids
            .chunks(BATCH_SIZE)
            .map(|chunk| self.users_chunk(chunk))
            .collect();
        let batches: Vec<Vec<RemoteUser>> = futures::stream::iter(requests)
            .buffered(self.concurrency())
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }

    async fn user(&self, id: &OpenId) -> Result<Recheck<RemoteUser>, DirectoryError> {
        const API: &str = "users/get";
        let url = self.transport.url(
            &["contact", "v3", "users", id.as_str()],
            &[USER_ID_TYPE, DEPARTMENT_ID_TYPE],
        );
        match self
            .transport
            .get_data::<WireOne>(API, url, &format!("user {id}"))
            .await
            .map_err(DirectoryError::from)
        {
            Ok(one) => {
                let item = one
                    .user
                    .ok_or_else(|| invalid(format!("the {API} answer has no user")))?;
                Ok(Recheck::Found(mapping::user_from_item(item)?))
            }
            Err(DirectoryError::NoAuthority { .. }) => Ok(Recheck::OutOfRange),
            Err(DirectoryError::Api {
                code: USER_ID_INVALID,
                ..
            }) => Ok(Recheck::Gone),
            Err(other) => Err(other),
        }
    }

    async fn department(
        &self,
        id: &DepartmentId,
    ) -> Result<Recheck<RemoteDepartment>, DirectoryError> {
        const API: &str = "departments/get";
        let url = self.transport.url(
            &["contact", "v3", "departments", id.as_str()],
            &[USER_ID_TYPE, DEPARTMENT_ID_TYPE],
        );
        match self
            .transport
            .get_data::<WireOne>(API, url, &format!("department {id}"))
            .await
            .map_err(DirectoryError::from)
        {
            Ok(one) => {
                let item = one
                    .department
                    .ok_or_else(|| invalid(format!("the {API} answer has no department")))?;
                // A department Lark returns marked deleted is gone.
                Ok(mapping::department_from_item(item)?.map_or(Recheck::Gone, Recheck::Found))
            }
            Err(DirectoryError::NoAuthority { .. }) => Ok(Recheck::OutOfRange),
            Err(DirectoryError::Api {
                code: DEPARTMENT_NOT_FOUND,
                ..
            }) => Ok(Recheck::Gone),
            Err(other) => Err(other),
        }
    }

    async fn sample_departments(
        &self,
        parent: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        self.first_children(parent, limit).await
    }

    async fn sample_users(
        &self,
        department: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteUser>, DirectoryError> {
        self.first_members(department, limit).await
    }

    async fn groups(&self) -> Result<Vec<RemoteGroup>, DirectoryError> {
        self.all_groups().await
    }

    async fn group(&self, id: &GroupId) -> Result<Recheck<RemoteGroup>, DirectoryError> {
        self.one_group(id).await
    }

    async fn apps(&self) -> Result<Vec<RemoteApp>, DirectoryError> {
        self.all_apps().await
    }

    async fn sample_groups(&self, limit: usize) -> Result<Vec<RemoteGroup>, DirectoryError> {
        self.first_groups(limit).await
    }

    async fn sample_apps(&self, limit: usize) -> Result<Vec<RemoteApp>, DirectoryError> {
        self.first_apps(limit).await
    }

    fn counters(&self) -> ApiCounters {
        self.transport.counters()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stops_or_continues_as_lark_says_and_refuses_loops() {
        assert_eq!(
            next_page_token("x", Some(false), Some("t".to_owned()), None).unwrap(),
            None
        );
        assert_eq!(next_page_token("x", None, None, None).unwrap(), None);
        assert_eq!(
            next_page_token("x", Some(true), Some("t2".to_owned()), Some("t1")).unwrap(),
            Some("t2".to_owned())
        );
        assert!(next_page_token("x", Some(true), None, None).is_err());
        assert!(next_page_token("x", Some(true), Some(String::new()), None).is_err());
        assert!(next_page_token("x", Some(true), Some("t1".to_owned()), Some("t1")).is_err());
    }

    #[test]
    fn a_listing_refuses_any_page_token_it_followed_before() {
        let mut tokens = PageTokens::default();
        let more = Some(true);
        assert_eq!(
            tokens.next("x", more, Some("A".into())).unwrap(),
            Some("A".into())
        );
        assert_eq!(
            tokens.next("x", more, Some("B".into())).unwrap(),
            Some("B".into())
        );
        let err = tokens.next("x", more, Some("A".into())).unwrap_err();
        assert!(
            matches!(err, DirectoryError::InvalidResponse { .. }),
            "{err:?}"
        );
        assert_eq!(
            tokens.next("x", Some(false), Some("A".into())).unwrap(),
            None
        );
    }

    #[test]
    fn duplicate_ids_are_requested_once_in_order() {
        assert_eq!(unique(&[3, 1, 3, 2, 1]), [3, 1, 2]);
    }
}
