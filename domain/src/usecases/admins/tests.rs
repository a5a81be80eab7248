//! Admin accounts and sign-in against mocked ports: every branch, and what each one writes.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use secrecy::{ExposeSecret as _, SecretString};

use super::*;
use crate::model::{SESSION_ABSOLUTE_DAYS, Session};
use crate::ports::{
    MockAdminStore, MockClock, MockIdSource, MockPasswordHasher, MockSessionStore,
    PasswordHashError, SessionStoreError,
};
use crate::values::{CsrfToken, PasswordHash, SessionId};

const RIGHT: &str = "correct horse battery staple";
const REAL_HASH: &str = "$argon2id$v=19$m=8,t=1,p=1$real";
const DUMMY_HASH: &str = "$argon2id$v=19$m=8,t=1,p=1$dummy";

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn admin_id() -> AdminId {
    AdminId::from_uuid(uuid::Uuid::from_u128(42))
}

fn admin() -> Admin {
    Admin::new(
        admin_id(),
        EmailAddress::parse("ada@example.com").unwrap(),
        PasswordHash::from_phc(REAL_HASH.into()),
        at(-1000),
    )
}

fn clock(now: DateTime<Utc>) -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now);
    Arc::new(clock)
}

/// Distinct random bytes on every call, and a fixed UUID.
fn ids() -> Arc<MockIdSource> {
    let counter = Arc::new(AtomicU8::new(1));
    let mut ids = MockIdSource::new();
    ids.expect_random_256()
        .returning(move || [counter.fetch_add(1, Ordering::SeqCst); 32]);
    ids.expect_new_uuid()
        .returning(|| uuid::Uuid::from_u128(42));
    Arc::new(ids)
}

/// A hasher whose `verify` is true only for [`RIGHT`] against the real hash, counting calls.
#[derive(Default, Clone)]
struct HasherLog {
    hashes: Arc<Mutex<u32>>,
    verified_against: Arc<Mutex<Vec<String>>>,
}

fn hasher(log: &HasherLog) -> Arc<MockPasswordHasher> {
    let mut hasher = MockPasswordHasher::new();
    let hashes = Arc::clone(&log.hashes);
    hasher.expect_hash().returning(move |_| {
        *hashes.lock().unwrap() += 1;
        Ok(PasswordHash::from_phc(DUMMY_HASH.into()))
    });
    let verified = Arc::clone(&log.verified_against);
    hasher.expect_verify().returning(move |candidate, hash| {
        verified.lock().unwrap().push(hash.as_phc().to_owned());
        Ok(candidate.expose_secret() == RIGHT && hash.as_phc() == REAL_HASH)
    });
    Arc::new(hasher)
}

fn password(text: &str) -> SecretString {
    SecretString::from(text)
}

// ---- AdminAccounts ---------------------------------------------------------------------------

fn accounts(store: MockAdminStore, hasher: MockPasswordHasher) -> AdminAccounts {
    let mut sessions = MockSessionStore::new();
    sessions.expect_delete_all_of().never();
    accounts_with(store, sessions, hasher)
}

fn accounts_with(
    store: MockAdminStore,
    sessions: MockSessionStore,
    hasher: MockPasswordHasher,
) -> AdminAccounts {
    AdminAccounts::new(
        Arc::new(store),
        Arc::new(sessions),
        Arc::new(hasher),
        clock(at(0)),
        ids(),
    )
}

fn hashing(phc: &'static str) -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .withf(|p| p.secret().expose_secret() == RIGHT)
        .times(1)
        .returning(move |_| Ok(PasswordHash::from_phc(phc.into())));
    hasher
}

#[tokio::test]
async fn create_normalises_the_email_and_stores_only_the_hash() {
    let mut store = MockAdminStore::new();
    store.expect_find_by_email().returning(|_| Ok(None));
    store
        .expect_insert()
        .withf(|a| {
            a.email.as_str() == "ada@example.com"
                && a.password_hash.as_phc() == REAL_HASH
                && a.created_at == at(0)
                && a.failed_attempts == 0
                && a.last_sign_in_at.is_none()
                && a.locked_until.is_none()
        })
        .times(1)
        .returning(|_| Ok(()));
    let created = accounts(store, hashing(REAL_HASH))
        .create(" Ada@Example.com ", password(RIGHT))
        .await
        .unwrap();
    assert_eq!(created.id, admin_id());
    assert!(!format!("{created:?}").contains(RIGHT));
    assert!(!format!("{created:?}").contains(REAL_HASH));
}

#[tokio::test]
async fn create_refuses_bad_email_and_weak_password_before_any_call() {
    let case = accounts(MockAdminStore::new(), MockPasswordHasher::new());
    assert_eq!(
        case.create("ada", password(RIGHT)).await.unwrap_err(),
        AdminError::Email(EmailError::MissingAt)
    );
    assert_eq!(
        case.create("ada@example.com", password("short"))
            .await
            .unwrap_err(),
        AdminError::Password(PasswordError::TooShort { min: 12 })
    );
    let err = case
        .create("ada@example.com", password("            "))
        .await
        .unwrap_err();
    assert_eq!(err, AdminError::Password(PasswordError::Blank));
    assert!(err.to_string().starts_with("password refused: "), "{err}");
}

#[tokio::test]
async fn create_refuses_a_taken_email_found_or_raced() {
    let mut found = MockAdminStore::new();
    found
        .expect_find_by_email()
        .returning(|_| Ok(Some(admin())));
    found.expect_insert().never();
    let mut no_hash = MockPasswordHasher::new();
    no_hash.expect_hash().never();
    let err = accounts(found, no_hash)
        .create("ADA@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "an admin with email ada@example.com already exists"
    );

    let mut raced = MockAdminStore::new();
    raced.expect_find_by_email().returning(|_| Ok(None));
    raced
        .expect_insert()
        .returning(|a| Err(AdminStoreError::EmailTaken(a.email.clone())));
    let err = accounts(raced, hashing(REAL_HASH))
        .create("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(matches!(err, AdminError::EmailTaken(_)), "{err:?}");
}

#[tokio::test]
async fn create_reports_store_and_hasher_failures_and_stores_nothing() {
    let mut failing_hash = MockAdminStore::new();
    failing_hash.expect_find_by_email().returning(|_| Ok(None));
    failing_hash.expect_insert().never();
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .returning(|_| Err(PasswordHashError::Failed("out of memory".into())));
    let err = accounts(failing_hash, hasher)
        .create("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AdminError::Unavailable(ref m) if format!("{m:?}").contains("out of memory"))
    );

    let mut down = MockAdminStore::new();
    down.expect_find_by_email().returning(|_| {
        Err(AdminStoreError::Backend(crate::ports::StoreFault::failed(
            "down",
        )))
    });
    let err = accounts(down, MockPasswordHasher::new())
        .create("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(matches!(err, AdminError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn list_returns_the_stored_admins() {
    let mut store = MockAdminStore::new();
    store.expect_list().returning(|| Ok(vec![admin()]));
    let listed = accounts(store, MockPasswordHasher::new())
        .list()
        .await
        .unwrap();
    assert_eq!(listed, vec![admin()]);
}

// ---- AdminAccounts::reset_password --------------------------------------------------------------

const NEW_HASH: &str = "$argon2id$v=19$m=8,t=1,p=1$new";

/// A store that finds `found` by its email and expects no writes unless the test adds them.
fn reset_store(found: Option<Admin>) -> MockAdminStore {
    let mut store = finding(found);
    store.expect_set_password_hash().never();
    store
}

/// Calls in the order they happened, across both stores.
type Calls = Arc<Mutex<Vec<&'static str>>>;

#[tokio::test]
async fn a_reset_stores_the_new_hash_clears_the_lock_and_then_ends_every_session() {
    let calls = Calls::default();
    let locked = Admin {
        failed_attempts: 3,
        locked_until: Some(at(10)),
        last_sign_in_at: Some(at(-5)),
        ..admin()
    };
    let mut store = finding(Some(locked.clone()));
    let log = Arc::clone(&calls);
    store
        .expect_set_password_hash()
        .withf(|id, hash| *id == admin_id() && hash.as_phc() == NEW_HASH)
        .times(1)
        .returning(move |_, _| {
            log.lock().unwrap().push("set_password_hash");
            Ok(())
        });
    store.expect_insert().never();
    let mut sessions = MockSessionStore::new();
    let log = Arc::clone(&calls);
    sessions
        .expect_delete_all_of()
        .withf(|id| *id == admin_id())
        .times(1)
        .returning(move |_| {
            log.lock().unwrap().push("delete_all_of");
            Ok(2)
        });
    let reset = accounts_with(store, sessions, hashing(NEW_HASH))
        .reset_password(" ADA@example.com", password(RIGHT))
        .await
        .unwrap();
    assert_eq!(
        calls.lock().unwrap().as_slice(),
        ["set_password_hash", "delete_all_of"],
        "sessions are ended after the new hash is in place"
    );
    assert_eq!(reset.sessions_ended, 2);
    assert_eq!(reset.admin.password_hash.as_phc(), NEW_HASH);
    assert_eq!(
        (reset.admin.failed_attempts, reset.admin.locked_until),
        (0, None)
    );
    assert_eq!(
        (reset.admin.id, &reset.admin.email, reset.admin.created_at),
        (locked.id, &locked.email, locked.created_at)
    );
    assert_eq!(reset.admin.last_sign_in_at, Some(at(-5)));
    assert!(!format!("{reset:?}").contains(RIGHT));
}

#[tokio::test]
async fn a_reset_refuses_bad_emails_and_weak_passwords_before_any_call() {
    let case = accounts(MockAdminStore::new(), MockPasswordHasher::new());
    assert_eq!(
        case.reset_password("ada", password(RIGHT))
            .await
            .unwrap_err(),
        ResetPasswordError::Email(EmailError::MissingAt)
    );
    let short = case
        .reset_password("ada@example.com", password("short"))
        .await
        .unwrap_err();
    assert_eq!(
        short,
        ResetPasswordError::Password(PasswordError::TooShort { min: 12 })
    );
    assert!(
        short.to_string().starts_with("password refused: ")
            && short.to_string().contains("at least 12 characters"),
        "{short}"
    );
    assert_eq!(
        case.reset_password("ada@example.com", password(&" ".repeat(20)))
            .await
            .unwrap_err(),
        ResetPasswordError::Password(PasswordError::Blank)
    );
}

#[tokio::test]
async fn a_reset_of_an_unknown_email_hashes_nothing_and_changes_nothing() {
    let mut no_hash = MockPasswordHasher::new();
    no_hash.expect_hash().never();
    let err = accounts(reset_store(None), no_hash)
        .reset_password("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "there is no admin with email ada@example.com"
    );
}

#[tokio::test]
async fn an_admin_deleted_during_the_reset_is_unknown_and_keeps_its_sessions_untouched() {
    let mut store = finding(Some(admin()));
    store
        .expect_set_password_hash()
        .returning(|id, _| Err(AdminStoreError::NotFound(id)));
    let err = accounts(store, hashing(NEW_HASH))
        .reset_password("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ResetPasswordError::UnknownEmail(ref e) if e.as_str() == "ada@example.com"),
        "{err:?}"
    );
}

#[tokio::test]
async fn store_and_hasher_failures_before_the_write_change_nothing() {
    let mut down = MockAdminStore::new();
    down.expect_find_by_email().returning(|_| {
        Err(AdminStoreError::Backend(crate::ports::StoreFault::failed(
            "down",
        )))
    });
    let err = accounts(down, MockPasswordHasher::new())
        .reset_password("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ResetPasswordError::Unavailable(ref m) if format!("{m:?}").contains("down")),
        "{err:?}"
    );

    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .returning(|_| Err(PasswordHashError::Failed("out of memory".into())));
    let err = accounts(reset_store(Some(admin())), hasher)
        .reset_password("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ResetPasswordError::Unavailable(ref m) if format!("{m:?}").contains("out of memory")),
        "{err:?}"
    );

    let mut failing_write = finding(Some(admin()));
    failing_write.expect_set_password_hash().returning(|_, _| {
        Err(AdminStoreError::Backend(crate::ports::StoreFault::failed(
            "disk full",
        )))
    });
    let err = accounts(failing_write, hashing(NEW_HASH))
        .reset_password("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ResetPasswordError::Unavailable(ref m) if format!("{m:?}").contains("disk full")),
        "{err:?}"
    );
}

#[tokio::test]
async fn sessions_that_could_not_be_ended_are_reported_as_such() {
    let mut store = finding(Some(admin()));
    store
        .expect_set_password_hash()
        .times(1)
        .returning(|_, _| Ok(()));
    let mut sessions = MockSessionStore::new();
    sessions.expect_delete_all_of().returning(|_| {
        Err(SessionStoreError::Backend(
            crate::ports::StoreFault::failed("locked"),
        ))
    });
    let err = accounts_with(store, sessions, hashing(NEW_HASH))
        .reset_password("ada@example.com", password(RIGHT))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ResetPasswordError::SessionsNotEnded(ref m) if format!("{m:?}").contains("locked")),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("the password was changed"),
        "{err}"
    );
}

// ---- SignIn::sign_in ---------------------------------------------------------------------------

fn sign_in_case(
    admins: MockAdminStore,
    sessions: MockSessionStore,
    log: &HasherLog,
    now: DateTime<Utc>,
) -> SignIn {
    SignIn::new(
        Arc::new(admins),
        Arc::new(sessions),
        hasher(log),
        clock(now),
        ids(),
    )
}

fn finding(found: Option<Admin>) -> MockAdminStore {
    let mut admins = MockAdminStore::new();
    admins
        .expect_find_by_email()
        .withf(|email| email.as_str() == "ada@example.com")
        .returning(move |_| Ok(found.clone()));
    admins
}

fn no_writes(admins: &mut MockAdminStore) {
    admins.expect_record_failed_attempt().never();
    admins.expect_lock_until().never();
    admins.expect_record_sign_in().never();
}

fn no_sessions() -> MockSessionStore {
    let mut sessions = MockSessionStore::new();
    sessions.expect_create().never();
    sessions
}

#[tokio::test]
async fn the_right_password_starts_a_session_whose_token_only_the_caller_gets() {
    let mut admins = finding(Some(admin()));
    admins
        .expect_record_sign_in()
        .withf(|id, when| *id == admin_id() && *when == at(0))
        .times(1)
        .returning(|_, _| Ok(true));
    admins.expect_record_failed_attempt().never();
    let created = Arc::new(Mutex::new(Vec::<Session>::new()));
    let mut sessions = MockSessionStore::new();
    sessions
        .expect_delete_expired()
        .withf(|now| *now == at(0))
        .times(1)
        .returning(|_| Ok(0));
    let sink = Arc::clone(&created);
    sessions.expect_create().times(1).returning(move |s| {
        sink.lock().unwrap().push(s.clone());
        Ok(())
    });
    let log = HasherLog::default();
    let (session, token) = sign_in_case(admins, sessions, &log, at(0))
        .sign_in(" ADA@example.com", &password(RIGHT))
        .await
        .unwrap();
    assert_eq!(
        created.lock().unwrap().as_slice(),
        std::slice::from_ref(&session)
    );
    assert_eq!(
        session.id,
        SessionId::of_token(token.expose_secret()).unwrap()
    );
    assert_ne!(session.id.as_str(), token.expose_secret());
    assert_ne!(session.csrf_token.as_str(), token.expose_secret());
    assert_eq!(session.admin_id, admin_id());
    assert_eq!((session.created_at, session.last_seen_at), (at(0), at(0)));
    assert_eq!(session.expires_at, at(12 * 60));
    assert_eq!(*log.hashes.lock().unwrap(), 0, "no dummy needed");
    assert_eq!(log.verified_against.lock().unwrap().as_slice(), [REAL_HASH]);
}

#[tokio::test]
async fn unknown_and_malformed_emails_cost_a_verification_against_the_dummy_hash() {
    let mut admins = MockAdminStore::new();
    admins.expect_find_by_email().returning(|_| Ok(None));
    no_writes(&mut admins);
    let log = HasherLog::default();
    let case = sign_in_case(admins, no_sessions(), &log, at(0));
    for email in ["nobody@example.com", "not an email", "other@example.com"] {
        assert_eq!(
            case.sign_in(email, &password(RIGHT)).await.unwrap_err(),
            SignInError::InvalidCredentials,
            "{email}"
        );
    }
    assert_eq!(*log.hashes.lock().unwrap(), 1, "the dummy is made once");
    assert_eq!(
        log.verified_against.lock().unwrap().as_slice(),
        [DUMMY_HASH; 3]
    );
}

#[tokio::test]
async fn prepare_makes_the_dummy_ahead_of_time() {
    let log = HasherLog::default();
    let mut admins = MockAdminStore::new();
    admins.expect_find_by_email().returning(|_| Ok(None));
    let case = sign_in_case(admins, no_sessions(), &log, at(0));
    case.prepare().await.unwrap();
    case.prepare().await.unwrap();
    assert_eq!(*log.hashes.lock().unwrap(), 1);
    let _ = case.sign_in("x@example.com", &password("guess")).await;
    assert_eq!(*log.hashes.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_wrong_password_is_counted_and_gives_the_same_error_as_an_unknown_email() {
    let mut admins = finding(Some(admin()));
    admins
        .expect_record_failed_attempt()
        .withf(|id| *id == admin_id())
        .times(1)
        .returning(|_| Ok(1));
    admins.expect_lock_until().never();
    admins.expect_record_sign_in().never();
    let log = HasherLog::default();
    let err = sign_in_case(admins, no_sessions(), &log, at(0))
        .sign_in("ada@example.com", &password("wrong password!"))
        .await
        .unwrap_err();
    assert_eq!(err, SignInError::InvalidCredentials);
    assert!(err.to_string().contains("locked for 15 minutes"), "{err}");
    assert!(!err.to_string().contains("ada@"), "{err}");
}

#[tokio::test]
async fn the_fifth_failure_in_a_row_locks_the_account_for_fifteen_minutes() {
    let mut admins = finding(Some(admin()));
    admins.expect_record_failed_attempt().returning(|_| Ok(5));
    admins
        .expect_lock_until()
        .withf(|id, until| *id == admin_id() && *until == at(15))
        .times(1)
        .returning(|_, _| Ok(()));
    admins.expect_record_sign_in().never();
    let log = HasherLog::default();
    assert_eq!(
        sign_in_case(admins, no_sessions(), &log, at(0))
            .sign_in("ada@example.com", &password("wrong password!"))
            .await
            .unwrap_err(),
        SignInError::InvalidCredentials
    );
}

#[tokio::test]
async fn a_locked_account_refuses_even_the_right_password_without_revealing_the_lock() {
    let locked = Admin {
        locked_until: Some(at(10)),
        failed_attempts: 0,
        ..admin()
    };
    for candidate in [RIGHT, "wrong password!"] {
        let mut admins = finding(Some(locked.clone()));
        no_writes(&mut admins);
        let log = HasherLog::default();
        let err = sign_in_case(admins, no_sessions(), &log, at(9))
            .sign_in("ada@example.com", &password(candidate))
            .await
            .unwrap_err();
        assert_eq!(err, SignInError::InvalidCredentials);
        assert_eq!(
            log.verified_against.lock().unwrap().as_slice(),
            [REAL_HASH],
            "a locked account costs the same verification"
        );
    }
}

#[tokio::test]
async fn an_expired_lock_lets_the_right_password_in() {
    let was_locked = Admin {
        locked_until: Some(at(-1)),
        ..admin()
    };
    let mut admins = finding(Some(was_locked));
    admins
        .expect_record_sign_in()
        .times(1)
        .returning(|_, _| Ok(true));
    let mut sessions = MockSessionStore::new();
    sessions.expect_delete_expired().returning(|_| Ok(3));
    sessions.expect_create().times(1).returning(|_| Ok(()));
    let log = HasherLog::default();
    sign_in_case(admins, sessions, &log, at(0))
        .sign_in("ada@example.com", &password(RIGHT))
        .await
        .unwrap();
}

#[tokio::test]
async fn store_and_hasher_failures_are_unavailable_not_invalid_credentials() {
    let mut down = MockAdminStore::new();
    down.expect_find_by_email().returning(|_| {
        Err(AdminStoreError::Backend(crate::ports::StoreFault::failed(
            "down",
        )))
    });
    let log = HasherLog::default();
    let err = sign_in_case(down, no_sessions(), &log, at(0))
        .sign_in("ada@example.com", &password(RIGHT))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SignInError::Unavailable(ref m) if format!("{m:?}").contains("down")),
        "{err:?}"
    );

    let mut admins = finding(Some(admin()));
    no_writes(&mut admins);
    let mut malformed = MockPasswordHasher::new();
    malformed
        .expect_verify()
        .returning(|_, _| Err(PasswordHashError::Malformed("not PHC".into())));
    let case = SignIn::new(
        Arc::new(admins),
        Arc::new(no_sessions()),
        Arc::new(malformed),
        clock(at(0)),
        ids(),
    );
    let err = case
        .sign_in("ada@example.com", &password(RIGHT))
        .await
        .unwrap_err();
    assert!(matches!(err, SignInError::Unavailable(_)), "{err:?}");

    let mut admins = finding(Some(admin()));
    admins.expect_record_sign_in().returning(|_, _| Ok(true));
    let mut sessions = MockSessionStore::new();
    sessions.expect_delete_expired().returning(|_| Ok(0));
    sessions
        .expect_create()
        .returning(|s| Err(SessionStoreError::NoAdmin(s.admin_id)));
    let err = sign_in_case(admins, sessions, &log, at(0))
        .sign_in("ada@example.com", &password(RIGHT))
        .await
        .unwrap_err();
    assert!(matches!(err, SignInError::Unavailable(_)), "{err:?}");
}

// ---- SignIn: sessions, CSRF, sign-out ---------------------------------------------------------

/// A session issued at `created` and last extended at `seen`, and its token.
fn stored_session(created: DateTime<Utc>, seen: DateTime<Utc>) -> (Session, SecretString) {
    let (token, id) = SessionId::issue([77; 32]);
    let mut session = Session::start(id, admin_id(), CsrfToken::from_random([78; 32]), created);
    session.last_seen_at = seen;
    session.expires_at = session.deadline_after_activity_at(seen);
    (session, token)
}

fn sessions_holding(session: Option<Session>) -> MockSessionStore {
    let mut sessions = MockSessionStore::new();
    sessions
        .expect_find()
        .returning(move |_| Ok(session.clone()));
    sessions
}

fn getting(found: Option<Admin>) -> MockAdminStore {
    let mut admins = MockAdminStore::new();
    admins
        .expect_get()
        .withf(|id| *id == admin_id())
        .returning(move |_| Ok(found.clone()));
    admins
}

#[tokio::test]
async fn a_recent_session_is_accepted_without_a_write() {
    let (session, token) = stored_session(at(0), at(0));
    let mut sessions = sessions_holding(Some(session.clone()));
    sessions.expect_touch().never();
    let log = HasherLog::default();
    let (who, got) = sign_in_case(
        getting(Some(admin())),
        sessions,
        &log,
        at(0) + Duration::seconds(59),
    )
    .authenticate(&token)
    .await
    .unwrap();
    assert_eq!(who, admin());
    assert_eq!(got, session);
}

#[tokio::test]
async fn activity_slides_the_idle_expiry_at_most_to_the_absolute_one() {
    let (session, token) = stored_session(at(0), at(0));
    let mut sessions = sessions_holding(Some(session.clone()));
    let id = session.id.clone();
    sessions
        .expect_touch()
        .withf(move |i, seen, expires| *i == id && *seen == at(2) && *expires == at(2 + 12 * 60))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let log = HasherLog::default();
    let (_, got) = sign_in_case(getting(Some(admin())), sessions, &log, at(2))
        .authenticate(&token)
        .await
        .unwrap();
    assert_eq!((got.last_seen_at, got.expires_at), (at(2), at(2 + 12 * 60)));

    // Near the absolute limit the expiry stops sliding.
    let week = SESSION_ABSOLUTE_DAYS * 24 * 60;
    let (old, token) = stored_session(at(0), at(week - 120));
    let mut sessions = sessions_holding(Some(old));
    sessions
        .expect_touch()
        .withf(move |_, seen, expires| *seen == at(week - 60) && *expires == at(week))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let (_, got) = sign_in_case(getting(Some(admin())), sessions, &log, at(week - 60))
        .authenticate(&token)
        .await
        .unwrap();
    assert_eq!(got.expires_at, at(week));
}

#[tokio::test]
async fn malformed_unknown_expired_and_orphaned_sessions_are_all_unauthenticated() {
    let log = HasherLog::default();
    let mut untouched = MockSessionStore::new();
    untouched.expect_find().never();
    let case = sign_in_case(MockAdminStore::new(), untouched, &log, at(0));
    for junk in ["", "not-a-token", &"a".repeat(44)] {
        assert_eq!(
            case.authenticate(&password(junk)).await.unwrap_err(),
            SessionError::Unauthenticated
        );
    }

    let (_, token) = stored_session(at(0), at(0));
    let unknown = sign_in_case(MockAdminStore::new(), sessions_holding(None), &log, at(0));
    assert_eq!(
        unknown.authenticate(&token).await.unwrap_err(),
        SessionError::Unauthenticated
    );

    let (session, token) = stored_session(at(0), at(0));
    let mut expired = sessions_holding(Some(session.clone()));
    let id = session.id.clone();
    expired
        .expect_delete()
        .withf(move |i| *i == id)
        .times(1)
        .returning(|_| Ok(()));
    expired.expect_touch().never();
    let mut admins = MockAdminStore::new();
    admins.expect_get().never();
    let err = sign_in_case(admins, expired, &log, session.expires_at)
        .authenticate(&token)
        .await
        .unwrap_err();
    assert_eq!(err, SessionError::Unauthenticated);
    assert_eq!(err.to_string(), "not signed in, or the session has expired");

    let mut orphan = sessions_holding(Some(session));
    orphan.expect_touch().never();
    assert_eq!(
        sign_in_case(getting(None), orphan, &log, at(5))
            .authenticate(&token)
            .await
            .unwrap_err(),
        SessionError::Unauthenticated
    );
}

#[tokio::test]
async fn a_failing_session_store_is_unavailable() {
    let (_, token) = stored_session(at(0), at(0));
    let mut sessions = MockSessionStore::new();
    sessions.expect_find().returning(|_| {
        Err(SessionStoreError::Backend(
            crate::ports::StoreFault::failed("down"),
        ))
    });
    let log = HasherLog::default();
    let err = sign_in_case(MockAdminStore::new(), sessions, &log, at(0))
        .authenticate(&token)
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::Unavailable(_)), "{err:?}");
}

#[test]
fn csrf_tokens_must_match_exactly() {
    let (session, _) = stored_session(at(0), at(0));
    let log = HasherLog::default();
    let case = sign_in_case(MockAdminStore::new(), MockSessionStore::new(), &log, at(0));
    let good = session.csrf_token.as_str().to_owned();
    assert_eq!(case.verify_csrf(&session, &good), Ok(()));
    assert_eq!(case.verify_csrf(&session, ""), Err(CsrfMismatch));
    assert_eq!(case.verify_csrf(&session, &good[1..]), Err(CsrfMismatch));
    assert_eq!(
        case.verify_csrf(&session, &good.to_uppercase()),
        Err(CsrfMismatch)
    );
}

#[tokio::test]
async fn signing_out_deletes_the_session_and_ignores_junk() {
    let (session, token) = stored_session(at(0), at(0));
    let mut sessions = MockSessionStore::new();
    let id = session.id.clone();
    sessions
        .expect_delete()
        .withf(move |i| *i == id)
        .times(1)
        .returning(|_| Ok(()));
    sessions
        .expect_delete_all_of()
        .withf(|a| *a == admin_id())
        .times(1)
        .returning(|_| Ok(2));
    let log = HasherLog::default();
    let case = sign_in_case(MockAdminStore::new(), sessions, &log, at(0));
    case.sign_out(&token).await.unwrap();
    case.sign_out(&password("junk")).await.unwrap();
    assert_eq!(case.sign_out_everywhere(admin_id()).await.unwrap(), 2);
}

// ---- floods ------------------------------------------------------------------------------------

#[tokio::test]
async fn a_right_password_is_refused_when_a_concurrent_failure_locked_the_account_meanwhile() {
    let log = HasherLog::default();
    let mut admins = finding(Some(admin()));
    admins.expect_record_failed_attempt().never();
    // The lock was set after `admin` was read: the conditional write finds it.
    admins
        .expect_record_sign_in()
        .times(1)
        .returning(|_, _| Ok(false));
    let err = sign_in_case(admins, no_sessions(), &log, at(0))
        .sign_in("ada@example.com", &password(RIGHT))
        .await
        .unwrap_err();
    assert_eq!(err, SignInError::InvalidCredentials);
}

#[tokio::test]
async fn a_busy_hasher_checks_nothing_counts_nothing_and_gives_the_clients_slot_back() {
    let mut admins = finding(Some(admin()));
    no_writes(&mut admins);
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_verify()
        .returning(|_, _| Err(PasswordHashError::Busy));
    let sign_in = SignIn::new(
        Arc::new(admins),
        Arc::new(no_sessions()),
        Arc::new(hasher),
        clock(at(0)),
        ids(),
    );
    let client = Some(std::net::IpAddr::from([192, 0, 2, 10]));
    for _ in 0..=super::throttle::MAX_FAILED_PER_CLIENT {
        let err = sign_in
            .sign_in_from(client, "ada@example.com", &password(RIGHT))
            .await
            .unwrap_err();
        assert_eq!(err, SignInError::Busy, "never Throttled: nothing failed");
    }
}
