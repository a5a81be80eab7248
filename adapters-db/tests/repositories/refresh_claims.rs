//! Refresh claims: of several processes needing a fresh user token, only the one whose claim on
//! the grant's generation succeeds asks Lark; a claim holds until it lapses, its owner releases
//! it, or a refreshed pair (or a new login) is stored — and a claim on a generation the grant
//! has moved past never succeeds.

use aviary_domain::model::Grant;

use super::{at, grant_of, on_each_backend, registered};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_at_a_time_claims_a_grants_refresh_until_it_stores_releases_or_lapses() {
    on_each_backend(|ctx| async move {
        let integration = registered(&ctx, "Claimed").await;
        let grants = ctx.grants();
        let saved = grants
            .save_grant(&grant_of(&integration, "access-1", "refresh-1"))
            .await
            .unwrap();
        let (id, first) = (integration.id, saved.generation);
        let claim = |owner: &'static str, generation: i64, now: i64| {
            let grants = grants.clone();
            async move {
                grants
                    .claim_refresh(id, generation, owner, at(now + 90_000), at(now))
                    .await
                    .unwrap()
            }
        };
        assert!(claim("host-a:1", first, 0).await);
        assert!(!claim("host-b:1", first, 1_000).await, "held by a");
        assert!(claim("host-a:1", first, 2_000).await, "a may claim again");
        // Lapsed (a died): b takes it.
        assert!(claim("host-b:1", first, 93_000).await);
        grants.release_refresh(id, "host-a:1").await.unwrap();
        assert!(
            !claim("host-c:1", first, 94_000).await,
            "a's release frees nothing of b's"
        );
        grants.release_refresh(id, "host-b:1").await.unwrap();
        assert!(
            claim("host-c:1", first, 95_000).await,
            "b's release frees it"
        );

        // c stores its refreshed pair: the claim ends with the generation it was on.
        let refreshed = Grant {
            generation: first,
            ..grant_of(&integration, "access-2", "refresh-2")
        };
        let stored = grants.replace_refreshed(&refreshed).await.unwrap().unwrap();
        assert!(
            !claim("host-a:1", first, 96_000).await,
            "the old generation is gone"
        );
        assert!(claim("host-a:1", stored.generation, 96_000).await);

        // A new login replaces the grant, and with it a claim on the old one.
        let relogged = grants
            .save_grant(&grant_of(&integration, "access-3", "refresh-3"))
            .await
            .unwrap();
        assert!(claim("host-b:1", relogged.generation, 97_000).await);
    })
    .await;
}
