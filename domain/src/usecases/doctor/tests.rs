//! The doctor against a fake tenant: every outcome, the `not_checked` cascade after each kind
//! of failure, each missing field, and every state of the admin's grant.

use crate::testing;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use serde_json::json;

use super::*;
use crate::model::{
    ApiCounters, AuthorizedUser, DepartmentState, Grant, Integration, IntegrationStatus, Region,
    TenantInfo, TokenSet, UserProfile,
};
use crate::ports::{
    ContactScope, DirectoryError, DirectorySession, GrantStoreError, MockClock,
    MockDirectoryGateway, MockGrantStore, MockIntegrationRepository, Recheck, RemoteApp,
    RemoteDepartment, RemoteGroup, RemoteUser, UserPage,
};
use crate::values::{DepartmentId, GroupId, OpenId};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
}

fn id() -> IntegrationId {
    IntegrationId::from_uuid(uuid::Uuid::from_u128(42))
}

fn integration(status: IntegrationStatus) -> Integration {
    testing::integration()
        .id(id())
        .label("acme")
        .app_id("cli_acme")
        .secret("secret")
        .status(status)
        .created_at(now())
        .build()
}

fn grant(granted_days_ago: i64, scopes: &[&str], refresh_expires_in_days: i64) -> Grant {
    Grant {
        integration_id: id(),
        tokens: TokenSet {
            access_token: "access".into(),
            access_expires_at: now() + Duration::hours(1),
            refresh_token: Some("refresh".into()),
            refresh_expires_at: Some(now() + Duration::days(refresh_expires_in_days)),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        },
        authorized_by: AuthorizedUser {
            open_id: OpenId::parse("ou_admin").unwrap(),
            name: "Ada".into(),
            email: None,
            tenant_key: "t-1".into(),
        },
        granted_at: now() - Duration::days(granted_days_ago),
        generation: 1,
    }
}

fn good_grant() -> Grant {
    grant(10, &["offline_access", "contact:user.base:readonly"], 7)
}

fn department(id: &str) -> RemoteDepartment {
    RemoteDepartment {
        state: DepartmentState::new(DepartmentId::parse(id).unwrap()),
        raw: json!({"open_department_id": id, "name": "Sales", "parent_department_id": "0"}),
    }
}

fn full_user(open_id: &str) -> serde_json::Value {
    json!({
        "open_id": open_id, "name": "Bo", "user_id": "u1", "email": "bo@x.example",
        "mobile": "+15550100", "gender": 1, "department_ids": ["od-1"],
        "status": {"is_frozen": false}, "employee_no": "7",
        "dotted_line_leader_user_ids": ["ou_lead"], "geo": "us"
    })
}

fn user(raw: serde_json::Value) -> RemoteUser {
    let open_id = raw["open_id"].as_str().unwrap().to_owned();
    RemoteUser {
        profile: UserProfile::new(OpenId::parse(&open_id).unwrap()),
        raw,
    }
}

fn missing_scope(scope: &str) -> DirectoryError {
    DirectoryError::MissingScope {
        scope: Some(scope.to_owned()),
        detail: format!("Lark code 99991672: Access denied. [{scope}]"),
    }
}

/// A tenant whose every answer can be replaced by an error or other data.
#[derive(Clone)]
struct FakeLark {
    open: Result<(), DirectoryError>,
    tenant: Result<TenantInfo, DirectoryError>,
    scope: Result<ContactScope, DirectoryError>,
    departments: Result<Vec<RemoteDepartment>, DirectoryError>,
    children: Result<Vec<RemoteDepartment>, DirectoryError>,
    members: Result<Vec<RemoteUser>, DirectoryError>,
    batch: Result<Vec<RemoteUser>, DirectoryError>,
    groups: Result<Vec<RemoteGroup>, DirectoryError>,
    apps: Result<Vec<RemoteApp>, DirectoryError>,
}

impl Default for FakeLark {
    fn default() -> Self {
        Self {
            open: Ok(()),
            tenant: Ok(TenantInfo {
                name: "Acme".into(),
                tenant_key: "t-1".into(),
            }),
            scope: Ok(ContactScope {
                department_ids: vec![DepartmentId::parse("od-1").unwrap()],
                user_ids: vec![OpenId::parse("ou_root").unwrap()],
                group_ids: Vec::new(),
            }),
            departments: Ok(vec![department("od-1")]),
            children: Ok(vec![department("od-2")]),
            members: Ok(vec![user(full_user("ou_1")), user(full_user("ou_2"))]),
            groups: Ok(Vec::new()),
            apps: Ok(Vec::new()),
            batch: Ok(vec![user(full_user("ou_root"))]),
        }
    }
}

impl FakeLark {
    fn without_user_field(key: &str) -> Self {
        let strip = |mut raw: serde_json::Value| {
            raw.as_object_mut().unwrap().remove(key);
            user(raw)
        };
        Self {
            members: Ok(vec![strip(full_user("ou_1")), strip(full_user("ou_2"))]),
            ..Self::default()
        }
    }
}

#[async_trait]
impl DirectorySession for FakeLark {
    async fn tenant(&self) -> Result<TenantInfo, DirectoryError> {
        self.tenant.clone()
    }
    async fn contact_scope(&self) -> Result<ContactScope, DirectoryError> {
        self.scope.clone()
    }
    async fn departments(
        &self,
        _ids: &[DepartmentId],
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        self.departments.clone()
    }
    async fn departments_under(
        &self,
        _root: &DepartmentId,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        unreachable!("the doctor never walks a whole tree")
    }
    async fn users_page(
        &self,
        _department: &DepartmentId,
        _page_token: Option<String>,
    ) -> Result<UserPage, DirectoryError> {
        unreachable!("the doctor samples one small page instead")
    }
    async fn users(&self, _ids: &[OpenId]) -> Result<Vec<RemoteUser>, DirectoryError> {
        self.batch.clone()
    }
    async fn groups(&self) -> Result<Vec<RemoteGroup>, DirectoryError> {
        unreachable!("the doctor lists one page of groups")
    }
    async fn group(&self, _id: &GroupId) -> Result<Recheck<RemoteGroup>, DirectoryError> {
        unreachable!("the doctor never rechecks a group")
    }
    async fn apps(&self) -> Result<Vec<RemoteApp>, DirectoryError> {
        unreachable!("the doctor lists one page of apps")
    }
    async fn sample_groups(&self, limit: usize) -> Result<Vec<RemoteGroup>, DirectoryError> {
        assert!(limit <= 50, "probes stay small");
        self.groups.clone()
    }
    async fn sample_apps(&self, limit: usize) -> Result<Vec<RemoteApp>, DirectoryError> {
        assert!(limit <= 50, "probes stay small");
        self.apps.clone()
    }
    async fn user(&self, _id: &OpenId) -> Result<Recheck<RemoteUser>, DirectoryError> {
        unreachable!("the doctor never rechecks a user")
    }
    async fn department(
        &self,
        _id: &DepartmentId,
    ) -> Result<Recheck<RemoteDepartment>, DirectoryError> {
        unreachable!("the doctor never rechecks a department")
    }
    async fn sample_departments(
        &self,
        _parent: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError> {
        assert!(limit <= 50, "probes stay small");
        self.children.clone()
    }
    async fn sample_users(
        &self,
        _department: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteUser>, DirectoryError> {
        assert!(limit <= 50, "probes stay small");
        self.members.clone()
    }
    fn counters(&self) -> ApiCounters {
        ApiCounters::default()
    }
}

fn doctor_with(lark: FakeLark, status: IntegrationStatus, stored_grant: Option<Grant>) -> Doctor {
    let mut integrations = MockIntegrationRepository::new();
    integrations
        .expect_get()
        .returning(move |_| Ok(Some(integration(status))));
    let mut grants = MockGrantStore::new();
    grants
        .expect_grant()
        .returning(move |_| Ok(stored_grant.clone()));
    let mut directory = MockDirectoryGateway::new();
    directory.expect_open_verified().returning(move |_| {
        lark.open.clone()?;
        Ok(Arc::new(lark.clone()) as Arc<dyn DirectorySession>)
    });
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    Doctor::new(
        Arc::new(integrations),
        Arc::new(grants),
        Arc::new(directory),
        Arc::new(clock),
        None,
    )
}

async fn report(lark: FakeLark) -> DoctorReport {
    doctor_with(lark, IntegrationStatus::Active, Some(good_grant()))
        .run(id())
        .await
        .unwrap()
}

fn outcome(report: &DoctorReport, capability: Capability) -> Outcome {
    report.check(capability).unwrap().outcome
}

fn fix(report: &DoctorReport, capability: Capability) -> String {
    report
        .check(capability)
        .unwrap()
        .fix
        .clone()
        .unwrap_or_default()
}

/// Every check except `except` is ok.
fn only_these_fail(report: &DoctorReport, except: &[Capability]) {
    for check in &report.checks {
        if except.contains(&check.capability) {
            continue;
        }
        assert_eq!(check.outcome, Outcome::Ok, "{check:?}");
        assert!(check.fix.is_none(), "{check:?}");
    }
}

#[tokio::test]
async fn a_fully_permitted_integration_is_all_ok_in_report_order() {
    let report = report(FakeLark::default()).await;
    let order: Vec<Capability> = report.checks.iter().map(|c| c.capability).collect();
    assert_eq!(order, Capability::ALL);
    only_these_fail(&report, &[]);
    assert!(report.healthy);
    assert_eq!(report.checked_at, now());
    assert_eq!(report.label, "acme");
    assert_eq!(report.count(Outcome::Ok), Capability::ALL.len());
    let login = report.check(Capability::UserLogin).unwrap();
    assert_eq!(login.days_left, Some(355));
    assert!(login.summary.contains("355 days left"), "{}", login.summary);
}

#[tokio::test]
async fn rejected_credentials_leave_every_directory_check_not_checked() {
    let report = report(FakeLark {
        open: Err(DirectoryError::InvalidCredentials {
            detail: "Lark code 10014: app secret invalid".into(),
        }),
        ..FakeLark::default()
    })
    .await;
    let creds = report.check(Capability::AppCredentials).unwrap();
    assert_eq!(creds.outcome, Outcome::Missing);
    assert!(
        creds.summary.contains("rejected") && !creds.summary.contains("10014"),
        "Lark's own words stay in the log: {}",
        creds.summary
    );
    let fix = creds.fix.as_deref().unwrap();
    assert!(
        fix.contains("https://open.larksuite.com/app/cli_acme"),
        "{fix}"
    );
    assert!(fix.contains("App Secret"), "{fix}");
    for check in &report.checks {
        match check.capability {
            Capability::AppCredentials => {}
            Capability::UserLogin => assert_eq!(check.outcome, Outcome::Ok),
            _ => {
                assert_eq!(check.outcome, Outcome::NotChecked, "{check:?}");
                assert!(check.summary.contains("could not sign in"), "{check:?}");
                assert!(check.fix.is_some());
            }
        }
    }
    assert!(!report.healthy);
}

#[tokio::test]
async fn a_refused_tenant_query_names_the_scope_and_touches_nothing_else() {
    let report = report(FakeLark {
        tenant: Err(missing_scope("tenant:tenant:readonly")),
        ..FakeLark::default()
    })
    .await;
    let tenant = report.check(Capability::TenantInfo).unwrap();
    assert_eq!(tenant.outcome, Outcome::Missing);
    assert_eq!(tenant.scope.as_deref(), Some("tenant:tenant:readonly"));
    assert_eq!(
        tenant.fix.as_deref(),
        Some(
            "In the Lark developer console \
             (https://open.larksuite.com/app/cli_acme/auth?q=tenant:tenant:readonly), open your \
             app → Permissions & Scopes, add `tenant:tenant:readonly`, then create and publish \
             a new app version so the tenant admin can approve it."
        )
    );
    only_these_fail(&report, &[Capability::TenantInfo]);
}

#[tokio::test]
async fn an_unnamed_missing_scope_falls_back_to_the_usual_one() {
    let report = report(FakeLark {
        scope: Err(DirectoryError::MissingScope {
            scope: None,
            detail: "Lark code 99991676: token no permission".into(),
        }),
        ..FakeLark::default()
    })
    .await;
    let scope = report.check(Capability::ContactScope).unwrap();
    assert_eq!(scope.outcome, Outcome::Missing);
    assert_eq!(
        scope.scope.as_deref(),
        Some("contact:contact.base:readonly")
    );
}

#[tokio::test]
async fn an_empty_contact_range_is_missing_and_stops_the_listing_checks() {
    let report = report(FakeLark {
        scope: Ok(ContactScope::default()),
        ..FakeLark::default()
    })
    .await;
    assert_eq!(outcome(&report, Capability::ContactScope), Outcome::Missing);
    assert!(fix(&report, Capability::ContactScope).contains("通讯录权限范围"));
    for capability in [
        Capability::ReadDepartments,
        Capability::DepartmentNames,
        Capability::ReadUsers,
        Capability::UserEmails,
        Capability::DataResidency,
    ] {
        assert_eq!(outcome(&report, capability), Outcome::NotChecked);
    }
    assert_eq!(outcome(&report, Capability::TenantInfo), Outcome::Ok);
    assert_eq!(outcome(&report, Capability::UserLogin), Outcome::Ok);
}

#[tokio::test]
async fn an_unreachable_lark_is_a_warning_not_a_missing_permission() {
    let report = report(FakeLark {
        scope: Err(DirectoryError::Unavailable {
            detail: "connection refused".into(),
        }),
        ..FakeLark::default()
    })
    .await;
    let scope = report.check(Capability::ContactScope).unwrap();
    assert_eq!(scope.outcome, Outcome::Warning);
    assert!(scope.summary.contains("could not be reached"));
    assert!(
        !scope.summary.contains("connection refused"),
        "upstream details stay in the log"
    );
    assert!(scope.fix.as_deref().unwrap().contains("again"));
    assert_eq!(outcome(&report, Capability::ReadUsers), Outcome::NotChecked);
    assert!(
        !report.healthy,
        "checks that could not run make the report unhealthy"
    );
}

#[tokio::test]
async fn refused_department_reads_skip_names_but_still_probe_users() {
    let report = report(FakeLark {
        children: Err(missing_scope("contact:department.organize:readonly")),
        ..FakeLark::default()
    })
    .await;
    assert_eq!(
        outcome(&report, Capability::ReadDepartments),
        Outcome::Missing
    );
    assert_eq!(
        outcome(&report, Capability::DepartmentNames),
        Outcome::NotChecked
    );
    assert_eq!(outcome(&report, Capability::ReadUsers), Outcome::Ok);
    assert_eq!(outcome(&report, Capability::UserEmails), Outcome::Ok);
}

#[tokio::test]
async fn department_names_left_out_are_missing() {
    let nameless = RemoteDepartment {
        raw: json!({"open_department_id": "od-1"}),
        ..department("od-1")
    };
    let report = report(FakeLark {
        departments: Ok(vec![nameless.clone()]),
        children: Ok(vec![nameless]),
        ..FakeLark::default()
    })
    .await;
    let names = report.check(Capability::DepartmentNames).unwrap();
    assert_eq!(names.outcome, Outcome::Missing);
    assert!(fix(&report, Capability::DepartmentNames).contains("contact:department.base:readonly"));
    only_these_fail(&report, &[Capability::DepartmentNames]);
}

#[tokio::test]
async fn refused_member_listing_skips_every_field_check() {
    let report = report(FakeLark {
        members: Err(DirectoryError::NoAuthority {
            resource: "department od-1".into(),
            detail: "Lark code 40004: no dept authority error".into(),
        }),
        ..FakeLark::default()
    })
    .await;
    let users = report.check(Capability::ReadUsers).unwrap();
    assert_eq!(users.outcome, Outcome::Missing);
    assert!(users.summary.contains("outside the app's contact range"));
    for spec in fields::USER_FIELDS {
        assert_eq!(outcome(&report, spec.capability), Outcome::NotChecked);
    }
}

#[tokio::test]
async fn each_field_left_out_fails_exactly_its_own_check() {
    for spec in fields::USER_FIELDS {
        let report = report(FakeLark::without_user_field(spec.key)).await;
        let check = report.check(spec.capability).unwrap();
        let expected = if spec.always_present {
            Outcome::Missing
        } else {
            Outcome::Warning
        };
        assert_eq!(check.outcome, expected, "{}", spec.key);
        assert_eq!(check.scope.as_deref(), Some(spec.scope));
        assert!(check.fix.as_deref().unwrap().contains(spec.scope));
        assert!(check.summary.contains(spec.key), "{}", check.summary);
        only_these_fail(&report, &[spec.capability]);
        assert_eq!(report.healthy, !spec.always_present);
    }
}

#[tokio::test]
async fn members_are_sampled_from_users_granted_directly_when_departments_are_empty() {
    let report = report(FakeLark {
        members: Ok(Vec::new()),
        ..FakeLark::default()
    })
    .await;
    let users = report.check(Capability::ReadUsers).unwrap();
    assert_eq!(users.outcome, Outcome::Ok);
    assert!(
        users.summary.contains("granted directly"),
        "{}",
        users.summary
    );
    only_these_fail(&report, &[]);

    let nobody = self::report(FakeLark {
        members: Ok(Vec::new()),
        batch: Ok(Vec::new()),
        ..FakeLark::default()
    })
    .await;
    assert_eq!(outcome(&nobody, Capability::ReadUsers), Outcome::Warning);
    assert_eq!(outcome(&nobody, Capability::UserNames), Outcome::NotChecked);
}

#[tokio::test]
async fn a_range_of_users_only_warns_about_departments() {
    let report = report(FakeLark {
        scope: Ok(ContactScope {
            department_ids: Vec::new(),
            user_ids: vec![OpenId::parse("ou_root").unwrap()],
            group_ids: Vec::new(),
        }),
        ..FakeLark::default()
    })
    .await;
    assert_eq!(
        outcome(&report, Capability::ReadDepartments),
        Outcome::Warning
    );
    assert_eq!(
        outcome(&report, Capability::DepartmentNames),
        Outcome::NotChecked
    );
    assert_eq!(outcome(&report, Capability::ReadUsers), Outcome::Ok);
}

async fn login(status: IntegrationStatus, stored: Option<Grant>) -> Check {
    doctor_with(FakeLark::default(), status, stored)
        .run(id())
        .await
        .unwrap()
        .check(Capability::UserLogin)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_admin_login_in_every_state() {
    let never = login(IntegrationStatus::PendingAuthorization, None).await;
    assert_eq!(never.outcome, Outcome::Missing);
    assert!(never.fix.as_deref().unwrap().contains("Connect with Lark"));
    assert_eq!(never.days_left, None);

    let refused = login(IntegrationStatus::NeedsReauthorization, Some(good_grant())).await;
    assert_eq!(refused.outcome, Outcome::Missing);
    assert_eq!(
        refused.fix.as_deref(),
        Some("Open Aviary and press Connect with Lark again.")
    );

    let mut offline = grant(10, &[], 7);
    offline.tokens.refresh_token = None;
    let offline = login(IntegrationStatus::Active, Some(offline)).await;
    assert_eq!(
        offline.outcome,
        Outcome::Advice,
        "a sign-in without offline_access is advice, not a fault"
    );
    assert_eq!(offline.scope.as_deref(), Some("offline_access"));
    let advice = offline.fix.as_deref().unwrap();
    assert!(
        advice.starts_with("Optional") && advice.contains("20074"),
        "{advice}"
    );
    assert!(
        offline.summary.contains("need nothing more"),
        "{}",
        offline.summary
    );

    let lapsed = login(
        IntegrationStatus::Active,
        Some(grant(10, &["offline_access"], -1)),
    )
    .await;
    assert_eq!(lapsed.outcome, Outcome::Missing);
    assert!(
        lapsed.summary.contains("expired on 2027-02-28"),
        "{}",
        lapsed.summary
    );

    let capped = login(
        IntegrationStatus::Active,
        Some(grant(366, &["offline_access"], 7)),
    )
    .await;
    assert_eq!(capped.outcome, Outcome::Missing);
    assert!(capped.summary.contains("365-day limit"));
    assert_eq!(capped.days_left, Some(-1));

    let soon = login(
        IntegrationStatus::Active,
        Some(grant(345, &["offline_access"], 7)),
    )
    .await;
    assert_eq!(soon.outcome, Outcome::Warning);
    assert_eq!(soon.days_left, Some(20));
    assert!(soon.summary.contains("only 20 days"), "{}", soon.summary);
    assert!(
        soon.fix
            .as_deref()
            .unwrap()
            .starts_with("Before 2027-03-21")
    );

    let today = login(
        IntegrationStatus::Active,
        Some(grant(0, &["offline_access"], 7)),
    )
    .await;
    assert_eq!((today.outcome, today.days_left), (Outcome::Ok, Some(365)));
    let mut last_hours = grant(365, &["offline_access"], 7);
    last_hours.granted_at += Duration::hours(1);
    let last_hours = login(IntegrationStatus::Active, Some(last_hours)).await;
    assert_eq!(
        (last_hours.outcome, last_hours.days_left),
        (Outcome::Warning, Some(0)),
        "still renewable for an hour"
    );

    let mut no_refresh = good_grant();
    no_refresh.tokens.refresh_token = None;
    let no_refresh = login(IntegrationStatus::Active, Some(no_refresh)).await;
    assert_eq!(no_refresh.outcome, Outcome::Advice);
}

#[tokio::test]
async fn feishu_fixes_point_at_the_feishu_console() {
    let mut integrations = MockIntegrationRepository::new();
    integrations.expect_get().returning(|_| {
        let mut feishu = integration(IntegrationStatus::Active);
        feishu.region = Region::Feishu;
        Ok(Some(feishu))
    });
    let mut grants = MockGrantStore::new();
    grants.expect_grant().returning(|_| Ok(None));
    let mut directory = MockDirectoryGateway::new();
    directory
        .expect_open_verified()
        .returning(|_| Err(DirectoryError::InvalidCredentials { detail: "x".into() }));
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let report = Doctor::new(
        Arc::new(integrations),
        Arc::new(grants),
        Arc::new(directory),
        Arc::new(clock),
        None,
    )
    .run(id())
    .await
    .unwrap();
    assert!(
        fix(&report, Capability::AppCredentials).contains("https://open.feishu.cn/app/cli_acme")
    );
}

#[tokio::test]
async fn unknown_integrations_and_store_failures_are_errors() {
    let mut integrations = MockIntegrationRepository::new();
    integrations.expect_get().returning(|_| Ok(None));
    let doctor = Doctor::new(
        Arc::new(integrations),
        Arc::new(MockGrantStore::new()),
        Arc::new(MockDirectoryGateway::new()),
        Arc::new(MockClock::new()),
        None,
    );
    assert_eq!(
        doctor.run(id()).await.unwrap_err(),
        DoctorError::UnknownIntegration(id())
    );

    let mut integrations = MockIntegrationRepository::new();
    integrations
        .expect_get()
        .returning(|_| Ok(Some(integration(IntegrationStatus::Active))));
    let mut grants = MockGrantStore::new();
    grants
        .expect_grant()
        .returning(|_| Err(GrantStoreError::Undecryptable("wrong key".into())));
    let doctor = Doctor::new(
        Arc::new(integrations),
        Arc::new(grants),
        Arc::new(MockDirectoryGateway::new()),
        Arc::new(MockClock::new()),
        None,
    );
    assert_eq!(
        doctor.run(id()).await.unwrap_err(),
        DoctorError::Grants(GrantStoreError::Undecryptable("wrong key".into()))
    );
}
