//! The lease keeper: renews the run's lease every third of its lifetime for as long as the run
//! works — checking the admin's sign-in, walking the departments, listing members, rechecking
//! what vanished — so that no phase, however long and however silent, lets the lease lapse
//! while the process is alive. It stops only when a renewal fails (the lease was lost or the
//! store is unreachable), which the run then fails with.

use std::time::Duration;

use futures::channel::oneshot;

use crate::ports::{Clock, Lease, SyncStore, SyncStoreError, Timer};

/// Renews `lease` every `ttl / 3` until a renewal fails; sends that failure to `lost`.
pub(super) async fn keep(
    store: &dyn SyncStore,
    clock: &dyn Clock,
    timer: &dyn Timer,
    lease: Lease,
    ttl: Duration,
    lost: oneshot::Sender<SyncStoreError>,
) {
    let mut lease = lease;
    loop {
        timer.sleep(ttl / 3).await;
        match store.renew_lease(&lease, ttl, clock.now()).await {
            Ok(renewed) => lease = renewed,
            Err(error) => {
                // The run may have ended meanwhile; then nobody listens, and that is fine.
                let _ = lost.send(error);
                return;
            }
        }
    }
}

/// Completes with the keeper's failure, if it fails; stays pending when the keeper is gone
/// without one (the run has ended, or has no lease to keep).
pub(super) async fn lost(receiver: oneshot::Receiver<SyncStoreError>) -> SyncStoreError {
    match receiver.await {
        Ok(error) => error,
        Err(oneshot::Canceled) => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::{TimeZone as _, Utc};

    use super::*;
    use crate::ports::{MockClock, MockSyncStore};
    use crate::testing::TokioTimer;
    use crate::values::IntegrationId;

    fn lease() -> Lease {
        Lease {
            integration_id: IntegrationId::from_uuid(uuid::Uuid::from_u128(1)),
            owner: "host:1".to_owned(),
            token: 7,
            expires_at: Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap(),
        }
    }

    /// A store whose renewals succeed `good` times, then fail with `LeaseLost`.
    fn store(renewals: &Arc<AtomicUsize>, good: usize) -> MockSyncStore {
        let mut store = MockSyncStore::new();
        let counted = Arc::clone(renewals);
        store.expect_renew_lease().returning(move |lease, _, _| {
            if counted.fetch_add(1, Ordering::SeqCst) < good {
                Ok(lease.clone())
            } else {
                Err(SyncStoreError::LeaseLost)
            }
        });
        store
    }

    fn clock() -> MockClock {
        let mut clock = MockClock::new();
        clock.expect_now().returning(Utc::now);
        clock
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_silent_phase_gets_its_lease_renewed_every_third_of_its_lifetime() {
        let renewals = Arc::new(AtomicUsize::new(0));
        let store = store(&renewals, usize::MAX);
        let clock = clock();
        let (sender, receiver) = oneshot::channel();
        let ttl = Duration::from_secs(120);
        let keeper = keep(&store, &clock, &TokioTimer, lease(), ttl, sender);
        // A department walk that takes five minutes without writing anything.
        let phase = tokio::time::sleep(Duration::from_secs(300));
        tokio::select! {
            () = keeper => panic!("the keeper stopped"),
            () = phase => {}
        }
        // Every 40 s: at 40, 80, …, 280 s.
        assert_eq!(renewals.load(Ordering::SeqCst), 7);
        drop(receiver);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_renewal_is_reported_and_ends_the_keeper() {
        let renewals = Arc::new(AtomicUsize::new(0));
        let store = store(&renewals, 2);
        let clock = clock();
        let (sender, receiver) = oneshot::channel();
        keep(
            &store,
            &clock,
            &TokioTimer,
            lease(),
            Duration::from_secs(30),
            sender,
        )
        .await;
        assert_eq!(lost(receiver).await, SyncStoreError::LeaseLost);
        assert_eq!(renewals.load(Ordering::SeqCst), 3);
    }
}
