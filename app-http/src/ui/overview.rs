//! `GET /`: the integrations overview — one row per integration with its status in plain
//! words, tenant, last good sync (time and counts) and current accounts per status, and a
//! "Connect with Lark" button for each integration that is not active.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use aviary_domain::model::{
    AccountStatus, IntegrationStatus, IntegrationSummary, RunStatus, SyncCounts, SyncRun,
};
use aviary_domain::usecases::HealthReport;
use chrono::{DateTime, Utc};

use super::csp;
use super::error::UiError;
use super::pages::{ASSET_VERSION, OverviewPage, render};
use super::session::SignedIn;
use aviary_wiring::Services;

/// One integration as the overview shows it.
#[derive(Debug)]
pub struct IntegrationRow {
    pub id: String,
    pub label: String,
    pub region: &'static str,
    pub status: &'static str,
    /// CSS class: `good`, `warn` or `bad`.
    pub status_tone: &'static str,
    /// Why the newest run did not succeed, when it did not.
    pub latest_problem: Option<String>,
    pub tenant: Option<String>,
    pub last_good_sync: Option<GoodSync>,
    pub accounts: AccountCounts,
    /// Never connected, or its login died: offer the "Connect with Lark" button.
    pub connectable: bool,
    /// Tick "Keep the sign-in renewable" from the start: the last sign-in was renewable, so
    /// the app evidently has `offline_access`.
    pub renewable_before: bool,
    /// Offer "Sync now" (connected and enabled, no run going).
    pub syncable: bool,
    /// A run is going right now.
    pub syncing: bool,
    /// When the schedule syncs it next, in words ("on demand only" without a schedule).
    pub next_sync: String,
}

#[derive(Debug)]
pub struct GoodSync {
    pub finished: String,
    pub counts: String,
}

#[derive(Debug)]
pub struct AccountCounts {
    pub total: u64,
    /// E.g. `38 active, 1 suspended`; empty without accounts.
    pub breakdown: String,
}

pub(super) fn status_words(status: IntegrationStatus) -> (&'static str, &'static str) {
    match status {
        IntegrationStatus::PendingAuthorization => ("Waiting for a Lark login", "warn"),
        IntegrationStatus::Active => ("Working", "good"),
        IntegrationStatus::Degraded => ("Working, with problems", "warn"),
        IntegrationStatus::NeedsReauthorization => ("Needs a new Lark login", "bad"),
        IntegrationStatus::Failing => ("Failing", "bad"),
        IntegrationStatus::Disabled => ("Disabled", "warn"),
    }
}

pub(super) fn status_label(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "active",
        AccountStatus::Suspended => "suspended",
        AccountStatus::Resigned => "resigned",
        AccountStatus::Exited => "exited",
        AccountStatus::Invited => "invited",
        AccountStatus::NotActivated => "not activated",
        AccountStatus::Unknown => "status unknown",
    }
}

pub(super) fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) fn counts_words(counts: &SyncCounts) -> String {
    let users = &counts.users;
    let mut words = format!(
        "users: {} added, {} changed, {} removed",
        users.added, users.changed, users.removed
    );
    if users.restored > 0 {
        words.push_str(&format!(", {} restored", users.restored));
    }
    if users.out_of_range > 0 {
        words.push_str(&format!(", {} left the contact range", users.out_of_range));
    }
    words.push_str(&format!(", {} unchanged", users.unchanged));
    words
}

pub(super) fn latest_problem(latest: Option<&SyncRun>) -> Option<String> {
    let run = latest?;
    let what = match run.status {
        RunStatus::Succeeded if !run.warnings.is_empty() => {
            return Some(format!(
                "The last sync finished with a warning: {}",
                run.warnings.join(" ")
            ));
        }
        RunStatus::Succeeded | RunStatus::Running => return None,
        RunStatus::Failed => "The last sync failed",
        RunStatus::Held => "The last sync is on hold",
        RunStatus::Cancelled => "The last sync was cancelled",
    };
    Some(match &run.error {
        Some(reason) => format!("{what}: {reason}"),
        None => format!("{what}."),
    })
}

/// What the overview says of an integration whose stored secret no known master key opens.
const UNREADABLE: &str = "Its stored credentials cannot be decrypted with any master key this \
                          server knows; open it for what to do.";

async fn row(
    services: &Services,
    integration: &IntegrationSummary,
) -> Result<IntegrationRow, UiError> {
    let id = integration.id;
    let HealthReport {
        latest_run: latest,
        last_succeeded_run: last_good,
        account_counts: per_status,
        next_sync_at,
        sync_due,
        ..
    } = services.health.report(integration).await?;
    // One integration's unreadable secret is its own problem: the overview goes on.
    let (renewable_before, unreadable) = if connectable(integration) {
        match renewable_before(services, integration).await {
            Ok(renewable) => (renewable, false),
            Err(UiError::Undecryptable) => (false, true),
            Err(other) => return Err(other),
        }
    } else {
        (false, false)
    };
    let (status, status_tone) = status_words(integration.status);
    let syncing = latest
        .as_ref()
        .is_some_and(|run| run.status == RunStatus::Running);
    Ok(IntegrationRow {
        id: id.to_string(),
        label: integration.label.to_string(),
        region: integration.region.as_str(),
        status,
        status_tone,
        latest_problem: if unreadable {
            Some(UNREADABLE.to_owned())
        } else {
            latest_problem(latest.as_ref())
        },
        tenant: integration.tenant.as_ref().map(|t| t.name.clone()),
        last_good_sync: last_good.map(|run| GoodSync {
            finished: when(run.finished_at.unwrap_or(run.started_at)),
            counts: counts_words(&run.counts),
        }),
        accounts: AccountCounts {
            total: per_status.iter().map(|(_, n)| n).sum(),
            breakdown: per_status
                .iter()
                .map(|(status, n)| format!("{n} {}", status_label(*status)))
                .collect::<Vec<_>>()
                .join(", "),
        },
        renewable_before,
        connectable: connectable(integration),
        syncable: syncable(integration, syncing),
        syncing,
        next_sync: next_sync_words(integration, next_sync_at, sync_due),
    })
}

/// Whether the integration's stored sign-in came with a refresh token (it had
/// `offline_access`): a new one should ask for it again.
pub(super) async fn renewable_before(
    services: &Services,
    integration: &IntegrationSummary,
) -> Result<bool, UiError> {
    let check = services
        .doctor
        .sign_in(integration.id)
        .await
        .map_err(super::doctor::refusal)?;
    // `days_left` is only reported for a stored sign-in that Lark renews (or did renew).
    Ok(check.days_left.is_some())
}

/// "Sync now" fits: connected (or synced with the app's credentials), enabled, no run going.
pub(super) fn syncable(integration: &IntegrationSummary, syncing: bool) -> bool {
    !syncing
        && !matches!(
            integration.status,
            IntegrationStatus::PendingAuthorization | IntegrationStatus::Disabled
        )
}

/// Never connected through a Lark login (even if synced with the app's credentials), or a
/// login that needs renewing; a disabled integration is enabled first.
fn connectable(integration: &IntegrationSummary) -> bool {
    match integration.status {
        IntegrationStatus::Disabled => false,
        IntegrationStatus::PendingAuthorization | IntegrationStatus::NeedsReauthorization => true,
        IntegrationStatus::Active | IntegrationStatus::Degraded | IntegrationStatus::Failing => {
            integration.authorized_by.is_none()
        }
    }
}

pub(super) fn next_sync_words(
    integration: &IntegrationSummary,
    next_sync_at: Option<DateTime<Utc>>,
    due: bool,
) -> String {
    if integration.sync_interval.is_none() {
        return "on demand only".to_owned();
    }
    match next_sync_at {
        Some(_) if due => "due now".to_owned(),
        Some(next) => when(next),
        None => "not scheduled".to_owned(),
    }
}

pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
) -> Result<HttpResponse, UiError> {
    let integrations = services.integrations.list().await?;
    let mut rows = Vec::with_capacity(integrations.len());
    for integration in &integrations {
        rows.push(row(&services, integration).await?);
    }
    let connectable_rows: Vec<bool> = rows.iter().map(|row| row.connectable).collect();
    let chrome = signed_in.chrome();
    let mut response = render(
        StatusCode::OK,
        &OverviewPage {
            csrf_token: chrome.csrf_token.clone(),
            chrome: Some(chrome),
            asset_version: ASSET_VERSION,
            rows,
        },
    )?;
    csp::allow_connect_forms(
        &mut response,
        &services.connect,
        connectable_rows
            .iter()
            .zip(&integrations)
            .filter_map(|(connectable, integration)| connectable.then_some(integration)),
    )?;
    Ok(response)
}
