//! The schedule rule: when an integration on a schedule syncs next, backing off (with jitter)
//! while its runs keep failing, and retrying a run whose process died as soon as its lease
//! lapsed.

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
    /// streak: only failures say that retrying soon is pointless). An abandoned run counts.
    pub failures_in_a_row: u32,
    /// When its newest run, still recorded `running`, was abandoned: its process died (killed,
    /// crashed, host lost) and the lease it no longer renews lapsed then.
    pub abandoned_at: Option<DateTime<Utc>>,
}

impl RunHistory {
    /// From the integration's newest runs, newest first (at least [`RUNS_FOR_SCHEDULE`] of them
    /// when it has that many), and when its lease lapsed ([`LeaseView::lapsed_at`]; `None`
    /// while a live process holds it).
    pub fn of(newest_first: &[SyncRun], lease_lapsed_at: Option<DateTime<Utc>>) -> Self {
        let abandoned_at = match (newest_first.first(), lease_lapsed_at) {
            (Some(run), Some(lapsed)) if run.status == RunStatus::Running => {
                Some(lapsed.max(run.started_at))
            }
            _ => None,
        };
        let dead = usize::from(abandoned_at.is_some());
        let failures = dead
            + newest_first
                .iter()
                .skip(dead)
                .take_while(|run| run.status == RunStatus::Failed)
                .count();
        Self {
            latest_start: newest_first.first().map(|run| run.started_at),
            failures_in_a_row: u32::try_from(failures).unwrap_or(u32::MAX),
            abandoned_at,
        }
    }
}

/// An integration's sync lease as stored: who holds it and when it lapses unless renewed (a
/// released lease lapsed long ago).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseView {
    pub owner: String,
    pub expires_at: DateTime<Utc>,
}

impl LeaseView {
    /// When the lease stopped guarding a run: when it expired, or `now` when its holder is
    /// provably gone ([`crate::ports::LeaseHolders`]); `None` while it is live.
    pub fn lapsed_at(&self, holder_gone: bool, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.expires_at <= now {
            Some(self.expires_at)
        } else {
            holder_gone.then_some(now)
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
/// lockstep. A newest run abandoned by its dead process is retried as soon as its lease lapsed
/// (another process completes it), unless failures before it call for a longer wait: a sync
/// that keeps killing its process backs off like one that keeps failing. `None` when it syncs
/// on demand only, is disabled, or still waits for an admin's Lark login (its first sync
/// starts when the login completes).
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
        failures => {
            let backed_off = backoff(interval, failures);
            backed_off + jitter(integration.id, failures, backed_off)
        }
    };
    Some(match history.abandoned_at {
        Some(abandoned) if history.failures_in_a_row <= 1 => abandoned,
        Some(abandoned) => abandoned.max(started + wait),
        None => started + wait,
    })
}

/// The interval, doubled for each failure after the first, at most [`MAX_DOUBLINGS`] times.
fn backoff(interval: Duration, failures: u32) -> Duration {
    interval * (1_i32 << failures.saturating_sub(1).min(MAX_DOUBLINGS))
}

/// Up to a tenth of the backed-off wait, spread by a hash of the integration and the failure
/// count: deterministic (every process computes the same time, so no two disagree on whether
/// the retry is due) yet different for each integration.
fn jitter(integration: IntegrationId, failures: u32, backed_off: Duration) -> Duration {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a offset basis
    for byte in integration
        .as_uuid()
        .as_bytes()
        .iter()
        .chain(&failures.to_le_bytes())
    {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let tenth_ms = backed_off.num_milliseconds() / 10;
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
        failing(at, 0)
    }

    fn failing(at: DateTime<Utc>, failures: u32) -> RunHistory {
        RunHistory {
            latest_start: Some(at),
            failures_in_a_row: failures,
            abandoned_at: None,
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
        let history = RunHistory::of(
            &[
                run(RunStatus::Failed, 30),
                run(RunStatus::Failed, 20),
                run(RunStatus::Succeeded, 10),
                run(RunStatus::Failed, 0),
            ],
            None,
        );
        assert_eq!(history, failing(at(9, 30), 2));
        let cancelled = RunHistory::of(
            &[run(RunStatus::Cancelled, 30), run(RunStatus::Failed, 0)],
            None,
        );
        assert_eq!(cancelled, started(at(9, 30)));
        assert_eq!(RunHistory::of(&[], None), RunHistory::default());
        // A lapsed lease says nothing about finished runs.
        assert_eq!(
            RunHistory::of(&[run(RunStatus::Failed, 30)], Some(at(9, 50))),
            failing(at(9, 30), 1)
        );
    }

    fn running(minute: u32) -> SyncRun {
        testing::run(IntegrationId::from_uuid(uuid::Uuid::from_u128(1)))
            .started_at(at(9, minute))
            .build()
    }

    #[test]
    fn a_running_run_is_abandoned_only_once_its_lease_lapsed() {
        let live = RunHistory::of(&[running(30)], None);
        assert_eq!(live, started(at(9, 30)));
        let dead = RunHistory::of(&[running(30)], Some(at(9, 32)));
        assert_eq!(dead.abandoned_at, Some(at(9, 32)));
        assert_eq!(dead.failures_in_a_row, 1);
        // A lease released before the run began (long past) abandons it as it started.
        let released = RunHistory::of(&[running(30)], Some(at(0, 0)));
        assert_eq!(released.abandoned_at, Some(at(9, 30)));
    }

    #[test]
    fn a_lease_lapses_when_it_expires_or_its_holder_is_provably_gone() {
        let lease = LeaseView {
            owner: "host:1".to_owned(),
            expires_at: at(9, 32),
        };
        assert_eq!(lease.lapsed_at(false, at(9, 31)), None);
        assert_eq!(lease.lapsed_at(true, at(9, 31)), Some(at(9, 31)));
        assert_eq!(lease.lapsed_at(false, at(9, 40)), Some(at(9, 32)));
    }

    #[test]
    fn an_abandoned_run_is_retried_when_its_lease_lapsed_and_then_backs_off() {
        let active = integration(IntegrationStatus::Active, Some(30));
        let id = active.id;
        let dead = RunHistory::of(&[running(30)], Some(at(9, 32)));
        // Not an interval after it started: at once, so another process completes it.
        assert_eq!(next_sync_at(&active, &dead, at(9, 33)), Some(at(9, 32)));
        // The retry died too: the third run waits two intervals (plus jitter) after it.
        let failed = testing::run(id)
            .started_at(at(9, 0))
            .ended(RunStatus::Failed, at(9, 1), None)
            .build();
        let again = RunHistory::of(&[running(32), failed], Some(at(9, 35)));
        assert_eq!(again.failures_in_a_row, 2);
        let next = next_sync_at(&active, &again, at(9, 36)).unwrap();
        assert!(next >= at(10, 32) && next < at(10, 38), "retried at {next}");
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
