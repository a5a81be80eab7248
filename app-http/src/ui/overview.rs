//! `GET /`: the integrations overview — one row per integration with its status in plain
//! words, tenant, last good sync (time and counts) and current accounts per status, and a
//! "Connect with Lark" button for each integration that is not active.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use aviary_domain::model::{
    AccountStatus, Integration, IntegrationStatus, RunStatus, SyncCounts, SyncRun,
};
use chrono::{DateTime, Utc};

use super::csp;
use super::error::UiError;
use super::pages::{ASSET_VERSION, OverviewPage, render};
use super::session::SignedIn;
use crate::wiring::Services;

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
    /// Not active: offer the "Connect with Lark" button.
    pub connectable: bool,
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

fn status_words(status: IntegrationStatus) -> (&'static str, &'static str) {
    match status {
        IntegrationStatus::PendingAuthorization => ("Waiting for a Lark login", "warn"),
        IntegrationStatus::Active => ("Working", "good"),
        IntegrationStatus::Degraded => ("Working, with problems", "warn"),
        IntegrationStatus::NeedsReauthorization => ("Needs a new Lark login", "bad"),
        IntegrationStatus::Failing => ("Failing", "bad"),
        IntegrationStatus::Disabled => ("Disabled", "warn"),
    }
}

fn status_label(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "active",
        AccountStatus::Suspended => "suspended",
        AccountStatus::Resigned => "resigned",
        AccountStatus::Exited => "exited",
        AccountStatus::Invited => "invited",
        AccountStatus::NotActivated => "not activated",
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn counts_words(counts: &SyncCounts) -> String {
    let users = &counts.users;
    let mut words = format!(
        "users: {} added, {} changed, {} removed",
        users.added, users.changed, users.removed
    );
    if users.restored > 0 {
        words.push_str(&format!(", {} restored", users.restored));
    }
    words.push_str(&format!(", {} unchanged", users.unchanged));
    words
}

fn latest_problem(latest: Option<&SyncRun>) -> Option<String> {
    let run = latest?;
    let what = match run.status {
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

async fn row(services: &Services, integration: &Integration) -> Result<IntegrationRow, UiError> {
    let id = integration.id;
    let latest = services.queries.runs(id, 1).await?;
    let last_good = services.queries.last_succeeded_run(id).await?;
    let per_status = services.queries.account_status_counts(id).await?;
    let (status, status_tone) = status_words(integration.status);
    Ok(IntegrationRow {
        id: id.to_string(),
        label: integration.label.to_string(),
        region: integration.region.as_str(),
        status,
        status_tone,
        latest_problem: latest_problem(latest.first()),
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
        connectable: integration.status != IntegrationStatus::Active,
    })
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
    let chrome = signed_in.chrome();
    let targets = csp::accounts_origins(
        rows.iter()
            .zip(&integrations)
            .filter_map(|(row, integration)| row.connectable.then_some(integration)),
    );
    let mut response = render(
        StatusCode::OK,
        &OverviewPage {
            csrf_token: chrome.csrf_token.clone(),
            chrome: Some(chrome),
            asset_version: ASSET_VERSION,
            rows,
        },
    )?;
    if !targets.is_empty() {
        let policy = HeaderValue::from_str(&csp::policy(&targets)).map_err(|_| {
            tracing::error!("an accounts host does not fit in a header");
            UiError::Internal
        })?;
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}
