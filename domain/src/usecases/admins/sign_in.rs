//! `SignIn`: password sign-in with throttling, session checks with a sliding idle expiry,
//! CSRF checks, and sign-out. See the module docs for what the errors deliberately hide.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret as _, SecretString};

use crate::model::{Admin, MAX_FAILED_SIGN_INS, SIGN_IN_LOCK_MINUTES, Session};
use crate::ports::{AdminStore, Clock, IdSource, PasswordHashError, PasswordHasher, SessionStore};
use crate::values::{AdminId, CsrfToken, EmailAddress, Password, PasswordHash, SessionId};

use super::AccessBackend;
use super::throttle::{SignInThrottle, Throttled};

/// Why a sign-in failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Unknown email, wrong password or locked account — deliberately indistinguishable.
    #[error(
        "wrong email or password (after {MAX_FAILED_SIGN_INS} failed attempts in a row an account is locked for {SIGN_IN_LOCK_MINUTES} minutes)"
    )]
    InvalidCredentials,
    /// The client failed too often lately; nothing was checked.
    #[error("too many failed sign-ins from this address: try again in {} minutes", .0.retry_after_secs.div_ceil(60))]
    Throttled(Throttled),
    /// As many passwords as this server checks at once are being checked; nothing was checked
    /// and nothing counted. Try again in a moment.
    #[error("too many sign-ins are being checked right now: try again in a moment")]
    Busy,
    /// The store or the hasher failed; the credentials may be fine.
    #[error("cannot sign in right now")]
    Unavailable(#[source] AccessBackend),
}

/// Why a session token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Malformed, unknown or expired — deliberately indistinguishable: sign in again.
    #[error("not signed in, or the session has expired")]
    Unauthenticated,
    /// The store failed; the session may be fine.
    #[error("cannot check the session")]
    Unavailable(#[source] AccessBackend),
}

/// A state-changing request did not carry its session's CSRF token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the form has expired or did not come from Aviary: reload the page and try again")]
pub struct CsrfMismatch;

fn sign_in_unavailable(err: impl Into<AccessBackend>) -> SignInError {
    SignInError::Unavailable(err.into())
}

/// A hasher at its limit is `Busy`, not a failed backend.
fn hasher_failed(err: PasswordHashError) -> SignInError {
    match err {
        PasswordHashError::Busy => SignInError::Busy,
        other => sign_in_unavailable(other),
    }
}

fn session_unavailable(err: impl Into<AccessBackend>) -> SessionError {
    SessionError::Unavailable(err.into())
}

/// Signs admins in and out and checks their sessions.
#[derive(Clone)]
pub struct SignIn {
    admins: Arc<dyn AdminStore>,
    sessions: Arc<dyn SessionStore>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    /// Verified against when the email is unknown; made once per process with the hasher's
    /// own parameters, so it costs exactly what a real verification costs.
    dummy: Arc<OnceLock<PasswordHash>>,
    /// Failed sign-ins per client address, shared by every clone (every server worker).
    throttle: SignInThrottle,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").finish_non_exhaustive()
    }
}

impl SignIn {
    pub fn new(
        admins: Arc<dyn AdminStore>,
        sessions: Arc<dyn SessionStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Self {
        Self {
            admins,
            sessions,
            hasher,
            throttle: SignInThrottle::new(Arc::clone(&clock)),
            clock,
            ids,
            dummy: Arc::new(OnceLock::new()),
        }
    }

    /// Makes the dummy hash now (e.g. when a server starts), so that not even the first
    /// sign-in with an unknown email takes longer than one with a known email.
    ///
    /// # Errors
    /// `Unavailable` when the hasher fails.
    pub async fn prepare(&self) -> Result<(), SignInError> {
        self.dummy_hash().await.map(drop)
    }

    async fn dummy_hash(&self) -> Result<PasswordHash, SignInError> {
        if let Some(hash) = self.dummy.get() {
            return Ok(hash.clone());
        }
        let random = SecretString::from(URL_SAFE_NO_PAD.encode(self.ids.random_256()));
        // 43 random characters always pass the password rules; were they refused, hashing failed.
        let password = Password::parse(random)
            .map_err(|err| sign_in_unavailable(PasswordHashError::Failed(err.to_string())))?;
        let hash = self.hasher.hash(&password).await.map_err(hasher_failed)?;
        // Two first callers may both hash; either result serves.
        Ok(self.dummy.get_or_init(|| hash).clone())
    }

    /// [`SignIn::sign_in`] for a client at `client` (`None`: unknown address), refused
    /// without checking anything while that client is throttled. The attempt takes one of the
    /// client's failure slots before the password is checked and gives it back unless it
    /// failed, so concurrent attempts cannot outrun the count.
    ///
    /// # Errors
    /// `Throttled`, then as [`SignIn::sign_in`].
    pub async fn sign_in_from(
        &self,
        client: Option<IpAddr>,
        email: &str,
        password: &SecretString,
    ) -> Result<(Session, SecretString), SignInError> {
        self.throttle
            .reserve(client)
            .map_err(SignInError::Throttled)?;
        let result = self.sign_in(email, password).await;
        if !matches!(result, Err(SignInError::InvalidCredentials)) {
            self.throttle.refund(client);
        }
        result
    }

    /// Checks the credentials and starts a session. Returns the session and its token (the
    /// cookie value; only its hash is stored). After [`MAX_FAILED_SIGN_INS`] failures in a
    /// row the account is locked for [`SIGN_IN_LOCK_MINUTES`] minutes; while locked, even the
    /// right password is refused with the same error — also when the lock was set by a failure
    /// that finished while this password was being checked.
    ///
    /// # Errors
    /// `InvalidCredentials` (see above), `Busy` when the hasher is at its limit, or
    /// `Unavailable`.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &SecretString,
    ) -> Result<(Session, SecretString), SignInError> {
        let now = self.clock.now();
        let admin = match EmailAddress::parse(email) {
            Ok(email) => self
                .admins
                .find_by_email(&email)
                .await
                .map_err(sign_in_unavailable)?,
            Err(_) => None,
        };
        let Some(admin) = admin else {
            // The same work as for a known email: timing does not reveal which exist.
            let dummy = self.dummy_hash().await?;
            self.hasher
                .verify(password, &dummy)
                .await
                .map_err(hasher_failed)?;
            return Err(SignInError::InvalidCredentials);
        };
        let right = self
            .hasher
            .verify(password, &admin.password_hash)
            .await
            .map_err(hasher_failed)?;
        if admin.is_locked_at(now) {
            // Neither counted nor revealed: see the module docs.
            return Err(SignInError::InvalidCredentials);
        }
        if !right {
            let failures = self
                .admins
                .record_failed_attempt(admin.id)
                .await
                .map_err(sign_in_unavailable)?;
            if failures >= MAX_FAILED_SIGN_INS {
                self.admins
                    .lock_until(admin.id, Admin::lock_ends(now))
                    .await
                    .map_err(sign_in_unavailable)?;
            }
            return Err(SignInError::InvalidCredentials);
        }
        let recorded = self
            .admins
            .record_sign_in(admin.id, now)
            .await
            .map_err(sign_in_unavailable)?;
        if !recorded {
            // Locked by a concurrent failure since `admin` was read.
            return Err(SignInError::InvalidCredentials);
        }
        // Housekeeping where it is cheap: sign-ins are rare, expired sessions pile up.
        self.sessions
            .delete_expired(now)
            .await
            .map_err(sign_in_unavailable)?;
        let (token, id) = SessionId::issue(self.ids.random_256());
        let csrf = CsrfToken::from_random(self.ids.random_256());
        let session = Session::start(id, admin.id, csrf, now);
        self.sessions
            .create(&session)
            .await
            .map_err(sign_in_unavailable)?;
        Ok((session, token))
    }

    /// The admin and session a token belongs to. Activity slides the idle expiry, at most
    /// once a minute, never past the absolute one. An expired session is deleted.
    ///
    /// # Errors
    /// `Unauthenticated` for a malformed, unknown or expired token, `Unavailable` otherwise.
    pub async fn authenticate(
        &self,
        token: &SecretString,
    ) -> Result<(Admin, Session), SessionError> {
        let id = SessionId::of_token(token.expose_secret())
            .map_err(|_| SessionError::Unauthenticated)?;
        let mut session = self
            .sessions
            .find(&id)
            .await
            .map_err(session_unavailable)?
            .ok_or(SessionError::Unauthenticated)?;
        let now = self.clock.now();
        if session.is_expired_at(now) {
            self.sessions
                .delete(&id)
                .await
                .map_err(session_unavailable)?;
            return Err(SessionError::Unauthenticated);
        }
        let admin = self
            .admins
            .get(session.admin_id)
            .await
            .map_err(session_unavailable)?
            .ok_or(SessionError::Unauthenticated)?;
        if session.due_for_touch_at(now) {
            let expires_at = session.deadline_after_activity_at(now);
            self.sessions
                .touch(&id, now, expires_at)
                .await
                .map_err(session_unavailable)?;
            session.last_seen_at = now;
            session.expires_at = expires_at;
        }
        Ok((admin, session))
    }

    /// Checks the CSRF token a state-changing request submitted, in constant time.
    ///
    /// # Errors
    /// [`CsrfMismatch`] unless it is the session's token.
    pub fn verify_csrf(&self, session: &Session, submitted: &str) -> Result<(), CsrfMismatch> {
        if session.csrf_token.matches(submitted) {
            Ok(())
        } else {
            Err(CsrfMismatch)
        }
    }

    /// Ends the session of a token; a malformed or unknown token is already signed out.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    pub async fn sign_out(&self, token: &SecretString) -> Result<(), SessionError> {
        let Ok(id) = SessionId::of_token(token.expose_secret()) else {
            return Ok(());
        };
        self.sessions.delete(&id).await.map_err(session_unavailable)
    }

    /// Ends every session of an admin; returns how many there were.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    pub async fn sign_out_everywhere(&self, admin: AdminId) -> Result<u64, SessionError> {
        self.sessions
            .delete_all_of(admin)
            .await
            .map_err(session_unavailable)
    }
}
