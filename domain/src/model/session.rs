//! `Session`: a signed-in admin's server-side session. The browser holds only the random token
//! (in a `__Host-` cookie); the server keeps its SHA-256 (the id), the CSRF token and expiry.

use chrono::{DateTime, Duration, Utc};

use crate::values::{AdminId, CsrfToken, SessionId};

/// A session unused for this long ends (idle timeout).
pub const SESSION_IDLE_HOURS: i64 = 12;
/// A session ends this long after sign-in, however busy (absolute timeout).
pub const SESSION_ABSOLUTE_DAYS: i64 = 7;
/// Activity extends a session at most this often (saves a write per request).
pub const SESSION_TOUCH_INTERVAL_SECS: i64 = 60;

/// One admin's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub admin_id: AdminId,
    pub csrf_token: CsrfToken,
    pub created_at: DateTime<Utc>,
    /// The last time activity extended the session.
    pub last_seen_at: DateTime<Utc>,
    /// The earlier of the idle and the absolute deadline.
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// A session started at `now`.
    pub fn start(
        id: SessionId,
        admin_id: AdminId,
        csrf_token: CsrfToken,
        now: DateTime<Utc>,
    ) -> Self {
        let mut session = Self {
            id,
            admin_id,
            csrf_token,
            created_at: now,
            last_seen_at: now,
            expires_at: now,
        };
        session.expires_at = session.deadline_after_activity_at(now);
        session
    }

    /// Whether the session has ended at `now`.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// The expiry after activity at `now`: idle timeout from now, capped by the absolute one.
    pub fn deadline_after_activity_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let idle = now + Duration::hours(SESSION_IDLE_HOURS);
        let absolute = self.created_at + Duration::days(SESSION_ABSOLUTE_DAYS);
        idle.min(absolute)
    }

    /// Whether activity at `now` should extend the session (at most once a minute).
    pub fn due_for_touch_at(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen_at >= Duration::seconds(SESSION_TOUCH_INTERVAL_SECS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap() + Duration::hours(hours)
    }

    #[test]
    fn idle_and_absolute_deadlines() {
        let (_, id) = SessionId::issue([1; 32]);
        let session = Session::start(
            id,
            AdminId::from_uuid(uuid::Uuid::nil()),
            CsrfToken::from_random([2; 32]),
            at(0),
        );
        assert_eq!(session.expires_at, at(12));
        assert!(!session.is_expired_at(at(11)));
        assert!(session.is_expired_at(at(12)));
        assert_eq!(session.deadline_after_activity_at(at(10)), at(22));
        assert_eq!(
            session.deadline_after_activity_at(at(7 * 24 - 1)),
            at(7 * 24),
            "capped at seven days after sign-in"
        );
        assert!(!session.due_for_touch_at(at(0) + Duration::seconds(59)));
        assert!(session.due_for_touch_at(at(0) + Duration::seconds(60)));
    }
}
