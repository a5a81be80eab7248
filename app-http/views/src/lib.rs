//! Stable JSON shapes shared by the CLI (`--output json`) and the HTTP API, a contract
//! scripts rely on: plain serialisable views of the domain's entities. Secrets never appear
//! here. The views the API answers with derive `ToSchema` for its OpenAPI document; their
//! `Option` fields are serialised as `null`, never left out, hence `#[schema(required)]`.

pub mod change_cursor;
pub mod csv;
pub mod cursor;
pub mod inventory;
pub mod schema;
pub mod tree;

use std::collections::HashMap;

use aviary_domain::model::ApiKey;
use aviary_domain::model::{
    ApiCounters, ChangePage, ChangeRecord, Department, FieldChange, HeldSubject, Hold, Integration,
    IntegrationSummary, SyncCounts, SyncRun, UserAccount,
};
use aviary_domain::usecases::sync::SyncReport;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// An integration (never its App Secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    #[schema(format = "uuid")]
    pub id: String,
    pub label: String,
    #[schema(value_type = schema::Region)]
    pub region: &'static str,
    /// Replaces Lark's hosts (a private deployment, a simulator); null: the region's.
    #[schema(required)]
    pub base_url: Option<String>,
    pub app_id: String,
    #[schema(value_type = schema::IntegrationStatus)]
    pub status: &'static str,
    #[schema(required)]
    pub tenant_name: Option<String>,
    #[schema(required)]
    pub tenant_key: Option<String>,
    /// The Lark user whose login connected it ("Name <email>"); null if never connected.
    #[schema(required)]
    pub authorized_by: Option<String>,
    /// Minutes between scheduled syncs; null: on demand only.
    #[schema(required)]
    pub sync_interval_minutes: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Integration> for IntegrationView {
    fn from(i: &Integration) -> Self {
        Self::from(&i.summary)
    }
}

impl From<&IntegrationSummary> for IntegrationView {
    fn from(i: &IntegrationSummary) -> Self {
        Self {
            id: i.id.to_string(),
            label: i.label.to_string(),
            region: i.region.as_str(),
            base_url: i.base_url.as_ref().map(ToString::to_string),
            app_id: i.app_id.to_string(),
            status: i.status.as_str(),
            tenant_name: i.tenant.as_ref().map(|t| t.name.clone()),
            tenant_key: i.tenant.as_ref().map(|t| t.tenant_key.clone()),
            authorized_by: i.authorized_by.clone(),
            sync_interval_minutes: i.sync_interval_minutes(),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// A department an account belongs to, with its name when known.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentRef {
    pub id: String,
    #[schema(required)]
    pub name: Option<String>,
}

impl DepartmentRef {
    /// The name to show people: the department's name, `(root)` for users directly under the
    /// tenant root, else the id.
    pub fn display(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None if self.id == "0" => "(root)".to_owned(),
            None => self.id.clone(),
        }
    }
}

/// An account of the tenant (removed ones too: `removed_at`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub open_id: String,
    #[schema(required)]
    pub union_id: Option<String>,
    #[schema(required)]
    pub user_id: Option<String>,
    #[schema(required)]
    pub name: Option<String>,
    #[schema(required)]
    pub en_name: Option<String>,
    #[schema(required)]
    pub nickname: Option<String>,
    #[schema(required)]
    pub email: Option<String>,
    #[schema(required)]
    pub enterprise_email: Option<String>,
    #[schema(required)]
    pub mobile: Option<String>,
    #[schema(value_type = schema::AccountStatus)]
    pub status: &'static str,
    #[schema(value_type = Vec<schema::Role>)]
    pub roles: Vec<&'static str>,
    pub is_tenant_manager: bool,
    pub departments: Vec<DepartmentRef>,
    #[schema(required)]
    pub primary_department_id: Option<String>,
    #[schema(required)]
    pub designation: Option<String>,
    #[schema(required)]
    pub employee_no: Option<String>,
    #[schema(required)]
    pub employee_type: Option<i64>,
    #[schema(required)]
    pub leader_open_id: Option<String>,
    #[schema(required)]
    pub city: Option<String>,
    #[schema(required)]
    pub country: Option<String>,
    #[schema(required)]
    pub join_time: Option<i64>,
    pub first_seen_at: DateTime<Utc>,
    pub last_changed_at: DateTime<Utc>,
    /// When it stopped being `present`; null while present.
    #[schema(required)]
    pub removed_at: Option<DateTime<Utc>>,
    /// `present`, `removed` (gone from the tenant) or `out_of_range` (outside the app's contact
    /// range: still in the tenant).
    #[schema(value_type = schema::Presence)]
    pub presence: &'static str,
    /// Field groups whose values are unknown: Lark withheld them and none was ever known (the
    /// fields read `null`, the status `unknown`). Usually empty.
    #[schema(value_type = Vec<schema::FieldGroup>)]
    pub unknown_fields: Vec<&'static str>,
}

/// Department names by `open_department_id`, to show names next to ids.
pub type DepartmentNames = HashMap<String, Option<String>>;

pub fn department_names(departments: &[Department]) -> DepartmentNames {
    departments
        .iter()
        .map(|d| (d.state.open_department_id.to_string(), d.state.name.clone()))
        .collect()
}

/// [`DepartmentNames`] of every outlined department (`Queries::department_outlines`).
pub fn outline_names(departments: &[aviary_domain::model::DepartmentOutline]) -> DepartmentNames {
    departments
        .iter()
        .map(|d| (d.open_department_id.to_string(), d.name.clone()))
        .collect()
}

/// [`DepartmentNames`] from the names a query found (`Queries::department_names`).
pub fn found_department_names(
    found: HashMap<aviary_domain::values::DepartmentId, Option<String>>,
) -> DepartmentNames {
    found
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect()
}

/// The departments the [`AccountView`]s of `accounts` name, each once: all a page of them
/// needs from [`DepartmentNames`].
pub fn named_departments<'a>(
    accounts: impl IntoIterator<Item = &'a UserAccount>,
) -> Vec<aviary_domain::values::DepartmentId> {
    let mut ids: Vec<_> = accounts
        .into_iter()
        .flat_map(|a| a.state.profile.department_ids.iter().cloned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

impl AccountView {
    pub fn new(account: &UserAccount, names: &DepartmentNames) -> Self {
        let p = &account.state.profile;
        Self {
            open_id: p.open_id.to_string(),
            union_id: p.union_id.clone(),
            user_id: p.user_id.clone(),
            name: p.name.clone(),
            en_name: p.en_name.clone(),
            nickname: p.nickname.clone(),
            email: p.email.clone(),
            enterprise_email: p.enterprise_email.clone(),
            mobile: p.mobile.clone(),
            status: p.status.as_str(),
            roles: account.state.roles.iter().map(|r| r.as_str()).collect(),
            is_tenant_manager: p.is_tenant_manager,
            departments: p
                .department_ids
                .iter()
                .map(|id| DepartmentRef {
                    id: id.to_string(),
                    name: names.get(id.as_str()).cloned().flatten(),
                })
                .collect(),
            primary_department_id: p.primary_department_id.as_ref().map(ToString::to_string),
            designation: p.designation.clone(),
            employee_no: p.employee_no.clone(),
            employee_type: p.employee_type,
            leader_open_id: p.leader_open_id.as_ref().map(ToString::to_string),
            city: p.city.clone(),
            country: p.country.clone(),
            join_time: p.join_time,
            first_seen_at: account.first_seen_at,
            last_changed_at: account.last_changed_at,
            removed_at: account.removed_at,
            presence: account.presence.as_str(),
            unknown_fields: p.withheld.iter().map(|g| g.as_str()).collect(),
        }
    }
}

/// A department (removed ones only with `include_removed`).
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub id: String,
    #[schema(required)]
    pub department_id: Option<String>,
    #[schema(required)]
    pub name: Option<String>,
    #[schema(required)]
    pub parent_id: Option<String>,
    #[schema(required)]
    pub leader_open_id: Option<String>,
    #[schema(required)]
    pub member_count: Option<i64>,
    #[schema(required)]
    pub removed_at: Option<DateTime<Utc>>,
    #[schema(value_type = schema::Presence)]
    pub presence: &'static str,
}

impl From<&Department> for DepartmentView {
    fn from(d: &Department) -> Self {
        Self {
            id: d.state.open_department_id.to_string(),
            department_id: d.state.department_id.clone(),
            name: d.state.name.clone(),
            parent_id: d.state.parent_id.as_ref().map(ToString::to_string),
            leader_open_id: d.state.leader_open_id.as_ref().map(ToString::to_string),
            member_count: d.state.member_count,
            removed_at: d.removed_at,
            presence: d.presence.as_str(),
        }
    }
}

/// One change to one account, department, user group or installed app in one run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    #[schema(format = "uuid")]
    pub run_id: String,
    #[schema(value_type = schema::SubjectType)]
    pub subject_type: &'static str,
    /// The account's `open_id`, the department's `open_department_id`, the group's `id` or
    /// the app's `app_id`.
    pub subject_id: String,
    #[schema(value_type = schema::ChangeKind)]
    pub kind: &'static str,
    /// The fields that changed (`changed` records; empty otherwise).
    #[schema(value_type = Vec<schema::FieldChange>)]
    pub fields: Vec<FieldChange>,
    pub recorded_at: DateTime<Utc>,
}

impl From<&ChangeRecord> for ChangeView {
    fn from(c: &ChangeRecord) -> Self {
        let (subject_type, subject_id) = c.subject.parts();
        Self {
            subject_id: subject_id.to_owned(),
            run_id: c.run_id.to_string(),
            subject_type,
            kind: c.kind.as_str(),
            fields: c.fields.clone(),
            recorded_at: c.recorded_at,
        }
    }
}

/// One sync run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub integration_id: String,
    #[schema(value_type = schema::RunTrigger)]
    pub trigger: &'static str,
    #[schema(value_type = schema::RunStatus)]
    pub status: &'static str,
    pub started_at: DateTime<Utc>,
    /// null while running.
    #[schema(required)]
    pub finished_at: Option<DateTime<Utc>>,
    #[schema(required)]
    pub duration_ms: Option<i64>,
    #[schema(value_type = schema::SyncCounts)]
    pub counts: SyncCounts,
    #[schema(value_type = schema::ApiCounters)]
    pub api: ApiCounters,
    /// Why the run failed or was held, in plain words.
    #[schema(required)]
    pub error: Option<String>,
    /// What the run went on despite, in plain words; usually empty.
    pub warnings: Vec<String>,
    /// A held run: what it did not apply; null for every other run.
    #[schema(required, value_type = Option<schema::Hold>)]
    pub hold: Option<Hold>,
    /// The held run this run confirmed, and who confirmed it; null unless it confirmed one.
    #[schema(required, format = "uuid")]
    pub confirms: Option<String>,
    #[schema(required)]
    pub confirmed_by: Option<String>,
}

impl From<&SyncRun> for RunView {
    fn from(r: &SyncRun) -> Self {
        Self {
            id: r.id.to_string(),
            integration_id: r.integration_id.to_string(),
            trigger: r.trigger.as_str(),
            status: r.status.as_str(),
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: r.finished_at.map(|f| (f - r.started_at).num_milliseconds()),
            counts: r.counts,
            api: r.api,
            error: r.error.clone(),
            warnings: r.warnings.clone(),
            hold: r.hold.clone(),
            confirms: r.confirms.map(|id| id.to_string()),
            confirmed_by: r.confirmed_by.clone(),
        }
    }
}

/// One record a held run would have marked.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldSubjectView {
    #[schema(value_type = schema::SubjectType)]
    pub subject_type: &'static str,
    pub subject_id: String,
    /// `removed` or `out_of_range`.
    #[schema(value_type = schema::Presence)]
    pub outcome: &'static str,
}

impl From<&HeldSubject> for HeldSubjectView {
    fn from(h: &HeldSubject) -> Self {
        let (subject_type, subject_id) = h.subject.parts();
        Self {
            subject_type,
            subject_id: subject_id.to_owned(),
            outcome: h.outcome.as_str(),
        }
    }
}

/// A user group an account belongs to (itself, or through a department).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupRef {
    pub id: String,
    #[schema(required)]
    pub name: Option<String>,
}

impl From<&aviary_domain::model::Group> for GroupRef {
    fn from(g: &aviary_domain::model::Group) -> Self {
        Self {
            id: g.state.id.as_str().to_owned(),
            name: g.state.name.clone(),
        }
    }
}

/// `aviary accounts show`, `GET …/accounts/{open_id}`: an account with the user groups it
/// belongs to and its change history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountWithHistoryView {
    #[schema(format = "uuid")]
    pub integration_id: String,
    #[serde(flatten)]
    pub account: AccountView,
    /// The present user groups it belongs to, itself or through one of its departments.
    pub groups: Vec<GroupRef>,
    pub history: Vec<ChangeView>,
}

/// `aviary runs show`, `GET /api/v1/runs/{run_id}`: a run with a page of the changes it
/// recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunWithChangesView {
    #[serde(flatten)]
    pub run: RunView,
    /// One page of the changes the run recorded, in the order it recorded them.
    pub changes: Vec<ChangeView>,
    /// The cursor of the next page of changes (opaque; send it back as `cursor`); null when
    /// this page holds the run's last changes.
    #[schema(required)]
    pub next_cursor: Option<String>,
    /// A held run: the records it would have marked (accounts first, at most 1000; `hold`
    /// counts them all). Empty for every other run.
    pub held: Vec<HeldSubjectView>,
}

impl RunWithChangesView {
    /// `run` with one page of its changes (and the cursor of the next) and, for a held run,
    /// the records it held.
    pub fn new(run: &SyncRun, page: &ChangePage, held: &[HeldSubject]) -> Self {
        Self {
            run: RunView::from(run),
            changes: page.changes.iter().map(ChangeView::from).collect(),
            next_cursor: page.next.map(|after| change_cursor::encode(run.id, after)),
            held: held.iter().map(HeldSubjectView::from).collect(),
        }
    }
}

/// `aviary sync --output json`: the run plus what only a live run knows.
#[derive(Debug, Serialize)]
pub struct SyncView {
    #[serde(flatten)]
    pub run: RunView,
    pub dry_run: bool,
    /// Dry runs: the first changes that would be recorded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preview: Vec<ChangeView>,
}

impl From<&SyncReport> for SyncView {
    fn from(report: &SyncReport) -> Self {
        Self {
            run: RunView::from(&report.run),
            dry_run: report.dry_run,
            preview: report.preview.iter().map(ChangeView::from).collect(),
        }
    }
}

/// One line per changed field: `field: old → new`.
pub fn describe_fields(fields: &[FieldChange]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {} → {}", f.field, compact(&f.old), compact(&f.new)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn compact(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `aviary key list|revoke`: an API key without its secret (only the display prefix).
#[derive(Debug, Serialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    /// `read`, `sync` or `manage`.
    pub scope: &'static str,
    /// An admin's email, `command line`, or `not recorded` (keys older than this field).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ApiKey> for ApiKeyView {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name.to_string(),
            prefix: k.prefix.to_string(),
            scope: k.scope.as_str(),
            created_by: k.created_by.to_string(),
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// `aviary admin create|list`: an admin user without their password hash.
#[derive(Debug, Serialize)]
pub struct AdminView {
    pub id: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl From<&aviary_domain::model::Admin> for AdminView {
    fn from(a: &aviary_domain::model::Admin) -> Self {
        Self {
            id: a.id.to_string(),
            email: a.email.to_string(),
            created_at: a.created_at,
            last_sign_in_at: a.last_sign_in_at,
            failed_attempts: a.failed_attempts,
            locked_until: a.locked_until,
        }
    }
}
