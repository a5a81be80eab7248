//! The admin's Lark sign-in behind an integration, checked at the start of every run of an
//! integration connected through the login (dry runs skip it): a fresh user token from
//! `UserTokens` (refreshed when due, renewed once when Lark rejects it), then `user_info` — the
//! authorising admin still signs in, in the integration's tenant. The listing always uses the
//! app's tenant token, so a dead grant only warns and leaves the integration
//! `needs_reauthorization`; a sign-in that now belongs elsewhere fails the run. Why, and every
//! outcome: docs/architecture.md § Two Lark identities and § Connecting with Lark ("The grant in
//! daily use").

use crate::model::{Integration, IntegrationStatus, RunStatus};
use crate::ports::OAuthError;
use crate::usecases::connect::{SignInCheck, TokenError, UserTokens};

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum GrantCheck {
    /// Never connected through the Lark login (registered with app credentials only): there is
    /// nothing to check, and the run is exactly what it always was.
    NotConnected,
    /// Connected by a sign-in without `offline_access` whose access token has expired: the
    /// identity and tenant recorded at connect time stand, and there is nothing Lark lets
    /// Aviary re-check. Not a problem — the run is exactly what it always was.
    NotRenewable,
    /// The authorising admin still signs in, in the integration's tenant.
    Verified,
    /// Lark or the store could not answer; the run goes on and says so.
    Unchecked { warning: String },
    /// The grant can no longer be used; the run goes on with the tenant token.
    Dead { warning: String },
    /// The grant signs in as someone else or in another tenant: the run fails.
    Mismatch { error: String },
}

impl GrantCheck {
    /// What the run records as a warning.
    pub(super) fn warning(&self) -> Option<String> {
        match self {
            GrantCheck::Unchecked { warning } | GrantCheck::Dead { warning } => {
                Some(warning.clone())
            }
            GrantCheck::NotConnected
            | GrantCheck::NotRenewable
            | GrantCheck::Verified
            | GrantCheck::Mismatch { .. } => None,
        }
    }

    /// Why the run must fail before listing anything.
    pub(super) fn failure(&self) -> Option<String> {
        match self {
            GrantCheck::Mismatch { error } => Some(error.clone()),
            GrantCheck::NotConnected
            | GrantCheck::NotRenewable
            | GrantCheck::Verified
            | GrantCheck::Unchecked { .. }
            | GrantCheck::Dead { .. } => None,
        }
    }
}

/// Checks the grant of `integration` if it was ever authorised.
pub(super) async fn check(tokens: &UserTokens, integration: &Integration) -> GrantCheck {
    let Some(authorized_by) = integration.authorized_by.as_deref() else {
        return GrantCheck::NotConnected;
    };
    match tokens.check_sign_in(integration.id).await {
        Ok(checked) => compare(integration, &checked),
        Err(err) => from_error(authorized_by, err),
    }
}

fn compare(integration: &Integration, checked: &SignInCheck) -> GrantCheck {
    let (granted, now) = (&checked.authorized_by, &checked.signed_in);
    if now.open_id != granted.open_id {
        return GrantCheck::Mismatch {
            error: format!(
                "the Lark sign-in that connects this integration now belongs to {} instead of {}, \
                 who authorised it; nothing was synced. Connect the integration with Lark again",
                now.display(),
                granted.display()
            ),
        };
    }
    match &integration.tenant {
        Some(tenant) if tenant.tenant_key != now.tenant_key => GrantCheck::Mismatch {
            error: format!(
                "{} signs in to another Lark tenant (tenant key {}) than this integration's \
                 \"{}\" (tenant key {}); nothing was synced. Connect the integration with Lark \
                 again, signed in to the app's tenant",
                now.display(),
                now.tenant_key,
                tenant.name,
                tenant.tenant_key
            ),
        },
        Some(_) | None => GrantCheck::Verified,
    }
}

fn dead(authorized_by: &str, why: &str) -> GrantCheck {
    GrantCheck::Dead {
        warning: format!(
            "the Lark sign-in of {authorized_by} that connects this integration no longer works \
             ({why}). This run synced with the app's own credentials as every run does; press \
             \"Connect with Lark\" to sign in again"
        ),
    }
}

fn unchecked(authorized_by: &str, why: &TokenError) -> GrantCheck {
    GrantCheck::Unchecked {
        warning: format!(
            "could not check the Lark sign-in of {authorized_by} that connects this integration \
             ({why}); this run synced with the app's own credentials as every run does"
        ),
    }
}

fn from_error(authorized_by: &str, err: TokenError) -> GrantCheck {
    match &err {
        TokenError::NotRenewable => GrantCheck::NotRenewable,
        TokenError::OAuth(OAuthError::RefreshDisabled { .. }) => GrantCheck::Unchecked {
            warning: format!(
                "could not renew the Lark sign-in of {authorized_by} that connects this \
                 integration: the app's developer console does not allow refreshing user tokens \
                 (Security Settings → refresh user_access_token, Lark error 20074). Turn it on and \
                 publish a new app version; this run synced with the app's own credentials as \
                 every run does"
            ),
        },
        TokenError::NeedsAuthorization => dead(
            authorized_by,
            "it was revoked or it expired — Lark ends a sign-in after 365 days at the latest",
        ),
        TokenError::OAuth(OAuthError::RefreshRejected { .. }) => {
            dead(authorized_by, "Lark refused to renew it")
        }
        TokenError::OAuth(OAuthError::UserNotAllowed { .. }) => {
            dead(authorized_by, "the user may no longer use the app")
        }
        TokenError::OAuth(
            OAuthError::InvalidClient { .. }
            | OAuthError::InvalidCode { .. }
            | OAuthError::AccessTokenRejected { .. }
            | OAuthError::Unavailable { .. }
            | OAuthError::BaseUrlRefused(_)
            | OAuthError::Other { .. },
        )
        | TokenError::UnknownIntegration(_)
        | TokenError::Store(_) => unchecked(authorized_by, &err),
    }
}

/// The integration's health after a run. A run that succeeded says `active` unless the admin's
/// login is dead: then `needs_reauthorization` stays — also when the grant could not be checked
/// this time but was already dead. One never connected through the login syncs with the tenant
/// token alone and is `active` as it always was (`authorized_by` tells it apart). A held run says
/// `degraded` and a failed one `failing` whatever the grant, except a failure caused by the
/// grant itself. A cancelled run says nothing.
pub(super) fn integration_status(
    run: RunStatus,
    grant: &GrantCheck,
    before: IntegrationStatus,
) -> Option<IntegrationStatus> {
    match run {
        RunStatus::Cancelled => None,
        RunStatus::Held => Some(IntegrationStatus::Degraded),
        RunStatus::Failed | RunStatus::Running => Some(match grant {
            // Signing in again is the fix.
            GrantCheck::Mismatch { .. } => IntegrationStatus::NeedsReauthorization,
            GrantCheck::NotConnected
            | GrantCheck::NotRenewable
            | GrantCheck::Verified
            | GrantCheck::Unchecked { .. }
            | GrantCheck::Dead { .. } => IntegrationStatus::Failing,
        }),
        RunStatus::Succeeded => Some(match grant {
            GrantCheck::NotConnected | GrantCheck::NotRenewable | GrantCheck::Verified => {
                IntegrationStatus::Active
            }
            GrantCheck::Dead { .. } | GrantCheck::Mismatch { .. } => {
                IntegrationStatus::NeedsReauthorization
            }
            GrantCheck::Unchecked { .. } if before == IntegrationStatus::NeedsReauthorization => {
                IntegrationStatus::NeedsReauthorization
            }
            GrantCheck::Unchecked { .. } => IntegrationStatus::Active,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unchecked_check() -> GrantCheck {
        GrantCheck::Unchecked {
            warning: "w".into(),
        }
    }

    #[test]
    fn a_dead_login_keeps_a_successful_run_from_saying_active() {
        use IntegrationStatus::{Active, Degraded, Failing, NeedsReauthorization};
        let dead = GrantCheck::Dead {
            warning: "w".into(),
        };
        let mismatch = GrantCheck::Mismatch { error: "e".into() };
        let cases = [
            (
                RunStatus::Succeeded,
                &GrantCheck::NotConnected,
                Failing,
                Active,
            ),
            (
                RunStatus::Succeeded,
                &GrantCheck::Verified,
                NeedsReauthorization,
                Active,
            ),
            (RunStatus::Succeeded, &dead, Active, NeedsReauthorization),
            (
                RunStatus::Succeeded,
                &GrantCheck::NotRenewable,
                Active,
                Active,
            ),
            (RunStatus::Succeeded, &unchecked_check(), Active, Active),
            (
                RunStatus::Succeeded,
                &unchecked_check(),
                NeedsReauthorization,
                NeedsReauthorization,
            ),
            (RunStatus::Held, &dead, Active, Degraded),
            (RunStatus::Held, &GrantCheck::NotConnected, Active, Degraded),
            (RunStatus::Failed, &dead, Active, Failing),
            (
                RunStatus::Failed,
                &GrantCheck::NotConnected,
                Active,
                Failing,
            ),
            (RunStatus::Failed, &mismatch, Active, NeedsReauthorization),
        ];
        for (run, grant, before, expected) in cases {
            assert_eq!(
                integration_status(run, grant, before),
                Some(expected),
                "{run:?} {grant:?} {before:?}"
            );
        }
        assert_eq!(
            integration_status(RunStatus::Cancelled, &dead, Active),
            None
        );
    }

    #[test]
    fn token_errors_are_dead_grants_or_unchecked_ones() {
        let who = "Ada <ada@acme.example>";
        assert_eq!(
            from_error(who, TokenError::NotRenewable),
            GrantCheck::NotRenewable,
            "a sign-in without offline_access is no problem"
        );
        let GrantCheck::Unchecked { warning } = from_error(
            who,
            TokenError::OAuth(OAuthError::RefreshDisabled {
                detail: "20074".into(),
            }),
        ) else {
            panic!("a refresh switch that is off is not a dead grant");
        };
        assert!(warning.contains("20074"), "{warning}");
        let is_dead = |err| matches!(from_error(who, err), GrantCheck::Dead { .. });
        assert!(is_dead(TokenError::NeedsAuthorization));
        assert!(is_dead(TokenError::OAuth(OAuthError::UserNotAllowed {
            detail: "20066".into()
        })));
        let GrantCheck::Unchecked { warning } = from_error(
            who,
            TokenError::OAuth(OAuthError::Unavailable {
                detail: "HTTP 503".into(),
            }),
        ) else {
            panic!("an unavailable Lark is not a dead grant");
        };
        assert!(
            warning.contains("could not be reached") && warning.contains(who),
            "{warning}"
        );
        assert!(
            !warning.contains("HTTP 503"),
            "upstream details stay in the log"
        );
        let GrantCheck::Dead { warning } = from_error(who, TokenError::NeedsAuthorization) else {
            unreachable!()
        };
        assert!(
            warning.contains(who) && warning.contains("Connect with Lark"),
            "{warning}"
        );
    }
}
