//! Use-case tests of the sync algorithm with mockall mocks of every port.

use crate::testing;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::model::{
    AccountState, AccountStatus, ChangeKind, Department, DepartmentState, HeldSubject, Presence,
    Role, Subject, UserAccount, UserProfile,
};
use crate::ports::{
    ContactScope, Lease, MockClock, MockDirectoryGateway, MockDirectorySession, MockGrantStore,
    MockIdSource, MockIntegrationRepository, MockLeaseHolders, MockOAuthGateway, MockSyncStore,
    NoProgress, Recheck, RemoteApp, RemoteDepartment, RemoteGroup, RemoteUser, StoredHash,
    StoredHold, UserPage, WriteBatch,
};
use crate::usecases::connect::UserTokens;
use crate::values::{ContentHash, OpenId};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
        .single()
        .unwrap()
}

fn integration_id() -> IntegrationId {
    IntegrationId::from_uuid(uuid::Uuid::from_u128(1))
}

/// The integration these tests sync, on an hourly schedule.
fn acme() -> testing::IntegrationBuilder {
    testing::integration()
        .id(integration_id())
        .base_url("http://127.0.0.1:1")
        .secret("s3cret")
        .every(60)
        .created_at(at())
}

fn integration() -> Integration {
    acme().build()
}

fn dept_id(id: &str) -> DepartmentId {
    DepartmentId::parse(id).unwrap()
}

fn open_id(id: &str) -> OpenId {
    OpenId::parse(id).unwrap()
}

fn department(id: &str, leader: Option<&str>) -> RemoteDepartment {
    let mut state = DepartmentState::new(dept_id(id));
    state.name = Some(format!("Dept {id}"));
    state.parent_id = Some(DepartmentId::root());
    state.leader_open_id = leader.map(open_id);
    RemoteDepartment {
        state,
        raw: json!({"open_department_id": id}),
    }
}

fn user(id: &str, departments: &[&str]) -> RemoteUser {
    let mut profile = UserProfile::new(open_id(id));
    profile.name = Some(format!("User {id}"));
    profile.department_ids = departments.iter().map(|d| dept_id(d)).collect();
    profile.designation = Some("Engineer".into());
    RemoteUser {
        profile,
        raw: json!({"open_id": id}),
    }
}

/// What the fake tenant answers.
#[derive(Clone, Default)]
struct Tenant {
    scope_departments: Vec<&'static str>,
    scope_users: Vec<&'static str>,
    departments: Vec<RemoteDepartment>,
    /// department id → its members (one page per inner vec).
    pages: HashMap<&'static str, Vec<Vec<RemoteUser>>>,
    /// What `/users/batch` returns, by id.
    batch: HashMap<&'static str, RemoteUser>,
    /// What `users/:user_id` answers, by id (`Gone` for the rest).
    single: HashMap<&'static str, Recheck<RemoteUser>>,
    /// What `departments/:department_id` answers, by id (`Gone` for the rest).
    single_departments: HashMap<&'static str, Recheck<RemoteDepartment>>,
    /// Groups granted in the range (by either id).
    scope_groups: Vec<&'static str>,
    /// What the group listing answers (`Ok([])` unless set).
    groups: Option<Result<Vec<RemoteGroup>, DirectoryError>>,
    /// What the app listing answers (`Ok([])` unless set).
    apps: Option<Result<Vec<RemoteApp>, DirectoryError>>,
    /// Listing this department fails with this error.
    failing: Option<(&'static str, DirectoryError)>,
    /// This department's member pages name the page tokens A, B, A, B, … forever.
    cycling: Option<&'static str>,
}

fn session(tenant: Tenant) -> MockDirectorySession {
    let mut session = MockDirectorySession::new();
    let scope = ContactScope {
        department_ids: tenant
            .scope_departments
            .iter()
            .map(|d| dept_id(d))
            .collect(),
        user_ids: tenant.scope_users.iter().map(|u| open_id(u)).collect(),
        group_ids: tenant
            .scope_groups
            .iter()
            .map(|g| (*g).to_owned())
            .collect(),
    };
    session
        .expect_contact_scope()
        .returning(move || Ok(scope.clone()));
    let roots = tenant.departments.clone();
    session.expect_departments().returning(move |ids| {
        Ok(roots
            .iter()
            .filter(|d| ids.contains(&d.state.open_department_id))
            .cloned()
            .collect())
    });
    session
        .expect_departments_under()
        .returning(|_| Ok(Vec::new()));
    let pages = tenant.pages.clone();
    let failing = tenant.failing.clone();
    let cycling = tenant.cycling;
    let cycled = std::sync::atomic::AtomicUsize::new(0);
    session
        .expect_users_page()
        .returning(move |department, token| {
            if let Some((id, error)) = &failing
                && department.as_str() == *id
            {
                return Err(error.clone());
            }
            if cycling == Some(department.as_str()) {
                // A sync that never notices the cycle stops here instead of hanging the test.
                if cycled.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 1_000 {
                    return Err(DirectoryError::Unavailable {
                        detail: "the fake tenant stopped answering a listing that never ended"
                            .into(),
                    });
                }
                let next = if token.as_deref() == Some("A") {
                    "B"
                } else {
                    "A"
                };
                return Ok(UserPage {
                    users: Vec::new(),
                    next_page_token: Some(next.to_owned()),
                });
            }
            let list = pages.get(department.as_str()).cloned().unwrap_or_default();
            let index: usize = token.map_or(0, |t| t.parse().unwrap());
            let users = list.get(index).cloned().unwrap_or_default();
            let next_page_token = (index + 1 < list.len()).then(|| (index + 1).to_string());
            Ok(UserPage {
                users,
                next_page_token,
            })
        });
    let batch = tenant.batch.clone();
    session.expect_users().returning(move |ids| {
        Ok(ids
            .iter()
            .filter_map(|id| batch.get(id.as_str()).cloned())
            .collect())
    });
    let single = tenant.single.clone();
    session
        .expect_user()
        .returning(move |id| Ok(single.get(id.as_str()).cloned().unwrap_or(Recheck::Gone)));
    let single = tenant.single_departments.clone();
    session
        .expect_department()
        .returning(move |id| Ok(single.get(id.as_str()).cloned().unwrap_or(Recheck::Gone)));
    let groups = tenant.groups.clone().unwrap_or(Ok(Vec::new()));
    session.expect_groups().returning(move || groups.clone());
    session.expect_group().returning(|_| Ok(Recheck::Gone));
    let apps = tenant.apps.clone().unwrap_or(Ok(Vec::new()));
    session.expect_apps().returning(move || apps.clone());
    session
        .expect_counters()
        .returning(|| crate::model::ApiCounters {
            calls: 7,
            retries: 1,
            rate_limit_waits: 0,
        });
    session
}

/// What the store holds before the run, and what the run wrote.
#[derive(Default)]
struct Stored {
    accounts: Vec<UserAccount>,
    departments: Vec<Department>,
    /// Fail `write_batch` calls after this many successful ones.
    fail_writes_after: Option<(usize, SyncStoreError)>,
    /// `write_batch` calls, failed ones included.
    write_attempts: usize,
    batches: Vec<WriteBatch>,
    finished: Option<SyncRun>,
    /// What the finished run held, record by record.
    held_subjects: Vec<HeldSubject>,
    /// What `held_run` answers.
    held_runs: Vec<StoredHold>,
    status: Option<IntegrationStatus>,
    released: usize,
    /// The holders whose leases were taken over.
    taken_from: Vec<String>,
    /// What `newest_runs` answers.
    newest_runs: Vec<SyncRun>,
    /// `begin_run` calls.
    begun: usize,
    /// `renew_lease` calls.
    renewals: usize,
}

fn stored_account(remote: &RemoteUser, removed: bool) -> UserAccount {
    let state = AccountState::derive(remote.profile.clone(), &Default::default());
    let hash = ContentHash::of_record(&state, &remote.raw);
    UserAccount {
        integration_id: integration_id(),
        state,
        raw: remote.raw.clone(),
        content_hash: hash,
        first_seen_at: at() - chrono::Duration::days(3),
        last_changed_at: at() - chrono::Duration::days(3),
        removed_at: removed.then(|| at() - chrono::Duration::days(1)),
        presence: if removed {
            Presence::Removed
        } else {
            Presence::Present
        },
    }
}

struct Setup {
    tenant: Tenant,
    /// What the integration repository returns.
    integration: Integration,
    /// The admin's Lark login (`None`: fakes that must not be called).
    user_tokens: Option<Arc<UserTokens>>,
    stored: Arc<Mutex<Stored>>,
    lease_held: bool,
    threshold: f64,
    parallel_writes: usize,
    /// Paces the lease keeper: by default it never renews (the runs here are instant).
    timer: Arc<dyn Timer>,
    /// What renewing the lease answers (`None`: the renewed lease).
    renewal_fails: Option<SyncStoreError>,
}

/// A timer that never fires.
struct Never;

#[async_trait::async_trait]
impl Timer for Never {
    async fn sleep(&self, _: Duration) {
        std::future::pending::<()>().await;
    }
}

/// A timer that fires as soon as the run has had its turn.
struct AtOnce;

#[async_trait::async_trait]
impl Timer for AtOnce {
    async fn sleep(&self, _: Duration) {
        tokio::task::yield_now().await;
    }
}

impl Setup {
    fn new(tenant: Tenant) -> Self {
        Self {
            tenant,
            integration: integration(),
            user_tokens: None,
            stored: Arc::default(),
            lease_held: false,
            threshold: 20.0,
            parallel_writes: 1,
            timer: Arc::new(Never),
            renewal_fails: None,
        }
    }

    fn with_stored(self, accounts: Vec<UserAccount>) -> Self {
        self.stored.lock().unwrap().accounts = accounts;
        self
    }

    fn use_case(&self) -> SyncIntegration {
        let mut integrations = MockIntegrationRepository::new();
        let listed = self.integration.clone();
        integrations
            .expect_get()
            .returning(move |_| Ok(Some(listed.clone())));
        let recorder = Arc::clone(&self.stored);
        integrations
            .expect_set_status()
            .returning(move |_, status, _, _| {
                recorder.lock().unwrap().status = Some(status);
                Ok(())
            });

        let mut store = MockSyncStore::new();
        let held = self.lease_held;
        store
            .expect_acquire_lease()
            .returning(move |id, owner, _, now| {
                if held {
                    Err(SyncStoreError::LeaseHeld {
                        owner: "other-host:42".into(),
                        until: now,
                    })
                } else {
                    Ok(Lease {
                        integration_id: id,
                        owner: owner.into(),
                        token: 1,
                        expires_at: now,
                    })
                }
            });
        let recorder = Arc::clone(&self.stored);
        store
            .expect_take_over_lease()
            .returning(move |id, holder, owner, _, now| {
                recorder.lock().unwrap().taken_from.push(holder.to_owned());
                Ok(Lease {
                    integration_id: id,
                    owner: owner.into(),
                    token: 2,
                    expires_at: now,
                })
            });
        let renewal = self.renewal_fails.clone();
        let recorder = Arc::clone(&self.stored);
        store.expect_renew_lease().returning(move |lease, _, _| {
            recorder.lock().unwrap().renewals += 1;
            renewal.clone().map_or_else(|| Ok(lease.clone()), Err)
        });
        let recorder = Arc::clone(&self.stored);
        store.expect_release_lease().returning(move |_| {
            recorder.lock().unwrap().released += 1;
            Ok(())
        });
        let recorder = Arc::clone(&self.stored);
        store.expect_begin_run().returning(move |_, _| {
            recorder.lock().unwrap().begun += 1;
            Ok(())
        });
        let recorder = Arc::clone(&self.stored);
        store
            .expect_newest_runs()
            .returning(move |_, _| Ok(recorder.lock().unwrap().newest_runs.clone()));
        let recorder = Arc::clone(&self.stored);
        store.expect_finish_run().returning(move |_, run, held| {
            let mut stored = recorder.lock().unwrap();
            stored.finished = Some(run.clone());
            stored.held_subjects = held.to_vec();
            Ok(())
        });
        let recorder = Arc::clone(&self.stored);
        store.expect_held_run().returning(move |_, id| {
            Ok(recorder
                .lock()
                .unwrap()
                .held_runs
                .iter()
                .find(|h| h.run.id == id)
                .cloned())
        });
        let recorder = Arc::clone(&self.stored);
        store.expect_account_hashes().returning(move |_| {
            Ok(recorder
                .lock()
                .unwrap()
                .accounts
                .iter()
                .map(|a| {
                    let hash = StoredHash {
                        hash: a.content_hash.clone(),
                        removed: a.removed_at.is_some(),
                    };
                    (a.state.open_id().clone(), hash)
                })
                .collect())
        });
        store.expect_department_hashes().returning({
            let recorder = Arc::clone(&self.stored);
            move |_| {
                Ok(recorder
                    .lock()
                    .unwrap()
                    .departments
                    .iter()
                    .map(|d| {
                        let hash = StoredHash {
                            hash: d.content_hash.clone(),
                            removed: d.removed_at.is_some(),
                        };
                        (d.state.open_department_id.clone(), hash)
                    })
                    .collect())
            }
        });
        let recorder = Arc::clone(&self.stored);
        store.expect_load_accounts().returning(move |_, ids| {
            Ok(recorder
                .lock()
                .unwrap()
                .accounts
                .iter()
                .filter(|a| ids.contains(a.state.open_id()))
                .cloned()
                .collect())
        });
        store.expect_load_departments().returning({
            let recorder = Arc::clone(&self.stored);
            move |_, ids| {
                Ok(recorder
                    .lock()
                    .unwrap()
                    .departments
                    .iter()
                    .filter(|d| ids.contains(&d.state.open_department_id))
                    .cloned()
                    .collect())
            }
        });
        store
            .expect_group_hashes()
            .returning(|_| Ok(HashMap::new()));
        store.expect_app_hashes().returning(|_| Ok(HashMap::new()));
        store.expect_load_groups().returning(|_, _| Ok(Vec::new()));
        store.expect_load_apps().returning(|_, _| Ok(Vec::new()));
        let recorder = Arc::clone(&self.stored);
        store
            .expect_parallel_writes()
            .return_const(self.parallel_writes);
        store.expect_write_batch().returning(move |_, batch, _| {
            let mut stored = recorder.lock().unwrap();
            stored.write_attempts += 1;
            if let Some((after, error)) = &stored.fail_writes_after
                && stored.batches.len() >= *after
            {
                return Err(error.clone());
            }
            stored.batches.push(batch);
            Ok(())
        });

        let mut directory = MockDirectoryGateway::new();
        let tenant = self.tenant.clone();
        directory
            .expect_open()
            .returning(move |_| Ok(Arc::new(session(tenant.clone())) as Arc<dyn DirectorySession>));
        let mut clock = MockClock::new();
        clock.expect_now().returning(at);
        let mut ids = MockIdSource::new();
        ids.expect_new_uuid()
            .returning(|| uuid::Uuid::from_u128(99));
        let settings = SyncSettings {
            removal_threshold_percent: self.threshold,
            batch_size: 2,
            lease_ttl: Duration::from_secs(60),
            ..SyncSettings::default()
        };
        let user_tokens = self.user_tokens.clone().unwrap_or_else(|| {
            Arc::new(UserTokens::new(
                Arc::new(MockIntegrationRepository::new()),
                Arc::new(MockGrantStore::new()),
                Arc::new(MockOAuthGateway::new()),
                Arc::new(MockClock::new()),
                Arc::new(Never),
                "this-host:1".to_owned(),
            ))
        });
        SyncIntegration::new(
            Arc::new(integrations),
            Arc::new(store),
            Arc::new(directory),
            user_tokens,
            Arc::new(clock),
            Arc::clone(&self.timer),
            Arc::new(ids),
            settings,
        )
    }

    async fn run(&self, dry_run: bool, confirm: Option<Confirmation>) -> SyncReport {
        let request = request(dry_run, confirm);
        self.use_case()
            .execute(&request, &NoProgress)
            .await
            .unwrap()
    }

    fn written(&self) -> WriteBatch {
        let stored = self.stored.lock().unwrap();
        let mut all = WriteBatch::default();
        for batch in &stored.batches {
            all.accounts.extend(batch.accounts.iter().cloned());
            all.departments.extend(batch.departments.iter().cloned());
            all.removed_accounts
                .extend(batch.removed_accounts.iter().cloned());
            all.removed_departments
                .extend(batch.removed_departments.iter().cloned());
            all.groups.extend(batch.groups.iter().cloned());
            all.apps.extend(batch.apps.iter().cloned());
            all.changes.extend(batch.changes.iter().cloned());
        }
        all
    }
}

fn request(dry_run: bool, confirm: Option<Confirmation>) -> SyncRequest {
    SyncRequest {
        integration: integration_id(),
        trigger: RunTrigger::Manual,
        dry_run,
        confirm,
        rate_limits: None,
    }
}

/// The held run of a finished setup, as the store would answer for it.
fn held_run_of(setup: &Setup) -> StoredHold {
    let stored = setup.stored.lock().unwrap();
    StoredHold {
        run: stored.finished.clone().expect("a finished run"),
        subjects: stored.held_subjects.clone(),
        newest: true,
    }
}

fn confirmation_of(held: &StoredHold) -> Option<Confirmation> {
    Some(Confirmation {
        run: held.run.id,
        by: "Ada <ada@acme.example>".into(),
    })
}

fn base_tenant() -> Tenant {
    let mut tenant = Tenant {
        scope_departments: vec!["od-eng", "od-sales"],
        departments: vec![
            department("od-eng", Some("ou_lead")),
            department("od-sales", None),
        ],
        ..Tenant::default()
    };
    tenant.pages.insert(
        "od-eng",
        vec![
            vec![
                user("ou_lead", &["od-eng"]),
                user("ou_both", &["od-eng", "od-sales"]),
            ],
            vec![user("ou_dev", &["od-eng"])],
        ],
    );
    tenant.pages.insert(
        "od-sales",
        vec![vec![
            user("ou_both", &["od-eng", "od-sales"]),
            user("ou_rep", &["od-sales"]),
        ]],
    );
    tenant.pages.insert("0", vec![vec![user("ou_ceo", &["0"])]]);
    tenant
}

fn kinds(batch: &WriteBatch) -> Vec<(String, ChangeKind)> {
    let mut kinds: Vec<_> = batch
        .changes
        .iter()
        .filter_map(|c| match &c.subject {
            Subject::Account(id) => Some((id.to_string(), c.kind)),
            Subject::Department(_) | Subject::Group(_) | Subject::App(_) => None,
        })
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    kinds
}

#[tokio::test]
async fn first_sync_adds_every_user_once_and_derives_roles() {
    let setup = Setup::new(base_tenant());
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert_eq!(
        report.run.counts.users.added, 5,
        "ou_both listed twice is added once"
    );
    assert_eq!(report.run.counts.departments.added, 2);
    assert_eq!(report.run.api.calls, 7);
    let written = setup.written();
    assert_eq!(written.accounts.len(), 5);
    let lead = written
        .accounts
        .iter()
        .find(|a| a.state.open_id().as_str() == "ou_lead")
        .unwrap();
    assert_eq!(lead.state.roles, vec![Role::DepartmentLeader]);
    let both = written
        .accounts
        .iter()
        .find(|a| a.state.open_id().as_str() == "ou_both")
        .unwrap();
    assert_eq!(both.state.profile.department_ids.len(), 2);
    assert_eq!(both.state.roles, vec![Role::Member]);
    assert!(
        kinds(&written)
            .iter()
            .all(|(_, kind)| *kind == ChangeKind::Added)
    );
    let stored = setup.stored.lock().unwrap();
    assert_eq!(
        stored.finished.as_ref().unwrap().status,
        RunStatus::Succeeded
    );
    assert_eq!(stored.status, Some(IntegrationStatus::Active));
}

fn previous_state_of(tenant: &Tenant) -> Vec<UserAccount> {
    let mut seen = std::collections::HashSet::new();
    tenant
        .pages
        .values()
        .flatten()
        .flatten()
        .filter(|u| seen.insert(u.profile.open_id.clone()))
        .map(|u| {
            let mut account = stored_account(u, false);
            if u.profile.open_id.as_str() == "ou_lead" {
                account = stored_account(u, false);
                account.state.roles = vec![Role::DepartmentLeader];
                account.content_hash = ContentHash::of_record(&account.state, &account.raw);
            }
            account
        })
        .collect()
}

#[tokio::test]
async fn unchanged_tenant_writes_nothing_but_the_department_rows_it_never_had() {
    let tenant = base_tenant();
    let setup = Setup::new(tenant.clone()).with_stored(previous_state_of(&tenant));
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert_eq!(report.run.counts.users.unchanged, 5);
    assert_eq!(report.run.counts.users.touched(), 0);
    let written = setup.written();
    assert!(
        written.accounts.is_empty(),
        "no account row written for an unchanged tenant"
    );
    assert!(written.removed_accounts.is_empty());
}

#[tokio::test]
async fn changed_fields_are_diffed_field_by_field_against_the_stored_row() {
    let mut tenant = base_tenant();
    let stored = previous_state_of(&tenant);
    let pages = tenant.pages.get_mut("od-sales").unwrap();
    pages[0][1].profile.designation = Some("Account Executive".into());
    pages[0][1].profile.status = AccountStatus::Suspended;
    let setup = Setup::new(tenant).with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.counts.users.changed, 1);
    assert_eq!(report.run.counts.users.unchanged, 4);
    let written = setup.written();
    assert_eq!(written.accounts.len(), 1);
    let change = written
        .changes
        .iter()
        .find(|c| c.subject == Subject::Account(OpenId::parse("ou_rep").unwrap()))
        .unwrap();
    assert_eq!(change.kind, ChangeKind::Changed);
    let fields: Vec<_> = change
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.old.clone(), f.new.clone()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("designation", json!("Engineer"), json!("Account Executive")),
            ("status", json!("active"), json!("suspended")),
        ]
    );
    assert_eq!(
        written.accounts[0].first_seen_at,
        at() - chrono::Duration::days(3),
        "first_seen_at kept"
    );
}

#[tokio::test]
async fn vanished_users_are_rechecked_and_resigned_ones_come_back_flagged() {
    let mut tenant = base_tenant();
    let stored = previous_state_of(&tenant);
    // ou_dev resigned (gone from listings and from the batch, `users/:id` says resigned);
    // ou_rep vanished entirely.
    tenant.pages.get_mut("od-eng").unwrap()[1].clear();
    tenant.pages.get_mut("od-sales").unwrap()[0].retain(|u| u.profile.open_id.as_str() != "ou_rep");
    let mut resigned = user("ou_dev", &[]);
    resigned.profile.status = AccountStatus::Resigned;
    tenant.single.insert("ou_dev", Recheck::Found(resigned));
    let setup = Setup {
        threshold: 50.0,
        ..Setup::new(tenant)
    }
    .with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    let written = setup.written();
    assert_eq!(
        kinds(&written),
        vec![
            ("ou_dev".into(), ChangeKind::Changed),
            ("ou_rep".into(), ChangeKind::Removed),
        ]
    );
    assert_eq!(
        written.removed_accounts,
        vec![(open_id("ou_rep"), Presence::Removed)]
    );
    let dev = written
        .accounts
        .iter()
        .find(|a| a.state.open_id().as_str() == "ou_dev")
        .unwrap();
    assert_eq!(dev.state.profile.status, AccountStatus::Resigned);
    assert_eq!(report.run.counts.users.removed, 1);
}

#[tokio::test]
async fn a_returning_user_is_restored() {
    let tenant = base_tenant();
    let mut stored = previous_state_of(&tenant);
    let rep = stored
        .iter_mut()
        .find(|a| a.state.open_id().as_str() == "ou_rep")
        .unwrap();
    rep.removed_at = Some(at() - chrono::Duration::days(1));
    rep.presence = Presence::Removed;
    let setup = Setup::new(tenant).with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.counts.users.restored, 1);
    let written = setup.written();
    assert_eq!(
        kinds(&written),
        vec![("ou_rep".into(), ChangeKind::Restored)]
    );
    assert_eq!(written.accounts[0].removed_at, None);
}

#[tokio::test]
async fn a_failed_listing_removes_nothing_and_fails_the_run() {
    let mut tenant = base_tenant();
    let stored = previous_state_of(&tenant);
    tenant.pages.get_mut("od-sales").unwrap()[0].clear();
    tenant.failing = Some((
        "od-eng",
        DirectoryError::Unavailable {
            detail: "HTTP 503 after 4 attempts".into(),
        },
    ));
    let setup = Setup::new(tenant).with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Failed);
    let error = report.run.error.as_deref().unwrap();
    assert!(error.contains("could not be reached"), "{error}");
    assert!(
        !error.contains("503"),
        "upstream details stay in the log: {error}"
    );
    let written = setup.written();
    assert!(written.removed_accounts.is_empty());
    assert!(
        written
            .changes
            .iter()
            .all(|c| c.kind != ChangeKind::Removed)
    );
    assert_eq!(
        setup.stored.lock().unwrap().status,
        Some(IntegrationStatus::Failing)
    );
}

#[tokio::test]
async fn removals_above_the_threshold_hold_the_run_until_confirmed() {
    let mut tenant = base_tenant();
    let stored = previous_state_of(&tenant);
    // The scope shrank to sales only: eng users vanish from every listing and from batch.
    tenant.scope_departments = vec!["od-sales"];
    tenant.pages.remove("0");
    for id in ["ou_lead", "ou_dev", "ou_ceo"] {
        tenant.single.insert(id, Recheck::OutOfRange);
    }
    let setup = Setup::new(tenant.clone()).with_stored(stored.clone());
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Held);
    let hold = report.run.hold.clone().unwrap();
    assert_eq!(
        (
            hold.accounts.out_of_range,
            hold.accounts.removed,
            hold.accounts_stored
        ),
        (3, 0, 5)
    );
    let error = report.run.error.clone().unwrap();
    assert!(error.contains("3 of 5 accounts"), "{error}");
    assert!(error.contains("left the contact range"), "{error}");
    assert!(setup.written().removed_accounts.is_empty());
    assert_eq!(
        setup.stored.lock().unwrap().status,
        Some(IntegrationStatus::Degraded)
    );
    let held = held_run_of(&setup);
    assert_eq!(held.subjects.len(), 3);
    assert!(
        held.subjects
            .iter()
            .all(|s| s.outcome == Presence::OutOfRange)
    );

    let confirmed = Setup::new(tenant.clone()).with_stored(stored.clone());
    confirmed.stored.lock().unwrap().held_runs = vec![held.clone()];
    let report = confirmed.run(false, confirmation_of(&held)).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert_eq!(report.run.confirms, Some(held.run.id));
    assert_eq!(
        report.run.confirmed_by.as_deref(),
        Some("Ada <ada@acme.example>")
    );
    let written = confirmed.written();
    assert_eq!(written.removed_accounts.len(), 3);
    assert!(
        written
            .removed_accounts
            .iter()
            .all(|(_, why)| *why == Presence::OutOfRange)
    );
    assert_eq!(report.run.counts.users.out_of_range, 3);
    assert_eq!(report.run.counts.users.removed, 0);

    // A confirmation applies at most what was held: one more departure holds again.
    let mut more = tenant;
    more.pages.get_mut("od-sales").unwrap()[0].retain(|u| u.profile.open_id.as_str() != "ou_rep");
    let again = Setup::new(more).with_stored(stored);
    again.stored.lock().unwrap().held_runs = vec![held.clone()];
    let report = again.run(false, confirmation_of(&held)).await;
    assert_eq!(report.run.status, RunStatus::Held);
    assert!(again.written().removed_accounts.is_empty());
}

#[tokio::test]
async fn only_the_newest_held_run_can_be_confirmed() {
    let setup = Setup::new(base_tenant());
    let mut held = StoredHold {
        run: SyncRun::start(
            RunId::from_uuid(uuid::Uuid::from_u128(5)),
            integration_id(),
            RunTrigger::Manual,
            at(),
        ),
        subjects: Vec::new(),
        newest: false,
    };
    setup.stored.lock().unwrap().held_runs = vec![held.clone()];
    let refused = setup
        .use_case()
        .execute(&request(false, confirmation_of(&held)), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(refused, SyncError::Superseded(held.run.id));
    held.run.id = RunId::from_uuid(uuid::Uuid::from_u128(6));
    let unknown = setup
        .use_case()
        .execute(&request(false, confirmation_of(&held)), &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(unknown, SyncError::NotHeld(held.run.id));
}

#[tokio::test]
async fn users_granted_directly_in_scope_are_fetched_in_batch() {
    let mut tenant = base_tenant();
    tenant.scope_users = vec!["ou_ceo", "ou_guest"];
    tenant.batch.insert("ou_guest", user("ou_guest", &[]));
    let setup = Setup::new(tenant);
    let report = setup.run(false, None).await;
    assert_eq!(
        report.run.counts.users.added, 6,
        "ou_ceo is not fetched twice"
    );
}

#[tokio::test]
async fn page_tokens_that_cycle_fail_the_run_instead_of_listing_forever() {
    let mut tenant = base_tenant();
    let stored = previous_state_of(&tenant);
    tenant.cycling = Some("od-eng");
    let setup = Setup::new(tenant).with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Failed);
    assert!(
        report
            .run
            .error
            .as_deref()
            .unwrap()
            .contains("invalid response"),
        "{:?}",
        report.run.error
    );
    let written = setup.written();
    assert!(
        written.removed_accounts.is_empty(),
        "a failed listing removes nothing"
    );
}

#[tokio::test]
async fn the_root_listing_is_skipped_without_whole_tenant_scope() {
    let mut tenant = base_tenant();
    tenant.failing = Some((
        "0",
        DirectoryError::NoAuthority {
            resource: "department 0".into(),
            detail: "40004".into(),
        },
    ));
    let setup = Setup::new(tenant);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert_eq!(report.run.counts.users.added, 4);
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_previews_the_changes() {
    let setup = Setup::new(base_tenant());
    let report = setup.run(true, None).await;
    assert!(report.dry_run);
    assert_eq!(report.run.counts.users.added, 5);
    assert_eq!(
        report
            .preview
            .iter()
            .filter(|c| matches!(c.subject, Subject::Account(_)))
            .count(),
        5
    );
    let stored = setup.stored.lock().unwrap();
    assert!(stored.batches.is_empty());
    assert!(stored.finished.is_none());
    assert!(stored.status.is_none());
}

#[tokio::test]
async fn a_second_concurrent_run_is_refused() {
    let setup = Setup {
        lease_held: true,
        ..Setup::new(base_tenant())
    };
    let request = request(false, None);
    let err = setup
        .use_case()
        .execute(&request, &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SyncError::AlreadyRunning { ref owner, .. } if owner == "other-host:42"),
        "{err:?}"
    );
    let stored = setup.stored.lock().unwrap();
    assert!(stored.batches.is_empty());
    assert!(
        stored.taken_from.is_empty(),
        "a live holder's lease is not taken"
    );
}

#[tokio::test]
async fn the_lease_of_a_holder_that_is_gone_is_taken_over_at_once() {
    let setup = Setup {
        lease_held: true,
        ..Setup::new(base_tenant())
    };
    let mut holders = MockLeaseHolders::new();
    holders
        .expect_is_gone()
        .returning(|owner| owner == "other-host:42");
    let report = setup
        .use_case()
        .with_lease_holders(Arc::new(holders))
        .execute(&request(false, None), &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.run.status, RunStatus::Succeeded);
    let stored = setup.stored.lock().unwrap();
    assert_eq!(stored.taken_from, vec!["other-host:42".to_owned()]);
    assert!(!stored.batches.is_empty());
}

#[tokio::test]
async fn a_scheduled_run_that_another_process_has_just_run_gives_the_lease_back_and_does_nothing() {
    let setup = Setup::new(base_tenant());
    // Hourly; the newest run started 10 minutes ago (in another process, after this
    // scheduler saw the sync due).
    let recent = testing::run(integration_id())
        .started_at(at() - chrono::Duration::minutes(10))
        .ended(
            RunStatus::Succeeded,
            at() - chrono::Duration::minutes(9),
            None,
        )
        .build();
    setup.stored.lock().unwrap().newest_runs = vec![recent];
    let scheduled = SyncRequest {
        trigger: RunTrigger::Schedule,
        ..request(false, None)
    };
    let err = setup
        .use_case()
        .execute(&scheduled, &NoProgress)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SyncError::NotDue(Some(at() + chrono::Duration::minutes(50)))
    );
    {
        let stored = setup.stored.lock().unwrap();
        assert_eq!((stored.begun, stored.released), (0, 1));
        assert!(stored.batches.is_empty());
    }

    // A manual sync is never refused for that, and a scheduled one that is due runs.
    let manual = setup
        .use_case()
        .execute(&request(false, None), &NoProgress)
        .await;
    assert_eq!(manual.unwrap().run.status, RunStatus::Succeeded);
    let old = testing::run(integration_id())
        .started_at(at() - chrono::Duration::minutes(61))
        .ended(
            RunStatus::Succeeded,
            at() - chrono::Duration::minutes(60),
            None,
        )
        .build();
    setup.stored.lock().unwrap().newest_runs = vec![old];
    let due = setup.use_case().execute(&scheduled, &NoProgress).await;
    assert_eq!(due.unwrap().run.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn a_scheduled_run_completes_a_run_whose_process_died_without_waiting_an_interval() {
    let setup = Setup::new(base_tenant());
    // Hourly; the newest run started 5 minutes ago and is still recorded running, but this run
    // holds the lease: that run's process is gone.
    let dead = testing::run(integration_id())
        .started_at(at() - chrono::Duration::minutes(5))
        .build();
    setup.stored.lock().unwrap().newest_runs = vec![dead];
    let scheduled = SyncRequest {
        trigger: RunTrigger::Schedule,
        ..request(false, None)
    };
    let report = setup.use_case().execute(&scheduled, &NoProgress).await;
    assert_eq!(report.unwrap().run.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn writes_are_batched_by_the_configured_size() {
    let setup = Setup::new(base_tenant());
    setup.run(false, None).await;
    let stored = setup.stored.lock().unwrap();
    assert!(
        stored.batches.len() >= 3,
        "5 accounts + 2 departments in batches of 2"
    );
    assert!(
        stored
            .batches
            .iter()
            .all(|b| b.accounts.len() + b.departments.len() <= 3)
    );
}

fn stored_department(remote: &RemoteDepartment, removed: bool) -> Department {
    let hash = ContentHash::of_record(&remote.state, &remote.raw);
    Department {
        presence: if removed {
            Presence::Removed
        } else {
            Presence::Present
        },
        integration_id: integration_id(),
        state: remote.state.clone(),
        raw: remote.raw.clone(),
        content_hash: hash,
        first_seen_at: at() - chrono::Duration::days(3),
        last_changed_at: at() - chrono::Duration::days(3),
        removed_at: removed.then(|| at() - chrono::Duration::days(1)),
    }
}

fn department_kinds(batch: &WriteBatch) -> Vec<(String, ChangeKind)> {
    let mut kinds: Vec<_> = batch
        .changes
        .iter()
        .filter_map(|c| match &c.subject {
            Subject::Department(id) => Some((id.to_string(), c.kind)),
            Subject::Account(_) | Subject::Group(_) | Subject::App(_) => None,
        })
        .collect();
    kinds.sort_by(|a, b| a.0.cmp(&b.0));
    kinds
}

#[tokio::test]
async fn departments_are_diffed_removed_and_restored_and_leader_changes_change_roles() {
    let mut tenant = base_tenant();
    let accounts = previous_state_of(&tenant);
    let mut gone = department("od-legal", None);
    gone.state.name = Some("Legal".into());
    let mut back = department("od-ops", None);
    back.state.name = Some("Ops".into());
    let departments = vec![
        stored_department(&tenant.departments[0], false),
        stored_department(&tenant.departments[1], false),
        stored_department(&gone, false),
        stored_department(&back, true),
        stored_department(&department("od-x1", None), false),
        stored_department(&department("od-x2", None), false),
        stored_department(&department("od-x3", None), false),
        stored_department(&department("od-x4", None), false),
    ];
    // Sales gets a leader (ou_rep) and a new name; Ops is back; Legal is gone.
    tenant.departments[1].state.leader_open_id = Some(open_id("ou_rep"));
    tenant.departments[1].state.name = Some("Sales & Partnerships".into());
    tenant.scope_departments.push("od-ops");
    tenant.departments.push(back);
    tenant
        .departments
        .iter_mut()
        .for_each(|d| d.state.parent_id = Some(DepartmentId::root()));
    tenant.departments.push(department("od-x1", None));
    tenant.departments.push(department("od-x2", None));
    tenant.departments.push(department("od-x3", None));
    tenant.departments.push(department("od-x4", None));
    tenant
        .scope_departments
        .extend(["od-x1", "od-x2", "od-x3", "od-x4"]);
    let setup = Setup::new(tenant).with_stored(accounts);
    setup.stored.lock().unwrap().departments = departments;
    let report = setup.run(false, None).await;
    assert_eq!(
        report.run.status,
        RunStatus::Succeeded,
        "{:?}",
        report.run.error
    );
    let written = setup.written();
    assert_eq!(
        department_kinds(&written),
        vec![
            ("od-legal".into(), ChangeKind::Removed),
            ("od-ops".into(), ChangeKind::Restored),
            ("od-sales".into(), ChangeKind::Changed),
        ]
    );
    let sales = written
        .changes
        .iter()
        .find(|c| c.subject == Subject::Department(DepartmentId::parse("od-sales").unwrap()))
        .unwrap();
    let fields: Vec<&str> = sales.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, vec!["leader_open_id", "name"]);
    let rep = written
        .changes
        .iter()
        .find(|c| c.subject == Subject::Account(OpenId::parse("ou_rep").unwrap()))
        .unwrap();
    assert_eq!(rep.fields.len(), 1);
    assert_eq!(rep.fields[0].field, "roles");
    assert_eq!(rep.fields[0].new, json!(["department_leader"]));
    assert_eq!(report.run.counts.departments.removed, 1);
    assert_eq!(report.run.counts.departments.restored, 1);
    assert_eq!(report.run.counts.departments.changed, 1);
    assert_eq!(report.run.counts.departments.unchanged, 5);
}

#[tokio::test]
async fn a_run_that_fails_half_way_reports_what_it_committed() {
    let mut tenant = base_tenant();
    tenant.failing = Some((
        "od-sales",
        DirectoryError::Unavailable {
            detail: "HTTP 502".into(),
        },
    ));
    tenant.scope_departments = vec!["od-eng", "od-sales"];
    let setup = Setup::new(tenant);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Failed);
    let written = setup.written();
    let committed_users = written
        .changes
        .iter()
        .filter(|c| matches!(c.subject, Subject::Account(_)))
        .count() as u64;
    assert_eq!(
        report.run.counts.users.added, committed_users,
        "counts match what was committed"
    );
    assert_eq!(report.run.counts.departments.added, 2);
    let finished = setup.stored.lock().unwrap().finished.clone().unwrap();
    assert_eq!(finished.counts, report.run.counts);
}

#[tokio::test]
async fn parallel_writes_commit_the_same_rows_and_counts_as_serial_ones() {
    let outcome = |parallel_writes| async move {
        let mut setup = Setup::new(base_tenant());
        setup.parallel_writes = parallel_writes;
        let report = setup
            .use_case()
            .execute(&request(false, None), &NoProgress)
            .await
            .unwrap();
        let written = setup.written();
        let mut accounts: Vec<String> = written
            .accounts
            .iter()
            .map(|a| a.state.profile.open_id.to_string())
            .collect();
        accounts.sort();
        (
            report.run.status,
            report.run.counts,
            accounts,
            written.changes.len(),
        )
    };
    let serial = outcome(1).await;
    assert_eq!(serial.0, RunStatus::Succeeded);
    assert!(serial.2.len() > 2, "several batches of two were written");
    assert_eq!(outcome(4).await, serial);
}

#[tokio::test]
async fn with_parallel_writes_a_failed_write_stops_the_run_and_counts_what_was_committed() {
    let mut tenant = base_tenant();
    let crowd: Vec<RemoteUser> = (0..40)
        .map(|i| user(&format!("ou_crowd{i}"), &["0"]))
        .collect();
    tenant
        .pages
        .insert("0", crowd.chunks(5).map(<[_]>::to_vec).collect());
    let mut setup = Setup::new(tenant);
    setup.parallel_writes = 3;
    setup.stored.lock().unwrap().fail_writes_after = Some((2, SyncStoreError::LeaseLost));
    let report = setup
        .use_case()
        .execute(&request(false, None), &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.run.status, RunStatus::Failed);
    let (committed, attempts) = {
        let stored = setup.stored.lock().unwrap();
        (stored.batches.len(), stored.write_attempts)
    };
    assert_eq!(committed, 2);
    assert!(
        attempts <= committed + 3,
        "only writes already under way follow the failed one (of 20+ batches): {attempts}"
    );
    let written = setup.written();
    let added = |subject: fn(&Subject) -> bool| {
        written
            .changes
            .iter()
            .filter(|c| subject(&c.subject))
            .count() as u64
    };
    assert_eq!(
        report.run.counts.users.added,
        added(|s| matches!(s, Subject::Account(_)))
    );
    assert_eq!(
        report.run.counts.departments.added,
        added(|s| matches!(s, Subject::Department(_)))
    );
}

#[tokio::test]
async fn a_lost_lease_stops_the_run_without_further_writes() {
    let setup = Setup::new(base_tenant());
    setup.stored.lock().unwrap().fail_writes_after = Some((1, SyncStoreError::LeaseLost));
    let request = request(false, None);
    let report = setup
        .use_case()
        .execute(&request, &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.run.status, RunStatus::Failed);
    assert!(report.run.error.unwrap().contains("lost its lease"));
    assert_eq!(
        setup.stored.lock().unwrap().batches.len(),
        1,
        "nothing written after the lease was lost"
    );
}

#[tokio::test]
async fn a_lease_the_keeper_cannot_renew_fails_the_run() {
    let setup = Setup {
        timer: Arc::new(AtOnce),
        renewal_fails: Some(SyncStoreError::LeaseLost),
        ..Setup::new(base_tenant())
    };
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Failed);
    assert!(
        report
            .run
            .error
            .as_deref()
            .unwrap()
            .contains("lost its lease"),
        "{:?}",
        report.run.error
    );
    assert_eq!(setup.stored.lock().unwrap().renewals, 1);
}

#[tokio::test]
async fn the_keeper_renews_the_lease_for_as_long_as_the_run_works() {
    let setup = Setup {
        timer: Arc::new(AtOnce),
        ..Setup::new(base_tenant())
    };
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(setup.stored.lock().unwrap().renewals >= 1);
}

#[tokio::test]
async fn a_cancelled_run_is_recorded_releases_its_lease_and_writes_nothing() {
    let setup = Setup::new(base_tenant());
    let request = request(false, None);
    let report = setup
        .use_case()
        .execute_until(&request, &NoProgress, std::future::ready(()))
        .await
        .unwrap();
    assert_eq!(report.run.status, RunStatus::Cancelled);
    assert!(report.run.error.unwrap().contains("cancelled"));
    let stored = setup.stored.lock().unwrap();
    assert!(stored.batches.is_empty());
    assert_eq!(
        stored.finished.as_ref().unwrap().status,
        RunStatus::Cancelled
    );
    assert_eq!(
        stored.status, None,
        "a cancelled run does not change the integration's health"
    );
    assert_eq!(stored.released, 1);
}

#[tokio::test]
async fn a_stale_hash_without_field_changes_refreshes_the_row_and_records_nothing() {
    let tenant = base_tenant();
    let mut stored = previous_state_of(&tenant);
    let dev = stored
        .iter_mut()
        .find(|a| a.state.open_id().as_str() == "ou_dev")
        .unwrap();
    dev.content_hash = ContentHash::of_json(&json!("hashed by an older version"));
    let setup = Setup::new(tenant).with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.counts.users.unchanged, 5);
    assert_eq!(report.run.counts.users.changed, 0);
    let written = setup.written();
    assert_eq!(
        written.accounts.len(),
        1,
        "the row is rewritten with its fresh hash"
    );
    assert_eq!(
        written.accounts[0].last_changed_at,
        at() - chrono::Duration::days(3),
        "not a change"
    );
    assert!(kinds(&written).is_empty(), "no change is recorded");
}

// ---- the admin's Lark sign-in, checked by every run -------------------------------------------

/// The admin's login as the grant store and Lark hold it, with what the fakes were asked.
struct Login {
    grant: Mutex<Option<crate::model::Grant>>,
    /// `user_info`'s answer for a token.
    user_info: fn(&str) -> Result<crate::model::AuthorizedUser, crate::ports::OAuthError>,
    refresh: Result<crate::ports::IssuedTokens, crate::ports::OAuthError>,
    refreshes: std::sync::atomic::AtomicUsize,
    user_infos: std::sync::atomic::AtomicUsize,
    /// Statuses `UserTokens` itself recorded.
    marked: Mutex<Vec<IntegrationStatus>>,
}

fn admin(tenant_key: &str) -> crate::model::AuthorizedUser {
    crate::model::AuthorizedUser {
        open_id: open_id("ou_admin"),
        name: "Ada Admin".into(),
        email: Some("ada@acme.example".into()),
        tenant_key: tenant_key.into(),
    }
}

fn connected() -> Integration {
    acme()
        .connected("Acme", "tenant-acme", "Ada Admin <ada@acme.example>")
        .build()
}

/// A grant whose access token is fresh by the stored clock (two hours left).
fn admin_grant() -> crate::model::Grant {
    crate::model::Grant {
        integration_id: integration_id(),
        tokens: crate::model::TokenSet {
            access_token: "access-1".into(),
            access_expires_at: at() + chrono::Duration::hours(2),
            refresh_token: Some("refresh-1".into()),
            refresh_expires_at: Some(at() + chrono::Duration::days(7)),
            scopes: vec!["offline_access".into()],
        },
        authorized_by: admin("tenant-acme"),
        granted_at: at() - chrono::Duration::days(1),
        generation: 1,
    }
}

fn issued_access_2() -> crate::ports::IssuedTokens {
    crate::ports::IssuedTokens {
        access_token: "access-2".into(),
        expires_in: Duration::from_secs(7200),
        refresh_token: Some("refresh-2".into()),
        refresh_expires_in: Some(Duration::from_secs(604_800)),
        scopes: vec!["offline_access".into()],
    }
}

fn rejected(token: &str) -> crate::ports::OAuthError {
    crate::ports::OAuthError::AccessTokenRejected {
        detail: format!("99991677: {token} expired"),
    }
}

impl Login {
    fn new(
        grant: Option<crate::model::Grant>,
        user_info: fn(&str) -> Result<crate::model::AuthorizedUser, crate::ports::OAuthError>,
        refresh: Result<crate::ports::IssuedTokens, crate::ports::OAuthError>,
    ) -> Arc<Self> {
        Arc::new(Self {
            grant: Mutex::new(grant),
            user_info,
            refresh,
            refreshes: Default::default(),
            user_infos: Default::default(),
            marked: Mutex::default(),
        })
    }

    fn tokens(self: &Arc<Self>) -> Arc<UserTokens> {
        use secrecy::ExposeSecret as _;
        use std::sync::atomic::Ordering;
        let mut integrations = MockIntegrationRepository::new();
        integrations
            .expect_get()
            .returning(|_| Ok(Some(connected())));
        let login = Arc::clone(self);
        integrations
            .expect_set_status()
            .returning(move |_, status, _, _| {
                login.marked.lock().unwrap().push(status);
                Ok(())
            });
        let mut grants = MockGrantStore::new();
        let login = Arc::clone(self);
        grants
            .expect_grant()
            .returning(move |_| Ok(login.grant.lock().unwrap().clone()));
        let login = Arc::clone(self);
        grants.expect_replace_refreshed().returning(move |grant| {
            let mut stored = login.grant.lock().unwrap();
            if stored.as_ref().map(|g| g.generation) != Some(grant.generation) {
                return Ok(None);
            }
            let next = crate::model::Grant {
                generation: grant.generation + 1,
                ..grant.clone()
            };
            *stored = Some(next.clone());
            Ok(Some(next))
        });
        // One process here: its claims always succeed.
        grants
            .expect_claim_refresh()
            .returning(|_, _, _, _, _| Ok(true));
        grants.expect_release_refresh().returning(|_, _| Ok(()));
        let mut oauth = MockOAuthGateway::new();
        let login = Arc::clone(self);
        oauth.expect_user_info().returning(move |_, token| {
            login.user_infos.fetch_add(1, Ordering::SeqCst);
            (login.user_info)(token.expose_secret())
        });
        let login = Arc::clone(self);
        oauth.expect_refresh().returning(move |_, _| {
            login.refreshes.fetch_add(1, Ordering::SeqCst);
            login.refresh.clone()
        });
        let mut clock = MockClock::new();
        clock.expect_now().returning(at);
        Arc::new(UserTokens::new(
            Arc::new(integrations),
            Arc::new(grants),
            Arc::new(oauth),
            Arc::new(clock),
            Arc::new(Never),
            "this-host:1".to_owned(),
        ))
    }

    fn refreshes(&self) -> usize {
        self.refreshes.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn user_infos(&self) -> usize {
        self.user_infos.load(std::sync::atomic::Ordering::SeqCst)
    }
}

fn with_login(login: &Arc<Login>) -> Setup {
    Setup {
        integration: connected(),
        user_tokens: Some(login.tokens()),
        ..Setup::new(base_tenant())
    }
}

fn final_status(setup: &Setup) -> Option<IntegrationStatus> {
    setup.stored.lock().unwrap().status
}

#[tokio::test]
async fn a_run_checks_the_admins_sign_in_and_stays_quiet_when_it_works() {
    let login = Login::new(
        Some(admin_grant()),
        |_| Ok(admin("tenant-acme")),
        Err(crate::ports::OAuthError::Other {
            code: 1,
            detail: "no refresh expected".into(),
        }),
    );
    let setup = with_login(&login);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(report.run.warnings.is_empty(), "{:?}", report.run.warnings);
    assert_eq!((login.user_infos(), login.refreshes()), (1, 0));
    assert_eq!(final_status(&setup), Some(IntegrationStatus::Active));

    // Registered with app credentials only: no check, no warning, `active` as always.
    let plain = Setup::new(base_tenant());
    let report = plain.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(report.run.warnings.is_empty());
    assert_eq!(final_status(&plain), Some(IntegrationStatus::Active));
}

#[tokio::test]
async fn a_token_lark_rejects_early_is_renewed_once_and_the_new_pair_stored() {
    let login = Login::new(
        Some(admin_grant()),
        |token| match token {
            "access-2" => Ok(admin("tenant-acme")),
            other => Err(rejected(other)),
        },
        Ok(issued_access_2()),
    );
    let setup = with_login(&login);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(report.run.warnings.is_empty(), "{:?}", report.run.warnings);
    assert_eq!((login.user_infos(), login.refreshes()), (2, 1));
    let stored = login.grant.lock().unwrap().clone().unwrap();
    assert_eq!(stored.generation, 2, "the new pair is stored");
    assert_eq!(final_status(&setup), Some(IntegrationStatus::Active));
}

#[tokio::test]
async fn a_dead_grant_warns_syncs_with_the_tenant_token_and_needs_a_new_login() {
    let login = Login::new(
        Some(admin_grant()),
        |token| Err(rejected(token)),
        Err(crate::ports::OAuthError::RefreshRejected {
            detail: "20064: the grant was revoked".into(),
        }),
    );
    let setup = with_login(&login);
    let report = setup.run(false, None).await;
    assert_eq!(
        report.run.status,
        RunStatus::Succeeded,
        "{:?}",
        report.run.error
    );
    assert_eq!(
        report.run.counts.users.added, 5,
        "synced with the tenant token"
    );
    assert_eq!(report.run.warnings.len(), 1);
    let warning = &report.run.warnings[0];
    assert!(
        warning.contains("Ada Admin <ada@acme.example>") && warning.contains("no longer works"),
        "{warning}"
    );
    let finished = setup.stored.lock().unwrap().finished.clone().unwrap();
    assert_eq!(
        finished.warnings, report.run.warnings,
        "the warning is stored"
    );
    assert_eq!(login.refreshes(), 1);
    assert_eq!(
        *login.marked.lock().unwrap(),
        vec![IntegrationStatus::NeedsReauthorization]
    );
    assert_eq!(
        final_status(&setup),
        Some(IntegrationStatus::NeedsReauthorization),
        "the run's success does not overwrite it with active"
    );
}

#[tokio::test]
async fn an_authorised_integration_without_a_stored_grant_needs_a_new_login() {
    let login = Login::new(
        None,
        |_| unreachable!("no token to check"),
        Ok(issued_access_2()),
    );
    let setup = with_login(&login);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert_eq!(report.run.warnings.len(), 1, "{:?}", report.run.warnings);
    assert_eq!(login.refreshes(), 0);
    assert_eq!(
        final_status(&setup),
        Some(IntegrationStatus::NeedsReauthorization)
    );
}

#[tokio::test]
async fn a_sign_in_to_another_tenant_fails_the_run_before_anything_is_listed() {
    let login = Login::new(
        Some(admin_grant()),
        |_| Ok(admin("tenant-other")),
        Ok(issued_access_2()),
    );
    let setup = with_login(&login);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Failed);
    let error = report.run.error.unwrap();
    assert!(
        error.contains("another Lark tenant") && error.contains("tenant-other"),
        "{error}"
    );
    assert!(setup.stored.lock().unwrap().batches.is_empty());
    assert_eq!(report.run.counts, crate::model::SyncCounts::default());
    assert_eq!(
        final_status(&setup),
        Some(IntegrationStatus::NeedsReauthorization)
    );
}

#[tokio::test]
async fn a_sign_in_lark_cannot_check_now_is_a_warning_not_a_dead_grant() {
    let login = Login::new(
        Some(admin_grant()),
        |_| {
            Err(crate::ports::OAuthError::Unavailable {
                detail: "HTTP 503 from user_info".into(),
            })
        },
        Ok(issued_access_2()),
    );
    let setup = with_login(&login);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert_eq!(report.run.warnings.len(), 1);
    assert!(
        report.run.warnings[0].contains("could not check"),
        "{:?}",
        report.run.warnings
    );
    assert!(login.marked.lock().unwrap().is_empty());
    assert_eq!(final_status(&setup), Some(IntegrationStatus::Active));
}

#[tokio::test]
async fn a_dry_run_checks_no_sign_in() {
    let login = Login::new(
        Some(admin_grant()),
        |_| unreachable!("a dry run asks Lark nothing about the grant"),
        Ok(issued_access_2()),
    );
    let setup = with_login(&login);
    let report = setup.run(true, None).await;
    assert!(report.run.warnings.is_empty());
    assert_eq!((login.user_infos(), login.refreshes()), (0, 0));
}

/// `tenant` as Lark answers once the app lost the permission of `group`: the group's values
/// are gone from every user, who reads it as withheld.
fn withholding(tenant: &Tenant, group: crate::model::FieldGroup) -> Tenant {
    let mut tenant = tenant.clone();
    for page in tenant.pages.values_mut().flatten() {
        for user in page.iter_mut() {
            let stored = user.profile.clone();
            // What the adapter makes of an object without the group's keys.
            let mut blank = UserProfile::new(stored.open_id.clone());
            blank.status = AccountStatus::Unknown;
            blank.withheld = vec![group];
            user.profile.keep(group, &blank);
            if let Some(raw) = user.raw.as_object_mut() {
                for key in group.lark_keys() {
                    raw.remove(*key);
                }
            }
        }
    }
    tenant
}

/// A tenant whose users have an email and a status, as stored before.
fn tenant_with_details() -> Tenant {
    let mut tenant = base_tenant();
    for page in tenant.pages.values_mut().flatten() {
        for user in page.iter_mut() {
            let id = user.profile.open_id.as_str().to_owned();
            user.profile.email = Some(format!("{id}@acme.example"));
            user.profile.status = AccountStatus::Suspended;
            user.raw = json!({"open_id": id, "email": format!("{id}@acme.example"),
                "status": {"is_frozen": true}});
        }
    }
    tenant
}

#[tokio::test]
async fn a_withdrawn_permission_holds_the_run_and_overwrites_nothing() {
    use crate::model::FieldGroup;
    let tenant = tenant_with_details();
    let stored = previous_state_of(&tenant);
    for group in [FieldGroup::Employment, FieldGroup::Email] {
        let setup = Setup::new(withholding(&tenant, group)).with_stored(stored.clone());
        let report = setup.run(false, None).await;
        assert_eq!(report.run.status, RunStatus::Held, "{group}");
        let error = report.run.error.clone().unwrap();
        assert!(error.contains(group.permission()), "{error}");
        let hold = report.run.hold.clone().unwrap();
        assert_eq!(hold.withheld.len(), 1);
        assert_eq!((hold.withheld[0].records, hold.withheld[0].of), (5, 5));
        let written = setup.written();
        assert!(
            written.accounts.is_empty()
                && written
                    .changes
                    .iter()
                    .all(|c| matches!(c.subject, Subject::Department(_))),
            "{group}: no stored value is overwritten and no change recorded: {:?}",
            written.changes
        );
        assert_eq!(report.run.counts.users.unchanged, 5);
    }

    // Permission granted again: the stored values were never touched, so nothing changed.
    let setup = Setup::new(tenant).with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(setup.written().accounts.is_empty());
}

#[tokio::test]
async fn a_field_withheld_for_one_user_keeps_its_value_with_a_warning() {
    use crate::model::FieldGroup;
    let tenant = tenant_with_details();
    let stored = previous_state_of(&tenant);
    let mut lacking = tenant.clone();
    let dev = &mut lacking.pages.get_mut("od-eng").unwrap()[1][0];
    dev.profile.email = None;
    dev.profile.withheld = vec![FieldGroup::Email];
    dev.raw.as_object_mut().unwrap().remove("email");
    let setup = Setup::new(lacking).with_stored(stored);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(setup.written().accounts.is_empty(), "the email is kept");
    assert_eq!(report.run.warnings.len(), 1, "{:?}", report.run.warnings);
    assert!(report.run.warnings[0].contains("email addresses of 1 accounts"));
}

#[tokio::test]
async fn a_new_user_without_a_status_is_unknown_not_active() {
    use crate::model::FieldGroup;
    let setup = Setup::new(withholding(&base_tenant(), FieldGroup::Employment));
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    for account in setup.written().accounts {
        assert_eq!(account.state.profile.status, AccountStatus::Unknown);
        assert_eq!(account.state.profile.withheld, [FieldGroup::Employment]);
    }
}

#[tokio::test]
async fn confirming_a_withheld_field_accepts_its_loss_as_unknown() {
    use crate::model::FieldGroup;
    let tenant = tenant_with_details();
    let stored = previous_state_of(&tenant);
    let withheld = withholding(&tenant, FieldGroup::Email);
    let setup = Setup::new(withheld.clone()).with_stored(stored.clone());
    setup.run(false, None).await;
    let held = held_run_of(&setup);

    let confirmed = Setup::new(withheld).with_stored(stored);
    confirmed.stored.lock().unwrap().held_runs = vec![held.clone()];
    let report = confirmed.run(false, confirmation_of(&held)).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    let written = confirmed.written();
    assert_eq!(written.accounts.len(), 5);
    for account in &written.accounts {
        assert_eq!(account.state.profile.email, None);
        assert_eq!(account.state.profile.withheld, [FieldGroup::Email]);
    }
    let change = written
        .changes
        .iter()
        .find(|c| c.subject == Subject::Account(OpenId::parse("ou_rep").unwrap()))
        .unwrap();
    let fields: Vec<&str> = change.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["email", "withheld"]);
}

#[tokio::test]
async fn a_department_outside_the_range_is_out_of_range_not_removed() {
    let mut tenant = base_tenant();
    let accounts = previous_state_of(&tenant);
    let hidden = department("od-hidden", None);
    let gone = department("od-gone", None);
    tenant
        .single_departments
        .insert("od-hidden", Recheck::OutOfRange);
    let setup = Setup {
        threshold: 100.0,
        ..Setup::new(tenant)
    }
    .with_stored(accounts);
    let listed: Vec<Department> = setup
        .tenant
        .departments
        .iter()
        .map(|d| stored_department(d, false))
        .collect();
    setup.stored.lock().unwrap().departments = listed
        .into_iter()
        .chain([
            stored_department(&hidden, false),
            stored_department(&gone, false),
        ])
        .collect();
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert_eq!(
        department_kinds(&setup.written()),
        vec![
            ("od-gone".into(), ChangeKind::Removed),
            ("od-hidden".into(), ChangeKind::OutOfRange),
        ]
    );
    assert_eq!(report.run.counts.departments.out_of_range, 1);
    assert_eq!(report.run.counts.departments.removed, 1);
    assert!(
        setup
            .written()
            .removed_departments
            .contains(&(dept_id("od-hidden"), Presence::OutOfRange))
    );
}

fn group(id: &str, custom: &str, users: &[&str], departments: &[&str]) -> RemoteGroup {
    let mut state = crate::model::GroupState::new(
        crate::values::GroupId::parse(id).unwrap(),
        crate::model::GroupKind::Normal,
    );
    state.group_id = Some(custom.to_owned());
    state.name = Some(format!("Group {id}"));
    state.users = users.iter().map(|u| open_id(u)).collect();
    state.departments = departments.iter().map(|d| dept_id(d)).collect();
    state.normalise();
    RemoteGroup {
        state,
        raw: json!({"id": id, "group_id": custom}),
    }
}

fn app(id: &str, name: &str) -> RemoteApp {
    let mut state = crate::model::AppState::new(crate::values::InstalledAppId::parse(id).unwrap());
    state.name = Some(name.to_owned());
    state.status = crate::model::AppStatus::Enabled;
    RemoteApp {
        state,
        raw: json!({"app_id": id, "app_name": name}),
    }
}

#[tokio::test]
async fn a_user_granted_through_a_group_in_no_granted_department_is_synced() {
    let mut tenant = base_tenant();
    // The range names the group by its custom id; its one member is in no granted department
    // and only `/users/batch` returns her.
    tenant.scope_groups = vec!["custom-ops"];
    tenant.groups = Some(Ok(vec![group("g1", "custom-ops", &["ou_grouped"], &[])]));
    tenant
        .batch
        .insert("ou_grouped", user("ou_grouped", &["od-elsewhere"]));
    let setup = Setup::new(tenant);
    let report = setup.run(false, None).await;
    assert_eq!(
        report.run.status,
        RunStatus::Succeeded,
        "{:?}",
        report.run.error
    );
    let written = setup.written();
    assert!(
        written
            .accounts
            .iter()
            .any(|a| a.state.open_id().as_str() == "ou_grouped"),
        "the group's member is synced"
    );
    assert_eq!(written.groups.len(), 1);
    assert_eq!(report.run.counts.groups.added, 1);
}

#[tokio::test]
async fn groups_the_app_may_not_read_are_a_warning_unless_the_range_names_some() {
    let missing = || {
        Err(DirectoryError::MissingScope {
            scope: Some("contact:group:readonly".into()),
            detail: "99991672".into(),
        })
    };
    let mut tenant = base_tenant();
    tenant.groups = Some(missing());
    let setup = Setup::new(tenant.clone());
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(
        report
            .run
            .warnings
            .iter()
            .any(|w| w.contains("contact:group:readonly")),
        "{:?}",
        report.run.warnings
    );

    tenant.scope_groups = vec!["custom-ops"];
    let setup = Setup::new(tenant);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Failed);
    let error = report.run.error.unwrap();
    assert!(
        error.contains("contact:group:readonly") && error.contains("nothing was removed"),
        "{error}"
    );
}

#[tokio::test]
async fn apps_are_synced_and_a_refused_app_listing_only_warns() {
    let mut tenant = base_tenant();
    tenant.apps = Some(Ok(vec![app("cli_a1", "Expenses"), app("cli_a2", "Travel")]));
    let setup = Setup::new(tenant.clone());
    let report = setup.run(false, None).await;
    assert_eq!(report.run.counts.apps.added, 2);
    assert_eq!(setup.written().apps.len(), 2);

    tenant.apps = Some(Err(DirectoryError::MissingScope {
        scope: Some("admin:app.info:readonly".into()),
        detail: "99991672".into(),
    }));
    let setup = Setup::new(tenant);
    let report = setup.run(false, None).await;
    assert_eq!(report.run.status, RunStatus::Succeeded);
    assert!(setup.written().apps.is_empty() && setup.written().removed_apps.is_empty());
    assert!(
        report
            .run
            .warnings
            .iter()
            .any(|w| w.contains("admin:app.info:readonly"))
    );
}
