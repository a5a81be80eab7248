//! Row ↔ domain conversions of user groups and installed apps (`directory_objects`) and of
//! their per-run counts.

use aviary_domain::model::{App, AppState, EntityCounts, Group, GroupState, SyncCounts};
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

pub(crate) fn group_values(group: &Group) -> Mapped<Vec<Expr>> {
    let state = &group.state;
    Ok(vec![
        Expr::val(group.integration_id.as_uuid()),
        Expr::val(KIND_GROUP),
        Expr::val(state.id.as_str()),
        Expr::val(state.name.clone()),
        Expr::val(to_json(state, "group state")?),
        Expr::val(to_json(&group.raw, "group raw JSON")?),
        Expr::val(group.content_hash.as_str()),
        Expr::val(micros(group.first_seen_at)),
        Expr::val(micros(group.last_changed_at)),
        Expr::val(group.removed_at.map(micros)),
        Expr::val(group.presence.as_str()),
    ])
}

pub(crate) fn app_values(app: &App) -> Mapped<Vec<Expr>> {
    let state = &app.state;
    Ok(vec![
        Expr::val(app.integration_id.as_uuid()),
        Expr::val(KIND_APP),
        Expr::val(state.app_id.as_str()),
        Expr::val(state.name.clone()),
        Expr::val(to_json(state, "app state")?),
        Expr::val(to_json(&app.raw, "app raw JSON")?),
        Expr::val(app.content_hash.as_str()),
        Expr::val(micros(app.first_seen_at)),
        Expr::val(micros(app.last_changed_at)),
        Expr::val(app.removed_at.map(micros)),
        Expr::val(app.presence.as_str()),
    ])
}

impl TrackedRow {
    pub(crate) fn into_group(self) -> Mapped<Group> {
        let t = self.decode::<GroupState>("group state")?;
        Ok(Group {
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

    pub(crate) fn into_app(self) -> Mapped<App> {
        let t = self.decode::<AppState>("app state")?;
        Ok(App {
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
