//! Counters of what the simulator served, so tests can assert on a client's behaviour ("zero 429s",
//! "exactly one token refresh", "N pages of find_by_department").

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Path templates of the Lark endpoints the simulator serves (keys of
/// [`SimulatorStats::requests_by_endpoint`]).
pub mod endpoints {
    pub const TENANT_ACCESS_TOKEN: &str = "/open-apis/auth/v3/tenant_access_token/internal";
    pub const APP_ACCESS_TOKEN: &str = "/open-apis/auth/v3/app_access_token/internal";
    pub const SCOPES: &str = "/open-apis/contact/v3/scopes";
    pub const DEPARTMENT_CHILDREN: &str =
        "/open-apis/contact/v3/departments/:department_id/children";
    pub const DEPARTMENTS_BATCH: &str = "/open-apis/contact/v3/departments/batch";
    pub const DEPARTMENT: &str = "/open-apis/contact/v3/departments/:department_id";
    pub const USERS_FIND_BY_DEPARTMENT: &str = "/open-apis/contact/v3/users/find_by_department";
    pub const USERS_BATCH: &str = "/open-apis/contact/v3/users/batch";
    pub const USER: &str = "/open-apis/contact/v3/users/:user_id";
    pub const TENANT_QUERY: &str = "/open-apis/tenant/v2/tenant/query";
    pub const GROUPS: &str = "/open-apis/contact/v3/group/simplelist";
    pub const GROUP_MEMBERS: &str = "/open-apis/contact/v3/group/:group_id/member/simplelist";
    pub const GROUP: &str = "/open-apis/contact/v3/group/:group_id";
    /// The installed apps (`application/v6/applications`, 100 requests a minute).
    pub const APPLICATIONS: &str = "/open-apis/application/v6/applications";
    /// An app's availability (legacy `application/v2`).
    pub const APP_VISIBILITY: &str = "/open-apis/application/v2/app/visibility";
    /// The OAuth authorize page (on the accounts host in production).
    pub const AUTHORIZE: &str = "/open-apis/authen/v1/authorize";
    /// The simulator's consent form target (not a Lark API).
    pub const AUTHORIZE_DECISION: &str = "/open-apis/authen/v1/authorize/decision";
    pub const OAUTH_TOKEN: &str = "/open-apis/authen/v2/oauth/token";
    pub const USER_INFO: &str = "/open-apis/authen/v1/user_info";
    /// Any path the simulator does not serve.
    pub const UNKNOWN: &str = "(unknown)";
}

/// A snapshot of the counters. Control-surface (`/_simulator/…`) requests are not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorStats {
    /// Every Lark API request, token endpoints and unknown paths included.
    pub total_requests: u64,
    /// Requests per path template (see [`endpoints`]).
    pub requests_by_endpoint: BTreeMap<String, u64>,
    /// Responses with code 99991400, injected or from the real limits, whatever the HTTP status.
    pub rate_limited: u64,
    /// Responses with an HTTP 5xx status.
    pub server_errors: u64,
    /// Injected malformed (truncated) bodies.
    pub malformed: u64,
    /// Responses with 99991661 (no token), 99991663 (unknown or expired tenant token), 99991668
    /// (invalid user token) or 99991677 (expired user token).
    pub auth_failures: u64,
    /// Requests to the tenant_access_token endpoint.
    pub token_requests: u64,
    /// Distinct tenant tokens minted (a reused token is not counted again).
    pub tokens_issued: u64,
    /// Requests to the OAuth token endpoint with `grant_type=authorization_code`, whatever the outcome.
    pub oauth_code_exchanges: u64,
    /// Requests to the OAuth token endpoint with `grant_type=refresh_token`, whatever the outcome.
    pub oauth_refreshes: u64,
    /// Error responses per Lark `code`.
    pub errors_by_code: BTreeMap<i64, u64>,
}

impl SimulatorStats {
    /// Requests seen for one path template.
    #[must_use]
    pub fn requests_to(&self, endpoint: &str) -> u64 {
        self.requests_by_endpoint
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Error responses with this Lark code.
    #[must_use]
    pub fn errors_with_code(&self, code: i64) -> u64 {
        self.errors_by_code.get(&code).copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    inner: Mutex<SimulatorStats>,
}

impl StatsRecorder {
    fn with(&self, f: impl FnOnce(&mut SimulatorStats)) {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard);
    }

    pub(crate) fn snapshot(&self) -> SimulatorStats {
        let mut out = SimulatorStats::default();
        self.with(|s| out = s.clone());
        out
    }

    pub(crate) fn reset(&self) {
        self.with(|s| *s = SimulatorStats::default());
    }

    pub(crate) fn request(&self, endpoint: &'static str) {
        self.with(|s| {
            s.total_requests += 1;
            *s.requests_by_endpoint
                .entry(endpoint.to_owned())
                .or_default() += 1;
            if endpoint == endpoints::TENANT_ACCESS_TOKEN {
                s.token_requests += 1;
            }
        });
    }

    /// Records the outcome of a response: HTTP status and Lark code (`None` for non-JSON bodies).
    pub(crate) fn response(&self, status: u16, code: Option<i64>) {
        self.with(|s| {
            if status >= 500 {
                s.server_errors += 1;
            }
            if let Some(code) = code.filter(|&c| c != 0) {
                *s.errors_by_code.entry(code).or_default() += 1;
                match code {
                    99_991_400 => s.rate_limited += 1,
                    99_991_661 | 99_991_663 | 99_991_668 | 99_991_677 => s.auth_failures += 1,
                    _ => {}
                }
            }
        });
    }

    pub(crate) fn malformed(&self) {
        self.with(|s| s.malformed += 1);
    }

    /// A token-endpoint request with this `grant_type`.
    pub(crate) fn oauth_grant(&self, grant_type: &str) {
        self.with(|s| match grant_type {
            "authorization_code" => s.oauth_code_exchanges += 1,
            "refresh_token" => s.oauth_refreshes += 1,
            _ => {}
        });
    }

    pub(crate) fn token_issued(&self) {
        self.with(|s| s.tokens_issued += 1);
    }
}
