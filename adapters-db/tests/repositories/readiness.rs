//! Readiness (`/readyz`): a database that answers but has migrations this version knows
//! pending (restored from an older backup, say) is not ready until they are applied.

use aviary_adapters_db::{Database, MasterKey, Migrator};
use sea_orm_migration::MigratorTrait as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_pending_migrations_is_not_ready_until_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let old = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let behind = u32::try_from(Migrator::count() - 1).unwrap();
    Migrator::up(&old, Some(behind)).await.unwrap();
    old.close().await.unwrap();

    let db = Database::connect(&url, MasterKey::generate())
        .await
        .unwrap();
    let err = db.health().ping().await.unwrap_err();
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("1 schema migrations are pending"), "{cause}");
    db.migrate().await.unwrap();
    db.health().ping().await.unwrap();
    db.close().await.unwrap();
}
