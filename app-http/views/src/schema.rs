//! How the views look in the API's OpenAPI document where the Rust type does not say it: the
//! fixed sets of values behind `&'static str` fields (built from the domain's own lists), and
//! the shapes of the domain types the views embed, mirrored here so that the domain crate
//! stays free of utoipa.

use aviary_domain::model;
use aviary_domain::usecases::doctor;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A schema named `$name`: a string that is one of `$values` (the API's own enums use it too).
#[macro_export]
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident = $values:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some($values))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
    ($(#[$doc:meta])* $name:ident: $domain:ty) => {
        $crate::text_enum!($(#[$doc])* $name = <$domain>::ALL.iter().map(|v| v.as_str()));
    };
}
pub use crate::text_enum;

text_enum!(
    /// Which brand of the platform the tenant lives on.
    Region: model::Region
);
text_enum!(
    /// An integration's health.
    IntegrationStatus: model::IntegrationStatus
);
text_enum!(
    /// An account's lifecycle state.
    AccountStatus: model::AccountStatus
);
text_enum!(
    /// What an account may do in the tenant.
    Role: model::Role
);
text_enum!(
    /// What started a run.
    RunTrigger: model::RunTrigger
);
text_enum!(
    /// Where a run stands.
    RunStatus: model::RunStatus
);
text_enum!(
    /// What happened to a record in a run.
    ChangeKind: model::ChangeKind
);
text_enum!(
    /// Whether a stored record is still in the directory as the app sees it, and if not, why.
    Presence: model::Presence
);
text_enum!(
    /// A set of fields behind one Lark permission.
    FieldGroup: model::FieldGroup
);
text_enum!(
    /// What accounts can be sorted by (`updated`: the last recorded change).
    SortKey: model::SortKey
);
text_enum!(
    /// A capability the permission doctor checks.
    Capability: doctor::Capability
);
text_enum!(
    /// How a check came out.
    Outcome: doctor::Outcome
);
text_enum!(
    /// A user group's kind (`dynamic`: members chosen by rules, users only).
    GroupKind: model::GroupKind
);
text_enum!(
    /// An installed app's status.
    AppStatus: model::AppStatus
);
text_enum!(
    /// Where an installed app comes from.
    AppScene: model::AppScene
);
text_enum!(
    /// Who owns an installed app.
    AppOwnerKind: model::AppOwnerKind
);
text_enum!(
    /// Which kind of record a change is about (`views::ChangeView`).
    SubjectType = model::Subject::TYPES
);

/// Current accounts per status: every status is there, zeros included.
#[derive(Debug)]
pub struct AccountCounts;

impl PartialSchema for AccountCounts {
    fn schema() -> RefOr<Schema> {
        model::AccountStatus::ALL
            .iter()
            .fold(ObjectBuilder::new(), |object, status| {
                object
                    .property(status.as_str(), u64::schema())
                    .required(status.as_str())
            })
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for AccountCounts {}

// The mirrors below follow the serialised shape of a domain type. `_mirrored` stops
// compiling when a field is added to or removed from one of them; the API tests
// (`app-http/tests/api/openapi.rs`) check the serialised keys against real responses.

/// Destructures every mirrored type without `..`.
#[allow(clippy::too_many_arguments)] // one per mirrored type, never called
fn _mirrored(
    entity: model::EntityCounts,
    sync: model::SyncCounts,
    api: model::ApiCounters,
    change: model::FieldChange,
    report: doctor::DoctorReport,
    check: doctor::Check,
    hold: model::Hold,
    departures: model::Departures,
    withheld: model::WithheldGroup,
) {
    let model::EntityCounts {
        added: _,
        changed: _,
        removed: _,
        restored: _,
        out_of_range: _,
        unchanged: _,
    } = entity;
    let model::Hold {
        accounts: _,
        accounts_stored: _,
        departments: _,
        departments_stored: _,
        groups: _,
        groups_stored: _,
        apps: _,
        apps_stored: _,
        withheld: _,
        threshold_percent: _,
    } = hold;
    let model::Departures {
        removed: _,
        out_of_range: _,
    } = departures;
    let model::WithheldGroup {
        group: _,
        permission: _,
        records: _,
        of: _,
    } = withheld;
    let model::SyncCounts {
        users: _,
        departments: _,
        groups: _,
        apps: _,
    } = sync;
    let model::ApiCounters {
        calls: _,
        retries: _,
        rate_limit_waits: _,
    } = api;
    let model::FieldChange {
        field: _,
        old: _,
        new: _,
    } = change;
    let doctor::DoctorReport {
        integration_id: _,
        label: _,
        checked_at: _,
        healthy: _,
        checks: _,
    } = report;
    let doctor::Check {
        capability: _,
        outcome: _,
        summary: _,
        fix: _,
        scope: _,
        days_left: _,
    } = check;
}

/// Added/changed/removed/restored/out-of-range/unchanged counts for one kind of record.
#[derive(Debug, ToSchema)]
pub struct EntityCounts {
    pub added: u64,
    pub changed: u64,
    /// Gone from the tenant.
    pub removed: u64,
    pub restored: u64,
    /// Left the app's contact range (still in the tenant).
    pub out_of_range: u64,
    pub unchanged: u64,
}

/// What a held run did not apply: departures above the threshold (per outcome), field groups
/// Lark stopped returning. Everything else the run found was applied.
#[derive(Debug, ToSchema)]
pub struct Hold {
    /// Accounts the run would have marked.
    pub accounts: Departures,
    /// Present accounts before the run (the threshold's base).
    pub accounts_stored: u64,
    pub departments: Departures,
    pub departments_stored: u64,
    /// User groups the run would have marked.
    pub groups: Departures,
    pub groups_stored: u64,
    /// Installed apps the run would have marked.
    pub apps: Departures,
    pub apps_stored: u64,
    /// Field groups withheld above the threshold; their stored values were kept.
    pub withheld: Vec<WithheldGroup>,
    pub threshold_percent: f64,
}

/// How many records would go, per outcome.
#[derive(Debug, ToSchema)]
pub struct Departures {
    pub removed: u64,
    pub out_of_range: u64,
}

/// A field group Lark stopped returning.
#[derive(Debug, ToSchema)]
pub struct WithheldGroup {
    pub group: FieldGroup,
    /// The Lark permission that returns it.
    pub permission: String,
    /// Records whose stored values Lark no longer returns…
    pub records: u64,
    /// …of those listed whose values were known before.
    pub of: u64,
}

/// A run's counts, for users, departments, user groups and installed apps.
#[derive(Debug, ToSchema)]
pub struct SyncCounts {
    pub users: EntityCounts,
    pub departments: EntityCounts,
    pub groups: EntityCounts,
    pub apps: EntityCounts,
}

/// How hard a run worked the Lark API.
#[derive(Debug, ToSchema)]
pub struct ApiCounters {
    pub calls: u64,
    pub retries: u64,
    pub rate_limit_waits: u64,
}

/// One field's old and new value (any JSON; `null` when absent).
#[derive(Debug, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[schema(required)]
    pub old: serde_json::Value,
    #[schema(required)]
    pub new: serde_json::Value,
}

/// The permission doctor's report for one integration.
#[derive(Debug, ToSchema)]
pub struct DoctorReport {
    #[schema(format = "uuid")]
    pub integration_id: String,
    pub label: String,
    pub checked_at: chrono::DateTime<chrono::Utc>,
    /// Whether nothing is missing and every check could run (warnings allowed).
    pub healthy: bool,
    /// One per capability, in a fixed order.
    pub checks: Vec<Check>,
}

/// One capability, checked.
#[derive(Debug, ToSchema)]
pub struct Check {
    pub capability: Capability,
    pub outcome: Outcome,
    /// What was found, in plain words.
    pub summary: String,
    /// The step that fixes it; present whenever the outcome is not `ok`.
    #[schema(required)]
    pub fix: Option<String>,
    /// The Lark permission (scope) concerned, when one is.
    #[schema(required)]
    pub scope: Option<String>,
    /// `user_login` only (left out otherwise): whole days left before Lark's 365-day limit on
    /// the grant.
    #[schema(nullable = false)]
    pub days_left: Option<i64>,
}
