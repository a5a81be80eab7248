//! JSON the simulator serves, shaped after Lark's documented payloads (samples in
//! `lark-reference/samples/`) and rendered from the simulator's own model — never from the client's
//! wire structs. Borrowing views serialise straight to bytes, which keeps 100k-user pulls cheap.

use serde::Serialize;

use super::gateway::LarkError;
use super::model::{SimI18nName, SimUser, SimUserStatus};
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
/// token: never `department_path` (user tokens only).
#[derive(Serialize)]
pub(crate) struct UserView<'a> {
    union_id: &'a str,
    user_id: &'a str,
    open_id: &'a str,
    name: &'a str,
    en_name: &'a str,
    nickname: &'a str,
    email: &'a str,
    mobile: &'a str,
    mobile_visible: bool,
    gender: u8,
    avatar: Avatar,
    status: &'a SimUserStatus,
    department_ids: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_user_id: Option<&'a str>,
    city: &'a str,
    country: &'a str,
    work_station: &'a str,
    join_time: i64,
    is_tenant_manager: bool,
    employee_no: &'a str,
    employee_type: u8,
    orders: Vec<Order<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    custom_attrs: Vec<CustomAttr<'a>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    enterprise_email: &'a str,
    job_title: &'a str,
    is_frozen: bool,
    geo: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dotted_line_leader_user_ids: Vec<&'a str>,
}

pub(crate) fn user<'a>(
    t: &'a Tenant,
    u: &'a SimUser,
    uid: UserIdType,
    did: DeptIdType,
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
    UserView {
        union_id: &u.union_id,
        user_id: &u.user_id,
        open_id: &u.open_id,
        name: &u.name,
        en_name: &u.en_name,
        nickname: &u.nickname,
        email: &u.email,
        mobile: &u.mobile,
        mobile_visible: u.mobile_visible,
        gender: u.gender,
        avatar: avatar(&u.avatar_url),
        status: &u.status,
        department_ids,
        leader_user_id: u
            .leader_open_id
            .as_deref()
            .and_then(|l| t.user_id_as(l, uid)),
        city: &u.city,
        country: &u.country,
        work_station: &u.work_station,
        join_time: u.join_time,
        is_tenant_manager: u.is_tenant_manager,
        employee_no: &u.employee_no,
        employee_type: u.employee_type,
        orders,
        custom_attrs: u
            .custom_attrs
            .iter()
            .map(|a| CustomAttr {
                kind: "TEXT",
                id: &a.id,
                value: CustomAttrValue { text: &a.text },
            })
            .collect(),
        enterprise_email: &u.enterprise_email,
        job_title: &u.job_title,
        is_frozen: u.status.is_frozen,
        geo: &u.geo,
        dotted_line_leader_user_ids: u
            .dotted_line_leader_open_ids
            .iter()
            .filter_map(|l| t.user_id_as(l, uid))
            .collect(),
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

/// A department object (`children`, `batch`, `departments/:id`).
#[derive(Serialize)]
pub(crate) struct DeptView<'a> {
    name: &'a str,
    i18n_name: &'a SimI18nName,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_department_id: Option<&'a str>,
    department_id: &'a str,
    open_department_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    leader_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    chat_id: &'a str,
    order: String,
    unit_ids: &'a [String],
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
) -> DeptView<'a> {
    let d = t.dept(idx);
    let leader = d
        .leader_open_id
        .as_deref()
        .and_then(|l| t.user_id_as(l, uid));
    DeptView {
        name: &d.name,
        i18n_name: &d.i18n_name,
        parent_department_id: (idx != ROOT).then(|| did.pick(t.dept(t.dept_parent(idx)))),
        department_id: &d.department_id,
        open_department_id: &d.open_department_id,
        leader_user_id: leader,
        chat_id: &d.chat_id,
        order: d.order.to_string(),
        unit_ids: &d.unit_ids,
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
