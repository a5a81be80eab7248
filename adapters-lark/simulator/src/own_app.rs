//! The simulator's own app as the installed-apps list shows it: its stored record, with the
//! scopes the app has enabled now (`TenantControl::app_scopes`) and the redirect URLs registered
//! in the console, so that the list always agrees with what the other APIs enforce.

use super::generator_apps::scope_entry;
use super::model_apps::SimApp;
use super::oauth_settings::OAuthSettings;

/// `app` with the console's live values when it is the simulator's own app (`own_app_id`);
/// `None` for any other app.
pub(crate) fn live(app: &SimApp, own_app_id: &str, console: &OAuthSettings) -> Option<SimApp> {
    (app.app_id == own_app_id).then(|| SimApp {
        scopes: console
            .enabled_scopes
            .iter()
            .map(|s| scope_entry(s))
            .collect(),
        redirect_urls: console.redirect_urls.clone(),
        ..app.clone()
    })
}

/// The parts of an edited own app the console owns: changing them through the app record is
/// refused (use `add_scope`/`remove_scope` and `set_redirect_urls`).
pub(crate) fn console_fields_changed(live: &SimApp, edited: &SimApp) -> bool {
    live.scopes != edited.scopes || live.redirect_urls != edited.redirect_urls
}
