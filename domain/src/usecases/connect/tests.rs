//! Login use cases against mocked ports: the authorize request, every refused callback (with
//! nothing stored), a completed login, and token refresh serialised per integration.

use crate::testing::{self, TokioTimer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use secrecy::{ExposeSecret as _, SecretString};

use super::*;
use crate::model::{
    AuthorizedUser, Grant, Integration, IntegrationStatus, PendingLogin, Region, TenantInfo,
    TokenSet,
};
use crate::ports::{
    AuthorizeRequest, DirectoryConnection, DirectorySession, IssuedTokens, MockClock,
    MockDirectoryGateway, MockDirectorySession, MockGrantStore, MockIdSource,
    MockIntegrationRepository, MockOAuthGateway, OAuthError,
};
use crate::values::{IntegrationId, OAuthState, OpenId, PkceVerifier};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + Duration::minutes(minute)
}

fn integration_id() -> IntegrationId {
    IntegrationId::from_uuid(uuid::Uuid::from_u128(7))
}

fn integration() -> Integration {
    testing::integration()
        .id(integration_id())
        .app_id("cli_acme")
        .status(IntegrationStatus::PendingAuthorization)
        .created_at(at(-60))
        .build()
}

fn state() -> OAuthState {
    OAuthState::from_random([1; 32])
}

fn login(expires_at: DateTime<Utc>) -> PendingLogin {
    PendingLogin {
        state: state(),
        integration_id: integration_id(),
        started_by: "session-a".into(),
        verifier: PkceVerifier::from_random([2; 32]),
        redirect_uri: "https://aviary.example/admin/integrations/callback/lark".into(),
        expires_at,
    }
}

fn tokens(access: &str, refresh: &str, access_expires_at: DateTime<Utc>) -> TokenSet {
    TokenSet {
        access_token: access.into(),
        access_expires_at,
        refresh_token: Some(refresh.into()),
        refresh_expires_at: Some(access_expires_at + Duration::days(7)),
        scopes: vec!["offline_access".into()],
    }
}

/// What Lark's token endpoint returns: lifetimes from now (the tests' clock is at `at(0)`).
fn issued(access: &str, refresh: &str, minutes: u64) -> IssuedTokens {
    IssuedTokens {
        access_token: access.into(),
        expires_in: std::time::Duration::from_secs(minutes * 60),
        refresh_token: Some(refresh.into()),
        refresh_expires_in: Some(std::time::Duration::from_secs(7 * 24 * 3600)),
        scopes: vec!["offline_access".into()],
    }
}

fn admin(tenant_key: &str) -> AuthorizedUser {
    AuthorizedUser {
        open_id: OpenId::parse("ou_admin").unwrap(),
        name: "Ada Admin".into(),
        email: Some("ada@acme.example".into()),
        tenant_key: tenant_key.into(),
    }
}

fn settings() -> ConnectSettings {
    ConnectSettings {
        redirect_uris: RedirectUris::under("https://aviary.example/"),
        scopes: vec!["contact:user.base:readonly".into()],
    }
}

fn clock(now: DateTime<Utc>) -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now);
    Arc::new(clock)
}

fn integrations() -> MockIntegrationRepository {
    let mut repo = MockIntegrationRepository::new();
    repo.expect_get().returning(|_| Ok(Some(integration())));
    repo
}

/// What a callback test stored.
#[derive(Default)]
struct Written {
    grants: Vec<Grant>,
    authorizations: Vec<(TenantInfo, String)>,
}

struct CallbackSetup {
    login: Option<PendingLogin>,
    exchange: Result<IssuedTokens, OAuthError>,
    user_tenant: &'static str,
    app_tenant: &'static str,
    written: Arc<Mutex<Written>>,
}

impl CallbackSetup {
    fn ok() -> Self {
        Self {
            login: Some(login(at(5))),
            exchange: Ok(issued("access-1", "refresh-1", 120)),
            user_tenant: "tenant-acme",
            app_tenant: "tenant-acme",
            written: Arc::default(),
        }
    }

    fn connect(&self) -> Connect {
        let mut grants = MockGrantStore::new();
        let pending = Mutex::new(self.login.clone());
        grants
            .expect_take_login()
            .returning(move |_| Ok(pending.lock().unwrap().take()));
        let written = Arc::clone(&self.written);
        grants.expect_save_grant().returning(move |grant| {
            written.lock().unwrap().grants.push(grant.clone());
            Ok(Grant {
                generation: 1,
                ..grant.clone()
            })
        });
        let mut repo = integrations();
        let written = Arc::clone(&self.written);
        repo.expect_record_authorization()
            .returning(move |_, tenant, by, _| {
                written.lock().unwrap().authorizations.push((tenant, by));
                Ok(())
            });

        let mut oauth = MockOAuthGateway::new();
        let exchange = self.exchange.clone();
        oauth
            .expect_exchange_code()
            .returning(move |_, code, redirect, verifier| {
                assert_eq!(code, "the-code");
                assert_eq!(redirect, login(at(0)).redirect_uri);
                assert_eq!(
                    verifier.secret().expose_secret(),
                    login(at(0)).verifier.secret().expose_secret()
                );
                exchange.clone()
            });
        let user_tenant = self.user_tenant;
        oauth
            .expect_user_info()
            .returning(move |_, _| Ok(admin(user_tenant)));

        let mut directory = MockDirectoryGateway::new();
        let app_tenant = self.app_tenant;
        directory.expect_open().returning(move |_| {
            let mut session = MockDirectorySession::new();
            session.expect_tenant().returning(move || {
                Ok(TenantInfo {
                    name: "Acme".into(),
                    tenant_key: app_tenant.into(),
                })
            });
            Ok(Arc::new(session) as Arc<dyn DirectorySession>)
        });
        Connect::new(
            Arc::new(repo),
            Arc::new(grants),
            Arc::new(oauth),
            Arc::new(directory),
            clock(at(0)),
            Arc::new(MockIdSource::new()),
            settings(),
        )
    }

    fn nothing_stored(&self) -> bool {
        let written = self.written.lock().unwrap();
        written.grants.is_empty() && written.authorizations.is_empty()
    }
}

fn callback() -> Callback {
    Callback {
        region: Some(Region::Lark),
        state: Some(state().to_string()),
        code: Some("the-code".into()),
        error: None,
    }
}

#[tokio::test]
async fn start_remembers_the_login_and_builds_the_authorize_request() {
    let mut grants = MockGrantStore::new();
    let saved = Arc::new(Mutex::new(None));
    let recorder = Arc::clone(&saved);
    grants.expect_save_login().returning(move |login| {
        *recorder.lock().unwrap() = Some(login.clone());
        Ok(())
    });
    let mut oauth = MockOAuthGateway::new();
    let requested = Arc::new(Mutex::new(None));
    let recorder = Arc::clone(&requested);
    oauth.expect_authorize_url().returning(
        move |conn: &DirectoryConnection, request: &AuthorizeRequest| {
            *recorder.lock().unwrap() = Some(request.clone());
            format!(
                "https://accounts.example/authorize?client_id={}",
                conn.app_id
            )
        },
    );
    let mut ids = MockIdSource::new();
    let mut next = 0u8;
    ids.expect_random_256().returning(move || {
        next += 1;
        [next; 32]
    });
    let connect = Connect::new(
        Arc::new(integrations()),
        Arc::new(grants),
        Arc::new(oauth),
        Arc::new(MockDirectoryGateway::new()),
        clock(at(0)),
        Arc::new(ids),
        settings(),
    );

    let url = connect
        .start(integration_id(), "session-a", LoginOptions::default())
        .await
        .unwrap();
    assert_eq!(url, "https://accounts.example/authorize?client_id=cli_acme");
    let login = saved.lock().unwrap().clone().unwrap();
    let request = requested.lock().unwrap().clone().unwrap();
    assert_eq!(login.state, OAuthState::from_random([1; 32]));
    assert_eq!(request.state, login.state);
    assert_eq!(request.code_challenge, login.verifier.challenge_s256());
    assert_eq!(
        request.redirect_uri,
        "https://aviary.example/admin/integrations/callback/lark"
    );
    assert_eq!(login.redirect_uri, request.redirect_uri);
    assert_eq!(
        request.scopes,
        vec!["contact:user.base:readonly"],
        "offline_access only when asked for: an app without it would stop the admin at 20027"
    );
    assert_eq!(login.started_by, "session-a");
    assert_eq!(login.expires_at, at(10), "ten minutes to finish signing in");

    connect
        .start(
            integration_id(),
            "session-a",
            LoginOptions {
                offline_access: true,
            },
        )
        .await
        .unwrap();
    let renewable = requested.lock().unwrap().clone().unwrap();
    assert_eq!(
        renewable.scopes,
        vec!["contact:user.base:readonly", "offline_access"]
    );
}

#[tokio::test]
async fn a_completed_login_stores_the_grant_and_activates_the_integration() {
    let setup = CallbackSetup::ok();
    let connected = setup
        .connect()
        .complete(&callback(), "session-a")
        .await
        .unwrap();
    assert_eq!(connected.tenant.tenant_key, "tenant-acme");
    assert_eq!(connected.authorized_by, admin("tenant-acme"));
    let written = setup.written.lock().unwrap();
    assert_eq!(written.grants.len(), 1);
    let grant = &written.grants[0];
    assert_eq!(grant.tokens.access_token.expose_secret(), "access-1");
    assert_eq!(grant.granted_at, at(0));
    assert_eq!(
        grant.tokens.access_expires_at,
        at(120),
        "lifetimes count from the clock"
    );
    assert_eq!(grant.tokens.refresh_expires_at, Some(at(7 * 24 * 60)));
    assert_eq!(
        written.authorizations,
        vec![(
            TenantInfo {
                name: "Acme".into(),
                tenant_key: "tenant-acme".into()
            },
            "Ada Admin <ada@acme.example>".to_owned()
        )]
    );
}

#[tokio::test]
async fn refused_callbacks_store_nothing() {
    let cases: Vec<(&str, CallbackSetup, Callback, CallbackError)> = vec![
        (
            "no state",
            CallbackSetup::ok(),
            Callback {
                state: None,
                ..callback()
            },
            CallbackError::InvalidState,
        ),
        (
            "malformed state",
            CallbackSetup::ok(),
            Callback {
                state: Some("../../etc".into()),
                ..callback()
            },
            CallbackError::InvalidState,
        ),
        (
            "unknown or reused state",
            CallbackSetup {
                login: None,
                ..CallbackSetup::ok()
            },
            callback(),
            CallbackError::InvalidState,
        ),
        (
            "expired state",
            CallbackSetup {
                login: Some(login(at(0))),
                ..CallbackSetup::ok()
            },
            callback(),
            CallbackError::ExpiredState,
        ),
        (
            "wrong region path",
            CallbackSetup::ok(),
            Callback {
                region: Some(Region::Feishu),
                ..callback()
            },
            CallbackError::WrongRegion {
                expected: Region::Lark,
                got: Region::Feishu,
            },
        ),
        (
            "denied",
            CallbackSetup::ok(),
            Callback {
                code: None,
                error: Some("access_denied".into()),
                ..callback()
            },
            CallbackError::Denied,
        ),
        (
            "other Lark error",
            CallbackSetup::ok(),
            Callback {
                code: None,
                error: Some("server_error".into()),
                ..callback()
            },
            CallbackError::Lark("server_error".into()),
        ),
        (
            "a crafted error text",
            CallbackSetup::ok(),
            Callback {
                code: None,
                error: Some(format!(
                    "<script>alert(1)</script>\u{1b}[2J{}",
                    "x".repeat(500)
                )),
                ..callback()
            },
            CallbackError::Lark(format!("?script?alert?1???script???2J{}…", "x".repeat(35))),
        ),
        (
            "no code",
            CallbackSetup::ok(),
            Callback {
                code: None,
                ..callback()
            },
            CallbackError::MissingCode,
        ),
        (
            "bad code",
            CallbackSetup {
                exchange: Err(OAuthError::InvalidCode {
                    detail: "20003 code not found".into(),
                }),
                ..CallbackSetup::ok()
            },
            callback(),
            CallbackError::OAuth(OAuthError::InvalidCode {
                detail: "20003 code not found".into(),
            }),
        ),
        (
            "signer-in from another tenant",
            CallbackSetup {
                user_tenant: "tenant-other",
                ..CallbackSetup::ok()
            },
            callback(),
            CallbackError::TenantMismatch,
        ),
    ];
    for (name, setup, callback, expected) in cases {
        let result = setup.connect().complete(&callback, "session-a").await;
        assert_eq!(result.unwrap_err(), expected, "{name}");
        assert!(setup.nothing_stored(), "{name}: nothing stored");
    }

    let setup = CallbackSetup::ok();
    let result = setup.connect().complete(&callback(), "session-b").await;
    assert_eq!(result.unwrap_err(), CallbackError::ForeignSession);
    assert!(setup.nothing_stored());
}

#[tokio::test]
async fn a_state_is_spent_by_its_first_callback() {
    let setup = CallbackSetup::ok();
    let connect = setup.connect();
    connect.complete(&callback(), "session-a").await.unwrap();
    assert_eq!(
        connect
            .complete(&callback(), "session-a")
            .await
            .unwrap_err(),
        CallbackError::InvalidState
    );
    assert_eq!(setup.written.lock().unwrap().grants.len(), 1);
}

#[tokio::test]
async fn a_login_is_finished_only_by_the_session_that_started_it_whatever_started_it() {
    // Logins started through the API before they needed a session's confirmation recorded
    // `api-key:<id>`: no admin session is that, so no browser can finish them.
    for starter in ["session-a", "api-key:00000000-0000-0000-0000-000000000063"] {
        let setup = CallbackSetup {
            login: Some(PendingLogin {
                started_by: starter.to_owned(),
                ..login(at(5))
            }),
            ..CallbackSetup::ok()
        };
        let result = setup.connect().complete(&callback(), "session-b").await;
        assert_eq!(
            result.unwrap_err(),
            CallbackError::ForeignSession,
            "{starter}"
        );
        assert!(setup.nothing_stored());
    }
}

// ---- user tokens ------------------------------------------------------------------------------

/// A grant store holding one grant, with compare-and-swap on its generation, refresh claims
/// (owner, until), and a number of stores to fail first.
#[derive(Default)]
struct OneGrant {
    grant: Mutex<Option<Grant>>,
    claim: Mutex<Option<(String, DateTime<Utc>)>>,
    failing_stores: AtomicUsize,
}

impl OneGrant {
    fn holding(grant: Option<Grant>) -> Self {
        Self {
            grant: Mutex::new(grant),
            ..Self::default()
        }
    }
}

/// Tokio's timer (the tests that wait run on paused time or wait a little).
#[async_trait]
impl GrantStore for OneGrant {
    async fn save_login(&self, _: &PendingLogin) -> Result<(), crate::ports::GrantStoreError> {
        unreachable!("not used by UserTokens")
    }
    async fn take_login(
        &self,
        _: &OAuthState,
    ) -> Result<Option<PendingLogin>, crate::ports::GrantStoreError> {
        unreachable!("not used by UserTokens")
    }
    async fn grant(
        &self,
        _: IntegrationId,
    ) -> Result<Option<Grant>, crate::ports::GrantStoreError> {
        Ok(self.grant.lock().unwrap().clone())
    }
    async fn save_grant(&self, grant: &Grant) -> Result<Grant, crate::ports::GrantStoreError> {
        *self.grant.lock().unwrap() = Some(grant.clone());
        *self.claim.lock().unwrap() = None;
        Ok(grant.clone())
    }
    async fn replace_refreshed(
        &self,
        grant: &Grant,
    ) -> Result<Option<Grant>, crate::ports::GrantStoreError> {
        let failing = self.failing_stores.load(Ordering::SeqCst);
        if failing > 0 {
            self.failing_stores.store(failing - 1, Ordering::SeqCst);
            return Err(crate::ports::GrantStoreError::Backend(
                crate::ports::StoreFault::failed("connection reset"),
            ));
        }
        let mut stored = self.grant.lock().unwrap();
        match stored.as_ref() {
            Some(current) if current.generation == grant.generation => {
                let next = Grant {
                    generation: grant.generation + 1,
                    ..grant.clone()
                };
                *stored = Some(next.clone());
                *self.claim.lock().unwrap() = None;
                Ok(Some(next))
            }
            _ => Ok(None),
        }
    }
    async fn claim_refresh(
        &self,
        _: IntegrationId,
        generation: i64,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, crate::ports::GrantStoreError> {
        let current = self.grant.lock().unwrap().as_ref().map(|g| g.generation);
        let mut claim = self.claim.lock().unwrap();
        let free = match claim.as_ref() {
            None => true,
            Some((holder, lapses)) => holder == owner || *lapses <= now,
        };
        if current != Some(generation) || !free {
            return Ok(false);
        }
        *claim = Some((owner.to_owned(), until));
        Ok(true)
    }
    async fn release_refresh(
        &self,
        _: IntegrationId,
        owner: &str,
    ) -> Result<(), crate::ports::GrantStoreError> {
        let mut claim = self.claim.lock().unwrap();
        if claim.as_ref().is_some_and(|(holder, _)| holder == owner) {
            *claim = None;
        }
        Ok(())
    }
}

/// Lark's token endpoint and `user_info`: single-use refresh tokens, one live access token,
/// and a pause in each refresh so that concurrent callers really overlap.
struct Lark {
    refreshes: AtomicUsize,
    live_refresh_token: Mutex<String>,
    /// The one access token `user_info` accepts (empty: none, as after Lark expired them).
    live_access_token: Mutex<String>,
}

#[async_trait]
impl OAuthGateway for Lark {
    fn accounts_base(&self, _: &crate::model::IntegrationSummary) -> String {
        unreachable!("not used by UserTokens")
    }
    fn authorize_url(&self, _: &DirectoryConnection, _: &AuthorizeRequest) -> String {
        unreachable!("not used by UserTokens")
    }
    async fn exchange_code(
        &self,
        _: &DirectoryConnection,
        _: &str,
        _: &str,
        _: &PkceVerifier,
    ) -> Result<IssuedTokens, OAuthError> {
        unreachable!("not used by UserTokens")
    }
    async fn refresh(
        &self,
        _: &DirectoryConnection,
        refresh_token: &SecretString,
    ) -> Result<IssuedTokens, OAuthError> {
        let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::task::yield_now().await;
        let mut live = self.live_refresh_token.lock().unwrap();
        if refresh_token.expose_secret() != *live {
            return Err(OAuthError::RefreshRejected {
                detail: "20073 refresh token already used".into(),
            });
        }
        *live = format!("refresh-{}", n + 1);
        *self.live_access_token.lock().unwrap() = format!("access-{}", n + 1);
        Ok(issued(&format!("access-{}", n + 1), &live, 120))
    }
    async fn user_info(
        &self,
        _: &DirectoryConnection,
        access_token: &SecretString,
    ) -> Result<AuthorizedUser, OAuthError> {
        if access_token.expose_secret() == *self.live_access_token.lock().unwrap() {
            Ok(admin("tenant-acme"))
        } else {
            Err(OAuthError::AccessTokenRejected {
                detail: "99991677 token expire".into(),
            })
        }
    }
}

fn stored_grant(access_expires_at: DateTime<Utc>) -> Grant {
    Grant {
        integration_id: integration_id(),
        tokens: tokens("access-1", "refresh-1", access_expires_at),
        authorized_by: admin("tenant-acme"),
        granted_at: at(-120),
        generation: 1,
    }
}

struct TokenSetup {
    store: Arc<OneGrant>,
    lark: Arc<Lark>,
    statuses: Arc<Mutex<Vec<IntegrationStatus>>>,
}

impl TokenSetup {
    fn new(grant: Option<Grant>) -> Self {
        Self {
            store: Arc::new(OneGrant::holding(grant)),
            lark: Arc::new(Lark {
                refreshes: AtomicUsize::new(0),
                live_refresh_token: Mutex::new("refresh-1".into()),
                live_access_token: Mutex::new("access-1".into()),
            }),
            statuses: Arc::default(),
        }
    }

    fn tokens(&self) -> UserTokens {
        self.process("this-host:1")
    }

    /// The `UserTokens` of one process (`owner`), over the shared store and Lark.
    fn process(&self, owner: &str) -> UserTokens {
        let mut repo = integrations();
        let statuses = Arc::clone(&self.statuses);
        repo.expect_set_status().returning(move |_, status, _, _| {
            statuses.lock().unwrap().push(status);
            Ok(())
        });
        UserTokens::new(
            Arc::new(repo),
            Arc::clone(&self.store) as Arc<dyn GrantStore>,
            Arc::clone(&self.lark) as Arc<dyn OAuthGateway>,
            clock(at(0)),
            Arc::new(TokioTimer),
            owner.to_owned(),
        )
    }

    fn refreshes(&self) -> usize {
        self.lark.refreshes.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_fresh_access_token_is_used_as_is() {
    let setup = TokenSetup::new(Some(stored_grant(at(60))));
    let token = setup.tokens().access_token(integration_id()).await.unwrap();
    assert_eq!(token.expose_secret(), "access-1");
    assert_eq!(setup.refreshes(), 0);
}

#[tokio::test]
async fn ten_concurrent_callers_cause_one_refresh_stored_before_use() {
    let setup = TokenSetup::new(Some(stored_grant(at(2))));
    let tokens = setup.tokens();
    let calls = (0..10).map(|_| tokens.access_token(integration_id()));
    let results = futures::future::join_all(calls).await;
    for result in results {
        assert_eq!(result.unwrap().expose_secret(), "access-2");
    }
    assert_eq!(setup.refreshes(), 1);
    let stored = setup.store.grant.lock().unwrap().clone().unwrap();
    assert_eq!(stored.generation, 2);
    assert_eq!(
        stored.tokens.refresh_token.unwrap().expose_secret(),
        "refresh-2"
    );
}

#[tokio::test]
async fn a_refresh_spent_by_another_process_uses_the_pair_it_stored() {
    let setup = TokenSetup::new(Some(stored_grant(at(2))));
    // Another process refreshed: Lark's live refresh token moved on and the store holds the
    // new pair — but this process read the old grant before that.
    *setup.lark.live_refresh_token.lock().unwrap() = "refresh-other".into();
    let tokens = setup.tokens();
    let store = Arc::clone(&setup.store);
    let other = Grant {
        tokens: super::tests::tokens("access-other", "refresh-other", at(120)),
        generation: 2,
        ..stored_grant(at(2))
    };
    // The other process's write lands while our refresh is in flight.
    let (token, ()) = futures::join!(tokens.access_token(integration_id()), async move {
        *store.grant.lock().unwrap() = Some(other);
    });
    assert_eq!(token.unwrap().expose_secret(), "access-other");
    assert!(setup.statuses.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_processes_needing_a_fresh_token_at_once_cause_one_refresh() {
    let setup = TokenSetup::new(Some(stored_grant(at(2))));
    // Each `UserTokens` stands for a process: its own locks, one store and one Lark shared.
    let processes: Vec<Arc<UserTokens>> = (1..=4)
        .map(|n| Arc::new(setup.process(&format!("host-{n}:1"))))
        .collect();
    let calls = processes.iter().flat_map(|tokens| {
        (0..3).map(move |_| {
            let tokens = Arc::clone(tokens);
            tokio::spawn(async move { tokens.access_token(integration_id()).await })
        })
    });
    let tasks: Vec<_> = calls.collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().expose_secret(), "access-2");
    }
    assert_eq!(setup.refreshes(), 1, "one refresh request at Lark");
    let stored = setup.store.grant.lock().unwrap().clone().unwrap();
    assert_eq!(stored.generation, 2);
    assert!(
        setup.store.claim.lock().unwrap().is_none(),
        "the claim ended"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refreshed_pair_the_store_refuses_at_first_is_stored_on_a_later_try() {
    let setup = TokenSetup::new(Some(stored_grant(at(2))));
    setup.store.failing_stores.store(3, Ordering::SeqCst);
    let token = setup.tokens().access_token(integration_id()).await.unwrap();
    assert_eq!(token.expose_secret(), "access-2");
    assert_eq!(setup.refreshes(), 1);
    let stored = setup.store.grant.lock().unwrap().clone().unwrap();
    assert_eq!(
        stored.tokens.refresh_token.unwrap().expose_secret(),
        "refresh-2",
        "the refresh token Lark issued for the spent one was not lost"
    );

    // A store that never comes back: the error says so, after every try.
    let down = TokenSetup::new(Some(stored_grant(at(2))));
    down.store
        .failing_stores
        .store(usize::MAX, Ordering::SeqCst);
    let err = down
        .tokens()
        .access_token(integration_id())
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Store(_)), "{err:?}");
    assert_eq!(down.refreshes(), 1);
    assert_eq!(
        down.store.failing_stores.load(Ordering::SeqCst),
        usize::MAX - 6,
        "one first try and five more"
    );
}

#[tokio::test(start_paused = true)]
async fn a_claim_whose_process_died_lapses_and_another_process_refreshes() {
    let setup = TokenSetup::new(Some(stored_grant(at(2))));
    // A process claimed the refresh and died before storing anything; its claim lapses at
    // +90 s by the stored clock, which is fixed here at `at(0)`: so far in the past already.
    *setup.store.claim.lock().unwrap() = Some(("host-dead:9".to_owned(), at(-1)));
    let token = setup.tokens().access_token(integration_id()).await.unwrap();
    assert_eq!(token.expose_secret(), "access-2");
    assert_eq!(setup.refreshes(), 1);
}

#[tokio::test]
async fn a_dead_grant_marks_the_integration_for_reauthorization() {
    let setup = TokenSetup::new(Some(stored_grant(at(2))));
    *setup.lark.live_refresh_token.lock().unwrap() = "revoked".into();
    let result = setup.tokens().access_token(integration_id()).await;
    assert_eq!(result.unwrap_err(), TokenError::NeedsAuthorization);
    assert_eq!(
        *setup.statuses.lock().unwrap(),
        vec![IntegrationStatus::NeedsReauthorization]
    );

    let never = TokenSetup::new(None);
    let result = never.tokens().access_token(integration_id()).await;
    assert_eq!(result.unwrap_err(), TokenError::NeedsAuthorization);
    assert_eq!(never.refreshes(), 0);
}

// ---- tokens Lark rejects before their stored expiry --------------------------------------------

/// Runs `calls` copies of `call` on tasks of their own, all at once, and collects the results.
async fn on_tasks<T, F>(calls: usize, call: impl Fn() -> F) -> Vec<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..calls).map(|_| tokio::spawn(call())).collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_tasks_that_saw_one_token_rejected_cause_one_refresh() {
    // Fresh by the stored clock, but Lark expired it early.
    let setup = TokenSetup::new(Some(stored_grant(at(60))));
    *setup.lark.live_access_token.lock().unwrap() = String::new();
    let tokens = Arc::new(setup.tokens());
    let rejected = SecretString::from("access-1");
    let results = on_tasks(10, || {
        let (tokens, rejected) = (Arc::clone(&tokens), rejected.clone());
        async move { tokens.renew_rejected(integration_id(), &rejected).await }
    })
    .await;
    for result in results {
        assert_eq!(result.unwrap().expose_secret(), "access-2");
    }
    assert_eq!(setup.refreshes(), 1);
    let stored = setup.store.grant.lock().unwrap().clone().unwrap();
    assert_eq!(stored.generation, 2, "the new pair is stored");
    assert!(setup.statuses.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_rejected_token_already_replaced_is_not_refreshed_again() {
    let setup = TokenSetup::new(Some(Grant {
        tokens: tokens("access-2", "refresh-2", at(60)),
        generation: 2,
        ..stored_grant(at(60))
    }));
    let token = setup
        .tokens()
        .renew_rejected(integration_id(), &SecretString::from("access-1"))
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "access-2");
    assert_eq!(setup.refreshes(), 0);
}

#[tokio::test]
async fn a_rejected_token_whose_refresh_is_refused_needs_a_new_login() {
    // Revoked at Lark: the access token is refused and so is the refresh token, although the
    // stored access token has an hour left.
    let setup = TokenSetup::new(Some(stored_grant(at(60))));
    *setup.lark.live_access_token.lock().unwrap() = String::new();
    *setup.lark.live_refresh_token.lock().unwrap() = "revoked".into();
    let result = setup
        .tokens()
        .renew_rejected(integration_id(), &SecretString::from("access-1"))
        .await;
    assert_eq!(result.unwrap_err(), TokenError::NeedsAuthorization);
    assert_eq!(
        *setup.statuses.lock().unwrap(),
        vec![IntegrationStatus::NeedsReauthorization]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_sign_in_checks_after_lark_expired_the_token_cause_one_refresh() {
    let setup = TokenSetup::new(Some(stored_grant(at(60))));
    *setup.lark.live_access_token.lock().unwrap() = String::new();
    let tokens = Arc::new(setup.tokens());
    let results = on_tasks(10, || {
        let tokens = Arc::clone(&tokens);
        async move { tokens.check_sign_in(integration_id()).await }
    })
    .await;
    for result in results {
        let checked = result.unwrap();
        assert_eq!(checked.signed_in, admin("tenant-acme"));
        assert_eq!(checked.authorized_by, admin("tenant-acme"));
    }
    assert_eq!(setup.refreshes(), 1);

    // A working token is checked as it is.
    let token = tokens.access_token(integration_id()).await.unwrap();
    assert_eq!(token.expose_secret(), "access-2");
    tokens.check_sign_in(integration_id()).await.unwrap();
    assert_eq!(setup.refreshes(), 1);
}
