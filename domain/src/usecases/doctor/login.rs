//! The `user_login` check: the admin's OAuth grant, judged from what is stored (no request to
//! Lark — spending a single-use refresh token is not a probe). Lark refuses refreshes 365 days
//! after the user's authorization (20037) and issues refresh tokens only with `offline_access`
//! (docs/lark-fidelity.md). A sign-in without one is advice, not a fault: syncs never need it.

use chrono::{DateTime, Duration, Utc};

use super::fixes::{CONNECT, CONNECT_AGAIN, Console};
use super::report::{Capability, Check, Outcome};
use crate::model::{Grant, IntegrationStatus};
use crate::usecases::connect::OFFLINE_ACCESS;

/// Lark's hard limit on a grant, counted from the authorization.
pub(super) const GRANT_LIFETIME_DAYS: i64 = 365;
/// Below this many days left, the report warns.
pub(super) const WARN_DAYS: i64 = 30;

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Judges the grant of an integration in status `status` at `now`.
pub(super) fn check(
    grant: Option<&Grant>,
    status: IntegrationStatus,
    now: DateTime<Utc>,
    console: &Console,
) -> Check {
    const CAP: Capability = Capability::UserLogin;
    let Some(grant) = grant else {
        return Check::failed(
            CAP,
            Outcome::Missing,
            "No admin has connected this integration with Lark yet.",
            CONNECT,
        );
    };
    let by = grant.authorized_by.display();
    let cap_at = grant.granted_at + Duration::days(GRANT_LIFETIME_DAYS);
    // Calendar days, as people count to the date shown: a login made today has 365 left.
    let days_left = (cap_at.date_naive() - now.date_naive()).num_days();
    let capped = now >= cap_at;
    let with_days = |mut check: Check| {
        check.days_left = Some(days_left);
        check
    };
    if status == IntegrationStatus::NeedsReauthorization {
        return with_days(Check::failed(
            CAP,
            Outcome::Missing,
            format!(
                "Lark refused to renew the sign-in of {by} the last time Aviary tried (revoked, \
                 expired or already used)."
            ),
            CONNECT_AGAIN,
        ));
    }
    if grant.tokens.refresh_token.is_none() {
        // Not a fault: syncs use the app's own credentials. Without a refresh token Aviary just
        // cannot re-check the sign-in once its access token has expired.
        let mut check = Check::failed(
            CAP,
            Outcome::Advice,
            format!(
                "Connected by {by} on {} (the admin and the tenant are recorded). Syncs use the \
                 app's own credentials and need nothing more. The app did not ask for \
                 `offline_access`, so Lark gave no refresh token: Aviary cannot check after the \
                 first two hours that this sign-in still works, nor warn when it is revoked.",
                day(grant.granted_at)
            ),
            console.enable_offline_access(),
        )
        .with_scope(OFFLINE_ACCESS);
        check.days_left = None;
        return check;
    }
    if capped {
        return with_days(Check::failed(
            CAP,
            Outcome::Missing,
            format!(
                "The sign-in of {by} from {} reached Lark's 365-day limit on {}; Lark no longer \
                 renews it.",
                day(grant.granted_at),
                day(cap_at)
            ),
            CONNECT_AGAIN,
        ));
    }
    if grant.usable_refresh_token(now).is_none() {
        let expired = grant
            .tokens
            .refresh_expires_at
            .map(|at| format!(" on {}", day(at)))
            .unwrap_or_default();
        return with_days(Check::failed(
            CAP,
            Outcome::Missing,
            format!(
                "The refresh token of {by}'s sign-in expired{expired} (it was not used in time), \
                 so Lark will not renew the sign-in."
            ),
            CONNECT_AGAIN,
        ));
    }
    if days_left <= WARN_DAYS {
        return with_days(Check::failed(
            CAP,
            Outcome::Warning,
            format!(
                "Connected by {by} on {}; renewable, but only {days_left} days are left before \
                 Lark's 365-day limit ({}).",
                day(grant.granted_at),
                day(cap_at)
            ),
            format!("Before {}: {CONNECT_AGAIN}", day(cap_at)),
        ));
    }
    with_days(Check::ok(
        CAP,
        format!(
            "Connected by {by} on {}; renewable (offline_access granted); {days_left} days left \
             before Lark's 365-day limit ({}).",
            day(grant.granted_at),
            day(cap_at)
        ),
    ))
}
