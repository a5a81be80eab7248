//! Retention: runs that ended before the cutoff go with their changes — in a dry run only
//! counted — except each integration's newest run and newest succeeded run; running runs and
//! newer runs stay, and so do other integrations' runs.

use aviary_domain::model::{ChangeKind, Integration, RunStatus, Subject, SyncRun};
use aviary_domain::ports::{Pruned, WriteBatch};

use super::{Ctx, TTL, at, change, new_run, oid, on_each_backend, registered};

/// A run of `integration` started at `ms` and ended `status` a second later, with `changes`
/// changes; under a lease of its own (taken at `ms`, given back at its end).
async fn run(
    ctx: &Ctx,
    integration: &Integration,
    ms: i64,
    status: RunStatus,
    changes: usize,
) -> SyncRun {
    let store = ctx.store();
    let lease = store
        .acquire_lease(integration.id, "worker-1", TTL, at(ms))
        .await
        .unwrap();
    let mut run = new_run(integration, at(ms));
    store.begin_run(&lease, &run).await.unwrap();
    let recorded = (0..changes)
        .map(|i| {
            change(
                &run,
                Subject::Account(oid(&format!("ou_{ms}_{i}"))),
                ChangeKind::Added,
                at(ms),
            )
        })
        .collect();
    store
        .write_batch(
            &lease,
            WriteBatch {
                changes: recorded,
                ..WriteBatch::default()
            },
            at(ms),
        )
        .await
        .unwrap();
    if status != RunStatus::Running {
        run.status = status;
        run.finished_at = Some(at(ms + 1_000));
        store.finish_run(&lease, &run, &[]).await.unwrap();
        store.release_lease(&lease).await.unwrap();
    }
    run
}

async fn run_ids(ctx: &Ctx, integration: &Integration) -> Vec<SyncRun> {
    ctx.reads().runs(integration.id, 100).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_runs_go_with_their_changes_but_each_integrations_newest_and_newest_good_stay() {
    on_each_backend(|ctx: Ctx| async move {
        let acme = registered(&ctx, "Acme").await;
        let other = registered(&ctx, "Other").await;
        let old_good = run(&ctx, &acme, 0, RunStatus::Succeeded, 3).await;
        let old_failed = run(&ctx, &acme, 10_000, RunStatus::Failed, 2).await;
        let last_good = run(&ctx, &acme, 20_000, RunStatus::Succeeded, 4).await;
        let old_cancelled = run(&ctx, &acme, 30_000, RunStatus::Cancelled, 5).await;
        let newest = run(&ctx, &acme, 40_000, RunStatus::Failed, 1).await;
        let recent = run(&ctx, &other, 50_000, RunStatus::Succeeded, 2).await;
        let others_old = run(&ctx, &other, 5_000, RunStatus::Failed, 6).await;
        // Everything above ended before 60 s but `recent` (51 s) is kept as the newest of its
        // integration; the cutoff is 45 s.
        let history = ctx.db.run_history();
        let expected = Pruned {
            runs: 4,
            changes: 3 + 2 + 5 + 6,
        };
        assert_eq!(
            history.prune_runs(at(45_000), true).await.unwrap(),
            expected
        );
        assert_eq!(
            run_ids(&ctx, &acme).await.len(),
            5,
            "a dry run deletes nothing"
        );

        assert_eq!(
            history.prune_runs(at(45_000), false).await.unwrap(),
            expected
        );
        let left: Vec<_> = run_ids(&ctx, &acme)
            .await
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(left, vec![newest.id, last_good.id], "newest first");
        let left: Vec<_> = run_ids(&ctx, &other)
            .await
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(left, vec![recent.id]);
        let reads = ctx.reads();
        for gone in [&old_good, &old_failed, &old_cancelled, &others_old] {
            let page = reads.run_changes(gone.id, None, 1000).await.unwrap();
            assert!(page.changes.is_empty(), "{:?}'s changes went", gone.status);
        }
        let page = reads.run_changes(last_good.id, None, 1000).await.unwrap();
        assert_eq!(page.changes.len(), 4, "kept runs keep their changes");
        assert_eq!(
            history.prune_runs(at(45_000), false).await.unwrap(),
            Pruned::default(),
            "nothing more to prune"
        );

        // A run still running is never pruned, however old.
        let running = run(&ctx, &other, 55_000, RunStatus::Running, 1).await;
        history.prune_runs(at(10_000_000), false).await.unwrap();
        let left: Vec<_> = run_ids(&ctx, &other)
            .await
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert!(
            left.contains(&running.id) && left.contains(&recent.id),
            "{left:?}"
        );
    })
    .await;
}
