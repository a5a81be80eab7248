//! The schedule rule: when an integration on a schedule syncs next, backing off (with jitter)
//! while its runs keep failing.

use chrono::{DateTime, Duration, Utc};

use super::{IntegrationStatus, IntegrationSummary, RunStatus, SyncRun};
use crate::values::IntegrationId;

/// The newest runs the schedule looks at: enough to see the longest backoff.
pub const RUNS_FOR_SCHEDULE: u64 = 4;

/// The longest backoff: after 4 failed runs in a row the integration is retried every 2³ = 8
/// intervals, plus jitter, until a run does not fail.
const MAX_DOUBLINGS: u32 = 3;

/// What the schedule needs of an integration's runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunHistory {
    /// When its newest run started.
    pub latest_start: Option<DateTime<Utc>>,
    /// How many of its newest runs failed, in a row (a cancelled, held or good run ends the
    /// streak: only failures say that retrying soon is pointless).
    pub failures_in_a_row: u32,
}

impl RunHistory {
    /// From the integration's newest runs, newest first (at least [`RUNS_FOR_SCHEDULE`] of them
    /// when it has that many).
    pub fn of(newest_first: &[SyncRun]) -> Self {
        let failures = newest_first
            .iter()
            .take_while(|run| run.status == RunStatus::Failed)
            .count();
        Self {
            latest_start: newest_first.first().map(|run| run.started_at),
            failures_in_a_row: u32::try_from(failures).unwrap_or(u32::MAX),
        }
    }
}

/// Whether the scheduler syncs the integration: it has an interval, is not disabled, and an
/// admin's Lark login has connected it.
pub fn is_scheduled(integration: &IntegrationSummary) -> bool {
    integration.sync_interval.is_some()
        && !matches!(
            integration.status,
            IntegrationStatus::Disabled | IntegrationStatus::PendingAuthorization
        )
}

/// When an integration on a schedule syncs next: its interval after the newest run started, or
/// now when it never ran. After failures in a row the wait doubles each time, up to 8
/// intervals, and grows by a jitter of up to a tenth, different for each integration and
/// failure, so that integrations failing together (Lark down, network cut) do not retry in
/// lockstep. `None` when it syncs on demand only, is disabled, or still waits for an admin's
/// Lark login (its first sync starts when the login completes).
pub fn next_sync_at(
    integration: &IntegrationSummary,
    history: &RunHistory,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !is_scheduled(integration) {
        return None;
    }
    let minutes = integration.sync_interval?.minutes();
    let Some(started) = history.latest_start else {
        return Some(now);
    };
    let interval = Duration::minutes(i64::from(minutes));
    let wait = match history.failures_in_a_row {
        0 => interval,
        failures => backoff(interval, failures) + jitter(integration.id, failures, interval),
    };
    Some(started + wait)
}

/// The interval, doubled for each failure after the first, at most [`MAX_DOUBLINGS`] times.
fn backoff(interval: Duration, failures: u32) -> Duration {
    interval * (1_i32 << failures.saturating_sub(1).min(MAX_DOUBLINGS))
}

/// Up to a tenth of the backed-off wait, spread by a hash of the integration and the failure
/// count: deterministic (every process computes the same time, so no two disagree on whether
/// the retry is due) yet different for each integration.
fn jitter(integration: IntegrationId, failures: u32, interval: Duration) -> Duration {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a offset basis
    for byte in integration
        .as_uuid()
        .as_bytes()
        .iter()
        .chain(&failures.to_le_bytes())
    {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let tenth_ms = backoff(interval, failures).num_milliseconds() / 10;
    // `tenth_ms` is positive and below 2^63: the remainder fits back into an i64.
    Duration::milliseconds(i64::try_from(hash % tenth_ms.max(1).unsigned_abs()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::model::IntegrationStatus;

    use chrono::TimeZone;

    use super::*;
    use crate::model::Integration;
    use crate::testing;
    use crate::values::IntegrationId;

    fn started(at: DateTime<Utc>) -> RunHistory {
        RunHistory {
            latest_start: Some(at),
            failures_in_a_row: 0,
        }
    }

    fn failing(at: DateTime<Utc>, failures: u32) -> RunHistory {
        RunHistory {
            latest_start: Some(at),
            failures_in_a_row: failures,
        }
    }

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
            next_sync_at(&active, &started(at(9, 10)), at(9, 20)),
            Some(at(9, 40))
        );
        // Overdue stays overdue: the scheduler starts it at its next tick.
        assert_eq!(
            next_sync_at(&active, &started(at(7, 0)), at(9, 20)),
            Some(at(7, 30))
        );
        let never = RunHistory::default();
        assert_eq!(next_sync_at(&active, &never, at(9, 20)), Some(at(9, 20)));
        // A failing integration (its grant, say) whose newest run did not fail: no backoff.
        let failing_status = integration(IntegrationStatus::Failing, Some(30));
        assert_eq!(
            next_sync_at(&failing_status, &started(at(9, 10)), at(9, 20)),
            Some(at(9, 40))
        );
    }

    #[test]
    fn failed_runs_in_a_row_double_the_wait_up_to_eight_intervals_plus_a_jitter_of_a_tenth() {
        let active = integration(IntegrationStatus::Active, Some(30));
        for (failures, factor) in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (40, 8)] {
            let next = next_sync_at(&active, &failing(at(9, 0), failures), at(9, 1)).unwrap();
            let wait = next - at(9, 0);
            let base = Duration::minutes(30 * factor);
            assert!(
                wait >= base && wait < base + base / 10,
                "{failures} failures: {wait} against {base}"
            );
        }
    }

    #[test]
    fn the_jitter_differs_between_integrations_and_every_process_computes_the_same() {
        let waits: std::collections::HashSet<_> = (1..=20_u128)
            .map(|n| {
                let one = testing::integration()
                    .id(IntegrationId::from_uuid(uuid::Uuid::from_u128(n)))
                    .every(60)
                    .build();
                let next = next_sync_at(&one, &failing(at(9, 0), 2), at(9, 1));
                assert_eq!(next, next_sync_at(&one, &failing(at(9, 0), 2), at(9, 1)));
                next.unwrap()
            })
            .collect();
        assert!(
            waits.len() >= 18,
            "20 integrations, {} retry times",
            waits.len()
        );
    }

    #[test]
    fn the_history_counts_only_the_newest_failures_in_a_row() {
        let id = IntegrationId::from_uuid(uuid::Uuid::from_u128(1));
        let run = |status, minute| {
            testing::run(id)
                .started_at(at(9, minute))
                .ended(status, at(9, minute + 1), None)
                .build()
        };
        let history = RunHistory::of(&[
            run(RunStatus::Failed, 30),
            run(RunStatus::Failed, 20),
            run(RunStatus::Succeeded, 10),
            run(RunStatus::Failed, 0),
        ]);
        assert_eq!(history, failing(at(9, 30), 2));
        let cancelled = RunHistory::of(&[run(RunStatus::Cancelled, 30), run(RunStatus::Failed, 0)]);
        assert_eq!(cancelled, started(at(9, 30)));
        assert_eq!(RunHistory::of(&[]), RunHistory::default());
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
                next_sync_at(&integration(status, interval), &RunHistory::default(), now),
                None,
                "{status:?}"
            );
        }
    }
}
