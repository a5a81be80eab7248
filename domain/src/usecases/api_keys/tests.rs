//! `ApiKeys` against a mocked store: creation (plaintext once, digest stored), listing,
//! revocation (unknown, already revoked, raced) and authentication (every refusal the same,
//! `last_used_at` written at most once a minute).

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use secrecy::ExposeSecret as _;

use super::*;
use crate::ports::{MockApiKeyStore, MockClock, MockIdSource};
use crate::values::{ApiKeyHash, KeyPrefix};

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn key_id(n: u128) -> ApiKeyId {
    ApiKeyId::from_uuid(uuid::Uuid::from_u128(n))
}

/// A stored key made from `seed` random bytes, with its plaintext.
fn stored(seed: u8) -> (ApiKey, String) {
    let generated = GeneratedKey::from_random([seed; 32]);
    let key = ApiKey {
        id: key_id(u128::from(seed)),
        name: KeyName::parse("CI exporter").unwrap(),
        prefix: generated.prefix,
        secret_hash: generated.hash,
        scope: KeyScope::Manage,
        created_by: KeyCreator::CommandLine,
        created_at: at(-3600),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
    };
    (key, generated.secret.expose_secret().to_owned())
}

fn use_case(store: MockApiKeyStore, now: DateTime<Utc>) -> ApiKeys {
    let mut clock = MockClock::new();
    clock.expect_now().returning(move || now);
    let mut ids = MockIdSource::new();
    ids.expect_new_uuid()
        .returning(|| uuid::Uuid::from_u128(42));
    ids.expect_random_256().returning(|| [5; 32]);
    ApiKeys::new(Arc::new(store), Arc::new(clock), Arc::new(ids))
}

/// A request for a key named `name` with the widest scope, no expiry, from the command line.
fn named(name: &str) -> NewApiKey {
    NewApiKey {
        name: name.to_owned(),
        scope: KeyScope::Manage,
        expires_in_days: None,
        created_by: KeyCreator::CommandLine,
    }
}

fn backend() -> ApiKeyStoreError {
    ApiKeyStoreError::Backend(crate::ports::StoreFault::failed("disk on fire"))
}

// ---- create ----------------------------------------------------------------------------------

#[tokio::test]
async fn create_stores_only_the_digest_and_returns_the_plaintext_once() {
    let mut store = MockApiKeyStore::new();
    store
        .expect_insert()
        .withf(|key| {
            key.id == key_id(42)
                && key.name.as_str() == "CI exporter"
                && key.created_at == at(0)
                && key.last_used_at.is_none()
                && key.revoked_at.is_none()
        })
        .times(1)
        .returning(|_| Ok(()));
    let created = use_case(store, at(0))
        .create(named("  CI exporter "))
        .await
        .unwrap();
    let plain = created.secret.expose_secret();
    assert!(plain.starts_with("avk_") && plain.len() == 47, "{plain}");
    assert_eq!(created.key.prefix.as_str(), &plain[..12]);
    assert_eq!(
        created.key.secret_hash,
        hash_presented_key(plain).unwrap(),
        "the stored digest is the key's"
    );
    assert_eq!(
        created.key.secret_hash,
        GeneratedKey::from_random([5; 32]).hash,
        "the randomness comes from the IdSource port"
    );
    assert!(!format!("{created:?}").contains(plain), "Debug redacts it");
}

#[tokio::test]
async fn an_invalid_name_stores_nothing() {
    let mut store = MockApiKeyStore::new();
    store.expect_insert().never();
    let keys = use_case(store, at(0));
    assert_eq!(
        keys.create(named(" ")).await.unwrap_err(),
        ApiKeyError::Name(KeyNameError::Empty)
    );
    assert_eq!(
        keys.create(named(&"k".repeat(101))).await.unwrap_err(),
        ApiKeyError::Name(KeyNameError::TooLong { max: 100 })
    );
    assert_eq!(
        keys.create(named("a\u{1b}[31m")).await.unwrap_err(),
        ApiKeyError::Name(KeyNameError::ControlCharacters)
    );
}

#[tokio::test]
async fn a_store_failure_on_create_is_a_store_error() {
    let mut store = MockApiKeyStore::new();
    store.expect_insert().returning(|_| Err(backend()));
    let err = use_case(store, at(0))
        .create(named("ci"))
        .await
        .unwrap_err();
    assert_eq!(err, ApiKeyError::Store(backend()));
}

// ---- list and get ----------------------------------------------------------------------------

#[tokio::test]
async fn list_and_get_pass_through_the_store() {
    let (key, _) = stored(1);
    let mut store = MockApiKeyStore::new();
    let listed = key.clone();
    store
        .expect_list()
        .times(1)
        .returning(move || Ok(vec![listed.clone()]));
    let found = key.clone();
    store
        .expect_get()
        .returning(move |id| Ok((id == found.id).then(|| found.clone())));
    let keys = use_case(store, at(0));
    assert_eq!(keys.list().await.unwrap(), vec![key.clone()]);
    assert_eq!(keys.get(key.id).await.unwrap(), key);
    assert_eq!(
        keys.get(key_id(99)).await.unwrap_err(),
        ApiKeyError::NotFound(key_id(99))
    );
}

#[tokio::test]
async fn list_and_get_report_store_failures() {
    let mut store = MockApiKeyStore::new();
    store.expect_list().returning(|| Err(backend()));
    store.expect_get().returning(|_| Err(backend()));
    let keys = use_case(store, at(0));
    assert_eq!(
        keys.list().await.unwrap_err(),
        ApiKeyError::Store(backend())
    );
    assert_eq!(
        keys.get(key_id(1)).await.unwrap_err(),
        ApiKeyError::Store(backend())
    );
}

// ---- revoke ----------------------------------------------------------------------------------

fn store_with(key: Option<ApiKey>) -> MockApiKeyStore {
    let mut store = MockApiKeyStore::new();
    store.expect_get().returning(move |_| Ok(key.clone()));
    store
}

#[tokio::test]
async fn revoking_an_active_key_records_when() {
    let (key, _) = stored(1);
    let mut store = store_with(Some(key.clone()));
    store
        .expect_revoke()
        .withf(|id, now| *id == key_id(1) && *now == at(10))
        .times(1)
        .returning(|_, _| Ok(true));
    let revoked = use_case(store, at(10)).revoke(key.id).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(at(10)));
    assert!(!revoked.is_active());
}

#[tokio::test]
async fn revoking_an_unknown_key_is_not_found() {
    let mut store = store_with(None);
    store.expect_revoke().never();
    let err = use_case(store, at(0)).revoke(key_id(9)).await.unwrap_err();
    assert_eq!(err, ApiKeyError::NotFound(key_id(9)));
    assert!(err.to_string().contains("aviary key list"), "{err}");
}

#[tokio::test]
async fn revoking_a_revoked_key_is_already_revoked() {
    let (mut key, _) = stored(1);
    key.revoked_at = Some(at(-5));
    let mut store = store_with(Some(key.clone()));
    store.expect_revoke().never();
    let err = use_case(store, at(0)).revoke(key.id).await.unwrap_err();
    assert_eq!(err, ApiKeyError::AlreadyRevoked(key.id));
}

#[tokio::test]
async fn a_revocation_that_loses_a_race_or_fails_says_so() {
    let (key, _) = stored(1);
    for (answer, expected) in [
        (Ok(false), ApiKeyError::AlreadyRevoked(key.id)),
        (
            Err(ApiKeyStoreError::NotFound(key.id)),
            ApiKeyError::NotFound(key.id),
        ),
        (Err(backend()), ApiKeyError::Store(backend())),
    ] {
        let mut store = store_with(Some(key.clone()));
        store
            .expect_revoke()
            .times(1)
            .returning(move |_, _| answer.clone());
        assert_eq!(
            use_case(store, at(0)).revoke(key.id).await.unwrap_err(),
            expected
        );
    }
}

// ---- authenticate ----------------------------------------------------------------------------

/// A store that finds `key` by its digest (and nothing else).
fn finding(key: ApiKey) -> MockApiKeyStore {
    let mut store = MockApiKeyStore::new();
    store
        .expect_find_by_hash()
        .returning(move |hash: &ApiKeyHash| Ok((*hash == key.secret_hash).then(|| key.clone())));
    store
}

#[tokio::test]
async fn a_valid_key_authenticates_and_its_first_use_is_recorded() {
    let (key, plain) = stored(1);
    let mut store = finding(key.clone());
    store
        .expect_touch_last_used()
        .withf(|id, now| *id == key_id(1) && *now == at(0))
        .times(1)
        .returning(|_, _| Ok(()));
    let found = use_case(store, at(0)).authenticate(&plain).await.unwrap();
    assert_eq!(found.id, key.id);
    assert_eq!(found.last_used_at, Some(at(0)));
}

#[tokio::test]
async fn last_used_is_written_at_most_once_a_minute() {
    let (mut key, plain) = stored(1);
    key.last_used_at = Some(at(0));

    for now in [at(1), at(59), at(-30)] {
        let found = use_case(clone_store(&key), now)
            .authenticate(&plain)
            .await
            .unwrap();
        assert_eq!(found.last_used_at, Some(at(0)), "not rewritten at {now}");
    }

    let mut due = finding(key.clone());
    due.expect_touch_last_used()
        .withf(|_, now| *now == at(60))
        .times(1)
        .returning(|_, _| Ok(()));
    let found = use_case(due, at(60)).authenticate(&plain).await.unwrap();
    assert_eq!(found.last_used_at, Some(at(60)));
}

/// A store that finds `key` and must not be written to.
fn clone_store(key: &ApiKey) -> MockApiKeyStore {
    let mut store = finding(key.clone());
    store.expect_touch_last_used().never();
    store
}

#[tokio::test]
async fn malformed_unknown_and_revoked_keys_get_the_same_error() {
    let (mut revoked, revoked_plain) = stored(1);
    revoked.revoked_at = Some(at(-1));
    let (_, unknown_plain) = stored(2);

    // Malformed: refused before any lookup.
    let mut store = MockApiKeyStore::new();
    store.expect_find_by_hash().never();
    store.expect_touch_last_used().never();
    let keys = use_case(store, at(0));
    let mut errors = Vec::new();
    for malformed in ["", "Bearer x", "avk_short", &revoked_plain[1..]] {
        errors.push(keys.authenticate(malformed).await.unwrap_err());
    }

    // Unknown and revoked: looked up, refused, nothing written.
    let keys = use_case(clone_store(&revoked), at(0));
    errors.push(keys.authenticate(&unknown_plain).await.unwrap_err());
    errors.push(keys.authenticate(&revoked_plain).await.unwrap_err());

    // Expired: from its expiry instant on.
    let (mut expired, expired_plain) = stored(3);
    expired.expires_at = Some(at(0));
    let keys = use_case(clone_store(&expired), at(0));
    errors.push(keys.authenticate(&expired_plain).await.unwrap_err());

    assert!(
        errors.iter().all(|e| *e == AuthError::InvalidKey),
        "{errors:?}"
    );
    assert_eq!(AuthError::InvalidKey.to_string(), "invalid API key");
}

#[tokio::test]
async fn a_store_returning_another_keys_record_does_not_authenticate() {
    let (other, _) = stored(1);
    let (_, plain) = stored(2);
    let mut store = MockApiKeyStore::new();
    store
        .expect_find_by_hash()
        .returning(move |_| Ok(Some(other.clone())));
    store.expect_touch_last_used().never();
    assert_eq!(
        use_case(store, at(0))
            .authenticate(&plain)
            .await
            .unwrap_err(),
        AuthError::InvalidKey
    );
}

#[tokio::test]
async fn store_failures_are_not_passed_off_as_invalid_keys() {
    let (key, plain) = stored(1);
    let mut failing = MockApiKeyStore::new();
    failing.expect_find_by_hash().returning(|_| Err(backend()));
    assert_eq!(
        use_case(failing, at(0))
            .authenticate(&plain)
            .await
            .unwrap_err(),
        AuthError::Store(backend())
    );

    let mut touch_fails = finding(key.clone());
    touch_fails
        .expect_touch_last_used()
        .returning(|_, _| Err(backend()));
    assert_eq!(
        use_case(touch_fails, at(0))
            .authenticate(&plain)
            .await
            .unwrap_err(),
        AuthError::Store(backend())
    );

    let mut vanished = finding(key.clone());
    vanished
        .expect_touch_last_used()
        .returning(|id, _| Err(ApiKeyStoreError::NotFound(id)));
    assert_eq!(
        use_case(vanished, at(0))
            .authenticate(&plain)
            .await
            .unwrap_err(),
        AuthError::InvalidKey
    );
}

#[test]
fn stored_prefixes_are_what_generation_gives() {
    let (key, plain) = stored(3);
    assert_eq!(key.prefix, KeyPrefix::parse(&plain[..12]).unwrap());
}

#[tokio::test]
async fn timestamps_are_kept_to_the_microsecond_like_the_store() {
    let mut store = MockApiKeyStore::new();
    store.expect_insert().returning(|_| Ok(()));
    let precise = at(0) + Duration::nanoseconds(1_234_567);
    let created = use_case(store, precise).create(named("ci")).await.unwrap();
    assert_eq!(
        created.key.created_at,
        at(0) + Duration::microseconds(1_234)
    );
}

#[test]
fn an_invalid_name_is_explained_once() {
    use std::error::Error as _;
    let err = ApiKeyError::Name(KeyNameError::Empty);
    assert_eq!(err.to_string(), "invalid key name: the key name is empty");
    assert!(err.source().is_none(), "no source to print a second time");
}

// ---- scopes, expiry and creators -------------------------------------------------------------

#[tokio::test]
async fn a_key_is_created_with_its_scope_creator_and_expiry_days_from_now() {
    let mut store = MockApiKeyStore::new();
    store
        .expect_insert()
        .withf(|key| {
            key.scope == KeyScope::Read
                && key.expires_at == Some(at(0) + Duration::days(90))
                && key.created_by
                    == KeyCreator::Admin(
                        crate::values::EmailAddress::parse("a@example.com").unwrap(),
                    )
        })
        .times(1)
        .returning(|_| Ok(()));
    let new = NewApiKey {
        scope: KeyScope::Read,
        expires_in_days: Some(90),
        created_by: KeyCreator::Admin(crate::values::EmailAddress::parse("a@example.com").unwrap()),
        ..named("reader")
    };
    let created = use_case(store, at(0)).create(new).await.unwrap();
    assert_eq!(created.key.expires_at, Some(at(0) + Duration::days(90)));
}

#[tokio::test]
async fn a_lifetime_outside_one_day_to_ten_years_stores_nothing() {
    let mut store = MockApiKeyStore::new();
    store.expect_insert().never();
    let keys = use_case(store, at(0));
    for days in [0, MAX_KEY_LIFETIME_DAYS + 1] {
        let new = NewApiKey {
            expires_in_days: Some(days),
            ..named("ci")
        };
        assert_eq!(
            keys.create(new.clone()).await.unwrap_err(),
            ApiKeyError::Lifetime(days)
        );
        assert_eq!(ApiKeys::check(&new), vec![ApiKeyError::Lifetime(days)]);
    }
}

#[tokio::test]
async fn a_key_works_until_the_instant_it_expires() {
    let (mut key, plain) = stored(4);
    key.expires_at = Some(at(10));
    let mut store = finding(key.clone());
    store.expect_touch_last_used().returning(|_, _| Ok(()));
    assert!(use_case(store, at(9)).authenticate(&plain).await.is_ok());
}

#[test]
fn a_read_key_is_refused_every_change_and_says_which_scope_is_needed() {
    assert_eq!(authorize(KeyScope::Read, ApiOperation::Read), Ok(()));
    let refused = authorize(KeyScope::Read, ApiOperation::Remove).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "this API key has the scope `read`; remove needs `manage`"
    );
    assert_eq!(authorize(KeyScope::Sync, ApiOperation::StartSync), Ok(()));
    assert!(authorize(KeyScope::Sync, ApiOperation::Register).is_err());
}
