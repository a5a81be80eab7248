//! Account rows: every tracked field in a column of its own, Lark's JSON compressed once
//! (`raw_json.rs`). Lists are JSON arrays, `NULL` when empty; the roles are two flags.

use aviary_domain::model::{AccountState, AccountStatus, Presence, Role, UserAccount, UserProfile};
use aviary_domain::values::{ContentHash, DepartmentId, IntegrationId, OpenId};
use sea_orm::sea_query::Expr;

use super::{Mapped, MappingError, from_micros, micros, opt_from_micros, parse_text};
use crate::entities::accounts;

/// Lark's JSON of an account as stored: compressed, with the dictionary it needs.
#[derive(Debug, Clone)]
pub(crate) struct StoredRaw {
    pub bytes: Vec<u8>,
    pub dictionary: Option<i64>,
}

/// Every column of an account, in the order of [`account_values`] and of [`AccountRow`].
pub(crate) const ACCOUNT_COLUMNS: [accounts::Column; 35] = [
    accounts::Column::IntegrationId,
    accounts::Column::OpenId,
    accounts::Column::UnionId,
    accounts::Column::UserId,
    accounts::Column::Name,
    accounts::Column::EnName,
    accounts::Column::Nickname,
    accounts::Column::Email,
    accounts::Column::EnterpriseEmail,
    accounts::Column::Mobile,
    accounts::Column::Gender,
    accounts::Column::Status,
    accounts::Column::IsTenantAdmin,
    accounts::Column::IsDepartmentLeader,
    accounts::Column::DepartmentIds,
    accounts::Column::PrimaryDepartmentId,
    accounts::Column::Designation,
    accounts::Column::EmployeeNo,
    accounts::Column::EmployeeType,
    accounts::Column::LeaderOpenId,
    accounts::Column::DottedLineLeaderOpenIds,
    accounts::Column::City,
    accounts::Column::Country,
    accounts::Column::WorkStation,
    accounts::Column::Geo,
    accounts::Column::JoinTime,
    accounts::Column::AvatarUrl,
    accounts::Column::Withheld,
    accounts::Column::Raw,
    accounts::Column::RawDictionaryId,
    accounts::Column::ContentHash,
    accounts::Column::FirstSeenAt,
    accounts::Column::LastChangedAt,
    accounts::Column::RemovedAt,
    accounts::Column::Presence,
];

/// The columns an upsert rewrites: all but the key.
pub(crate) fn account_update_columns() -> impl Iterator<Item = accounts::Column> {
    ACCOUNT_COLUMNS[2..].iter().copied()
}

/// A list as a JSON array, `None` when empty.
pub(super) fn list<'a>(items: impl Iterator<Item = &'a str>) -> Option<String> {
    let texts: Vec<&str> = items.collect();
    // A list of strings always serialises.
    (!texts.is_empty()).then(|| serde_json::to_string(&texts).unwrap_or_default())
}

/// The row values of an account whose raw JSON was compressed into `raw`.
pub(crate) fn account_values((account, raw): &(&UserAccount, StoredRaw)) -> Mapped<Vec<Expr>> {
    let p = &account.state.profile;
    let roles = &account.state.roles;
    let text = |value: &Option<String>| Expr::val(value.clone());
    let id = |value: Option<&str>| Expr::val(value.map(str::to_owned));
    Ok(vec![
        Expr::val(account.integration_id.as_uuid()),
        Expr::val(p.open_id.as_str()),
        text(&p.union_id),
        text(&p.user_id),
        text(&p.name),
        text(&p.en_name),
        text(&p.nickname),
        text(&p.email),
        text(&p.enterprise_email),
        text(&p.mobile),
        Expr::val(p.gender),
        Expr::val(p.status.as_str()),
        Expr::val(roles.contains(&Role::TenantSuperAdmin)),
        Expr::val(roles.contains(&Role::DepartmentLeader)),
        Expr::val(list(p.department_ids.iter().map(DepartmentId::as_str))),
        id(p.primary_department_id.as_ref().map(DepartmentId::as_str)),
        text(&p.designation),
        text(&p.employee_no),
        Expr::val(p.employee_type),
        id(p.leader_open_id.as_ref().map(OpenId::as_str)),
        Expr::val(list(
            p.dotted_line_leader_open_ids.iter().map(OpenId::as_str),
        )),
        text(&p.city),
        text(&p.country),
        text(&p.work_station),
        text(&p.geo),
        Expr::val(p.join_time),
        text(&p.avatar_url),
        Expr::val(list(p.withheld.iter().map(|g| g.as_str()))),
        Expr::val(raw.bytes.clone()),
        Expr::val(raw.dictionary),
        Expr::val(account.content_hash.as_str()),
        Expr::val(micros(account.first_seen_at)),
        Expr::val(micros(account.last_changed_at)),
        Expr::val(account.removed_at.map(micros)),
        Expr::val(account.presence.as_str()),
    ])
}

/// A stored account as read: the entity's row, every column.
pub(crate) type AccountRow = accounts::Model;

/// The parsed items of a stored JSON array (`NULL`: none).
pub(super) fn items<T>(text: Option<&str>, parse: impl Fn(&str) -> Mapped<T>) -> Mapped<Vec<T>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let texts: Vec<String> = serde_json::from_str(text)
        .map_err(|err| MappingError(format!("stored list is not a JSON array: {err}")))?;
    texts.iter().map(|item| parse(item)).collect()
}

pub(super) fn open_id(text: &str) -> Mapped<OpenId> {
    OpenId::parse(text).map_err(|err| MappingError(format!("stored open id: {err}")))
}

fn department_id(text: &str) -> Mapped<DepartmentId> {
    DepartmentId::parse(text).map_err(|err| MappingError(format!("stored department id: {err}")))
}

impl AccountRow {
    /// The account, with `raw` as its raw JSON (listings pass `Null`: they never show it).
    pub(crate) fn into_account(mut self, raw: serde_json::Value) -> Mapped<UserAccount> {
        let roles = Role::derived(self.is_tenant_admin, self.is_department_leader);
        Ok(UserAccount {
            integration_id: IntegrationId::from_uuid(self.integration_id),
            first_seen_at: from_micros(self.first_seen_at)?,
            last_changed_at: from_micros(self.last_changed_at)?,
            removed_at: opt_from_micros(self.removed_at)?,
            presence: parse_text::<Presence>(&self.presence)?,
            content_hash: ContentHash::from_stored(std::mem::take(&mut self.content_hash)),
            raw,
            state: AccountState {
                profile: self.into_profile()?,
                roles,
            },
        })
    }

    fn into_profile(self) -> Mapped<UserProfile> {
        let optional_id = |text: Option<String>| text.as_deref().map(open_id).transpose();
        Ok(UserProfile {
            open_id: open_id(&self.open_id)?,
            union_id: self.union_id,
            user_id: self.user_id,
            name: self.name,
            en_name: self.en_name,
            nickname: self.nickname,
            email: self.email,
            enterprise_email: self.enterprise_email,
            mobile: self.mobile,
            gender: self.gender,
            status: parse_text::<AccountStatus>(&self.status)?,
            is_tenant_manager: self.is_tenant_admin,
            department_ids: items(self.department_ids.as_deref(), department_id)?,
            primary_department_id: self
                .primary_department_id
                .as_deref()
                .map(department_id)
                .transpose()?,
            designation: self.designation,
            employee_no: self.employee_no,
            employee_type: self.employee_type,
            leader_open_id: optional_id(self.leader_open_id)?,
            dotted_line_leader_open_ids: items(
                self.dotted_line_leader_open_ids.as_deref(),
                open_id,
            )?,
            city: self.city,
            country: self.country,
            work_station: self.work_station,
            geo: self.geo,
            join_time: self.join_time,
            avatar_url: self.avatar_url,
            withheld: items(self.withheld.as_deref(), parse_text)?,
        })
    }
}
