//! JSON of the installed-apps list (`application_v6_list_feishu.json`) and of the legacy
//! availability API, rendered from the simulator's own model. Scope descriptions and categories
//! follow the request's `lang`; names, descriptions and help links stay in the app's primary
//! language, as the list page says. Users are served in the request's `user_id_type`.

use serde::Serialize;

use super::model::SimI18nName;
use super::model_apps::{SimApp, SimAppI18n};
use super::tenant::{DeptIdType, Tenant, UserIdType};

/// The `lang` of the installed-apps list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    ZhCn,
    EnUs,
    JaJp,
}

impl Lang {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "zh_cn" => Some(Self::ZhCn),
            "en_us" => Some(Self::EnUs),
            "ja_jp" => Some(Self::JaJp),
            _ => None,
        }
    }

    fn pick(self, text: &SimI18nName) -> &str {
        match self {
            Self::ZhCn => &text.zh_cn,
            Self::EnUs => &text.en_us,
            Self::JaJp => &text.ja_jp,
        }
    }
}

#[derive(Serialize)]
struct ScopeView<'a> {
    scope: &'a str,
    description: &'a str,
    level: u8,
}

#[derive(Serialize)]
struct I18nView<'a> {
    i18n_key: &'a str,
    name: &'a str,
    description: &'a str,
    help_use: &'a str,
}

fn i18n(entry: &SimAppI18n) -> I18nView<'_> {
    I18nView {
        i18n_key: &entry.i18n_key,
        name: &entry.name,
        description: &entry.description,
        help_use: &entry.help_use,
    }
}

/// `owner`: the vendor fields only when set (store apps), an internal owner's id in the
/// requested type (left out once that user is gone).
#[derive(Serialize)]
struct OwnerView<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_id: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    help_desk: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    email: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    phone: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    customer_service_account: &'a str,
}

/// One `app_list[]` item.
#[derive(Serialize)]
pub(crate) struct AppView<'a> {
    app_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator_id: Option<&'a str>,
    status: u8,
    scene_type: u8,
    payment_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_source: Option<&'a str>,
    redirect_urls: &'a [String],
    online_version_id: &'a str,
    unaudit_version_id: &'a str,
    app_name: &'a str,
    avatar_url: &'a str,
    description: &'a str,
    scopes: Vec<ScopeView<'a>>,
    back_home_url: &'a str,
    i18n: Vec<I18nView<'a>>,
    primary_language: &'a str,
    common_categories: Vec<&'a str>,
    owner: OwnerView<'a>,
    mobile_default_ability: &'a str,
    pc_default_ability: &'a str,
}

pub(crate) fn app<'a>(t: &'a Tenant, a: &'a SimApp, uid: UserIdType, lang: Lang) -> AppView<'a> {
    let owner_id = if a.owner.owner_type == 2 {
        t.user_id_as(&a.owner.owner_id, uid)
    } else {
        Some(a.owner.owner_id.as_str()).filter(|id| !id.is_empty())
    };
    AppView {
        app_id: &a.app_id,
        creator_id: t.user_id_as(&a.creator_id, uid),
        status: a.status,
        scene_type: a.scene_type,
        payment_type: a.payment_type,
        create_source: a.create_source.as_deref(),
        redirect_urls: &a.redirect_urls,
        online_version_id: &a.online_version_id,
        unaudit_version_id: &a.unaudit_version_id,
        app_name: &a.app_name,
        avatar_url: &a.avatar_url,
        description: &a.description,
        scopes: a
            .scopes
            .iter()
            .map(|s| ScopeView {
                scope: &s.scope,
                description: lang.pick(&s.description),
                level: s.level,
            })
            .collect(),
        back_home_url: &a.back_home_url,
        i18n: a.i18n.iter().map(i18n).collect(),
        primary_language: &a.primary_language,
        common_categories: a.common_categories.iter().map(|c| lang.pick(c)).collect(),
        owner: OwnerView {
            kind: a.owner.owner_type,
            owner_id,
            name: &a.owner.name,
            help_desk: &a.owner.help_desk,
            email: &a.owner.email,
            phone: &a.owner.phone,
            customer_service_account: &a.owner.customer_service_account,
        },
        mobile_default_ability: &a.mobile_default_ability,
        pc_default_ability: &a.pc_default_ability,
    }
}

/// `data` of the installed-apps list. `total_count` is, as documented, the number of enabled
/// apps on this page — not a grand total.
#[derive(Serialize)]
pub(crate) struct AppPage<'a> {
    pub(crate) app_list: Vec<AppView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) page_token: Option<String>,
    pub(crate) has_more: bool,
    pub(crate) total_count: usize,
}

#[derive(Serialize)]
pub(crate) struct IdView<'a> {
    id: &'a str,
}

#[derive(Serialize)]
pub(crate) struct VisibleUser<'a> {
    /// Only for an app that may read user ids (`contact:user.employee_id:readonly`).
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    open_id: &'a str,
}

/// `data` of `application/v2/app/visibility`: flags as integers 1/0, departments by their custom
/// `department_id` (the field table's word; the example shows `od-` ids), groups by their custom
/// `group_id`, users as set one by one (never expanded from departments or groups).
#[derive(Serialize)]
pub(crate) struct VisibilityData<'a> {
    pub(crate) departments: Vec<IdView<'a>>,
    pub(crate) invisible_departments: Vec<IdView<'a>>,
    pub(crate) users: Vec<VisibleUser<'a>>,
    pub(crate) invisible_users: Vec<VisibleUser<'a>>,
    pub(crate) groups: Vec<IdView<'a>>,
    pub(crate) invisible_groups: Vec<IdView<'a>>,
    pub(crate) is_visible_to_all: u8,
    pub(crate) has_more_users: u8,
    pub(crate) user_page_token: String,
}

/// Departments (`open_department_id`s) as `[{id: department_id}]`, vanished ones left out.
pub(crate) fn department_ids<'a>(t: &'a Tenant, open_ids: &[String]) -> Vec<IdView<'a>> {
    open_ids
        .iter()
        .filter_map(|d| t.dept_idx(DeptIdType::OpenDepartmentId, d))
        .map(|d| IdView {
            id: &t.dept(d).department_id,
        })
        .collect()
}

/// Groups (`id`s) as `[{id: group_id}]`, vanished ones left out.
pub(crate) fn group_ids<'a>(t: &'a Tenant, ids: &[String]) -> Vec<IdView<'a>> {
    ids.iter()
        .filter_map(|g| t.group(t.group_by_path_id(g)?))
        .map(|g| IdView { id: &g.group_id })
        .collect()
}

/// Users (`open_id`s) as `[{user_id, open_id}]`, vanished ones left out.
pub(crate) fn users<'a>(
    t: &'a Tenant,
    open_ids: &[String],
    with_user_id: bool,
) -> Vec<VisibleUser<'a>> {
    open_ids
        .iter()
        .filter_map(|u| t.user_by_open_id(u))
        .map(|u| VisibleUser {
            user_id: with_user_id.then_some(u.user_id.as_str()),
            open_id: &u.open_id,
        })
        .collect()
}
