//! `GET /admin/integrations/{id}/doctor`: the permission doctor's page — every capability the
//! integration needs with an ok/missing badge, what was found in plain words, and the console
//! step that fixes what is missing. Loading the page runs the checks (a handful of read-only
//! Lark requests); reloading runs them again.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use aviary_domain::ports::GrantStoreError;
use aviary_domain::usecases::doctor::{DoctorError, DoctorReport, Outcome};
use aviary_domain::values::IntegrationId;

use super::error::UiError;
use super::pages::{ASSET_VERSION, Chrome, render};
use super::session::SignedIn;
use aviary_wiring::Services;

/// A piece of a summary or fix: the doctor quotes field and scope names in backticks, which
/// the page shows as code.
#[derive(Debug, PartialEq, Eq)]
pub struct Segment {
    pub code: bool,
    pub text: String,
}

/// Splits `text` at its backticks: odd pieces are code.
fn segments(text: &str) -> Vec<Segment> {
    text.split('`')
        .enumerate()
        .filter(|(_, piece)| !piece.is_empty())
        .map(|(i, piece)| Segment {
            code: i % 2 == 1,
            text: piece.to_owned(),
        })
        .collect()
}

/// One check as the page shows it.
#[derive(Debug)]
pub struct CheckRow {
    pub code: &'static str,
    pub title: &'static str,
    /// `ok`, `missing`, `warning`, `advice` or `not checked`.
    pub badge: &'static str,
    /// CSS class of the badge: `good`, `bad`, `warn`, `info` or `muted`.
    pub tone: &'static str,
    pub summary: Vec<Segment>,
    /// "Fix", or "Advice" for an optional improvement.
    pub fix_label: &'static str,
    pub fix: Option<Vec<Segment>>,
    pub scope: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "doctor.html")]
pub struct DoctorPage {
    pub chrome: Option<Chrome>,
    pub asset_version: &'static str,
    pub id: String,
    pub label: String,
    pub checked_at: String,
    pub healthy: bool,
    /// E.g. `2 missing, 1 warning`; empty when everything is ok.
    pub tally: String,
    pub checks: Vec<CheckRow>,
}

pub(super) fn badge(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Ok => ("ok", "good"),
        Outcome::Missing => ("missing", "bad"),
        Outcome::Warning => ("warning", "warn"),
        Outcome::Advice => ("advice", "info"),
        Outcome::NotChecked => ("not checked", "muted"),
    }
}

/// What the step under a check is: a fix, or optional advice.
pub(super) fn fix_label(outcome: Outcome) -> &'static str {
    if outcome == Outcome::Advice {
        "Advice"
    } else {
        "Fix"
    }
}

fn tally(report: &DoctorReport) -> String {
    [
        (Outcome::Missing, "missing"),
        (Outcome::Warning, "warning"),
        (Outcome::Advice, "advice"),
        (Outcome::NotChecked, "not checked"),
    ]
    .into_iter()
    .filter_map(|(outcome, words)| {
        let n = report.count(outcome);
        (n > 0).then(|| format!("{n} {words}"))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

fn page(report: DoctorReport, chrome: Chrome) -> DoctorPage {
    let tally = tally(&report);
    DoctorPage {
        chrome: Some(chrome),
        asset_version: ASSET_VERSION,
        id: report.integration_id.to_string(),
        checked_at: report
            .checked_at
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        healthy: report.healthy,
        tally,
        checks: report
            .checks
            .into_iter()
            .map(|check| {
                let (badge, tone) = badge(check.outcome);
                CheckRow {
                    code: check.capability.as_str(),
                    title: check.capability.title(),
                    badge,
                    tone,
                    summary: segments(&check.summary),
                    fix_label: fix_label(check.outcome),
                    fix: check.fix.as_deref().map(segments),
                    scope: check.scope,
                }
            })
            .collect(),
        label: report.label,
    }
}

/// Every doctor failure by name: none of them is Lark's (those are findings, on the page).
pub(super) fn refusal(err: DoctorError) -> UiError {
    match err {
        DoctorError::UnknownIntegration(_)
        | DoctorError::Grants(GrantStoreError::NoIntegration(_)) => UiError::NotFound,
        DoctorError::Integrations(store) => store.into(),
        DoctorError::Grants(store) => store.into(),
    }
}

/// `GET /admin/integrations/{id}/doctor`.
pub async fn show(
    services: web::Data<Services>,
    signed_in: web::ReqData<SignedIn>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let id: IntegrationId = id.parse().map_err(|_| UiError::NotFound)?;
    let report = services.doctor.run(id).await.map_err(refusal)?;
    render(StatusCode::OK, &page(report, signed_in.chrome()))
}

#[cfg(test)]
mod tests {
    use super::{Segment, segments};

    #[test]
    fn backticks_become_code_segments() {
        let seg = |code, text: &str| Segment {
            code,
            text: text.to_owned(),
        };
        assert_eq!(
            segments("add `a:b`, then publish"),
            [
                seg(false, "add "),
                seg(true, "a:b"),
                seg(false, ", then publish")
            ]
        );
        assert_eq!(segments("`x`"), [seg(true, "x")]);
        assert_eq!(segments("plain"), [seg(false, "plain")]);
    }
}
