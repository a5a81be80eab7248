//! The tenant's installed applications (`admin:app.info:readonly`): an app's details as Lark
//! reports them (`AppState`) and the stored row (`App`).

use super::integration::text_enum;
use crate::values::{DepartmentId, InstalledAppId, OpenId};

text_enum!(
    /// Lark's app `status`.
    AppStatus, "app status" {
        Disabled => "disabled",
        Enabled => "enabled",
        NotEnabled => "not_enabled",
        Unknown => "unknown",
    }
);

text_enum!(
    /// Lark's app `scene_type`: where the app comes from.
    AppScene, "app scene" {
        /// Built by the tenant (a custom app).
        Custom => "custom",
        /// From the app store.
        Store => "store",
        /// From the store, for personal use.
        PersonalStore => "personal_store",
        Unknown => "unknown",
    }
);

text_enum!(
    /// Lark's app `owner.type`.
    AppOwnerKind, "app owner kind" {
        /// Lark (Feishu) itself.
        Lark => "lark",
        /// A partner.
        Partner => "partner",
        /// A member of the tenant.
        Member => "member",
        Unknown => "unknown",
    }
);

impl AppStatus {
    /// From Lark's `status` number (0 disabled, 1 enabled, 2 not enabled).
    pub fn from_lark(value: Option<i64>) -> Self {
        match value {
            Some(0) => Self::Disabled,
            Some(1) => Self::Enabled,
            Some(2) => Self::NotEnabled,
            _ => Self::Unknown,
        }
    }
}

impl AppScene {
    /// From Lark's `scene_type` number (0 custom, 1 store, 2 personal store).
    pub fn from_lark(value: Option<i64>) -> Self {
        match value {
            Some(0) => Self::Custom,
            Some(1) => Self::Store,
            Some(2) => Self::PersonalStore,
            _ => Self::Unknown,
        }
    }
}

impl AppOwnerKind {
    /// From Lark's `owner.type` number (0 Lark/Feishu, 1 partner, 2 internal member).
    pub fn from_lark(value: Option<i64>) -> Self {
        match value {
            Some(0) => Self::Lark,
            Some(1) => Self::Partner,
            Some(2) => Self::Member,
            _ => Self::Unknown,
        }
    }
}

/// Who owns an app.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppOwner {
    pub kind: AppOwnerKind,
    /// A tenant member owner's `open_id`.
    pub open_id: Option<OpenId>,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Who may use an app (its availability), where Lark tells: everyone, or the listed
/// departments (as Lark names them: custom or open department ids, its docs disagree), users
/// and groups (custom group ids).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppVisibility {
    pub everyone: bool,
    pub departments: Vec<DepartmentId>,
    /// Users granted one by one (not those of the listed departments and groups).
    pub users: Vec<OpenId>,
    pub groups: Vec<String>,
}

/// An installed application as Lark reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppState {
    pub app_id: InstalledAppId,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: AppStatus,
    pub scene: AppScene,
    /// Free or paid, as Lark says (`payment_type` 0/1).
    pub paid: Option<bool>,
    /// Where it was made (`create_source`: developer_console, base, app_engine, …).
    pub create_source: Option<String>,
    pub creator_open_id: Option<OpenId>,
    pub owner: Option<AppOwner>,
    /// The permissions it holds, sorted.
    pub scopes: Vec<String>,
    pub primary_language: Option<String>,
    /// `None` when Lark would not say.
    pub visibility: Option<AppVisibility>,
}

impl AppState {
    /// An app with only its id; the adapter fills in what Lark returned.
    pub fn new(app_id: InstalledAppId) -> Self {
        Self {
            app_id,
            name: None,
            description: None,
            status: AppStatus::Unknown,
            scene: AppScene::Unknown,
            paid: None,
            create_source: None,
            creator_open_id: None,
            owner: None,
            scopes: Vec::new(),
            primary_language: None,
            visibility: None,
        }
    }
}

/// A stored application of an integration's tenant.
pub type App = super::record::Record<AppState>;
