//! The browse pages of an integration's data (read-only, GET): their routes, the integration
//! named in a path, the tabs between the pages, and values in plain words.

use actix_web::web;
use aviary_domain::model::{Integration, Presence, RunStatus};
use aviary_domain::values::IntegrationId;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::error::UiError;
use super::{
    account_page, accounts_export, departments_page, integration_page, inventory_pages, resource,
    run_page, runs_page,
};
use aviary_wiring::Services;

/// Registers the browse pages (inside the session guard's scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/integrations/{id}").route(web::get().to(integration_page::show)))
        .service(
            resource("/admin/integrations/{id}/accounts.csv")
                .route(web::get().to(accounts_export::download)),
        )
        .service(
            resource("/admin/integrations/{id}/accounts/{open_id}")
                .route(web::get().to(account_page::show)),
        )
        .service(
            resource("/admin/integrations/{id}/departments")
                .route(web::get().to(departments_page::show)),
        )
        .service(
            resource("/admin/integrations/{id}/groups")
                .route(web::get().to(inventory_pages::groups)),
        )
        .service(
            resource("/admin/integrations/{id}/apps").route(web::get().to(inventory_pages::apps)),
        )
        .service(resource("/admin/integrations/{id}/runs").route(web::get().to(runs_page::show)))
        .service(resource("/admin/runs/{run_id}").route(web::get().to(run_page::show)));
}

/// The integration a path names by id; anything else is the 404 page.
///
/// # Errors
/// `NotFound` for a malformed or unknown id; the store's errors otherwise.
pub async fn integration(services: &Services, raw: &str) -> Result<Integration, UiError> {
    let id: IntegrationId = raw.parse().map_err(|_| UiError::NotFound)?;
    services
        .integrations
        .get(id)
        .await?
        .ok_or(UiError::NotFound)
}

/// The heading and the tabs every page of one integration shows.
#[derive(Debug)]
pub struct Tabs {
    pub id: String,
    pub label: String,
    /// `accounts`, `departments`, `groups`, `apps`, `runs`, or empty (a page below one of them).
    pub active: &'static str,
}

impl Tabs {
    pub fn new(integration: &Integration, active: &'static str) -> Self {
        Self {
            id: integration.id.to_string(),
            label: integration.label.to_string(),
            active,
        }
    }
}

/// A user group's (`kind` `group`) or installed app's (`app`) row on its list page.
pub fn object_href(integration: &Integration, kind: &str, id: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!(
        "/admin/integrations/{}/{kind}s#{kind}-{encoded}",
        integration.id
    )
}

/// Why a record is no longer present, in a word or two; `None` while present.
pub fn gone_words(presence: Presence) -> Option<&'static str> {
    match presence {
        Presence::Present => None,
        Presence::Removed => Some("removed"),
        Presence::OutOfRange => Some("out of range"),
    }
}

/// A date and time for people, in UTC.
pub fn when(at: DateTime<Utc>) -> String {
    super::overview::when(at)
}

/// A run's status in plain words, with its CSS tone (`good`, `warn`, `bad` or `muted`).
pub fn run_status(status: RunStatus) -> (&'static str, &'static str) {
    match status {
        RunStatus::Running => ("running", "muted"),
        RunStatus::Succeeded => ("succeeded", "good"),
        RunStatus::Failed => ("failed", "bad"),
        RunStatus::Held => ("on hold", "warn"),
        RunStatus::Cancelled => ("cancelled", "warn"),
    }
}

/// How long a run took (`2.4 s`, `3 min 5 s`), or nothing while it runs.
pub fn duration(started: DateTime<Utc>, finished: Option<DateTime<Utc>>) -> String {
    let Some(finished) = finished else {
        return String::new();
    };
    let ms = (finished - started).num_milliseconds().max(0);
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// A recorded field value in plain words: text as it is, lists joined, nothing as `—`.
pub fn value_words(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) if s.is_empty() => "(empty)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => value.to_string(),
    }
}

/// Lark's `join_time` (seconds since the epoch) as a date.
pub fn join_date(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_plain_words() {
        assert_eq!(value_words(&json!(null)), "—");
        assert_eq!(value_words(&json!("Ann")), "Ann");
        assert_eq!(value_words(&json!(["a", 1])), "a, 1");
        assert_eq!(value_words(&json!([])), "(none)");
        assert_eq!(value_words(&json!(true)), "yes");
        assert_eq!(join_date(1_700_000_000), "2023-11-14");
        let start = DateTime::from_timestamp(0, 0).unwrap();
        assert_eq!(duration(start, None), "");
        assert_eq!(
            duration(start, DateTime::from_timestamp_millis(2_400)),
            "2.4 s"
        );
        assert_eq!(
            duration(start, DateTime::from_timestamp(185, 0)),
            "3 min 5 s"
        );
    }
}
