//! Department rows: every tracked field in a column of its own, Lark's JSON compressed once
//! (`raw_json.rs`; departments are few, so without a dictionary). Lists are JSON arrays, `NULL`
//! when empty.

use aviary_domain::model::{Department, DepartmentState, Presence};
use aviary_domain::values::{ContentHash, DepartmentId, IntegrationId, OpenId};
use sea_orm::sea_query::Expr;

use super::account_rows::{StoredRaw, items, list, open_id};
use super::{Mapped, MappingError, from_micros, micros, opt_from_micros, parse_text};
use crate::entities::departments;

/// Every column of a department, in the order of [`department_values`] and [`DepartmentRow`].
pub(crate) const DEPARTMENT_COLUMNS: [departments::Column; 17] = [
    departments::Column::IntegrationId,
    departments::Column::OpenDepartmentId,
    departments::Column::DepartmentId,
    departments::Column::Name,
    departments::Column::NameEn,
    departments::Column::ParentId,
    departments::Column::LeaderOpenId,
    departments::Column::LeaderOpenIds,
    departments::Column::MemberCount,
    departments::Column::SortOrder,
    departments::Column::Withheld,
    departments::Column::Raw,
    departments::Column::ContentHash,
    departments::Column::FirstSeenAt,
    departments::Column::LastChangedAt,
    departments::Column::RemovedAt,
    departments::Column::Presence,
];

/// The columns an upsert rewrites: all but the key.
pub(crate) fn department_update_columns() -> impl Iterator<Item = departments::Column> {
    DEPARTMENT_COLUMNS[2..].iter().copied()
}

/// The row values of a department whose raw JSON was compressed into `raw`.
pub(crate) fn department_values((department, raw): &(&Department, StoredRaw)) -> Mapped<Vec<Expr>> {
    let s = &department.state;
    let id = |value: Option<&str>| Expr::val(value.map(str::to_owned));
    Ok(vec![
        Expr::val(department.integration_id.as_uuid()),
        Expr::val(s.open_department_id.as_str()),
        Expr::val(s.department_id.clone()),
        Expr::val(s.name.clone()),
        Expr::val(s.name_en.clone()),
        id(s.parent_id.as_ref().map(DepartmentId::as_str)),
        id(s.leader_open_id.as_ref().map(OpenId::as_str)),
        Expr::val(list(s.leader_open_ids.iter().map(OpenId::as_str))),
        Expr::val(s.member_count),
        Expr::val(s.order),
        Expr::val(list(s.withheld.iter().map(|g| g.as_str()))),
        Expr::val(raw.bytes.clone()),
        Expr::val(department.content_hash.as_str()),
        Expr::val(micros(department.first_seen_at)),
        Expr::val(micros(department.last_changed_at)),
        Expr::val(department.removed_at.map(micros)),
        Expr::val(department.presence.as_str()),
    ])
}

/// A stored department as read: the entity's row, every column.
pub(crate) type DepartmentRow = departments::Model;

fn department_id(text: &str) -> Mapped<DepartmentId> {
    DepartmentId::parse(text).map_err(|err| MappingError(format!("stored department id: {err}")))
}

impl DepartmentRow {
    /// The department, with `raw` as its raw JSON (queries pass `Null`: they never show it).
    pub(crate) fn into_department(mut self, raw: serde_json::Value) -> Mapped<Department> {
        Ok(Department {
            integration_id: IntegrationId::from_uuid(self.integration_id),
            first_seen_at: from_micros(self.first_seen_at)?,
            last_changed_at: from_micros(self.last_changed_at)?,
            removed_at: opt_from_micros(self.removed_at)?,
            presence: parse_text::<Presence>(&self.presence)?,
            content_hash: ContentHash::from_stored(std::mem::take(&mut self.content_hash)),
            raw,
            state: self.into_state()?,
        })
    }

    fn into_state(self) -> Mapped<DepartmentState> {
        Ok(DepartmentState {
            open_department_id: department_id(&self.open_department_id)?,
            department_id: self.department_id,
            name: self.name,
            name_en: self.name_en,
            parent_id: self.parent_id.as_deref().map(department_id).transpose()?,
            leader_open_id: self.leader_open_id.as_deref().map(open_id).transpose()?,
            leader_open_ids: items(self.leader_open_ids.as_deref(), open_id)?,
            member_count: self.member_count,
            order: self.sort_order,
            withheld: items(self.withheld.as_deref(), parse_text)?,
        })
    }
}
