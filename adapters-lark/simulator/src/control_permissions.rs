//! [`TenantControl`]'s console half for the app's own permissions: remove or add one scope (the
//! app's API permissions and field scopes, see `permissions.rs`), empty the contact range, and
//! reset the App Secret — the switches that make each check of Aviary's permission doctor fail.

use super::control::TenantControl;
use super::model::SimError;

fn valid_scope(scope: &str) -> Result<(), SimError> {
    if scope.is_empty() || scope.chars().any(char::is_whitespace) {
        Err(SimError::Invalid(format!("scope {scope:?}")))
    } else {
        Ok(())
    }
}

impl TenantControl {
    /// The scopes the app has enabled and published: its permissions.
    #[must_use]
    pub fn app_scopes(&self) -> Vec<String> {
        self.state.oauth_console.enabled_scopes()
    }

    /// Takes one scope away from the app, as if a version without it was published: APIs that
    /// need it answer 99991672, fields that need it vanish, and the authorize page refuses to
    /// request it (20027). Returns whether the app had it.
    pub fn remove_scope(&self, scope: &str) -> bool {
        let mut had = false;
        self.state.oauth_console.update(|s| {
            let before = s.enabled_scopes.len();
            s.enabled_scopes.retain(|e| e != scope);
            had = s.enabled_scopes.len() != before;
        });
        had
    }

    /// Gives the app one more scope (no-op if it has it). Refused for an empty scope or one
    /// with whitespace.
    pub fn add_scope(&self, scope: &str) -> Result<(), SimError> {
        valid_scope(scope)?;
        self.state.oauth_console.update(|s| {
            if !s.enabled_scopes.iter().any(|e| e == scope) {
                s.enabled_scopes.push(scope.to_owned());
            }
        });
        Ok(())
    }

    /// Empties the app's contact range: `/contact/v3/scopes` lists nothing and every department
    /// and user is out of reach (40004 / 41050). [`Self::full_scope`] restores it.
    pub fn empty_scope(&self) {
        self.state.write().set_empty_scope();
    }

    /// Resets the App Secret, as the console's reset button does: the token endpoints answer
    /// 10014 for the old one. Tokens issued before stay valid until they expire.
    pub fn set_app_secret(&self, secret: &str) -> Result<(), SimError> {
        if secret.is_empty() || secret.chars().any(char::is_whitespace) {
            return Err(SimError::Invalid(
                "an App Secret is a non-empty word without whitespace".to_owned(),
            ));
        }
        self.state.set_app_secret(secret.to_owned());
        Ok(())
    }
}
