//! `DatabaseClock`: this host's clock corrected to the database server's, so that every
//! process sharing a PostgreSQL database — on hosts whose clocks disagree — stamps and judges
//! lease expiry, run times and token lifetimes by one clock. The offset is measured at start
//! and every minute after (half the query's round trip is allowed for); on SQLite, whose clock
//! is this host's, the offset stays zero.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use aviary_adapters_db::Database;
use aviary_domain::ports::Clock;
use chrono::{DateTime, Utc};

/// How often the offset is measured again.
const REMEASURE_EVERY: Duration = Duration::from_secs(60);

/// An offset worth a warning: leases and tokens then live noticeably longer or shorter by this
/// host's own clock.
const NOTABLE_SKEW: chrono::Duration = chrono::Duration::seconds(2);

/// This host's clock plus the last measured offset to the database's.
#[derive(Clone)]
pub struct DatabaseClock {
    local: Arc<dyn Clock>,
    offset_micros: Arc<AtomicI64>,
}

impl std::fmt::Debug for DatabaseClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseClock")
            .field("offset_micros", &self.offset_micros.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Clock for DatabaseClock {
    fn now(&self) -> DateTime<Utc> {
        self.local.now() + self.offset()
    }
}

impl DatabaseClock {
    /// `local` with no offset yet.
    pub fn new(local: Arc<dyn Clock>) -> Self {
        Self {
            local,
            offset_micros: Arc::new(AtomicI64::new(0)),
        }
    }

    /// The offset in use.
    pub fn offset(&self) -> chrono::Duration {
        chrono::Duration::microseconds(self.offset_micros.load(Ordering::Relaxed))
    }

    /// Measures the offset once with `server_time`; keeps the last one when that fails.
    pub async fn measure<F, E>(&self, server_time: F)
    where
        F: Future<Output = Result<Option<DateTime<Utc>>, E>>,
        E: std::fmt::Display,
    {
        let sent = self.local.now();
        let answer = server_time.await;
        let received = self.local.now();
        match answer {
            Ok(Some(server)) => {
                let offset = server - (sent + (received - sent) / 2);
                if offset.abs() > NOTABLE_SKEW {
                    tracing::warn!(
                        offset_ms = offset.num_milliseconds(),
                        "this host's clock is off the database server's; Aviary keeps time by the database's"
                    );
                }
                let micros = offset.num_microseconds().unwrap_or(0);
                self.offset_micros.store(micros, Ordering::Relaxed);
            }
            // SQLite: this host's clock is the database's.
            Ok(None) => self.offset_micros.store(0, Ordering::Relaxed),
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the database server's time; keeping the last offset");
            }
        }
    }

    /// Measures the offset now and then every minute, for as long as the process runs
    /// (PostgreSQL only; on SQLite there is nothing to measure).
    pub async fn follow(self, database: Database) {
        if database.backend() != aviary_adapters_db::Backend::Postgres {
            return;
        }
        self.measure(database.server_time()).await;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REMEASURE_EVERY).await;
                self.measure(database.server_time()).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone as _;

    use super::*;

    /// A host clock ten minutes slow, whose reading moves 20 ms per call.
    struct SlowHost(std::sync::Mutex<DateTime<Utc>>);

    impl Clock for SlowHost {
        fn now(&self) -> DateTime<Utc> {
            let mut at = self.0.lock().unwrap();
            *at += chrono::Duration::milliseconds(20);
            *at
        }
    }

    fn server_noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap()
    }

    #[tokio::test]
    async fn a_host_ten_minutes_slow_keeps_the_database_servers_time() {
        let host = SlowHost(std::sync::Mutex::new(
            server_noon() - chrono::Duration::minutes(10),
        ));
        let clock = DatabaseClock::new(Arc::new(host));
        // Sent at 11:50:00.020, answered 12:00:00.030 by the server, received at 11:50:00.040.
        let answer = server_noon() + chrono::Duration::milliseconds(30);
        clock.measure(async { Ok::<_, String>(Some(answer)) }).await;
        assert_eq!(clock.offset(), chrono::Duration::minutes(10));
        // The next reading of the host (11:50:00.060) is 12:00:00.060 by the database.
        assert_eq!(
            clock.now(),
            server_noon() + chrono::Duration::milliseconds(60)
        );

        // A failed measurement keeps the offset; SQLite's answer (none) resets it.
        clock
            .measure(async { Err::<Option<DateTime<Utc>>, _>("gone") })
            .await;
        assert_eq!(clock.offset(), chrono::Duration::minutes(10));
        clock.measure(async { Ok::<_, String>(None) }).await;
        assert_eq!(clock.offset(), chrono::Duration::zero());
    }
}
