//! [`TenantControl`]'s installed-apps half: list, install, change and uninstall apps. The
//! simulator's own app is always installed; its scopes and redirect URLs are the console's (change
//! them with `add_scope`/`remove_scope` and `set_redirect_urls`).

use super::control::TenantControl;
use super::model::SimError;
use super::model_apps::{NewApp, SimApp};
use super::own_app;

impl TenantControl {
    /// Every installed app in listing order (the simulator's own first, with its live scopes).
    #[must_use]
    pub fn apps(&self) -> Vec<SimApp> {
        let console = self.state.oauth_console.snapshot();
        self.state
            .read()
            .apps()
            .iter()
            .map(|a| own_app::live(a, &self.state.app_id, &console).unwrap_or_else(|| a.clone()))
            .collect()
    }

    #[must_use]
    pub fn app(&self, app_id: &str) -> Option<SimApp> {
        let console = self.state.oauth_console.snapshot();
        let t = self.state.read();
        let app = &t.apps()[t.app_idx(app_id)?];
        Some(own_app::live(app, &self.state.app_id, &console).unwrap_or_else(|| app.clone()))
    }

    /// Installs a custom app (defaults: enabled, visible to all, created by a tenant super
    /// administrator, a few scopes); returns its `app_id`.
    pub fn add_app(&self, app: NewApp) -> Result<String, SimError> {
        self.state.write().add_app(app)
    }

    /// Applies `change` to a copy, validates it (`app_id` immutable, values in their documented
    /// ranges, references exist) and stores it.
    pub fn update_app(
        &self,
        app_id: &str,
        change: impl FnOnce(&mut SimApp),
    ) -> Result<SimApp, SimError> {
        let stored = {
            let t = self.state.read();
            let idx = t
                .app_idx(app_id)
                .ok_or_else(|| SimError::UnknownApp(app_id.to_owned()))?;
            t.apps()[idx].clone()
        };
        let console = self.state.oauth_console.snapshot();
        let own = own_app::live(&stored, &self.state.app_id, &console);
        let mut new = own.clone().unwrap_or_else(|| stored.clone());
        change(&mut new);
        if let Some(live) = &own {
            if own_app::console_fields_changed(live, &new) {
                return Err(SimError::Invalid(
                    "the simulator's own app has the console's scopes and redirect URLs: use \
                     add_scope/remove_scope and set_redirect_urls"
                        .to_owned(),
                ));
            }
            new.scopes.clone_from(&stored.scopes);
            new.redirect_urls.clone_from(&stored.redirect_urls);
        }
        self.state.write().replace_app(&stored, new)?;
        self.app(app_id)
            .ok_or_else(|| SimError::UnknownApp(app_id.to_owned()))
    }

    /// Uninstalls an app (not the simulator's own).
    pub fn remove_app(&self, app_id: &str) -> Result<(), SimError> {
        if app_id == self.state.app_id {
            return Err(SimError::Invalid(
                "the simulator's own app cannot be uninstalled".to_owned(),
            ));
        }
        self.state.write().remove_app(app_id)
    }
}
