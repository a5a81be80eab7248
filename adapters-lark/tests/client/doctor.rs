//! The permission doctor with the real Lark client against the simulated tenant: each console
//! switch (a scope removed, the contact range emptied, the App Secret reset) makes exactly the
//! right check fail with the right fix, over the simulator's control API too.

use aviary_domain::testing;
use aviary_domain::values::SyncInterval;
use std::collections::BTreeSet;
use std::sync::Arc;

use aviary_adapters_lark::{LarkClientSettings, LarkGateway};
use aviary_domain::model::{AuthorizedUser, Grant, Integration, TokenSet};
use aviary_domain::ports::{
    DirectoryGateway, MockClock, MockGrantStore, MockIntegrationRepository,
};
use aviary_domain::usecases::doctor::{Capability, Doctor, DoctorReport, Outcome};
use aviary_domain::values::{IntegrationId, OpenId};
use aviary_lark_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use chrono::{Duration, TimeZone as _, Utc};
use serde_json::{Value, json};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 10, 8, 0, 0).unwrap()
}

fn id() -> IntegrationId {
    "00000000-0000-0000-0000-000000000009".parse().unwrap()
}

/// A small tenant in which every user has a dotted-line manager, so that a healthy report has
/// no warning to explain.
async fn simulator() -> SimulatorHandle {
    let sim = Simulator::start(
        SimulatorConfig {
            users: 40,
            departments: 6,
            rate_limits: false,
            ..SimulatorConfig::seeded(11)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let tenant = sim.tenant();
    let users = tenant.users();
    let lead = users[0].open_id.clone();
    let second = users[1].open_id.clone();
    for user in &users {
        let dotted = if user.open_id == lead { &second } else { &lead };
        let dotted = dotted.clone();
        tenant
            .update_user(&user.open_id, move |u| {
                u.dotted_line_leader_open_ids = vec![dotted]
            })
            .unwrap();
    }
    sim
}

fn integration(sim: &SimulatorHandle, secret: &str) -> Integration {
    testing::integration()
        .id(id())
        .label("sim")
        .base_url(&sim.base_url())
        .app_id(&sim.app_id())
        .secret(secret)
        .every(SyncInterval::DEFAULT.minutes())
        .created_at(now())
        .build()
}

fn grant() -> Grant {
    Grant {
        integration_id: id(),
        tokens: TokenSet {
            access_token: "u-access".into(),
            access_expires_at: now() + Duration::hours(2),
            refresh_token: Some("ur-refresh".into()),
            refresh_expires_at: Some(now() + Duration::days(7)),
            scopes: vec!["offline_access".into()],
        },
        authorized_by: AuthorizedUser {
            open_id: OpenId::parse("ou_admin").unwrap(),
            name: "Ada".into(),
            email: Some("ada@example.com".into()),
            tenant_key: "tk".into(),
        },
        granted_at: now() - Duration::days(5),
        generation: 1,
    }
}

fn gateway() -> Arc<dyn DirectoryGateway> {
    Arc::new(
        LarkGateway::new(LarkClientSettings {
            request_timeout_secs: 5,
            backoff_base_ms: 1,
            backoff_max_ms: 5,
            allow_custom_base_url: true,
            ..LarkClientSettings::default()
        })
        .unwrap(),
    )
}

/// The doctor for the simulated app, with the credentials the integration stores.
fn doctor(sim: &SimulatorHandle, gateway: &Arc<dyn DirectoryGateway>, secret: &str) -> Doctor {
    let stored = integration(sim, secret);
    let mut integrations = MockIntegrationRepository::new();
    integrations
        .expect_get()
        .returning(move |_| Ok(Some(stored.clone())));
    let mut grants = MockGrantStore::new();
    grants.expect_grant().returning(|_| Ok(Some(grant())));
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    Doctor::new(
        Arc::new(integrations),
        Arc::new(grants),
        Arc::clone(gateway),
        Arc::new(clock),
        None,
    )
}

async fn examine(sim: &SimulatorHandle) -> DoctorReport {
    doctor(sim, &gateway(), &sim.app_secret())
        .run(id())
        .await
        .unwrap()
}

/// The capabilities that are not ok.
fn failing(report: &DoctorReport) -> BTreeSet<&'static str> {
    report
        .checks
        .iter()
        .filter(|c| c.outcome != Outcome::Ok)
        .map(|c| c.capability.as_str())
        .collect()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_simulated_app_has_every_permission_and_costs_a_handful_of_requests() {
    let sim = simulator().await;
    sim.tenant().reset_stats();
    let report = examine(&sim).await;
    assert!(failing(&report).is_empty(), "{report:#?}");
    assert!(report.healthy);
    let requests: u64 = sim.stats().requests_by_endpoint.values().sum();
    assert!(requests <= 8, "{:?}", sim.stats().requests_by_endpoint);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_removed_field_scope_fails_exactly_its_check() {
    let sim = simulator().await;
    let tenant = sim.tenant();
    let cases: &[(&str, &[Capability], Outcome)] = &[
        (
            "tenant:tenant:readonly",
            &[Capability::TenantInfo],
            Outcome::Missing,
        ),
        (
            "contact:user.email:readonly",
            &[Capability::UserEmails],
            Outcome::Missing,
        ),
        (
            "contact:user.phone:readonly",
            &[Capability::UserMobiles],
            Outcome::Missing,
        ),
        (
            "contact:user.gender:readonly",
            &[Capability::UserGender],
            Outcome::Missing,
        ),
        (
            "contact:user.base:readonly",
            &[Capability::UserNames],
            Outcome::Missing,
        ),
        (
            "contact:user.employee_id:readonly",
            &[Capability::UserIds],
            Outcome::Missing,
        ),
        (
            "contact:user.department:readonly",
            &[Capability::UserDepartments],
            Outcome::Missing,
        ),
        (
            // Employee numbers come with the employment scope too: both vanish.
            "contact:user.employee:readonly",
            &[Capability::UserStatus, Capability::EmployeeNumbers],
            Outcome::Missing,
        ),
        (
            "contact:department.base:readonly",
            &[Capability::DepartmentNames],
            Outcome::Missing,
        ),
        (
            "contact:user.dotted_line_leader_info.read",
            &[Capability::DottedLineLeaders],
            Outcome::Warning,
        ),
        (
            "contact:user.user_geo",
            &[Capability::DataResidency],
            Outcome::Warning,
        ),
    ];
    for &(scope, capabilities, expected) in cases {
        assert!(tenant.remove_scope(scope), "{scope}");
        let report = examine(&sim).await;
        let names: BTreeSet<&str> = capabilities.iter().map(|c| c.as_str()).collect();
        assert_eq!(failing(&report), names, "{scope}: {report:#?}");
        for &capability in capabilities {
            let check = report.check(capability).unwrap();
            assert_eq!(check.outcome, expected, "{scope}");
            let fix = check.fix.as_deref().unwrap();
            assert!(fix.contains("Permissions & Scopes"), "{fix}");
            assert!(fix.contains(&format!("/app/{}", sim.app_id())), "{fix}");
        }
        assert!(fix(&report, capabilities[0]).contains(scope), "{scope}");
        tenant.add_scope(scope).unwrap();
    }
    // With employee numbers granted on their own, only the employment check fails.
    tenant
        .add_scope("contact:user.employee_number:read")
        .unwrap();
    tenant.remove_scope("contact:user.employee:readonly");
    let report = examine(&sim).await;
    assert_eq!(failing(&report), BTreeSet::from(["user_status"]));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_apis_name_their_scope_and_skip_what_depends_on_them() {
    let sim = simulator().await;
    let tenant = sim.tenant();

    tenant.remove_scope("contact:department.organize:readonly");
    let report = examine(&sim).await;
    assert_eq!(
        failing(&report),
        BTreeSet::from(["department_names", "read_departments"])
    );
    let read = report.check(Capability::ReadDepartments).unwrap();
    assert_eq!(read.outcome, Outcome::Missing);
    assert_eq!(
        read.scope.as_deref(),
        Some("contact:department.organize:readonly")
    );
    assert!(
        read.summary
            .contains("contact:department.organize:readonly")
            && !read.summary.contains("99991672"),
        "the scope is named, Lark's own words stay in the log: {}",
        read.summary
    );
    assert_eq!(
        outcome(&report, Capability::DepartmentNames),
        Outcome::NotChecked
    );
    tenant
        .add_scope("contact:department.organize:readonly")
        .unwrap();

    tenant.remove_scope("contact:contact.base:readonly");
    let report = examine(&sim).await;
    let scope = report.check(Capability::ContactScope).unwrap();
    assert_eq!(scope.outcome, Outcome::Missing);
    assert!(fix(&report, Capability::ContactScope).contains("`contact:contact.base:readonly`"));
    for capability in [
        Capability::ReadDepartments,
        Capability::ReadUsers,
        Capability::UserEmails,
    ] {
        assert_eq!(outcome(&report, capability), Outcome::NotChecked);
    }
    assert_eq!(outcome(&report, Capability::TenantInfo), Outcome::Ok);
    assert_eq!(outcome(&report, Capability::UserLogin), Outcome::Ok);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_contact_range_is_missing() {
    let sim = simulator().await;
    sim.tenant().empty_scope();
    let report = examine(&sim).await;
    let check = report.check(Capability::ContactScope).unwrap();
    assert_eq!(check.outcome, Outcome::Missing);
    assert!(check.summary.contains("empty"), "{}", check.summary);
    assert!(check.fix.as_deref().unwrap().contains("通讯录权限范围"));
    assert_eq!(outcome(&report, Capability::ReadUsers), Outcome::NotChecked);
    assert!(!report.healthy);

    sim.tenant().full_scope();
    assert!(examine(&sim).await.healthy);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_app_secret_shows_even_while_a_token_is_cached() {
    let sim = simulator().await;
    let gateway = gateway();
    let old = sim.app_secret();
    let healthy = doctor(&sim, &gateway, &old).run(id()).await.unwrap();
    assert!(healthy.healthy);

    sim.tenant().set_app_secret("a-brand-new-secret").unwrap();
    let report = doctor(&sim, &gateway, &old).run(id()).await.unwrap();
    let creds = report.check(Capability::AppCredentials).unwrap();
    assert_eq!(creds.outcome, Outcome::Missing, "{report:#?}");
    assert!(
        creds.summary.contains("rejected") && !creds.summary.contains("10014"),
        "{}",
        creds.summary
    );
    assert!(
        creds
            .fix
            .as_deref()
            .unwrap()
            .contains("Credentials & Basic Info")
    );
    for check in &report.checks {
        match check.capability {
            Capability::AppCredentials => {}
            Capability::UserLogin => assert_eq!(check.outcome, Outcome::Ok),
            _ => assert_eq!(check.outcome, Outcome::NotChecked, "{check:?}"),
        }
    }

    let fixed = doctor(&sim, &gateway, "a-brand-new-secret")
        .run(id())
        .await
        .unwrap();
    assert!(fixed.healthy, "{fixed:#?}");
    sim.stop().await;
}

async fn control(
    sim: &SimulatorHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request =
        reqwest::Client::new().request(method, format!("{}/_simulator{path}", sim.base_url()));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switches_work_over_the_control_api() {
    use reqwest::Method;
    let sim = simulator().await;

    let (status, listed) = control(&sim, Method::GET, "/scopes", None).await;
    assert_eq!(status, 200);
    assert!(
        listed["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("contact:user.phone:readonly"))
    );
    let (status, after) = control(
        &sim,
        Method::DELETE,
        "/scopes/contact:user.phone:readonly",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        !after["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("contact:user.phone:readonly"))
    );
    let (status, _) = control(
        &sim,
        Method::DELETE,
        "/scopes/contact:user.phone:readonly",
        None,
    )
    .await;
    assert_eq!(status, 404, "removing it twice");
    assert_eq!(
        failing(&examine(&sim).await),
        BTreeSet::from(["user_mobiles"])
    );
    let (status, _) = control(
        &sim,
        Method::PUT,
        "/scopes/contact:user.phone:readonly",
        None,
    )
    .await;
    assert_eq!(status, 200);

    let (status, _) = control(
        &sim,
        Method::PUT,
        "/scope",
        Some(json!({"department_ids": []})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        outcome(&examine(&sim).await, Capability::ContactScope),
        Outcome::Missing
    );
    control(
        &sim,
        Method::PUT,
        "/scope",
        Some(json!({"department_ids": null})),
    )
    .await;

    let old = sim.app_secret();
    let (status, _) = control(
        &sim,
        Method::PUT,
        "/app_secret",
        Some(json!({"app_secret": "reset-by-admin"})),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(sim.app_secret(), "reset-by-admin");
    let report = doctor(&sim, &gateway(), &old).run(id()).await.unwrap();
    assert_eq!(
        outcome(&report, Capability::AppCredentials),
        Outcome::Missing
    );
    let (status, _) = control(
        &sim,
        Method::PUT,
        "/app_secret",
        Some(json!({"app_secret": ""})),
    )
    .await;
    assert_eq!(status, 400);
    sim.stop().await;
}
