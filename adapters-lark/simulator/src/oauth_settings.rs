//! What the developer console would hold for the app's user OAuth — registered redirect URLs,
//! enabled scopes, extra OAuth clients — plus the simulator's consent mode. Changeable at runtime.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What `GET /open-apis/authen/v1/authorize` does with a valid request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentMode {
    /// An HTML consent page: pick the signing-in user, then "Authorize" or "Deny".
    #[default]
    #[serde(rename = "page")]
    Page,
    /// 302 straight back with a code, signed in as the default tenant admin.
    #[serde(rename = "approve", alias = "auto_approve")]
    AutoApprove,
    /// 302 straight back with `error=access_denied`.
    #[serde(rename = "deny", alias = "auto_deny")]
    AutoDeny,
}

impl std::str::FromStr for ConsentMode {
    type Err = String;

    /// `page`, `approve` or `deny`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "page" => Ok(Self::Page),
            "approve" | "auto_approve" => Ok(Self::AutoApprove),
            "deny" | "auto_deny" => Ok(Self::AutoDeny),
            other => Err(format!(
                "unknown consent mode {other:?} (page, approve or deny)"
            )),
        }
    }
}

/// Scopes enabled for the simulated app unless configured otherwise: exactly the permission
/// list of Aviary's setup guide (docs/lark-fidelity.md), and nothing else — in particular not
/// `offline_access`, so a login that asks for it is refused (20027) and tokens come without a
/// refresh token, as on a real app set up by the guide. They are also the app's permissions for
/// tenant-token APIs and fields (`permissions.rs`).
pub const DEFAULT_OAUTH_SCOPES: &[&str] = &[
    "admin:app.info:readonly",
    "contact:contact.base:readonly",
    "contact:department.base:readonly",
    "contact:department.organize:readonly",
    "contact:group:readonly",
    "contact:user.base:readonly",
    "contact:user.department:readonly",
    "contact:user.department_path:readonly",
    "contact:user.dotted_line_leader_info.read",
    "contact:user.email:readonly",
    "contact:user.employee:readonly",
    "contact:user.employee_id:readonly",
    "contact:user.gender:readonly",
    "contact:user.phone:readonly",
    "contact:user.user_geo",
    "tenant:tenant:readonly",
];

/// The permission that makes the token endpoint issue refresh tokens.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// The OAuth settings (also what `GET/PATCH /_simulator/oauth` show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthSettings {
    pub consent: ConsentMode,
    /// Redirect URLs registered in the console; exact match. Empty accepts any http(s) URL.
    pub redirect_urls: Vec<String>,
    /// Scopes the app has enabled; requesting another one fails with 20027.
    pub enabled_scopes: Vec<String>,
    /// The console's security switch "refresh user_access_token": on by default, as Lark
    /// documents it; off, refreshing fails with 20074 even with `offline_access`.
    #[serde(default = "on")]
    pub refresh_enabled: bool,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            consent: ConsentMode::Page,
            redirect_urls: Vec::new(),
            enabled_scopes: DEFAULT_OAUTH_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            refresh_enabled: true,
        }
    }
}

fn on() -> bool {
    true
}

/// The settings behind a lock, and the extra OAuth clients (`client_id` → secret).
#[derive(Debug, Default)]
pub(crate) struct OAuthConsole {
    settings: Mutex<OAuthSettings>,
    extra_clients: Mutex<HashMap<String, String>>,
}

impl OAuthConsole {
    pub(crate) fn new(settings: OAuthSettings) -> Self {
        Self {
            settings: Mutex::new(settings),
            extra_clients: Mutex::default(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut OAuthSettings) -> T) -> T {
        let mut guard = self
            .settings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    pub(crate) fn snapshot(&self) -> OAuthSettings {
        self.with(|s| s.clone())
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut OAuthSettings)) {
        self.with(f);
    }

    /// The scopes the app has enabled (its permissions).
    pub(crate) fn enabled_scopes(&self) -> Vec<String> {
        self.with(|s| s.enabled_scopes.clone())
    }

    pub(crate) fn consent(&self) -> ConsentMode {
        self.with(|s| s.consent)
    }

    /// Whether the app may refresh user tokens (the console switch).
    pub(crate) fn refresh_enabled(&self) -> bool {
        self.with(|s| s.refresh_enabled)
    }

    pub(crate) fn add_client(&self, client_id: String, secret: String) {
        self.extra_clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(client_id, secret);
    }

    pub(crate) fn extra_client_secret(&self, client_id: &str) -> Option<String> {
        self.extra_clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(client_id)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_mode_names() {
        assert_eq!("approve".parse(), Ok(ConsentMode::AutoApprove));
        assert_eq!("deny".parse(), Ok(ConsentMode::AutoDeny));
        assert!("maybe".parse::<ConsentMode>().is_err());
        assert_eq!(
            serde_json::to_string(&ConsentMode::AutoApprove)
                .ok()
                .as_deref(),
            Some("\"approve\"")
        );
        let mode: Result<ConsentMode, _> = serde_json::from_str("\"auto_deny\"");
        assert_eq!(mode.ok(), Some(ConsentMode::AutoDeny));
        let default = OAuthSettings::default();
        assert!(
            !default.enabled_scopes.contains(&OFFLINE_ACCESS.to_owned()),
            "a new app set up by the guide has no offline_access"
        );
        assert_eq!(
            default.enabled_scopes.len(),
            16,
            "the guide's permission list"
        );
        assert!(default.refresh_enabled, "on by default, as Lark documents");
    }
}
