//! What `settings.rs` checks after parsing: values out of their range (refused with the
//! setting's name and variable), and keys of the `[lark]` section that name no setting (the
//! section flattens the client's own settings, whose unknown keys serde cannot report).

use std::collections::BTreeSet;

use aviary_adapters_lark::LarkClientSettings;
use config::Config;
use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::settings::{Settings, SettingsError};

/// `[lark]` keys of `LarkSettings` itself (the rest are `LarkClientSettings`').
const LARK_OWN_KEYS: &[&str] = &["pacing", "requests_per_second", "requests_per_minute"];

/// Asks a struct's `Deserialize` for its field names, then stops.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The keys a `[lark]` table may hold.
fn lark_keys() -> BTreeSet<&'static str> {
    let mut client: &'static [&'static str] = &[];
    // Always `Err(Stop)`: only the recorded names matter.
    let _ = LarkClientSettings::deserialize(FieldNames(&mut client));
    client.iter().chain(LARK_OWN_KEYS).copied().collect()
}

/// `lark.<key>` for each key of the `[lark]` table that names no setting.
pub(crate) fn unknown_lark_keys(config: &Config) -> Vec<String> {
    let Ok(table) = config.get_table("lark") else {
        return Vec::new();
    };
    let known = lark_keys();
    let mut unknown: Vec<String> = table
        .keys()
        .filter(|key| !known.contains(key.as_str()))
        .map(|key| format!("lark.{key}"))
        .collect();
    unknown.sort();
    unknown
}

/// The variable that sets `setting` (`sync.batch_size` → `AVIARY_SYNC__BATCH_SIZE`).
fn variable_of(setting: &str) -> String {
    format!("AVIARY_{}", setting.to_ascii_uppercase().replace('.', "__"))
}

fn invalid(setting: &str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        setting: setting.to_owned(),
        variable: variable_of(setting),
        reason: reason.into(),
    }
}

/// `Ok` when `value` lies in `min..=max`.
fn within<T: PartialOrd + std::fmt::Display>(
    setting: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<(), SettingsError> {
    if value < min || value > max {
        return Err(invalid(
            setting,
            format!("{value} is outside {min}..={max}"),
        ));
    }
    Ok(())
}

impl Settings {
    /// Refuses values out of their range, naming the setting; nothing is clamped.
    ///
    /// # Errors
    /// [`SettingsError::Invalid`] for the first such value.
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        let sync = &self.sync;
        within(
            "sync.removal_threshold_percent",
            sync.removal_threshold_percent,
            0.0,
            100.0,
        )?;
        within("sync.concurrency", sync.concurrency, 1, 64)?;
        within("sync.batch_size", sync.batch_size, 1, 10_000)?;
        within("sync.lease_ttl_secs", sync.lease_ttl_secs, 10, 86_400)?;
        let database = &self.database;
        within(
            "database.lock_timeout_secs",
            database.lock_timeout_secs,
            1,
            3_600,
        )?;
        within(
            "database.statement_timeout_secs",
            database.statement_timeout_secs,
            1,
            86_400,
        )?;
        within(
            "database.idle_in_transaction_timeout_secs",
            database.idle_in_transaction_timeout_secs,
            1,
            86_400,
        )?;
        let scheduler = &self.scheduler;
        within(
            "scheduler.max_concurrent_syncs",
            scheduler.max_concurrent_syncs,
            1,
            256,
        )?;
        within("scheduler.tick_secs", scheduler.tick_secs, 1, 3_600)?;
        if let Some(days) = self.retention.runs_days {
            // The domain's rule: one day to a hundred years.
            aviary_domain::usecases::RetentionDays::new(i64::from(days))
                .map_err(|refused| invalid("retention.runs_days", refused.to_string()))?;
        }
        let lark = &self.lark;
        within(
            "lark.requests_per_second",
            lark.requests_per_second,
            1,
            10_000,
        )?;
        within(
            "lark.requests_per_minute",
            lark.requests_per_minute,
            1,
            600_000,
        )?;
        lark.client.validate().map_err(|reason| {
            // The client names the field first ("max_in_flight must be at least 1").
            let field = reason.split_whitespace().next().unwrap_or_default();
            invalid(&format!("lark.{field}"), reason.clone())
        })?;
        within(
            "http.max_connections",
            self.http.max_connections,
            1,
            100_000,
        )?;
        within(
            "http.body_timeout_secs",
            self.http.body_timeout_secs,
            1,
            3_600,
        )?;
        within(
            "http.api_requests_per_minute",
            self.http.api_requests_per_minute,
            1,
            1_000_000,
        )?;
        within(
            "shutdown.timeout_secs",
            self.shutdown.timeout_secs,
            1,
            3_600,
        )?;
        if let Some(pool) = self.database.max_connections {
            within("database.max_connections", pool, 1, 1_000)?;
        }
        if let Some(url) = self.http.public_base_url.as_deref().map(str::trim) {
            let parsed = url::Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !url.is_empty() && parsed.is_none() {
                return Err(invalid(
                    "http.public_base_url",
                    format!("\"{url}\" is not an http(s) URL"),
                ));
            }
        }
        Ok(())
    }
}
