//! Builders of the records tests need again and again (integrations, runs), with plain
//! defaults a test overrides only where it matters: one place to change when a record gains a
//! field. Compiled for this crate's tests and, with the `mock` feature, for other crates' tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone as _, Utc};
use secrecy::SecretString;
use uuid::Uuid;

use crate::model::{
    Integration, IntegrationStatus, IntegrationSummary, Region, RunStatus, RunTrigger, SyncRun,
    TenantInfo,
};
use crate::values::{AppId, BaseUrl, IntegrationId, IntegrationLabel, RunId, SyncInterval};

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(now))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap() = now;
    }
}

impl crate::ports::Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// 2026-11-25 12:00 UTC: the time builders use unless told otherwise.
pub fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// An active Lark integration "Acme" (App ID `cli_0123456789abcdef`, secret `app-secret`,
/// id 1), on demand only, created at [`noon`].
pub fn integration() -> IntegrationBuilder {
    IntegrationBuilder(Integration {
        summary: IntegrationSummary {
            id: IntegrationId::from_uuid(Uuid::from_u128(1)),
            label: IntegrationLabel::parse("Acme").unwrap(),
            region: Region::Lark,
            base_url: None,
            app_id: AppId::parse("cli_0123456789abcdef").unwrap(),
            status: IntegrationStatus::Active,
            tenant: None,
            authorized_by: None,
            sync_interval: None,
            created_at: noon(),
            updated_at: noon(),
        },
        app_secret: SecretString::from("app-secret"),
    })
}

/// See [`integration`].
#[derive(Debug, Clone)]
pub struct IntegrationBuilder(Integration);

impl IntegrationBuilder {
    pub fn id(mut self, id: IntegrationId) -> Self {
        self.0.id = id;
        self
    }

    pub fn label(mut self, label: &str) -> Self {
        self.0.label = IntegrationLabel::parse(label).unwrap();
        self
    }

    pub fn region(mut self, region: Region) -> Self {
        self.0.region = region;
        self
    }

    pub fn base_url(mut self, url: &str) -> Self {
        self.0.base_url = Some(BaseUrl::parse(url).unwrap());
        self
    }

    pub fn app_id(mut self, app_id: &str) -> Self {
        self.0.app_id = AppId::parse(app_id).unwrap();
        self
    }

    pub fn secret(mut self, secret: &str) -> Self {
        self.0.app_secret = SecretString::from(secret.to_owned());
        self
    }

    pub fn status(mut self, status: IntegrationStatus) -> Self {
        self.0.status = status;
        self
    }

    /// Connected through an admin's Lark login: the tenant and who signed in.
    pub fn connected(mut self, tenant: &str, tenant_key: &str, by: &str) -> Self {
        self.0.tenant = Some(TenantInfo {
            name: tenant.to_owned(),
            tenant_key: tenant_key.to_owned(),
        });
        self.0.authorized_by = Some(by.to_owned());
        self
    }

    /// Synced on a schedule, every `minutes`.
    pub fn every(mut self, minutes: u32) -> Self {
        self.0.sync_interval = Some(SyncInterval::new(i64::from(minutes)).unwrap());
        self
    }

    /// Created (and last updated) at `at`.
    pub fn created_at(mut self, at: DateTime<Utc>) -> Self {
        self.0.created_at = at;
        self.0.updated_at = at;
        self
    }

    pub fn build(self) -> Integration {
        self.0
    }
}

/// A run (id 9) of `integration`, started manually at [`noon`] and still running.
pub fn run(integration: IntegrationId) -> RunBuilder {
    RunBuilder(SyncRun::start(
        RunId::from_uuid(Uuid::from_u128(9)),
        integration,
        RunTrigger::Manual,
        noon(),
    ))
}

/// See [`run`].
#[derive(Debug, Clone)]
pub struct RunBuilder(SyncRun);

impl RunBuilder {
    pub fn id(mut self, id: RunId) -> Self {
        self.0.id = id;
        self
    }

    pub fn trigger(mut self, trigger: RunTrigger) -> Self {
        self.0.trigger = trigger;
        self
    }

    pub fn started_at(mut self, at: DateTime<Utc>) -> Self {
        self.0.started_at = at;
        self
    }

    /// Ended with `status` at `at` (`error`: the run's error message, for failed runs).
    pub fn ended(mut self, status: RunStatus, at: DateTime<Utc>, error: Option<&str>) -> Self {
        self.0.status = status;
        self.0.finished_at = Some(at);
        self.0.error = error.map(str::to_owned);
        self
    }

    pub fn build(self) -> SyncRun {
        self.0
    }
}

/// A timer that really sleeps, on tokio's clock (paused in the tests that need it). Only for this
/// crate's tests: tokio is a dev-dependency.
#[cfg(test)]
#[derive(Debug)]
pub struct TokioTimer;

#[cfg(test)]
#[async_trait::async_trait]
impl crate::ports::Timer for TokioTimer {
    async fn sleep(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}
