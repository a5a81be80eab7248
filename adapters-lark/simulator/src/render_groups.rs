//! JSON of the user-group APIs, shaped after the documented payloads (samples
//! `group_simplelist_feishu.json`, `group_member_simplelist.json`) and rendered from the
//! simulator's own model.

use serde::Serialize;

use super::model_groups::SimGroup;

/// A group: `grouplist[]` of `group/simplelist` (with `department_scope_list` and `group_id`),
/// or `group` of `group/:group_id` (without them, as that page documents).
#[derive(Serialize)]
pub(crate) struct GroupView<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    member_user_count: usize,
    member_department_count: usize,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    department_scope_list: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<&'a str>,
}

/// As listed by `group/simplelist`: department scope as `open_department_id`s.
pub(crate) fn listed(g: &SimGroup) -> GroupView<'_> {
    GroupView {
        department_scope_list: Some(&g.department_scope_list),
        group_id: Some(&g.group_id),
        ..single(g)
    }
}

/// As `group/:group_id` returns it.
pub(crate) fn single(g: &SimGroup) -> GroupView<'_> {
    GroupView {
        id: &g.id,
        name: &g.name,
        description: &g.description,
        member_user_count: g.member_user_ids.len(),
        member_department_count: g.member_department_ids.len(),
        kind: g.group_type.code(),
        department_scope_list: None,
        group_id: None,
    }
}

/// `data` of `group/simplelist`; `page_token` only while `has_more`.
#[derive(Serialize)]
pub(crate) struct GroupPage<'a> {
    pub(crate) grouplist: Vec<GroupView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) page_token: Option<String>,
    pub(crate) has_more: bool,
}

/// One `memberlist[]` entry. `member_id_type` is documented as "not returned in responses" but
/// appears in the documentation's own example; the simulator sends it, like the example.
#[derive(Serialize)]
pub(crate) struct MemberView<'a> {
    pub(crate) member_id: &'a str,
    pub(crate) member_type: &'static str,
    pub(crate) member_id_type: &'static str,
}

/// `data` of `group/:group_id/member/simplelist`.
#[derive(Serialize)]
pub(crate) struct MemberPage<'a> {
    pub(crate) memberlist: Vec<MemberView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) page_token: Option<String>,
    pub(crate) has_more: bool,
}

/// `data` of `group/:group_id`.
#[derive(Serialize)]
pub(crate) struct OneGroup<'a> {
    pub(crate) group: GroupView<'a>,
}
