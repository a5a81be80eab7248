//! Row ↔ domain conversions in one place: timestamps, integrations, runs, changes; accounts in
//! `account_rows`, departments in `department_rows`, user groups and installed apps in `objects`.

pub(crate) mod account_rows;
pub(crate) mod objects;

pub(crate) mod department_rows;

pub(crate) use account_rows::{
    ACCOUNT_COLUMNS, AccountRow, StoredRaw, account_update_columns, account_values,
};
pub(crate) use department_rows::{
    DEPARTMENT_COLUMNS, DepartmentRow, department_update_columns, department_values,
};

use aviary_domain::model::{
    ApiCounters, ChangeKind, ChangeRecord, EntityCounts, FieldChange, HeldSubject, Hold,
    Integration, IntegrationStatus, IntegrationSummary, Presence, Region, RunStatus, RunTrigger,
    Subject, SyncCounts, SyncRun, TenantInfo,
};
use aviary_domain::values::{
    AppId, BaseUrl, ContentHash, DepartmentId, GroupId, InstalledAppId, IntegrationId,
    IntegrationLabel, OpenId, RemoteIdError, RunId, SyncInterval,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, FromQueryResult};
use secrecy::SecretString;
use uuid::Uuid;

use crate::crypto::Sealed;
use crate::entities::{changes, grants, held_subjects, integrations, oauth_logins, sync_runs};

/// A stored row could not be turned into a domain value (or a value into a row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct MappingError(pub String);

pub(crate) type Mapped<T> = Result<T, MappingError>;

/// Microseconds since the Unix epoch: the stored form of every timestamp.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(value: i64) -> Mapped<DateTime<Utc>> {
    DateTime::from_timestamp_micros(value)
        .ok_or_else(|| MappingError(format!("stored timestamp {value} is out of range")))
}

pub(crate) fn opt_from_micros(value: Option<i64>) -> Mapped<Option<DateTime<Utc>>> {
    value.map(from_micros).transpose()
}

/// Counters are `u64` in the domain and `BIGINT` in the database.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64, what: &str) -> Mapped<u64> {
    u64::try_from(value).map_err(|_| MappingError(format!("stored {what} is negative ({value})")))
}

fn to_json<T: serde::Serialize>(value: &T, what: &str) -> Mapped<String> {
    serde_json::to_string(value)
        .map_err(|err| MappingError(format!("cannot serialise {what}: {err}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Mapped<T> {
    serde_json::from_str(text)
        .map_err(|err| MappingError(format!("stored {what} is not valid: {err}")))
}

pub(crate) fn parse_text<T>(text: &str) -> Mapped<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|err: T::Err| MappingError(format!("stored value is invalid: {err}")))
}

// ---- integrations ---------------------------------------------------------------------------

/// The row of an integration whose secret has been sealed by the caller.
pub(crate) fn integration_active_model(
    integration: &Integration,
    secret: Sealed,
) -> integrations::ActiveModel {
    integrations::ActiveModel {
        id: Set(integration.id.as_uuid()),
        label: Set(integration.label.as_str().to_owned()),
        region: Set(integration.region.as_str().to_owned()),
        base_url: Set(integration
            .base_url
            .as_ref()
            .map(|url| url.as_str().to_owned())),
        app_id: Set(integration.app_id.as_str().to_owned()),
        app_secret_ciphertext: Set(secret.ciphertext),
        app_secret_nonce: Set(secret.nonce),
        app_secret_key_id: Set(secret.key_id),
        status: Set(integration.status.as_str().to_owned()),
        tenant_name: Set(integration.tenant.as_ref().map(|t| t.name.clone())),
        tenant_key: Set(integration.tenant.as_ref().map(|t| t.tenant_key.clone())),
        authorized_by: Set(integration.authorized_by.clone()),
        sync_interval_minutes: Set(integration.sync_interval_minutes().map(i64::from)),
        created_at: Set(micros(integration.created_at)),
        updated_at: Set(micros(integration.updated_at)),
    }
}

/// The sealed tokens stored in a grant row.
pub(crate) fn grant_sealed_tokens(row: &grants::Model) -> Sealed {
    Sealed {
        ciphertext: row.tokens_ciphertext.clone(),
        nonce: row.tokens_nonce.clone(),
        key_id: row.tokens_key_id.clone(),
    }
}

/// The sealed PKCE verifier stored in a pending login's row.
pub(crate) fn login_sealed_verifier(row: &oauth_logins::Model) -> Sealed {
    Sealed {
        ciphertext: row.verifier_ciphertext.clone(),
        nonce: row.verifier_nonce.clone(),
        key_id: row.verifier_key_id.clone(),
    }
}

/// The sealed secret stored in an integration row.
pub(crate) fn integration_sealed_secret(row: &integrations::Model) -> Sealed {
    Sealed {
        ciphertext: row.app_secret_ciphertext.clone(),
        nonce: row.app_secret_nonce.clone(),
        key_id: row.app_secret_key_id.clone(),
    }
}

/// An integration from its row and its decrypted secret.
pub(crate) fn integration_from_row(
    row: integrations::Model,
    app_secret: SecretString,
) -> Mapped<Integration> {
    Ok(Integration {
        summary: integration_summary_from_row(&row)?,
        app_secret,
    })
}

/// An integration's row without decrypting its secret.
pub(crate) fn integration_summary_from_row(
    row: &integrations::Model,
) -> Mapped<IntegrationSummary> {
    let invalid = |what: &str, err: &dyn std::fmt::Display| {
        MappingError(format!(
            "stored integration {} has an invalid {what}: {err}",
            row.id
        ))
    };
    let tenant = match (&row.tenant_name, &row.tenant_key) {
        (Some(name), Some(tenant_key)) => Some(TenantInfo {
            name: name.clone(),
            tenant_key: tenant_key.clone(),
        }),
        _ => None,
    };
    let sync_interval = row
        .sync_interval_minutes
        .map(SyncInterval::new)
        .transpose()
        .map_err(|err| invalid("sync interval", &err))?;
    Ok(IntegrationSummary {
        id: IntegrationId::from_uuid(row.id),
        label: IntegrationLabel::parse(&row.label).map_err(|err| invalid("label", &err))?,
        region: row
            .region
            .parse::<Region>()
            .map_err(|err| invalid("region", &err))?,
        base_url: row
            .base_url
            .as_deref()
            .map(BaseUrl::parse)
            .transpose()
            .map_err(|err| invalid("base URL", &err))?,
        app_id: AppId::parse(&row.app_id).map_err(|err| invalid("App ID", &err))?,
        status: row
            .status
            .parse::<IntegrationStatus>()
            .map_err(|err| invalid("status", &err))?,
        tenant,
        authorized_by: row.authorized_by.clone(),
        sync_interval,
        created_at: from_micros(row.created_at)?,
        updated_at: from_micros(row.updated_at)?,
    })
}

// ---- accounts and departments: `account_rows.rs`, `department_rows.rs`; groups and apps ------

/// The columns a group or app is read back from.
#[derive(Debug, FromQueryResult)]
pub(crate) struct TrackedRow {
    pub integration_id: Uuid,
    pub state_json: String,
    pub raw_json: String,
    pub content_hash: String,
    pub first_seen_at: i64,
    pub last_changed_at: i64,
    pub removed_at: Option<i64>,
    pub presence: String,
}

/// A decoded [`TrackedRow`].
struct Tracked<S> {
    integration_id: IntegrationId,
    state: S,
    raw: serde_json::Value,
    content_hash: ContentHash,
    first_seen_at: DateTime<Utc>,
    last_changed_at: DateTime<Utc>,
    removed_at: Option<DateTime<Utc>>,
    presence: Presence,
}

impl TrackedRow {
    fn decode<S: serde::de::DeserializeOwned>(self, what: &'static str) -> Mapped<Tracked<S>> {
        Ok(Tracked {
            integration_id: IntegrationId::from_uuid(self.integration_id),
            state: from_json(&self.state_json, what)?,
            raw: from_json(&self.raw_json, "raw JSON")?,
            content_hash: ContentHash::from_stored(self.content_hash),
            first_seen_at: from_micros(self.first_seen_at)?,
            last_changed_at: from_micros(self.last_changed_at)?,
            removed_at: opt_from_micros(self.removed_at)?,
            presence: parse_text::<Presence>(&self.presence)?,
        })
    }
}

// ---- changes --------------------------------------------------------------------------------

pub(crate) const CHANGE_COLUMNS: [changes::Column; 7] = [
    changes::Column::RunId,
    changes::Column::IntegrationId,
    changes::Column::SubjectType,
    changes::Column::SubjectId,
    changes::Column::Kind,
    changes::Column::FieldsJson,
    changes::Column::RecordedAt,
];

pub(crate) fn change_values(change: &ChangeRecord) -> Mapped<Vec<Expr>> {
    let (subject_type, subject_id) = change.subject.parts();
    Ok(vec![
        Expr::val(change.run_id.as_uuid()),
        Expr::val(change.integration_id.as_uuid()),
        Expr::val(subject_type),
        Expr::val(subject_id),
        Expr::val(change.kind.as_str()),
        Expr::val(to_json(&change.fields, "field changes")?),
        Expr::val(micros(change.recorded_at)),
    ])
}

/// A subject from its stored type and id (the names of `Subject::parts`).
pub(crate) fn subject_from_parts(subject_type: &str, subject_id: &str) -> Mapped<Subject> {
    let invalid = |err: RemoteIdError| MappingError(format!("stored {subject_type} id: {err}"));
    match subject_type {
        "account" => OpenId::parse(subject_id).map(Subject::Account),
        "department" => DepartmentId::parse(subject_id).map(Subject::Department),
        "group" => GroupId::parse(subject_id).map(Subject::Group),
        "app" => InstalledAppId::parse(subject_id).map(Subject::App),
        other => {
            return Err(MappingError(format!(
                "stored subject type \"{other}\" is unknown"
            )));
        }
    }
    .map_err(invalid)
}

pub(crate) fn change_from_row(row: changes::Model) -> Mapped<ChangeRecord> {
    let subject = subject_from_parts(&row.subject_type, &row.subject_id)
        .map_err(|err| MappingError(format!("stored change {}: {err}", row.id)))?;
    let fields: Vec<FieldChange> = from_json(&row.fields_json, "field changes")?;
    Ok(ChangeRecord {
        run_id: RunId::from_uuid(row.run_id),
        integration_id: IntegrationId::from_uuid(row.integration_id),
        subject,
        kind: parse_text::<ChangeKind>(&row.kind)?,
        fields,
        recorded_at: from_micros(row.recorded_at)?,
    })
}

// ---- runs -----------------------------------------------------------------------------------

/// Every column of a run, for inserting it or storing its final state.
pub(crate) fn run_active_model(run: &SyncRun) -> sync_runs::ActiveModel {
    let users = run.counts.users;
    let departments = run.counts.departments;
    sync_runs::ActiveModel {
        id: Set(run.id.as_uuid()),
        integration_id: Set(run.integration_id.as_uuid()),
        trigger: Set(run.trigger.as_str().to_owned()),
        status: Set(run.status.as_str().to_owned()),
        started_at: Set(micros(run.started_at)),
        finished_at: Set(run.finished_at.map(micros)),
        users_added: Set(to_i64(users.added)),
        users_changed: Set(to_i64(users.changed)),
        users_removed: Set(to_i64(users.removed)),
        users_restored: Set(to_i64(users.restored)),
        users_unchanged: Set(to_i64(users.unchanged)),
        departments_added: Set(to_i64(departments.added)),
        departments_changed: Set(to_i64(departments.changed)),
        departments_removed: Set(to_i64(departments.removed)),
        departments_restored: Set(to_i64(departments.restored)),
        departments_unchanged: Set(to_i64(departments.unchanged)),
        api_calls: Set(to_i64(run.api.calls)),
        api_retries: Set(to_i64(run.api.retries)),
        api_rate_limit_waits: Set(to_i64(run.api.rate_limit_waits)),
        error: Set(run.error.clone()),
        // Serialising a list of strings cannot fail; NULL stands for no warnings.
        warnings: Set(if run.warnings.is_empty() {
            None
        } else {
            serde_json::to_string(&run.warnings).ok()
        }),
        users_out_of_range: Set(to_i64(users.out_of_range)),
        departments_out_of_range: Set(to_i64(departments.out_of_range)),
        // Serialising plain data cannot fail.
        hold_json: Set(run
            .hold
            .as_ref()
            .and_then(|hold| serde_json::to_string(hold).ok())),
        confirms_run_id: Set(run.confirms.map(|id| id.as_uuid())),
        confirmed_by: Set(run.confirmed_by.clone()),
        object_counts_json: Set(objects::object_counts_json(&run.counts)),
    }
}

pub(crate) fn run_from_row(row: sync_runs::Model) -> Mapped<SyncRun> {
    let counts =
        |added, changed, removed, restored, out_of_range, unchanged| -> Mapped<EntityCounts> {
            Ok(EntityCounts {
                added: to_u64(added, "count")?,
                changed: to_u64(changed, "count")?,
                removed: to_u64(removed, "count")?,
                restored: to_u64(restored, "count")?,
                out_of_range: to_u64(out_of_range, "count")?,
                unchanged: to_u64(unchanged, "count")?,
            })
        };
    let (groups, apps) = objects::object_counts(row.object_counts_json.as_deref())?;
    Ok(SyncRun {
        id: RunId::from_uuid(row.id),
        integration_id: IntegrationId::from_uuid(row.integration_id),
        trigger: parse_text::<RunTrigger>(&row.trigger)?,
        status: parse_text::<RunStatus>(&row.status)?,
        started_at: from_micros(row.started_at)?,
        finished_at: opt_from_micros(row.finished_at)?,
        counts: SyncCounts {
            users: counts(
                row.users_added,
                row.users_changed,
                row.users_removed,
                row.users_restored,
                row.users_out_of_range,
                row.users_unchanged,
            )?,
            departments: counts(
                row.departments_added,
                row.departments_changed,
                row.departments_removed,
                row.departments_restored,
                row.departments_out_of_range,
                row.departments_unchanged,
            )?,
            groups,
            apps,
        },
        api: ApiCounters {
            calls: to_u64(row.api_calls, "API call count")?,
            retries: to_u64(row.api_retries, "retry count")?,
            rate_limit_waits: to_u64(row.api_rate_limit_waits, "rate-limit wait count")?,
        },
        error: row.error,
        warnings: match row.warnings {
            Some(text) => from_json(&text, "run warnings")?,
            None => Vec::new(),
        },
        hold: row
            .hold_json
            .as_deref()
            .map(|text| from_json::<Hold>(text, "run hold"))
            .transpose()?,
        confirms: row.confirms_run_id.map(RunId::from_uuid),
        confirmed_by: row.confirmed_by,
    })
}

// ---- held subjects ------------------------------------------------------------------------------

pub(crate) fn held_subject_model(run: RunId, held: &HeldSubject) -> held_subjects::ActiveModel {
    let (subject_type, subject_id) = held.subject.parts();
    held_subjects::ActiveModel {
        run_id: Set(run.as_uuid()),
        subject_type: Set(subject_type.to_owned()),
        subject_id: Set(subject_id.to_owned()),
        outcome: Set(held.outcome.as_str().to_owned()),
    }
}

pub(crate) fn held_subject_from_row(row: held_subjects::Model) -> Mapped<HeldSubject> {
    Ok(HeldSubject {
        subject: subject_from_parts(&row.subject_type, &row.subject_id)?,
        outcome: parse_text::<Presence>(&row.outcome)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_with_microsecond_precision() {
        let at = DateTime::parse_from_rfc3339("2025-03-04T05:06:07.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(from_micros(micros(at)).unwrap(), at);
        assert!(from_micros(i64::MAX).is_err());
    }

    #[test]
    fn every_subject_reads_back_as_it_was_stored() {
        for subject in [
            Subject::Account(OpenId::parse("ou_1").unwrap()),
            Subject::Department(DepartmentId::parse("od-1").unwrap()),
            Subject::Group(GroupId::parse("g1").unwrap()),
            Subject::App(InstalledAppId::parse("cli_1").unwrap()),
        ] {
            let (subject_type, id) = subject.parts();
            assert_eq!(subject_from_parts(subject_type, id).unwrap(), subject);
        }
        assert!(subject_from_parts("user", "x").is_err());
        assert!(
            subject_from_parts("account", "ou 1").is_err(),
            "an invalid stored id"
        );
    }

    #[test]
    fn counters_saturate_and_refuse_negative_values() {
        assert_eq!(to_i64(u64::MAX), i64::MAX);
        assert_eq!(to_i64(42), 42);
        assert!(to_u64(-1, "count").is_err());
    }
}
