//! JSON the simulator serves, shaped after Lark's documented payloads (samples in
//! `adapters-lark/tests/fixtures/`) and rendered from the simulator's own model — never from the client's
//! wire structs. Borrowing views serialise straight to bytes, which keeps 100k-user pulls cheap.

use serde::Serialize;

use super::gateway::LarkError;
use super::model::{SimI18nName, SimUser, SimUserStatus};
use super::permissions::Fields;
use super::tenant::{DeptIdType, MemberCounts, ROOT, Tenant, UserIdType};

#[derive(Serialize)]
struct Envelope<T> {
    code: i64,
    msg: &'static str,
    data: T,
}

/// `{"code":0,"msg":"success","data":…}` as bytes.
pub(crate) fn ok<T: Serialize>(data: T) -> Result<Vec<u8>, LarkError> {
    serde_json::to_vec(&Envelope {
        code: 0,
        msg: "success",
        data,
    })
    .map_err(|_| LarkError::internal())
}

/// `data` of paged listings; `page_token` is absent on the last page, like Lark.
#[derive(Serialize)]
pub(crate) struct Page<T> {
    pub(crate) has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) page_token: Option<String>,
    pub(crate) items: Vec<T>,
}

#[derive(Serialize)]
pub(crate) struct Avatar {
    avatar_72: String,
    avatar_240: String,
    avatar_640: String,
    avatar_origin: String,
}

pub(crate) fn avatar(base: &str) -> Avatar {
    Avatar {
        avatar_72: format!("{base}~72x72.png"),
        avatar_240: format!("{base}~240x240.png"),
        avatar_640: format!("{base}~640x640.png"),
        avatar_origin: format!("{base}~origin.png"),
    }
}

#[derive(Serialize)]
struct Order<'a> {
    department_id: &'a str,
    user_order: i64,
    department_order: i64,
    is_primary_dept: bool,
}

#[derive(Serialize)]
struct CustomAttrValue<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct CustomAttr<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    value: CustomAttrValue<'a>,
}

/// A user object as `find_by_department`, `users/batch` and `users/:id` return it with a tenant
/// token: never `department_path` (user tokens only). A field whose field scope the app lacks
/// is left out (`None`), as Lark does.
#[derive(Serialize)]
pub(crate) struct UserView<'a> {
    union_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    open_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    en_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile: Option<&'a str>,
    mobile_visible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    gender: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<Avatar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a SimUserStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    department_ids: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    work_station: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    join_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_tenant_manager: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    employee_no: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    employee_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    orders: Option<Vec<Order<'a>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    custom_attrs: Vec<CustomAttr<'a>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    enterprise_email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_title: Option<&'a str>,
    is_frozen: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    geo: Option<&'a str>,
    /// Sent whenever the permission is granted (`[]` without a dotted-line manager): an absent
    /// key means a withheld field (docs/lark-fidelity.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    dotted_line_leader_user_ids: Option<Vec<&'a str>>,
}

pub(crate) fn user<'a>(
    t: &'a Tenant,
    u: &'a SimUser,
    uid: UserIdType,
    did: DeptIdType,
    fields: Fields,
) -> UserView<'a> {
    let department_ids: Vec<&str> = u
        .department_ids
        .iter()
        .map(|d| t.dept_id_as(d, did))
        .collect();
    let n = department_ids.len() as i64;
    let orders = department_ids
        .iter()
        .enumerate()
        .map(|(i, &d)| Order {
            department_id: d,
            user_order: u.user_order,
            // The primary department has the highest department_order (Lark's definition).
            department_order: (n - i as i64) * 100,
            is_primary_dept: i == 0,
        })
        .collect();
    let base = fields.user_base;
    let dept = fields.user_department;
    let emp = fields.employee;
    UserView {
        union_id: &u.union_id,
        user_id: fields.user_id.then_some(u.user_id.as_str()),
        open_id: &u.open_id,
        name: base.then_some(u.name.as_str()),
        en_name: base.then_some(u.en_name.as_str()),
        nickname: base.then_some(u.nickname.as_str()),
        email: fields.email.then_some(u.email.as_str()),
        mobile: fields.mobile.then_some(u.mobile.as_str()),
        mobile_visible: u.mobile_visible,
        gender: fields.gender.then_some(u.gender),
        avatar: base.then(|| avatar(&u.avatar_url)),
        status: emp.then_some(&u.status),
        department_ids: dept.then_some(department_ids),
        leader_user_id: u
            .leader_open_id
            .as_deref()
            .filter(|_| dept)
            .and_then(|l| t.user_id_as(l, uid)),
        city: emp.then_some(u.city.as_str()),
        country: emp.then_some(u.country.as_str()),
        work_station: emp.then_some(u.work_station.as_str()),
        join_time: emp.then_some(u.join_time),
        is_tenant_manager: emp.then_some(u.is_tenant_manager),
        employee_no: fields.employee_no.then_some(u.employee_no.as_str()),
        employee_type: emp.then_some(u.employee_type),
        orders: dept.then_some(orders),
        custom_attrs: u
            .custom_attrs
            .iter()
            .filter(|_| emp)
            .map(|a| CustomAttr {
                kind: "TEXT",
                id: &a.id,
                value: CustomAttrValue { text: &a.text },
            })
            .collect(),
        enterprise_email: if emp { &u.enterprise_email } else { "" },
        job_title: emp.then_some(u.job_title.as_str()),
        is_frozen: u.status.is_frozen,
        geo: fields.geo.then_some(u.geo.as_str()),
        dotted_line_leader_user_ids: fields.dotted_line.then(|| {
            u.dotted_line_leader_open_ids
                .iter()
                .filter_map(|l| t.user_id_as(l, uid))
                .collect()
        }),
    }
}

#[derive(Serialize)]
struct DeptStatus {
    is_deleted: bool,
}

#[derive(Serialize)]
struct Leader<'a> {
    #[serde(rename = "leaderType")]
    leader_type: u8,
    #[serde(rename = "leaderID")]
    leader_id: &'a str,
}

/// A department object (`children`, `batch`, `departments/:id`); fields whose scope the app
/// lacks are left out.
#[derive(Serialize)]
pub(crate) struct DeptView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    i18n_name: Option<&'a SimI18nName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_department_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    department_id: Option<&'a str>,
    open_department_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    chat_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_ids: Option<&'a [String]>,
    member_count: u32,
    primary_member_count: u32,
    status: DeptStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    leaders: Vec<Leader<'a>>,
}

pub(crate) fn department<'a>(
    t: &'a Tenant,
    idx: usize,
    counts: &MemberCounts,
    uid: UserIdType,
    did: DeptIdType,
    fields: Fields,
) -> DeptView<'a> {
    let d = t.dept(idx);
    let (base, organize) = (fields.department_base, fields.department_organize);
    let leader = d
        .leader_open_id
        .as_deref()
        .filter(|_| organize)
        .and_then(|l| t.user_id_as(l, uid));
    DeptView {
        name: base.then_some(d.name.as_str()),
        i18n_name: base.then_some(&d.i18n_name),
        parent_department_id: (idx != ROOT && organize)
            .then(|| did.pick(t.dept(t.dept_parent(idx)))),
        department_id: base.then_some(d.department_id.as_str()),
        open_department_id: &d.open_department_id,
        leader_user_id: leader,
        chat_id: if base { &d.chat_id } else { "" },
        order: organize.then(|| d.order.to_string()),
        unit_ids: organize.then_some(d.unit_ids.as_slice()),
        member_count: counts.members.get(idx).copied().unwrap_or(0),
        primary_member_count: counts.primary.get(idx).copied().unwrap_or(0),
        status: DeptStatus { is_deleted: false },
        leaders: leader
            .map(|l| Leader {
                leader_type: 1,
                leader_id: l,
            })
            .into_iter()
            .collect(),
    }
}
