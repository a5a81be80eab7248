//! After a complete listing, every record that vanished is asked about directly before anything
//! is marked: a user by `users/:user_id` (the documented way to see a resigned user), a
//! department by `departments/:department_id`. Lark's answer tells the three cases apart:
//! returned (resigned users come back with their status), refused as outside the contact range
//! (`out_of_range`), or unknown (`removed`).

use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::model::Presence;
use crate::ports::{DirectoryError, DirectorySession, Recheck, RemoteDepartment, RemoteUser};
use crate::values::{DepartmentId, OpenId};

/// What the direct questions found: records Lark still returns, and the rest with why.
pub(super) struct Rechecked<T, K> {
    pub(super) found: Vec<T>,
    pub(super) departed: Vec<(K, Presence)>,
}

fn sort<T, K>(answers: Vec<(K, Recheck<T>)>) -> Rechecked<T, K> {
    let mut rechecked = Rechecked {
        found: Vec::new(),
        departed: Vec::new(),
    };
    for (id, answer) in answers {
        match answer {
            Recheck::Found(record) => rechecked.found.push(record),
            Recheck::OutOfRange => rechecked.departed.push((id, Presence::OutOfRange)),
            Recheck::Gone => rechecked.departed.push((id, Presence::Removed)),
        }
    }
    rechecked
}

/// Asks about each user, `concurrency` at a time (the adapter paces the requests).
pub(super) async fn users(
    session: &Arc<dyn DirectorySession>,
    ids: &[OpenId],
    concurrency: usize,
) -> Result<Rechecked<RemoteUser, OpenId>, DirectoryError> {
    let answers: Vec<(OpenId, Recheck<RemoteUser>)> = stream::iter(ids.iter().cloned())
        .map(|id| {
            let session = Arc::clone(session);
            async move { session.user(&id).await.map(|answer| (id, answer)) }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(sort(answers))
}

/// Asks about each department, `concurrency` at a time.
pub(super) async fn departments(
    session: &Arc<dyn DirectorySession>,
    ids: &[DepartmentId],
    concurrency: usize,
) -> Result<Rechecked<RemoteDepartment, DepartmentId>, DirectoryError> {
    let answers: Vec<(DepartmentId, Recheck<RemoteDepartment>)> = stream::iter(ids.iter().cloned())
        .map(|id| {
            let session = Arc::clone(session);
            async move { session.department(&id).await.map(|answer| (id, answer)) }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(sort(answers))
}
