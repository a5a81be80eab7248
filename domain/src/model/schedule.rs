//! The schedule rule: when an integration on a schedule syncs next.

use chrono::{DateTime, Utc};

use super::{IntegrationStatus, IntegrationSummary};

/// When an integration on a schedule syncs next: its interval after the newest run started,
/// or now when it never ran. `None` when it syncs on demand only, is disabled, or still waits
/// for an admin's Lark login (its first sync starts when the login completes).
pub fn next_sync_at(
    integration: &IntegrationSummary,
    latest_start: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let minutes = integration.sync_interval?.minutes();
    if matches!(
        integration.status,
        IntegrationStatus::Disabled | IntegrationStatus::PendingAuthorization
    ) {
        return None;
    }
    Some(match latest_start {
        Some(started) => started + chrono::Duration::minutes(i64::from(minutes)),
        None => now,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::model::IntegrationStatus;

    use chrono::TimeZone;

    use super::*;
    use crate::model::Integration;
    use crate::testing;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, hour, minute, 0).unwrap()
    }

    fn integration(status: IntegrationStatus, interval: Option<u32>) -> Integration {
        let built = testing::integration().status(status).created_at(at(8, 0));
        match interval {
            Some(minutes) => built.every(minutes).build(),
            None => built.build(),
        }
    }

    #[test]
    fn the_next_sync_is_the_interval_after_the_newest_run_started() {
        let active = integration(IntegrationStatus::Active, Some(30));
        assert_eq!(
            next_sync_at(&active, Some(at(9, 10)), at(9, 20)),
            Some(at(9, 40))
        );
        // Overdue stays overdue: the scheduler starts it at its next tick.
        assert_eq!(
            next_sync_at(&active, Some(at(7, 0)), at(9, 20)),
            Some(at(7, 30))
        );
        assert_eq!(next_sync_at(&active, None, at(9, 20)), Some(at(9, 20)));
        let failing = integration(IntegrationStatus::Failing, Some(30));
        assert_eq!(
            next_sync_at(&failing, Some(at(9, 10)), at(9, 20)),
            Some(at(9, 40))
        );
    }

    #[test]
    fn on_demand_disabled_and_unconnected_integrations_have_no_next_sync() {
        let now = at(9, 20);
        for (status, interval) in [
            (IntegrationStatus::Active, None),
            (IntegrationStatus::Disabled, Some(30)),
            (IntegrationStatus::PendingAuthorization, Some(30)),
        ] {
            assert_eq!(
                next_sync_at(&integration(status, interval), None, now),
                None,
                "{status:?}"
            );
        }
    }
}
