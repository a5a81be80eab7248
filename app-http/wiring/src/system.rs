//! Production implementations of the domain's time and randomness ports.

use aviary_domain::ports::{Clock, IdSource};
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
