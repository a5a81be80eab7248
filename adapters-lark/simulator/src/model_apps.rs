//! Applications installed in the simulated tenant (`application/v6/applications`,
//! `application/v2/app/visibility`): every field of the documented `application` item, plus the
//! app's availability ("可用范围"). The simulator's own app is one of them.

use serde::{Deserialize, Serialize};

use super::model::SimI18nName;

/// One permission of an app (`scopes[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimAppScope {
    /// E.g. `contact:user.base:readonly`.
    pub scope: String,
    /// Served in the request's `lang`.
    pub description: SimI18nName,
    /// 1 normal, 2 advanced, 3 super-sensitive, 0 unknown.
    pub level: u8,
}

/// One entry of `i18n[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimAppI18n {
    /// `zh_cn`, `en_us`, `ja_jp`, … (16 locales are documented).
    pub i18n_key: String,
    pub name: String,
    pub description: String,
    /// Help document URL; may be empty.
    pub help_use: String,
}

/// `owner`. Lark documents `name`, `help_desk`, `email` and `phone` as returned for store apps
/// only, and `customer_service_account` only when a store app configured it: empty here means
/// "not returned".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SimAppOwner {
    /// 0 Lark/Feishu itself, 1 a partner, 2 a member of the tenant.
    #[serde(rename = "type")]
    pub owner_type: u8,
    /// For type 2 the `open_id` of a tenant user (served in the request's `user_id_type`);
    /// otherwise an id from outside the tenant, served as stored.
    pub owner_id: String,
    pub name: String,
    pub help_desk: String,
    pub email: String,
    pub phone: String,
    pub customer_service_account: String,
}

/// Who may use the app (the admin console's availability), as
/// `application/v2/app/visibility` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SimAppVisibility {
    /// Visible to every member (`is_visible_to_all`).
    pub all: bool,
    /// `open_department_id`s.
    pub departments: Vec<String>,
    /// `open_id`s of users granted one by one.
    pub users: Vec<String>,
    /// Group `id`s (served as their custom `group_id`).
    pub groups: Vec<String>,
    /// The blocklist: `open_department_id`s.
    pub invisible_departments: Vec<String>,
    /// The blocklist: `open_id`s.
    pub invisible_users: Vec<String>,
    /// The blocklist: group `id`s.
    pub invisible_groups: Vec<String>,
}

/// An application installed in the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimApp {
    /// `cli_` + 16 lowercase hex; immutable.
    pub app_id: String,
    /// `open_id` of the tenant user who created it (served in the request's `user_id_type`;
    /// left out once that user is deleted).
    pub creator_id: String,
    /// 0 disabled, 1 enabled, 2 never enabled, 3 unknown.
    pub status: u8,
    /// 0 custom app, 1 store app, 2 personal store app, 3 unknown.
    pub scene_type: u8,
    /// 0 free, 1 paid.
    pub payment_type: u8,
    /// `developer_console`, `base`, …; documented as returned for Base apps only (`None`: left out).
    pub create_source: Option<String>,
    pub redirect_urls: Vec<String>,
    /// `oav_…`; empty when no version is online.
    pub online_version_id: String,
    /// `oav_…`; empty when no version is in review.
    pub unaudit_version_id: String,
    pub app_name: String,
    pub avatar_url: String,
    pub description: String,
    /// For the simulator's own app: always its enabled scopes (`TenantControl::app_scopes`).
    pub scopes: Vec<SimAppScope>,
    pub back_home_url: String,
    pub i18n: Vec<SimAppI18n>,
    /// `zh_cn`, `en_us` or `ja_jp`.
    pub primary_language: String,
    /// Served in the request's `lang`.
    pub common_categories: Vec<SimI18nName>,
    pub owner: SimAppOwner,
    /// `gadget`, `web_app` or `bot`.
    pub mobile_default_ability: String,
    /// `gadget`, `web_app` or `bot`.
    pub pc_default_ability: String,
    pub visibility: SimAppVisibility,
}

/// What a test (or the control HTTP surface) supplies to install an app; everything else is
/// generated (a custom app of the tenant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewApp {
    pub app_name: String,
    /// Generated (`cli_` + 16 hex) when absent.
    pub app_id: Option<String>,
    pub description: String,
    /// Default 1 (enabled).
    pub status: Option<u8>,
    /// Default 0 (custom app).
    pub scene_type: Option<u8>,
    /// Default: a tenant super administrator.
    pub creator_id: Option<String>,
    /// Scope names (descriptions and levels come from the simulator's vocabulary).
    pub scopes: Vec<String>,
    /// Default: visible to all.
    pub visibility: Option<SimAppVisibility>,
}

impl NewApp {
    /// An enabled custom app named `name`, visible to all.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            app_name: name.into(),
            ..Self::default()
        }
    }
}
