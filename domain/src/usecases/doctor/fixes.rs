//! The fix steps the doctor suggests, worded once. Console facts (permissions take effect only
//! after a new app version is published and approved; the contact range is set in the console;
//! refreshing user tokens needs `offline_access` plus the console's refresh switch) come from
//! docs/lark-fidelity.md (the OAuth and tenant-token sections, 99991672).

use crate::model::Region;

/// The developer console of the brand, where the custom app lives.
fn console(region: Region, app_id: &str) -> String {
    let host = match region {
        Region::Lark => "https://open.larksuite.com/app",
        Region::Feishu => "https://open.feishu.cn/app",
    };
    format!("{host}/{app_id}")
}

/// Where to fix things, for one integration's app.
#[derive(Debug, Clone)]
pub(super) struct Console {
    url: String,
}

impl Console {
    pub(super) fn new(region: Region, app_id: &str) -> Self {
        Self {
            url: console(region, app_id),
        }
    }

    /// Add a permission (scope) and publish it. The link opens the app's permission page
    /// searching for the scope, as the `helps` URL of Lark's 99991672 answer does
    /// (`adapters-lark/tests/fixtures/error_app_scope_missing_99991672_feishu.json`).
    pub(super) fn add_scope(&self, scope: &str) -> String {
        format!(
            "In the Lark developer console ({}/auth?q={scope}), open your app → Permissions & \
             Scopes, add `{scope}`, then create and publish a new app version so the tenant \
             admin can approve it.",
            self.url
        )
    }

    /// Give the app a contact range (or a larger one).
    pub(super) fn widen_contact_range(&self) -> String {
        format!(
            "In the Lark developer console ({}), open your app → Permissions & Scopes and set \
             the range of contacts the app may read (通讯录权限范围) to all members or to the \
             departments Aviary should sync, then create and publish a new app version so the \
             tenant admin can approve it.",
            self.url
        )
    }

    /// The App ID or App Secret is wrong, or the app is disabled.
    pub(super) fn check_credentials(&self) -> String {
        format!(
            "In the Lark developer console ({}), open your app → Credentials & Basic Info, check \
             that the app is enabled, copy its App ID and App Secret (the secret changes when it \
             is reset), and update this integration in Aviary with them.",
            self.url
        )
    }

    /// Let the app refresh user tokens (optional: what `offline_access` adds).
    pub(super) fn enable_offline_access(&self) -> String {
        format!(
            "Optional, to keep the sign-in renewable: in the Lark developer console ({}), open \
             your app → Permissions & Scopes and add `offline_access`, turn on refreshing \
             user_access_token under Security Settings (without it Lark refuses renewals with \
             error 20074), create and publish a new app version, then press Connect with Lark \
             again in Aviary with \"Keep the sign-in renewable\" ticked.",
            self.url
        )
    }
}

/// Sign in to Lark again from Aviary.
pub(super) const CONNECT_AGAIN: &str = "Open Aviary and press Connect with Lark again.";

/// No admin ever signed in.
pub(super) const CONNECT: &str =
    "Open Aviary and press Connect with Lark, then sign in as a Lark admin of the tenant.";

/// A transient problem: try later.
pub(super) const TRY_AGAIN: &str = "Run the permission check again in a few minutes; if it keeps \
     failing, check that this server can reach Lark; the server log has Lark's log id to quote \
     to Lark support.";

/// What to do about checks skipped because of an earlier failure.
pub(super) const FIX_BASE_URL: &str = "Remove the integration and add it again without a custom \
     base URL, or ask the operator to allow custom base URLs (setting lark.allow_custom_base_url; \
     https only, plain http only to this machine).";
pub(super) const FIX_ABOVE: &str = "Fix the problem reported above, then run the check again.";
