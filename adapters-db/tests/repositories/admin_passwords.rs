//! A password reset in the admin store (`admins.rs`): the new hash replaces the old one and the
//! sign-in lock goes in the same write, nothing else of the admin (or of another admin) changes,
//! and the admin's sessions — only theirs — can then be ended, on every backend.

use aviary_domain::model::Admin;
use aviary_domain::ports::AdminStoreError;
use aviary_domain::values::{AdminId, PasswordHash};
use uuid::Uuid;

use super::{Ctx, at, new_admin, new_session, on_each_backend};

const NEW_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$TkVXLXNhbHQ$TkVXLWhhc2gtb2YtdGhlLW5ldy1wYXNzd29yZA";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_replaces_the_hash_and_clears_the_lock_of_that_admin_only() {
    on_each_backend(|ctx: Ctx| async move {
        let admins = ctx.db.admins();
        let sessions = ctx.db.sessions();
        let ada = new_admin("ada@example.com", at(10));
        let bob = new_admin("bob@example.com", at(20));
        admins.insert(&ada).await.unwrap();
        admins.insert(&bob).await.unwrap();
        admins.record_sign_in(ada.id, at(500)).await.unwrap();
        admins.lock_until(ada.id, at(900_000)).await.unwrap();
        admins.record_failed_attempt(ada.id).await.unwrap();
        admins.record_failed_attempt(bob.id).await.unwrap();
        admins.lock_until(bob.id, at(900_000)).await.unwrap();
        let bob_before = admins.get(bob.id).await.unwrap().unwrap();
        for seed in 1..=2 {
            sessions
                .create(&new_session(&ada, seed, at(1_000)).0)
                .await
                .unwrap();
        }
        let (bobs_session, _) = new_session(&bob, 3, at(1_000));
        sessions.create(&bobs_session).await.unwrap();

        let new_hash = PasswordHash::from_phc(NEW_PHC.to_owned());
        admins.set_password_hash(ada.id, &new_hash).await.unwrap();
        let reset = admins.get(ada.id).await.unwrap().unwrap();
        assert_eq!(
            reset,
            Admin {
                password_hash: new_hash.clone(),
                last_sign_in_at: Some(at(500)),
                failed_attempts: 0,
                locked_until: None,
                ..ada.clone()
            }
        );
        assert_eq!(
            admins.find_by_email(&ada.email).await.unwrap(),
            Some(reset),
            "found by email with the new hash"
        );
        assert_eq!(
            admins.get(bob.id).await.unwrap(),
            Some(bob_before),
            "another admin keeps its hash and its lock"
        );

        // What the reset does next: ends that admin's sessions, not another admin's.
        assert_eq!(sessions.delete_all_of(ada.id).await.unwrap(), 2);
        assert_eq!(sessions.delete_all_of(ada.id).await.unwrap(), 0);
        assert!(sessions.find(&bobs_session.id).await.unwrap().is_some());

        let ghost = AdminId::from_uuid(Uuid::new_v4());
        assert_eq!(
            admins
                .set_password_hash(ghost, &new_hash)
                .await
                .unwrap_err(),
            AdminStoreError::NotFound(ghost)
        );
    })
    .await;
}
