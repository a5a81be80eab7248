//! Reads the directory: scope roots, the department tree, and department member pages as one
//! concurrent stream with back-pressure (memory stays bounded by the in-flight pages).

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::{self, Stream, StreamExt, TryStreamExt};

use crate::ports::{ContactScope, DirectoryError, DirectorySession, RemoteDepartment, RemoteUser};
use crate::values::DepartmentId;

/// Every department in the scope: the scope roots themselves and everything below them, each
/// once, parents before children where Lark lists them so.
pub(super) async fn departments_in_scope(
    session: &Arc<dyn DirectorySession>,
    scope: &ContactScope,
    concurrency: usize,
) -> Result<Vec<RemoteDepartment>, DirectoryError> {
    let roots: Vec<DepartmentId> = scope
        .department_ids
        .iter()
        .filter(|id| !id.is_root())
        .cloned()
        .collect();
    let mut all = if roots.is_empty() {
        Vec::new()
    } else {
        session.departments(&roots).await?
    };
    let mut unique = HashSet::new();
    let subtrees: Vec<DepartmentId> = scope
        .department_ids
        .iter()
        .filter(|id| unique.insert(*id))
        .cloned()
        .collect();
    let below: Vec<Vec<RemoteDepartment>> = stream::iter(subtrees)
        .map(|root| {
            let session = Arc::clone(session);
            async move { session.departments_under(&root).await }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    all.extend(below.into_iter().flatten());
    let mut seen = HashSet::new();
    all.retain(|d| seen.insert(d.state.open_department_id.clone()));
    Ok(all)
}

/// One item of the member listing.
pub(super) enum Listing {
    Page(Vec<RemoteUser>),
    /// A department's last page has been delivered.
    DepartmentDone,
}

enum Cursor {
    First,
    Next(String),
    Finished,
    Done,
}

/// All pages of one department's direct members. The root (`"0"`) is only readable with a
/// whole-tenant scope; without it Lark refuses, which simply means there is nothing to list.
/// A page token that comes back a second time (A, B, A, …) would list forever: it fails the
/// listing as an invalid response.
fn department_pages(
    session: Arc<dyn DirectorySession>,
    department: DepartmentId,
) -> impl Stream<Item = Result<Listing, DirectoryError>> + Send {
    let seen: HashSet<String> = HashSet::new();
    stream::try_unfold((Cursor::First, seen), move |(cursor, mut seen)| {
        let session = Arc::clone(&session);
        let department = department.clone();
        async move {
            let token = match cursor {
                Cursor::Done => return Ok(None),
                Cursor::Finished => {
                    return Ok(Some((Listing::DepartmentDone, (Cursor::Done, seen))));
                }
                Cursor::First => None,
                Cursor::Next(token) => Some(token),
            };
            let first = token.is_none();
            match session.users_page(&department, token).await {
                Ok(page) => {
                    let next = match page.next_page_token.filter(|t| !t.is_empty()) {
                        None => Cursor::Finished,
                        Some(token) if !seen.insert(token.clone()) => {
                            return Err(DirectoryError::InvalidResponse {
                                detail: format!(
                                    "the member listing of department {department} returned \
                                     a page token it had returned before; it would never end"
                                ),
                            });
                        }
                        Some(token) => Cursor::Next(token),
                    };
                    Ok(Some((Listing::Page(page.users), (next, seen))))
                }
                Err(DirectoryError::NoAuthority { .. }) if first && department.is_root() => {
                    Ok(Some((Listing::DepartmentDone, (Cursor::Done, seen))))
                }
                Err(other) => Err(other),
            }
        }
    })
}

/// Member pages of all departments, `concurrency` departments at a time.
pub(super) fn member_pages(
    session: &Arc<dyn DirectorySession>,
    departments: Vec<DepartmentId>,
    concurrency: usize,
) -> impl Stream<Item = Result<Listing, DirectoryError>> + Send {
    let session = Arc::clone(session);
    stream::iter(departments)
        .map(move |department| Box::pin(department_pages(Arc::clone(&session), department)))
        .flatten_unordered(concurrency.max(1))
}
