//! `Argon2Hasher`: the domain's `PasswordHasher` port with Argon2id (RFC 9106) and OWASP's
//! recommended parameters (19 MiB of memory, 2 iterations, 1 lane). Each hash gets a fresh
//! 128-bit random salt, and the work runs on tokio's blocking pool, off the async executor.
//! At most [`MAX_CONCURRENT_HASHES`] run at once per process (each takes 19 MiB); beyond that
//! the hasher answers `Busy` at once instead of queueing a flood of sign-ins in memory.

use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use aviary_domain::ports::{PasswordHashError, PasswordHasher};
use aviary_domain::values::{Password, PasswordHash};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// OWASP Password Storage Cheat Sheet: Argon2id with m=19456 KiB, t=2, p=1.
pub const OWASP_MEMORY_KIB: u32 = 19_456;
pub const OWASP_ITERATIONS: u32 = 2;
pub const OWASP_PARALLELISM: u32 = 1;

/// Hashes (and verifications) running at once, at most: 4 × 19 MiB of memory.
pub const MAX_CONCURRENT_HASHES: usize = 4;

/// Argon2id password hashing.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// One permit per running hash, shared by every clone.
    slots: std::sync::Arc<Semaphore>,
}

fn failed(err: impl std::fmt::Display) -> PasswordHashError {
    PasswordHashError::Failed(err.to_string())
}

impl Argon2Hasher {
    /// The production configuration (OWASP's recommendation).
    pub fn owasp() -> Self {
        // These constants are valid Argon2 parameters (and argon2's own defaults), so the
        // fallback is never taken.
        let params = Params::new(OWASP_MEMORY_KIB, OWASP_ITERATIONS, OWASP_PARALLELISM, None)
            .unwrap_or_default();
        Self::with_params(params)
    }

    fn with_params(params: Params) -> Self {
        Self {
            params,
            slots: std::sync::Arc::new(Semaphore::new(MAX_CONCURRENT_HASHES)),
        }
    }

    /// A slot for one hash, or `Busy` when all are taken.
    fn slot(&self) -> Result<OwnedSemaphorePermit, PasswordHashError> {
        std::sync::Arc::clone(&self.slots)
            .try_acquire_owned()
            .map_err(|_| PasswordHashError::Busy)
    }

    /// Another cost (e.g. a cheap one in tests); hashes record their parameters, so hashes
    /// made with any cost still verify.
    ///
    /// # Errors
    /// `Failed` when the parameters are outside what Argon2 allows.
    pub fn with_costs(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> Result<Self, PasswordHashError> {
        let params = Params::new(memory_kib, iterations, parallelism, None).map_err(failed)?;
        Ok(Self::with_params(params))
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }
}

/// Runs CPU-heavy hashing on the blocking pool, holding `slot` until it is done (also when the
/// caller stops waiting: the work goes on, and so must its count).
async fn blocking<T: Send + 'static>(
    slot: OwnedSemaphorePermit,
    work: impl FnOnce() -> Result<T, PasswordHashError> + Send + 'static,
) -> Result<T, PasswordHashError> {
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(slot);
        result
    })
    .await
    .map_err(failed)?
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, PasswordHashError> {
        let secret = password.secret().clone();
        let argon2 = self.argon2();
        let salt: [u8; 16] = rand::random();
        let slot = self.slot()?;
        blocking(slot, move || {
            let salt = SaltString::encode_b64(&salt).map_err(failed)?;
            let phc = argon2
                .hash_password(secret.expose_secret().as_bytes(), &salt)
                .map_err(failed)?;
            Ok(PasswordHash::from_phc(phc.to_string()))
        })
        .await
    }

    async fn verify(
        &self,
        candidate: &SecretString,
        hash: &PasswordHash,
    ) -> Result<bool, PasswordHashError> {
        let candidate = candidate.clone();
        let phc = hash.as_phc().to_owned();
        let argon2 = self.argon2();
        let slot = self.slot()?;
        blocking(slot, move || {
            let parsed = password_hash::PasswordHash::new(&phc)
                .map_err(|err| PasswordHashError::Malformed(err.to_string()))?;
            if parsed.algorithm != argon2::ARGON2ID_IDENT {
                return Err(PasswordHashError::Malformed(format!(
                    "expected an argon2id hash, found {}",
                    parsed.algorithm
                )));
            }
            // The cost comes from the stored hash, so older hashes keep verifying.
            match argon2.verify_password(candidate.expose_secret().as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(password_hash::Error::Password) => Ok(false),
                Err(err) => Err(failed(err)),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(SecretString::from(text)).unwrap()
    }

    /// Argon2's minimum cost: fast enough for unit tests.
    fn cheap() -> Argon2Hasher {
        Argon2Hasher::with_costs(8, 1, 1).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_the_right_password_only_with_a_fresh_salt_each_time() {
        let hasher = cheap();
        let right = password("correct horse battery staple");
        let hash = hasher.hash(&right).await.unwrap();
        assert!(
            hash.as_phc().starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
            "{}",
            hash.as_phc()
        );
        assert!(!hash.as_phc().contains("horse"));
        assert!(hasher.verify(right.secret(), &hash).await.unwrap());
        let wrong = SecretString::from("correct horse battery stapler");
        assert!(!hasher.verify(&wrong, &hash).await.unwrap());
        let again = hasher.hash(&right).await.unwrap();
        assert_ne!(again, hash, "salted");
        // A hash made at another cost still verifies: its parameters travel with it.
        assert!(
            Argon2Hasher::owasp()
                .verify(right.secret(), &hash)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn production_hashes_use_owasp_parameters() {
        let hash = Argon2Hasher::owasp()
            .hash(&password("correct horse battery staple"))
            .await
            .unwrap();
        assert!(
            hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_phc()
        );
    }

    #[tokio::test]
    async fn unreadable_or_foreign_hashes_are_malformed_not_a_wrong_password() {
        let hasher = cheap();
        let candidate = SecretString::from("anything at all");
        for stored in [
            "",
            "plaintext-password",
            "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            let err = hasher
                .verify(&candidate, &PasswordHash::from_phc(stored.into()))
                .await
                .unwrap_err();
            assert!(
                matches!(err, PasswordHashError::Malformed(_)),
                "{stored}: {err:?}"
            );
        }
        assert!(Argon2Hasher::with_costs(0, 0, 0).is_err());
    }

    #[tokio::test]
    async fn beyond_the_limit_of_concurrent_hashes_the_hasher_is_busy_at_once() {
        let hasher = cheap();
        let hash = hasher
            .hash(&password("a long enough password"))
            .await
            .unwrap();
        let all = std::sync::Arc::clone(&hasher.slots)
            .try_acquire_many_owned(u32::try_from(MAX_CONCURRENT_HASHES).unwrap())
            .unwrap();
        let candidate = SecretString::from("a long enough password");
        assert_eq!(
            hasher.clone().verify(&candidate, &hash).await,
            Err(PasswordHashError::Busy),
            "clones share the limit"
        );
        assert_eq!(
            hasher
                .hash(&password("another password here"))
                .await
                .map(drop),
            Err(PasswordHashError::Busy)
        );
        drop(all);
        assert_eq!(hasher.verify(&candidate, &hash).await, Ok(true));
    }
}
