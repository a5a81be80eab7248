//! The keyring on both backends: every ciphertext names its key, any known key decrypts, the
//! primary encrypts. A process that has not switched after a rotation keeps writing under the
//! old key; those rows keep opening wherever the old key is known, the next rotation
//! re-encrypts them, and `secrets_under` says when a key is no longer used. A rotation records
//! the new primary in the database: a process that knows that key switches without a restart.

use aviary_adapters_db::{Database, MasterKey};
use aviary_domain::ports::IntegrationStoreError;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_written_under_the_old_key_after_a_rotation_opens_wherever_that_key_is_known() {
    on_each_backend(|ctx: Ctx| async move {
        let early = registered(&ctx, "Early").await;
        // A second process, started before the rotation, still encrypting with the old key.
        let laggard = Database::connect(&ctx.url, ctx.key.clone()).await.unwrap();
        let second = MasterKey::generate();
        assert_eq!(
            ctx.db
                .rotate_master_key(second.clone(), &mut |_| ())
                .await
                .unwrap(),
            1
        );
        let late = new_integration("Late", "secret-of-late");
        laggard.integrations().insert(&late).await.unwrap();
        laggard.close().await.unwrap();
        assert_eq!(ctx.db.secrets_under(ctx.key.id()).await.unwrap(), 1);
        assert_eq!(ctx.db.secrets_under(second.id()).await.unwrap(), 1);

        // The rotating process kept the old key: it opens both.
        for id in [early.id, late.id] {
            assert!(ctx.integrations().get(id).await.unwrap().is_some());
        }
        // A fresh process with only the new key opens the rotated row; the late one is that
        // integration's problem alone, in plain words.
        let only_new = Database::connect(&ctx.url, second.clone()).await.unwrap();
        assert!(
            only_new
                .integrations()
                .get(early.id)
                .await
                .unwrap()
                .is_some()
        );
        let err = only_new.integrations().get(late.id).await.unwrap_err();
        assert!(
            matches!(&err, IntegrationStoreError::Undecryptable(why) if why.contains("Late")),
            "{err:?}"
        );
        assert_eq!(only_new.integrations().list().await.unwrap().len(), 2);
        // Given the retired key too, it opens everything.
        only_new.add_decryption_keys(vec![ctx.key.clone()]);
        assert_same_integration(
            &only_new.integrations().get(late.id).await.unwrap().unwrap(),
            &late,
        );
        // The next rotation re-encrypts what was left under the old key.
        let third = MasterKey::generate();
        assert_eq!(
            only_new
                .rotate_master_key(third.clone(), &mut |_| ())
                .await
                .unwrap(),
            2
        );
        assert_eq!(only_new.secrets_under(ctx.key.id()).await.unwrap(), 0);
        assert_eq!(only_new.secrets_under(third.id()).await.unwrap(), 2);
        only_new.close().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_following_the_key_directory_encrypts_with_the_new_key_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("aviary.db").display()
    );
    let first = MasterKey::load_or_create(dir.path()).unwrap();
    let rotating = Database::open(&url, first.clone()).await.unwrap();
    let running = Database::connect(&url, first.clone()).await.unwrap();
    running.follow_key_directory(dir.path().to_path_buf());
    let early = new_integration("Early", "secret-of-early");
    running.integrations().insert(&early).await.unwrap();

    // What `aviary db rotate-key` does, from another process.
    first.retire_in(dir.path()).unwrap();
    let second = MasterKey::generate();
    rotating
        .rotate_master_key(second.clone(), &mut |_| ())
        .await
        .unwrap();
    second.store_in(dir.path()).unwrap();

    // The running process now encrypts with the new key, and still reads the rotated row.
    let late = new_integration("Late", "secret-of-late");
    running.integrations().insert(&late).await.unwrap();
    assert_eq!(running.secrets_under(first.id()).await.unwrap(), 0);
    assert_eq!(running.secrets_under(second.id()).await.unwrap(), 2);
    assert_same_integration(
        &running.integrations().get(early.id).await.unwrap().unwrap(),
        &early,
    );
    // A process that knows only the new key reads everything.
    let fresh = Database::connect(&url, second).await.unwrap();
    assert_same_integration(
        &fresh.integrations().get(late.id).await.unwrap().unwrap(),
        &late,
    );
    for db in [rotating, running, fresh] {
        db.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_given_the_new_key_in_advance_encrypts_with_it_once_the_rotation_commits() {
    on_each_backend(|ctx: Ctx| async move {
        let early = registered(&ctx, "Early").await;
        let second = MasterKey::generate();
        // Keys from the settings: the running process was given the next key beforehand.
        let running = Database::connect(&ctx.url, ctx.key.clone()).await.unwrap();
        running.add_decryption_keys(vec![second.clone()]);
        let before = new_integration("Before", "secret-of-before");
        running.integrations().insert(&before).await.unwrap();
        assert_eq!(running.secrets_under(ctx.key.id()).await.unwrap(), 2);

        let mut heard = Vec::new();
        let rotated = ctx
            .db
            .rotate_master_key(second.clone(), &mut |count| heard.push(count))
            .await
            .unwrap();
        assert_eq!(
            (rotated, heard),
            (2, vec![2]),
            "told once, before the commit"
        );
        assert_eq!(
            ctx.db.recorded_primary_key_id().await.unwrap().as_deref(),
            Some(second.id())
        );

        // No restart: its next secret is under the recorded primary.
        let after = new_integration("After", "secret-of-after");
        running.integrations().insert(&after).await.unwrap();
        assert_eq!(running.master_key_id(), second.id());
        assert_eq!(running.secrets_under(ctx.key.id()).await.unwrap(), 0);
        for (id, expected) in [(early.id, &early), (after.id, &after)] {
            let found = running.integrations().get(id).await.unwrap().unwrap();
            assert_same_integration(&found, expected);
        }

        // The key report: the old key encrypts nothing any more and may go.
        let usage = running.key_usage().await.unwrap();
        assert_eq!(usage.recorded_primary.as_deref(), Some(second.id()));
        assert_eq!(usage.in_use, second.id());
        let count = |id: &str| usage.keys.iter().find(|k| k.id == id).map(|k| k.secrets);
        assert_eq!(count(second.id()), Some(3));
        assert_eq!(count(ctx.key.id()), Some(0));
        assert!(usage.undecryptable.is_empty(), "{:?}", usage.undecryptable);
        running.close().await.unwrap();

        // A process without the new key reports each secret it cannot open, by name.
        let without = Database::connect(&ctx.url, ctx.key.clone()).await.unwrap();
        let usage = without.key_usage().await.unwrap();
        let unknown = usage.keys.iter().find(|k| k.id == second.id()).unwrap();
        assert!(!unknown.known);
        assert_eq!(usage.undecryptable.len(), 3, "{:?}", usage.undecryptable);
        assert!(
            usage
                .undecryptable
                .iter()
                .any(|what| what.contains("\"After\""))
        );
        without.close().await.unwrap();
    })
    .await;
}
