//! A run's changes read in keyset pages (`read_model/run_changes.rs`): the pages of any size
//! hold every change of the run exactly once and in recording order, never a change of
//! another run; the last page says so, also when it is full; a page continues after its
//! position even when the changes before it are another run's; and the index that serves the
//! pages exists.

use aviary_domain::model::{
    ChangeKind, ChangePage, ChangePosition, ChangeRecord, Subject, SyncRun,
};
use aviary_domain::ports::{ReadModel, WriteBatch};
use sea_orm::ConnectionTrait as _;

use super::{Ctx, at, change, lease_and_run, oid, on_each_backend, registered, write};

/// `count` changes of `run`, one per account `ou_{prefix}_{i}`, recorded `ms` into the test.
fn changes(run: &SyncRun, prefix: &str, count: usize, ms: i64) -> Vec<ChangeRecord> {
    (0..count)
        .map(|i| {
            change(
                run,
                Subject::Account(oid(&format!("ou_{prefix}_{i:03}"))),
                ChangeKind::Added,
                at(ms),
            )
        })
        .collect()
}

/// Every page of `run`'s changes of size `limit`, following each page's `next`.
async fn pages(reads: &dyn ReadModel, run: &SyncRun, limit: u64) -> Vec<ChangePage> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = reads.run_changes(run.id, after, limit).await.unwrap();
        after = page.next;
        pages.push(page);
        if after.is_none() {
            return pages;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_changes_are_listed_in_pages_that_together_hold_each_change_once() {
    on_each_backend(|ctx: Ctx| async move {
        let reads = ctx.reads();
        let ours = registered(&ctx, "Paged").await;
        let theirs = registered(&ctx, "Interleaved").await;
        let (our_lease, our_run) = lease_and_run(&ctx, &ours).await;
        let (their_lease, their_run) = lease_and_run(&ctx, &theirs).await;
        // Three batches of ours with another run's changes recorded between them, so our
        // positions are not consecutive.
        let mut recorded = Vec::new();
        for (batch, ms) in [("a", 20), ("b", 21), ("c", 22)] {
            let mine = changes(&our_run, batch, 7, ms);
            recorded.extend(mine.clone());
            write(
                &ctx,
                &our_lease,
                WriteBatch {
                    changes: mine,
                    ..WriteBatch::default()
                },
                at(ms),
            )
            .await;
            write(
                &ctx,
                &their_lease,
                WriteBatch {
                    changes: changes(&their_run, batch, 3, ms),
                    ..WriteBatch::default()
                },
                at(ms),
            )
            .await;
        }

        // 21 changes: pages of 5 end with a short one, pages of 7 with a full one that is
        // still known to be the last, a page of 1000 holds them all.
        for (limit, sizes) in [
            (5, vec![5, 5, 5, 5, 1]),
            (7, vec![7, 7, 7]),
            (1, vec![1; 21]),
            (1000, vec![21]),
        ] {
            let pages = pages(reads.as_ref(), &our_run, limit).await;
            let shown: Vec<usize> = pages.iter().map(|p| p.changes.len()).collect();
            assert_eq!(shown, sizes, "pages of {limit}");
            let together: Vec<ChangeRecord> = pages.into_iter().flat_map(|p| p.changes).collect();
            assert_eq!(
                together, recorded,
                "pages of {limit}: each change once, in order"
            );
        }
        let theirs = pages(reads.as_ref(), &their_run, 4).await;
        assert!(
            theirs
                .iter()
                .flat_map(|p| &p.changes)
                .all(|c| c.run_id == their_run.id),
            "another run's pages hold only its changes"
        );
        assert_eq!(theirs.iter().map(|p| p.changes.len()).sum::<usize>(), 9);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_after_the_last_change_is_an_empty_last_page() {
    on_each_backend(|ctx: Ctx| async move {
        let reads = ctx.reads();
        let integration = registered(&ctx, "Past the end").await;
        let (lease, run) = lease_and_run(&ctx, &integration).await;
        write(
            &ctx,
            &lease,
            WriteBatch {
                changes: changes(&run, "x", 3, 20),
                ..WriteBatch::default()
            },
            at(20),
        )
        .await;
        let first = reads.run_changes(run.id, None, 2).await.unwrap();
        let next = first.next.expect("a third change follows");
        let second = reads.run_changes(run.id, Some(next), 2).await.unwrap();
        assert_eq!(second.changes.len(), 1);
        assert_eq!(second.next, None);
        let empty = ChangePage {
            changes: Vec::new(),
            next: None,
        };
        // Far past the last change (whose id is a few past `next`), and past what a BIGINT
        // holds.
        for after in [next.get() + 1_000_000, u64::MAX] {
            assert_eq!(
                reads
                    .run_changes(run.id, Some(ChangePosition::new(after)), 2)
                    .await
                    .unwrap(),
                empty,
                "after {after}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_that_serves_a_runs_change_pages_exists() {
    on_each_backend(|ctx: Ctx| async move {
        let sql = match ctx.backend() {
            aviary_adapters_db::Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'changes'"
            }
            aviary_adapters_db::Backend::Postgres => {
                "SELECT indexname FROM pg_indexes WHERE tablename = 'changes'"
            }
        };
        let connection = ctx.db.connection();
        let names: Vec<String> = connection
            .query_all_raw(sea_orm::Statement::from_string(
                connection.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect();
        assert!(
            names.iter().any(|n| n == "ix_changes_run"),
            "ix_changes_run (run_id, id) in {names:?}"
        );
    })
    .await;
}
