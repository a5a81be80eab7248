//! The seeded installation the HTTP tests share (`api.rs`, `ui.rs`): real services on a
//! temporary SQLite database, an integration registered and synced through the real use cases
//! from an in-process simulated Lark tenant; and a whole-response reader.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test;
use aviary_app_http::{Services, Settings};
use aviary_domain::model::{Integration, KeyCreator, KeyScope, Region, RunTrigger};
use aviary_domain::ports::{Clock, NoProgress};
use aviary_domain::usecases::sync::SyncRequest;
use aviary_domain::usecases::{NewApiKey, NewIntegration};
use aviary_lark_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// A seeded installation: 40 users synced twice (one frozen and one deleted in between).
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub simulator: SimulatorHandle,
    pub services: Services,
    pub integration: Integration,
    /// A working API key (`Bearer` token) with the scope `manage`.
    pub key: String,
    /// Keys with the scopes `read` and `sync`.
    pub read_key: String,
    pub sync_key: String,
    pub app_secret: String,
    pub frozen: String,
    pub deleted: String,
    /// The services' clock: real time until a test moves it forward.
    pub clock: Arc<TestClock>,
}

/// Real time plus an offset a test can move forward (to expire logins, sessions, tokens).
#[derive(Debug, Default)]
pub struct TestClock {
    offset: std::sync::Mutex<chrono::Duration>,
}

impl TestClock {
    pub fn advance(&self, by: chrono::Duration) {
        *self.offset.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + *self.offset.lock().unwrap()
    }
}

pub async fn sync(services: &Services, integration: &Integration) {
    let request = SyncRequest {
        integration: integration.id,
        trigger: RunTrigger::Manual,
        dry_run: false,
        confirm: None,
        rate_limits: None,
    };
    let report = services.sync.execute(&request, &NoProgress).await.unwrap();
    assert_eq!(report.run.status.as_str(), "succeeded", "{report:?}");
}

/// A key request from the command line, without expiry.
pub fn new_key(name: &str, scope: KeyScope) -> NewApiKey {
    NewApiKey {
        name: name.to_owned(),
        scope,
        expires_in_days: None,
        created_by: KeyCreator::CommandLine,
    }
}

pub async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults();
    settings.data.dir = dir.path().join("aviary-data");
    settings.database.url = SecretString::from(String::new());
    settings.secrets.master_key = Some(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
    ));
    settings.lark.pacing = false;
    // The simulator is a custom base URL on this machine.
    settings.lark.client.allow_custom_base_url = true;
    let clock = Arc::new(TestClock::default());
    let services = Services::build_with_clock(settings, Arc::clone(&clock) as Arc<dyn Clock>)
        .await
        .unwrap();

    let config = SimulatorConfig {
        users: 40,
        departments: 6,
        seed: 11,
        rate_limits: false,
        ..SimulatorConfig::default()
    };
    let simulator = Simulator::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .unwrap();
    let app_secret = simulator.app_secret();
    let integration = services
        .register
        .execute(NewIntegration {
            label: "acme".into(),
            region: Region::Lark,
            base_url: Some(simulator.base_url()),
            app_id: simulator.app_id(),
            app_secret: SecretString::from(app_secret.clone()),
            verify: true,
            rate_limits: None,
        })
        .await
        .unwrap();
    sync(&services, &integration).await;
    let tenant = simulator.tenant();
    let users = tenant.users();
    let frozen = users[3].open_id.clone();
    let deleted = users[5].open_id.clone();
    tenant.freeze_user(&frozen).unwrap();
    tenant.delete_user(&deleted).unwrap();
    sync(&services, &integration).await;

    let key = services
        .api_keys
        .create(new_key("api tests", KeyScope::Manage))
        .await
        .unwrap();
    let read_key = services
        .api_keys
        .create(new_key("reader", KeyScope::Read))
        .await
        .unwrap();
    let sync_key = services
        .api_keys
        .create(new_key("syncer", KeyScope::Sync))
        .await
        .unwrap();
    Fixture {
        dir,
        simulator,
        services,
        integration,
        key: key.secret.expose_secret().to_owned(),
        read_key: read_key.secret.expose_secret().to_owned(),
        sync_key: sync_key.secret.expose_secret().to_owned(),
        app_secret,
        frozen,
        deleted,
        clock,
    }
}

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub async fn read<B: MessageBody>(res: ServiceResponse<B>) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        Self {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Panics unless this is the JSON error shape with `status` and `code`.
    #[track_caller]
    pub fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let body = self.json();
        assert_eq!(body["error"]["code"], code, "{}", self.body);
        let message = body["error"]["message"].as_str().unwrap().to_owned();
        assert!(!message.is_empty());
        assert_eq!(body.as_object().unwrap().len(), 1);
        assert_eq!(body["error"].as_object().unwrap().len(), 2);
        message
    }
}

/// A held run, as a sync that held would leave it: a second integration of the fixture's tenant
/// (`held`) whose newest run held two removals. Confirming it syncs that integration.
pub async fn held_run(fx: &Fixture) -> aviary_domain::values::RunId {
    use aviary_domain::model::{
        Departures, HeldSubject, Hold, Presence, RunStatus, Subject, SyncRun,
    };
    let integration = fx
        .services
        .register
        .execute(NewIntegration {
            label: "held".into(),
            region: Region::Lark,
            base_url: Some(fx.simulator.base_url()),
            app_id: fx.simulator.app_id(),
            app_secret: SecretString::from(fx.app_secret.clone()),
            verify: false,
            rate_limits: None,
        })
        .await
        .unwrap();
    let store = fx.services.database().sync_store();
    let now = chrono::Utc::now();
    let lease = store
        .acquire_lease(
            integration.id,
            "test",
            std::time::Duration::from_secs(60),
            now,
        )
        .await
        .unwrap();
    let mut run = SyncRun::start(
        aviary_domain::values::RunId::from_uuid(uuid::Uuid::new_v4()),
        integration.id,
        RunTrigger::Schedule,
        now,
    );
    store.begin_run(&lease, &run).await.unwrap();
    run.status = RunStatus::Held;
    run.finished_at = Some(now);
    run.error = Some("held".into());
    run.hold = Some(Hold {
        accounts: Departures {
            removed: 2,
            out_of_range: 0,
        },
        accounts_stored: 5,
        departments: Departures::default(),
        departments_stored: 1,
        threshold_percent: 20.0,
        ..Hold::default()
    });
    let held: Vec<HeldSubject> = ["ou_gone_1", "ou_gone_2"]
        .iter()
        .map(|id| HeldSubject {
            subject: Subject::Account(aviary_domain::values::OpenId::parse(id).unwrap()),
            outcome: Presence::Removed,
        })
        .collect();
    store.finish_run(&lease, &run, &held).await.unwrap();
    store.release_lease(&lease).await.unwrap();
    run.id
}
