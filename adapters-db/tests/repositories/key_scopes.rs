//! API key scopes, expiry and creators are stored and read back on both backends, and a key
//! stored before they existed keeps the power it had (`manage`) with its creator unrecorded.

use aviary_adapters_db::{Database, MasterKey, Migrator};
use aviary_domain::model::{KeyCreator, KeyScope};
use aviary_domain::values::EmailAddress;
use sea_orm::{ConnectionTrait as _, Statement};
use sea_orm_migration::MigratorTrait as _;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_scope_expiry_and_creator_read_back_as_stored() {
    on_each_backend(|ctx: Ctx| async move {
        let keys = ctx.db.api_keys();
        let (mut reader, _) = api_key(11, "reader", at(0));
        reader.scope = KeyScope::Read;
        reader.expires_at = Some(at(3_600));
        reader.created_by = KeyCreator::Admin(EmailAddress::parse("ops@example.com").unwrap());
        let (mut syncer, _) = api_key(12, "syncer", at(1));
        syncer.scope = KeyScope::Sync;
        syncer.created_by = KeyCreator::Unrecorded;
        keys.insert(&reader).await.unwrap();
        keys.insert(&syncer).await.unwrap();
        assert_eq!(keys.get(reader.id).await.unwrap(), Some(reader.clone()));
        assert_eq!(keys.get(syncer.id).await.unwrap(), Some(syncer.clone()));
        assert_eq!(keys.list().await.unwrap(), vec![reader, syncer]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_stored_before_scopes_existed_keeps_manage_and_an_unrecorded_creator() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let old = sea_orm::Database::connect(url.as_str()).await.unwrap();
    // Migration 14 added the scopes; one migration followed it.
    let before_scopes = u32::try_from(Migrator::count() - 2).unwrap();
    Migrator::up(&old, Some(before_scopes)).await.unwrap();
    let (key, _) = api_key(13, "old automation", at(0));
    old.execute_raw(Statement::from_string(
        sea_orm::DbBackend::Sqlite,
        format!(
            "INSERT INTO api_keys (id, name, prefix, secret_hash, created_at) \
             VALUES (x'{}', 'old automation', '{}', '{}', {})",
            key.id.as_uuid().simple(),
            key.prefix.as_str(),
            key.secret_hash.to_hex(),
            key.created_at.timestamp_micros(),
        ),
    ))
    .await
    .unwrap();
    old.close().await.unwrap();

    let db = Database::open(&url, MasterKey::generate()).await.unwrap();
    let upgraded = db.api_keys().get(key.id).await.unwrap().unwrap();
    assert_eq!(upgraded.scope, KeyScope::Manage);
    assert_eq!(upgraded.created_by, KeyCreator::Unrecorded);
    assert_eq!(upgraded.expires_at, None);
    db.close().await.unwrap();
}
