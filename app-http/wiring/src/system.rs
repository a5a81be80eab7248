//! Production implementations of the domain's time, timer and randomness ports.

use aviary_domain::ports::{Clock, IdSource, Timer};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

#[async_trait::async_trait]
impl Timer for TokioTimer {
    async fn sleep(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Random (v4) UUIDs from the operating system's generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_uuid(&self) -> Uuid {
        Uuid::new_v4()
    }

    fn random_256(&self) -> [u8; 32] {
        // The OS generator behind `rand`'s thread RNG (ChaCha, reseeded): fit for secrets.
        rand::random()
    }
}
