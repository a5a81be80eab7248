//! `Database::backup_to`: on SQLite a consistent copy in a new private file that opens with the
//! same key; never over an existing file; on PostgreSQL refused (its own tools do it).

use aviary_adapters_db::{Backend, BackupError, Database};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_is_a_new_private_copy_that_opens_with_the_same_key() {
    on_each_backend(|ctx: Ctx| async move {
        let integration = registered(&ctx, "Backed up").await;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("copy.db");
        let made = ctx.db.backup_to(&target).await;
        if ctx.db.backend() == Backend::Postgres {
            assert!(matches!(made, Err(BackupError::Postgres)), "{made:?}");
            assert!(!target.exists());
            return;
        }
        assert!(made.unwrap() > 0);
        let again = ctx.db.backup_to(&target).await;
        assert!(matches!(again, Err(BackupError::Exists(_))), "{again:?}");
        let url = format!("sqlite://{}", target.display());
        let copy = Database::connect(&url, ctx.key.clone()).await.unwrap();
        let found = copy
            .integrations()
            .get(integration.id)
            .await
            .unwrap()
            .unwrap();
        assert_same_integration(&found, &integration);
        copy.close().await.unwrap();
    })
    .await;
}
