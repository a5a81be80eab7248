//! THE typed error catalogue of the Lark client: every Lark error code (and HTTP status without a
//! code) the client treats specially is decided here, in one place, as a `Verdict` — retry after
//! the rate-limit reset, refresh the tenant token once, back off and retry, fall back to a
//! level-by-level walk, or fail with a typed `DirectoryError`.
//!
//! | code(s) | endpoint | verdict |
//! |---|---|---|
//! | 99991400 (HTTP 429 or 400) | any | wait `x-ogw-ratelimit-reset`, retry (bounded → `RateLimited`) |
//! | 99991663, 99991668, 99991677 | API | drop the cached token, fetch a new one, retry once |
//! | 99991672, 99991676, 99991679 | any | `MissingScope` (scope from `permission_violations` or msg) |
//! | 40004, 40014, 41050, 42009 | any | `NoAuthority` |
//! | 43010 | API | level-by-level department walk (internal signal) |
//! | 40003, unknown code with HTTP 5xx | any | back off, retry (bounded → `Unavailable`) |
//! | 10003, 10014, 10015 | token | `InvalidCredentials` (invalid app_id / app secret) |
//! | 99991543, 99991662, 99991673 | any | `InvalidCredentials` (wrong credentials, disabled or uninstalled app) |
//! | anything else | any | `Api { code, msg, log_id }` |
//!
//! Without a Lark code: HTTP 429 → rate limited; 5xx, timeouts, connection failures and resets
//! → back off and retry; any other status or a 2xx body that is not the documented JSON →
//! `InvalidResponse` (not retried: the same request gets the same answer).
//! 99991661 ("Need a token") is deliberately not a credentials error: it means the request
//! carried no usable `Authorization` header, which is a client fault, surfaced as `Api`.

use aviary_domain::ports::DirectoryError;

const RATE_LIMITED: i64 = 99_991_400;
const TOKEN_INVALID: [i64; 3] = [99_991_663, 99_991_668, 99_991_677];
const MISSING_SCOPE: [i64; 3] = [99_991_672, 99_991_676, 99_991_679];
const NO_AUTHORITY: [i64; 4] = [40_004, 40_014, 41_050, 42_009];
pub(crate) const RECURSION_REFUSED: i64 = 43_010;
const INTERNAL_ERROR: i64 = 40_003;
const TOKEN_ENDPOINT_CREDENTIALS: [i64; 3] = [10_003, 10_014, 10_015];
const CREDENTIALS_ANYWHERE: [i64; 3] = [99_991_543, 99_991_662, 99_991_673];

/// Which endpoint answered: a few codes mean different things at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    TenantToken,
    Api,
}

/// A Lark answer with a non-zero `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LarkFault {
    pub status: u16,
    pub code: i64,
    pub msg: String,
    pub log_id: Option<String>,
    /// `error.permission_violations[].subject`, in order.
    pub scopes: Vec<String>,
    /// The raw `x-ogw-ratelimit-reset` header.
    pub reset: Option<String>,
}

impl LarkFault {
    pub(crate) fn to_api_error(&self) -> DirectoryError {
        DirectoryError::Api {
            code: self.code,
            msg: self.msg.clone(),
            log_id: self.log_id.clone(),
        }
    }

    fn detail(&self) -> String {
        match &self.log_id {
            Some(log_id) => format!("Lark code {}: {} (log id {log_id})", self.code, self.msg),
            None => format!("Lark code {}: {}", self.code, self.msg),
        }
    }
}

/// One failed attempt, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The request did not complete: connect error, timeout, reset, broken body.
    Network { detail: String },
    /// The request could not be built; retrying cannot help.
    Local { detail: String },
    /// A 2xx answer that is not the documented JSON.
    Malformed { detail: String },
    /// A non-2xx answer without a Lark code.
    Http {
        status: u16,
        log_id: Option<String>,
        reset: Option<String>,
    },
    /// A Lark error code.
    Lark(LarkFault),
}

impl Failure {
    /// The raw `x-ogw-ratelimit-reset` header of the answer, if any.
    pub(crate) fn reset_header(&self) -> Option<&str> {
        match self {
            Failure::Http { reset, .. } | Failure::Lark(LarkFault { reset, .. }) => {
                reset.as_deref()
            }
            _ => None,
        }
    }
}

/// What the transport does about a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Wait for the rate-limit window to reset, then retry.
    RateLimited,
    /// Drop the cached tenant token, fetch a fresh one, retry once.
    RefreshToken,
    /// Back off and retry; `detail` describes the failure if retries run out.
    Retry { detail: String },
    /// Lark refused `fetch_child=true` on a big department (43010).
    RecursionRefused,
    /// Give up with this error.
    Fail(DirectoryError),
}

/// The scope a 99991672/99991679 answer names: the first `permission_violations[].subject`, else
/// the first entry of the bracketed list in `msg` ("... required: [contact:user.id:readonly]").
pub(crate) fn named_scope(fault: &LarkFault) -> Option<String> {
    if let Some(scope) = fault
        .scopes
        .iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
    {
        return Some(scope.to_owned());
    }
    let open = fault.msg.rfind('[')?;
    let close = open + fault.msg[open..].find(']')?;
    fault.msg[open + 1..close]
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Decides what a failed attempt means. `resource` names what the request was about
/// ("department od-…", "users …") for `NoAuthority`.
pub(crate) fn classify(failure: &Failure, endpoint: Endpoint, resource: &str) -> Verdict {
    match failure {
        Failure::Network { detail } => Verdict::Retry {
            detail: detail.clone(),
        },
        Failure::Local { detail } => Verdict::Fail(DirectoryError::Unavailable {
            detail: detail.clone(),
        }),
        Failure::Malformed { detail } => Verdict::Fail(DirectoryError::InvalidResponse {
            detail: detail.clone(),
        }),
        Failure::Http { status, log_id, .. } => classify_status(*status, log_id.as_deref()),
        Failure::Lark(fault) => classify_code(fault, endpoint, resource),
    }
}

fn classify_status(status: u16, log_id: Option<&str>) -> Verdict {
    let log = log_id.map(|l| format!(" (log id {l})")).unwrap_or_default();
    match status {
        429 => Verdict::RateLimited,
        500..=599 => Verdict::Retry {
            detail: format!("HTTP {status} without a Lark error code{log}"),
        },
        _ => Verdict::Fail(DirectoryError::InvalidResponse {
            detail: format!("HTTP {status} without a Lark error code{log}"),
        }),
    }
}

fn classify_code(fault: &LarkFault, endpoint: Endpoint, resource: &str) -> Verdict {
    let code = fault.code;
    if code == RATE_LIMITED {
        return Verdict::RateLimited;
    }
    if TOKEN_INVALID.contains(&code) {
        return match endpoint {
            Endpoint::Api => Verdict::RefreshToken,
            Endpoint::TenantToken => Verdict::Fail(fault.to_api_error()),
        };
    }
    if MISSING_SCOPE.contains(&code) {
        return Verdict::Fail(DirectoryError::MissingScope {
            scope: named_scope(fault),
            detail: fault.detail(),
        });
    }
    if NO_AUTHORITY.contains(&code) {
        return Verdict::Fail(DirectoryError::NoAuthority {
            resource: resource.to_owned(),
            detail: fault.detail(),
        });
    }
    if code == RECURSION_REFUSED && endpoint == Endpoint::Api {
        return Verdict::RecursionRefused;
    }
    if code == INTERNAL_ERROR {
        return Verdict::Retry {
            detail: fault.detail(),
        };
    }
    let credentials = CREDENTIALS_ANYWHERE.contains(&code)
        || (endpoint == Endpoint::TenantToken && TOKEN_ENDPOINT_CREDENTIALS.contains(&code));
    if credentials {
        return Verdict::Fail(DirectoryError::InvalidCredentials {
            detail: fault.detail(),
        });
    }
    if (500..=599).contains(&fault.status) {
        return Verdict::Retry {
            detail: fault.detail(),
        };
    }
    Verdict::Fail(fault.to_api_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(status: u16, code: i64, msg: &str) -> Failure {
        Failure::Lark(LarkFault {
            status,
            code,
            msg: msg.to_owned(),
            log_id: Some("log-1".to_owned()),
            scopes: Vec::new(),
            reset: None,
        })
    }

    #[test]
    fn rate_limits_are_recognised_by_code_whatever_the_status_and_by_429_alone() {
        for status in [429, 400, 200] {
            assert_eq!(
                classify(&fault(status, 99_991_400, "limit"), Endpoint::Api, "x"),
                Verdict::RateLimited
            );
        }
        let bare = Failure::Http {
            status: 429,
            log_id: None,
            reset: Some("3".to_owned()),
        };
        assert_eq!(classify(&bare, Endpoint::Api, "x"), Verdict::RateLimited);
        assert_eq!(bare.reset_header(), Some("3"));
    }

    #[test]
    fn the_monthly_quota_is_not_a_retryable_rate_limit() {
        let verdict = classify(&fault(429, 99_991_403, "quota"), Endpoint::Api, "x");
        assert!(
            matches!(
                verdict,
                Verdict::Fail(DirectoryError::Api {
                    code: 99_991_403,
                    ..
                })
            ),
            "{verdict:?}"
        );
    }

    #[test]
    fn token_errors_refresh_only_on_api_calls() {
        for code in [99_991_663, 99_991_668, 99_991_677] {
            assert_eq!(
                classify(&fault(400, code, "bad token"), Endpoint::Api, "x"),
                Verdict::RefreshToken
            );
            assert!(matches!(
                classify(&fault(400, code, "bad token"), Endpoint::TenantToken, "x"),
                Verdict::Fail(DirectoryError::Api { .. })
            ));
        }
    }

    #[test]
    fn credential_codes_are_invalid_credentials() {
        for code in [10_003, 10_014, 10_015, 99_991_543] {
            let verdict = classify(
                &fault(400, code, "app secret invalid"),
                Endpoint::TenantToken,
                "x",
            );
            assert!(
                matches!(
                    verdict,
                    Verdict::Fail(DirectoryError::InvalidCredentials { .. })
                ),
                "{code}"
            );
        }
        // 10003 is a generic "invalid param" on ordinary APIs.
        assert!(matches!(
            classify(&fault(400, 10_003, "invalid param"), Endpoint::Api, "x"),
            Verdict::Fail(DirectoryError::Api { code: 10_003, .. })
        ));
        assert!(matches!(
            classify(
                &fault(400, 99_991_662, "app not in use"),
                Endpoint::Api,
                "x"
            ),
            Verdict::Fail(DirectoryError::InvalidCredentials { .. })
        ));
        assert!(matches!(
            classify(&fault(400, 99_991_661, "Need a token"), Endpoint::Api, "x"),
            Verdict::Fail(DirectoryError::Api {
                code: 99_991_661,
                ..
            })
        ));
    }

    #[test]
    fn missing_scopes_are_named_from_violations_or_the_message() {
        let from_msg = fault(
            400,
            99_991_672,
            "Access denied. One of the following scopes is required: [contact:user.id:readonly]",
        );
        assert_eq!(
            classify(&from_msg, Endpoint::Api, "x"),
            Verdict::Fail(DirectoryError::MissingScope {
                scope: Some("contact:user.id:readonly".to_owned()),
                detail: "Lark code 99991672: Access denied. One of the following scopes is required: [contact:user.id:readonly] (log id log-1)".to_owned(),
            })
        );
        let Failure::Lark(mut with_violations) = fault(400, 99_991_679, "required: [a:b, c:d]")
        else {
            unreachable!()
        };
        assert_eq!(named_scope(&with_violations), Some("a:b".to_owned()));
        with_violations.scopes = vec!["task:task:read".to_owned()];
        assert_eq!(
            named_scope(&with_violations),
            Some("task:task:read".to_owned())
        );
        let Failure::Lark(unnamed) = fault(403, 99_991_676, "token no permission") else {
            unreachable!()
        };
        assert_eq!(named_scope(&unnamed), None);
    }

    #[test]
    fn authority_recursion_and_internal_errors() {
        assert!(matches!(
            classify(&fault(403, 40_004, "no dept authority"), Endpoint::Api, "department od-1"),
            Verdict::Fail(DirectoryError::NoAuthority { resource, .. }) if resource == "department od-1"
        ));
        assert_eq!(
            classify(&fault(400, 43_010, "big dept"), Endpoint::Api, "x"),
            Verdict::RecursionRefused
        );
        assert!(matches!(
            classify(&fault(500, 40_003, "internal"), Endpoint::Api, "x"),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(&fault(503, 1_234, "busy"), Endpoint::Api, "x"),
            Verdict::Retry { .. }
        ));
        assert_eq!(
            classify(&fault(400, 1_234, "odd"), Endpoint::Api, "x"),
            Verdict::Fail(DirectoryError::Api {
                code: 1_234,
                msg: "odd".to_owned(),
                log_id: Some("log-1".to_owned())
            })
        );
    }

    #[test]
    fn statuses_without_a_code() {
        let status = |s| Failure::Http {
            status: s,
            log_id: None,
            reset: None,
        };
        assert!(matches!(
            classify(&status(502), Endpoint::Api, "x"),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(&status(404), Endpoint::Api, "x"),
            Verdict::Fail(DirectoryError::InvalidResponse { .. })
        ));
        assert!(matches!(
            classify(
                &Failure::Network {
                    detail: "reset".to_owned()
                },
                Endpoint::Api,
                "x"
            ),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(
                &Failure::Malformed {
                    detail: "eof".to_owned()
                },
                Endpoint::Api,
                "x"
            ),
            Verdict::Fail(DirectoryError::InvalidResponse { .. })
        ));
    }
}
