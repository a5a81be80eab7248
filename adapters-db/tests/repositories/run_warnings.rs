//! A run's warnings (e.g. the admin's Lark sign-in no longer works) are stored with its result
//! and read back by the read model, on every backend; a run without warnings reads back none.

use aviary_domain::model::RunStatus;

use super::{Ctx, at, lease_and_run, on_each_backend, registered};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_warnings_are_stored_with_the_result_and_read_back() {
    on_each_backend(|ctx: Ctx| async move {
        let store = ctx.store();
        let reads = ctx.reads();
        let integration = registered(&ctx, "Warned").await;
        let (lease, mut run) = lease_and_run(&ctx, &integration).await;
        assert!(
            reads
                .run(run.id)
                .await
                .unwrap()
                .unwrap()
                .warnings
                .is_empty()
        );

        run.status = RunStatus::Succeeded;
        run.finished_at = Some(at(40));
        run.warnings = vec![
            "the Lark sign-in of Ada <ada@acme.example> that connects this integration no \
             longer works"
                .to_owned(),
            "a second one, with \"quotes\", a newline\nand ünïcödé".to_owned(),
        ];
        store.finish_run(&lease, &run, &[]).await.unwrap();
        assert_eq!(reads.run(run.id).await.unwrap().unwrap(), run);
        assert_eq!(
            reads.runs(integration.id, 5).await.unwrap()[0].warnings,
            run.warnings
        );
        assert_eq!(
            reads.last_succeeded_run(integration.id).await.unwrap(),
            Some(run.clone())
        );

        store.release_lease(&lease).await.unwrap();
        let (lease, mut quiet) = lease_and_run(&ctx, &integration).await;
        quiet.status = RunStatus::Succeeded;
        quiet.finished_at = Some(at(50));
        store.finish_run(&lease, &quiet, &[]).await.unwrap();
        let read = reads.run(quiet.id).await.unwrap().unwrap();
        assert!(read.warnings.is_empty());
    })
    .await;
}
