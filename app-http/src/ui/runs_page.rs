//! `GET /admin/integrations/{id}/runs`: the integration's sync runs, newest first — when each
//! started, what started it, how it ended, how long it took, what it counted and why it failed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::model::{EntityCounts, RunTrigger, SyncRun};

use super::browse::{self, Tabs};
use super::error::UiError;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::SignedIn;
use aviary_wiring::Services;

/// The most runs the page lists.
const SHOWN: u64 = 100;

/// One run in the table.
#[derive(Debug)]
pub struct RunRow {
    pub href: String,
    pub started: String,
    pub trigger: &'static str,
    pub status: &'static str,
    pub tone: &'static str,
    pub duration: String,
    pub users: String,
    pub departments: String,
    pub groups: String,
    pub apps: String,
    pub api_calls: u64,
    pub error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "runs.html")]
pub struct RunsPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub tabs: Tabs,
    pub rows: Vec<RunRow>,
    /// The list stops at [`SHOWN`] runs.
    pub truncated: bool,
    pub shown: u64,
}

pub(super) fn trigger_words(trigger: RunTrigger) -> &'static str {
    match trigger {
        RunTrigger::Schedule => "schedule",
        RunTrigger::Manual => "manual",
        RunTrigger::Api => "API",
    }
}

/// `+2 ~1 −1` style counts in words: `2 added, 1 changed, 1 removed`, or `no changes`.
pub(super) fn entity_words(counts: &EntityCounts) -> String {
    let parts: Vec<String> = [
        (counts.added, "added"),
        (counts.changed, "changed"),
        (counts.removed, "removed"),
        (counts.restored, "restored"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        format!("no changes ({} unchanged)", counts.unchanged)
    } else {
        format!("{}, {} unchanged", parts.join(", "), counts.unchanged)
    }
}

pub(super) fn run_row(run: &SyncRun) -> RunRow {
    let (status, tone) = browse::run_status(run.status);
    RunRow {
        href: format!("/admin/runs/{}", run.id),
        started: browse::when(run.started_at),
        trigger: trigger_words(run.trigger),
        status,
        tone,
        duration: browse::duration(run.started_at, run.finished_at),
        users: entity_words(&run.counts.users),
        departments: entity_words(&run.counts.departments),
        groups: entity_words(&run.counts.groups),
        apps: entity_words(&run.counts.apps),
        api_calls: run.api.calls,
        error: run.error.clone(),
    }
}

pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    path: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let integration = browse::integration(&services, &path).await?;
    let mut runs = services.queries.runs(integration.id, SHOWN + 1).await?;
    let truncated = runs.len() as u64 > SHOWN;
    runs.truncate(usize::try_from(SHOWN).unwrap_or(usize::MAX));
    let page = RunsPage {
        chrome: Some(signed_in.chrome()),
        asset_version: ASSET_VERSION,
        tabs: Tabs::new(&integration, "runs"),
        rows: runs.iter().map(run_row).collect(),
        truncated,
        shown: SHOWN,
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_words() {
        let counts = EntityCounts {
            added: 2,
            removed: 1,
            unchanged: 5,
            ..EntityCounts::default()
        };
        assert_eq!(entity_words(&counts), "2 added, 1 removed, 5 unchanged");
        assert_eq!(
            entity_words(&EntityCounts::default()),
            "no changes (0 unchanged)"
        );
    }
}
