//! Row ↔ domain conversions of user groups and installed apps (`directory_objects`) and of
//! their per-run counts.

use aviary_domain::model::{App, EntityCounts, Group, Record, SyncCounts};
use sea_orm::sea_query::Expr;

use super::{Mapped, TrackedRow, from_json, micros, to_json};
use crate::entities::directory_objects;

/// `kind` of a user group's row.
pub(crate) const KIND_GROUP: &str = "group";
/// `kind` of an installed app's row.
pub(crate) const KIND_APP: &str = "app";

/// Columns written for a group or an app, in the order of [`group_values`] / [`app_values`].
pub(crate) const OBJECT_COLUMNS: [directory_objects::Column; 11] = [
    directory_objects::Column::IntegrationId,
    directory_objects::Column::Kind,
    directory_objects::Column::ObjectId,
    directory_objects::Column::Name,
    directory_objects::Column::StateJson,
    directory_objects::Column::RawJson,
    directory_objects::Column::ContentHash,
    directory_objects::Column::FirstSeenAt,
    directory_objects::Column::LastChangedAt,
    directory_objects::Column::RemovedAt,
    directory_objects::Column::Presence,
];

/// The columns a group or app is read back from ([`TrackedRow`]).
pub(crate) const OBJECT_ROW_COLUMNS: [directory_objects::Column; 8] = [
    directory_objects::Column::IntegrationId,
    directory_objects::Column::StateJson,
    directory_objects::Column::RawJson,
    directory_objects::Column::ContentHash,
    directory_objects::Column::FirstSeenAt,
    directory_objects::Column::LastChangedAt,
    directory_objects::Column::RemovedAt,
    directory_objects::Column::Presence,
];

/// The row values of a group or app: its kind, id and name, then the tracked columns.
fn object_values<S: serde::Serialize>(
    record: &Record<S>,
    kind: &'static str,
    id: &str,
    name: Option<&str>,
) -> Mapped<Vec<Expr>> {
    Ok(vec![
        Expr::val(record.integration_id.as_uuid()),
        Expr::val(kind),
        Expr::val(id),
        Expr::val(name.map(str::to_owned)),
        Expr::val(to_json(&record.state, "group or app state")?),
        Expr::val(to_json(&record.raw, "group or app raw JSON")?),
        Expr::val(record.content_hash.as_str()),
        Expr::val(micros(record.first_seen_at)),
        Expr::val(micros(record.last_changed_at)),
        Expr::val(record.removed_at.map(micros)),
        Expr::val(record.presence.as_str()),
    ])
}

pub(crate) fn group_values(group: &Group) -> Mapped<Vec<Expr>> {
    let s = &group.state;
    object_values(group, KIND_GROUP, s.id.as_str(), s.name.as_deref())
}

pub(crate) fn app_values(app: &App) -> Mapped<Vec<Expr>> {
    let s = &app.state;
    object_values(app, KIND_APP, s.app_id.as_str(), s.name.as_deref())
}

impl TrackedRow {
    /// A group or app from its row (`what` names the state in errors).
    pub(crate) fn into_record<S: serde::de::DeserializeOwned>(
        self,
        what: &'static str,
    ) -> Mapped<Record<S>> {
        let t = self.decode::<S>(what)?;
        Ok(Record {
            integration_id: t.integration_id,
            state: t.state,
            raw: t.raw,
            content_hash: t.content_hash,
            first_seen_at: t.first_seen_at,
            last_changed_at: t.last_changed_at,
            removed_at: t.removed_at,
            presence: t.presence,
        })
    }

    pub(crate) fn into_group(self) -> Mapped<Group> {
        self.into_record("group state")
    }

    pub(crate) fn into_app(self) -> Mapped<App> {
        self.into_record("app state")
    }
}

/// The stored form of a run's group and app counts.
#[derive(serde::Serialize, serde::Deserialize)]
struct ObjectCounts {
    groups: EntityCounts,
    apps: EntityCounts,
}

/// `object_counts_json` of a run: NULL when it counted no group and no app.
pub(crate) fn object_counts_json(counts: &SyncCounts) -> Option<String> {
    if counts.groups == EntityCounts::default() && counts.apps == EntityCounts::default() {
        return None;
    }
    // Serialising plain counters cannot fail.
    serde_json::to_string(&ObjectCounts {
        groups: counts.groups,
        apps: counts.apps,
    })
    .ok()
}

/// Group and app counts from `object_counts_json` (zero when NULL).
pub(crate) fn object_counts(text: Option<&str>) -> Mapped<(EntityCounts, EntityCounts)> {
    match text {
        None => Ok((EntityCounts::default(), EntityCounts::default())),
        Some(text) => {
            let counts: ObjectCounts = from_json(text, "group and app counts")?;
            Ok((counts.groups, counts.apps))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_counts_round_trip_and_are_null_when_zero() {
        let mut counts = SyncCounts::default();
        assert_eq!(object_counts_json(&counts), None);
        assert_eq!(
            object_counts(None).unwrap(),
            (EntityCounts::default(), EntityCounts::default())
        );
        counts.groups.added = 3;
        counts.apps.removed = 1;
        let text = object_counts_json(&counts).unwrap();
        let (groups, apps) = object_counts(Some(&text)).unwrap();
        assert_eq!((groups.added, apps.removed), (3, 1));
        assert!(object_counts(Some("{")).is_err());
    }
}
