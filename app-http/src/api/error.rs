//! The API's one error shape, `{"error":{"code","message"}}`, and the exhaustive mapping of
//! every use-case error to an HTTP status and a stable code (catalogue: docs/api.md).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use aviary_domain::ports::{ApiKeyStoreError, IntegrationStoreError, QueryError};
use aviary_domain::usecases::{AuthError, LookupError, QueriesError};
use serde::Serialize;

/// An error answered to an API client: a status, a stable snake_case code and plain words.
/// Messages never carry secrets or internal details (those are logged instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// Missing, malformed, unknown or revoked API key: one and the same answer.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API key as `Authorization: Bearer avk_…`",
        )
    }

    /// A path or query parameter is malformed or out of range; `name` says which.
    pub fn invalid_parameter(name: &str, problem: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("invalid parameter `{name}`: {problem}"),
        )
    }

    /// No route at this path.
    pub fn route_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such API route")
    }

    /// The route exists, not with this method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not accept this method",
        )
    }

    /// The database does not answer (readiness, or any query).
    pub fn database_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; try again later",
        )
    }

    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error; the server log has the details",
        )
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        })
    }
}

// The mappings below match every variant by name, without wildcard arms: a new variant in
// the domain does not compile until it is given a status and a code here.

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::Backend(detail) => {
                tracing::error!(%detail, "read query failed");
                Self::database_unavailable()
            }
        }
    }
}

impl From<IntegrationStoreError> for ApiError {
    fn from(err: IntegrationStoreError) -> Self {
        match err {
            IntegrationStoreError::LabelTaken(label) => Self::new(
                StatusCode::CONFLICT,
                "label_taken",
                format!("an integration labelled \"{label}\" already exists"),
            ),
            IntegrationStoreError::NotFound(id) => Self::new(
                StatusCode::NOT_FOUND,
                "integration_not_found",
                format!("no integration with id {id}"),
            ),
            IntegrationStoreError::Undecryptable(detail) => {
                tracing::error!(%detail, "stored credentials cannot be decrypted");
                Self::internal()
            }
            IntegrationStoreError::Backend(detail) => {
                tracing::error!(%detail, "integration store failed");
                Self::database_unavailable()
            }
        }
    }
}

impl From<LookupError> for ApiError {
    fn from(err: LookupError) -> Self {
        match err {
            LookupError::Unknown(key) => Self::new(
                StatusCode::NOT_FOUND,
                "integration_not_found",
                format!("no integration with id or label \"{key}\""),
            ),
            LookupError::Store(store) => store.into(),
        }
    }
}

impl From<QueriesError> for ApiError {
    fn from(err: QueriesError) -> Self {
        match err {
            QueriesError::UnknownDepartment(not_found) => Self::new(
                StatusCode::BAD_REQUEST,
                "unknown_department",
                format!(
                    "invalid parameter `department`: no department with id or name \"{}\"",
                    not_found.0
                ),
            ),
            QueriesError::UnknownAccount(open_id) => Self::new(
                StatusCode::NOT_FOUND,
                "account_not_found",
                format!("no account with open_id \"{open_id}\" in this integration"),
            ),
            QueriesError::UnknownRun(id) => Self::new(
                StatusCode::NOT_FOUND,
                "run_not_found",
                format!("no sync run with id {id}"),
            ),
            QueriesError::Store(store) => store.into(),
        }
    }
}

impl From<ApiKeyStoreError> for ApiError {
    fn from(err: ApiKeyStoreError) -> Self {
        match err {
            // Only reachable while authenticating: a key deleted under us no longer works.
            ApiKeyStoreError::NotFound(_) => Self::unauthorized(),
            ApiKeyStoreError::Duplicate(id) => {
                tracing::error!(%id, "duplicate API key");
                Self::internal()
            }
            ApiKeyStoreError::Backend(detail) => {
                tracing::error!(%detail, "API key store failed");
                Self::database_unavailable()
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::InvalidKey => Self::unauthorized(),
            AuthError::Store(store) => store.into(),
        }
    }
}
