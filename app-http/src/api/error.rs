//! The API's one error shape, `{"error":{"code","message"}}`, and the exhaustive mapping of
//! every use-case error to an HTTP status and a stable code (catalogue: docs/api.md).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use aviary_domain::ports::{
    ApiKeyStoreError, DirectoryError, FaultKind, GrantStoreError, IntegrationStoreError,
    QueryError, StoreFault, SyncStoreError,
};
use aviary_domain::usecases::connect::ConnectBackend;
use aviary_domain::usecases::sync::SyncError;
use aviary_domain::usecases::{AuthError, LookupError, OverBudget, QueriesError, ScopeError};
use aviary_domain::usecases::{HealthError, RegisterError, RemoveError, UpdateError};
use aviary_wiring::logging::chain;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answered to an API client: a status, a stable snake_case code and plain words.
/// Messages never carry secrets or internal details (those are logged instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds for `Retry-After`, when waiting helps.
    retry_after: Option<u64>,
}

/// `{"error": {"code", "message"}}`: every error the API answers, whatever the route.
#[derive(Serialize, ToSchema)]
#[schema(as = ErrorBody)]
pub(crate) struct Body<'a> {
    error: Inner<'a>,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
#[schema(as = ErrorDetail)]
struct Inner<'a> {
    /// Stable snake_case code that scripts may match on (catalogue: docs/api.md, "Errors").
    code: &'a str,
    /// Plain words for people; may change. Never a secret or an internal detail.
    message: &'a str,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
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

    /// The key made its requests of this minute.
    pub fn rate_limited(over: OverBudget) -> Self {
        Self {
            retry_after: Some(over.retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                over.to_string(),
            )
        }
    }

    /// The key is valid, but its scope does not permit this.
    pub fn insufficient_scope(refusal: ScopeError) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("{refusal}; nothing was changed"),
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

    /// A request body that is not the JSON this route takes (malformed, wrong types,
    /// unknown fields, not `application/json`).
    pub fn invalid_body(problem: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("invalid request body: {problem}"),
        )
    }

    /// A body field with a value the domain refuses; `code` names the field
    /// (`invalid_label`, …) and so does the message.
    pub(crate) fn invalid_field(
        code: &'static str,
        field: &str,
        problem: impl std::fmt::Display,
    ) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            code,
            format!("invalid `{field}`: {problem}"),
        )
    }

    fn label_taken(label: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "label_taken",
            format!("an integration labelled \"{label}\" already exists"),
        )
    }

    fn integration_not_found(id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "integration_not_found",
            format!("no integration with id {id}"),
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

    /// Another run of the integration holds its lease (a sync that could not start, or a
    /// store that found the lease taken).
    fn sync_already_running(until: chrono::DateTime<chrono::Utc>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "sync_already_running",
            format!(
                "a sync of this integration is already running (lease until {}); wait for it to finish",
                until.to_rfc3339()
            ),
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

    /// A stored secret of one integration opens under no master key this server knows: that
    /// integration's problem, not the server's (other integrations work).
    fn undecryptable(what: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "secret_undecryptable",
            format!(
                "this integration's stored {what} cannot be decrypted with any master key this \
                 server knows: give the server the key it was stored under (docs/cli.md, \
                 `db rotate-key`), or remove the integration and add it again; other \
                 integrations are not affected"
            ),
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
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
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

/// The one mapping of a store's failure, whichever route meets it: unreachable → 503
/// `database_unavailable`, any other failure → 500 `internal_error`; the cause goes to the log.
impl From<StoreFault> for ApiError {
    fn from(fault: StoreFault) -> Self {
        let detail = chain(&fault);
        match fault.kind() {
            FaultKind::Unavailable => {
                tracing::warn!(%detail, "the database is unavailable");
                Self::database_unavailable()
            }
            FaultKind::Failed => {
                tracing::error!(%detail, "a store operation failed");
                Self::internal()
            }
        }
    }
}

impl From<SyncStoreError> for ApiError {
    fn from(err: SyncStoreError) -> Self {
        match err {
            SyncStoreError::LeaseHeld { until, .. } => Self::sync_already_running(until),
            SyncStoreError::LeaseLost => Self::new(
                StatusCode::CONFLICT,
                "sync_superseded",
                "another process took over this sync; nothing more was written",
            ),
            SyncStoreError::Backend(fault) => fault.into(),
        }
    }
}

impl From<GrantStoreError> for ApiError {
    fn from(err: GrantStoreError) -> Self {
        match err {
            GrantStoreError::NoIntegration(id) => Self::integration_not_found(id),
            GrantStoreError::Undecryptable(detail) => {
                tracing::error!(%detail, "a stored Lark sign-in cannot be decrypted");
                Self::undecryptable("Lark sign-in")
            }
            GrantStoreError::Backend(fault) => fault.into(),
        }
    }
}

impl From<ConnectBackend> for ApiError {
    fn from(err: ConnectBackend) -> Self {
        match err {
            ConnectBackend::Integrations(store) => store.into(),
            ConnectBackend::Grants(store) => store.into(),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::Backend(fault) => fault.into(),
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
                Self::undecryptable("App Secret")
            }
            IntegrationStoreError::Backend(fault) => fault.into(),
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
            QueriesError::CursorMismatch { .. } => Self::invalid_parameter("cursor", &err),
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
            QueriesError::UnknownGroup(key) => Self::new(
                StatusCode::NOT_FOUND,
                "group_not_found",
                format!("no user group with id or name \"{key}\" in this integration"),
            ),
            QueriesError::UnknownGroupFilter(key) => Self::new(
                StatusCode::BAD_REQUEST,
                "unknown_group",
                format!("invalid parameter `group`: no user group with id or name \"{key}\""),
            ),
            QueriesError::UnknownApp(app_id) => Self::new(
                StatusCode::NOT_FOUND,
                "app_not_found",
                format!("no installed app with id \"{app_id}\" in this integration"),
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
            ApiKeyStoreError::Backend(fault) => fault.into(),
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

impl From<SyncError> for ApiError {
    fn from(err: SyncError) -> Self {
        match err {
            SyncError::NotFound(id) => Self::new(
                StatusCode::NOT_FOUND,
                "integration_not_found",
                format!("no integration with id {id}"),
            ),
            SyncError::Disabled(label) => Self::new(
                StatusCode::CONFLICT,
                "integration_disabled",
                format!("integration \"{label}\" is disabled; enable it before syncing"),
            ),
            SyncError::AlreadyRunning { until, .. } => Self::sync_already_running(until),
            SyncError::NotHeld(run) => Self::new(
                StatusCode::CONFLICT,
                "run_not_held",
                format!("run {run} was not held, so there is nothing to confirm"),
            ),
            SyncError::Superseded(run) => Self::new(
                StatusCode::CONFLICT,
                "run_superseded",
                format!(
                    "run {run} is no longer the integration's newest run; confirm the newest \
                     held run"
                ),
            ),
            // Only the scheduler starts scheduled runs; listed for completeness.
            err @ SyncError::NotDue(_) => {
                Self::new(StatusCode::CONFLICT, "sync_not_due", err.to_string())
            }
            SyncError::Integrations(store) => store.into(),
            SyncError::Store(store) => store.into(),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(err: RegisterError) -> Self {
        match err {
            RegisterError::Label(problem) => Self::invalid_field("invalid_label", "label", problem),
            RegisterError::AppId(problem) => {
                Self::invalid_field("invalid_app_id", "app_id", problem)
            }
            RegisterError::EmptySecret => Self::invalid_field(
                "invalid_app_secret",
                "app_secret",
                "the App Secret is empty",
            ),
            RegisterError::BaseUrl(_) => Self::invalid_field(
                "invalid_base_url",
                "base_url",
                "expected http:// or https:// and a host, without credentials, query or fragment",
            ),
            RegisterError::BaseUrlRefused(refusal) => Self::new(
                StatusCode::BAD_REQUEST,
                "base_url_not_allowed",
                format!("`base_url` not allowed: {refusal}"),
            ),
            RegisterError::SyncInterval(problem) => {
                Self::invalid_field("invalid_sync_interval", "sync_interval_minutes", problem)
            }
            RegisterError::LabelTaken(label) => Self::label_taken(label),
            RegisterError::Verification(directory) => Self::verification(directory),
            RegisterError::Store(store) => store.into(),
        }
    }
}

impl ApiError {
    /// Checking new credentials with Lark failed: Lark's refusals are the client's to fix
    /// (422), Lark being unreachable or erratic is a bad gateway (502). Nothing was stored.
    fn verification(err: DirectoryError) -> Self {
        const NOTHING: &str = "Nothing was stored; to store it anyway, send \"verify\": false.";
        match err {
            DirectoryError::InvalidCredentials { detail } => {
                tracing::info!(%detail, "Lark rejected new app credentials");
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "credentials_rejected",
                    "Lark rejected the App ID or App Secret: check both in the Lark developer \
                     console (and that the app is enabled). Nothing was stored.",
                )
            }
            DirectoryError::BaseUrlRefused(refusal) => Self::new(
                StatusCode::BAD_REQUEST,
                "base_url_not_allowed",
                format!("`base_url` not allowed: {refusal}"),
            ),
            refused
            @ (DirectoryError::MissingScope { .. } | DirectoryError::NoAuthority { .. }) => {
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "verification_failed",
                    format!("Lark refused to read the tenant: {refused}. {NOTHING}"),
                )
            }
            unavailable @ (DirectoryError::RateLimited { .. }
            | DirectoryError::Unavailable { .. }) => {
                tracing::warn!(error = %unavailable, "Lark unavailable while verifying credentials");
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    "lark_unavailable",
                    format!(
                        "Lark could not be reached to check the credentials; try again later. {NOTHING}"
                    ),
                )
            }
            failed @ (DirectoryError::InvalidResponse { .. } | DirectoryError::Api { .. }) => {
                tracing::warn!(error = %failed, "Lark failed while verifying credentials");
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    "lark_error",
                    format!(
                        "Lark answered the credential check with an error: {failed}. {NOTHING}"
                    ),
                )
            }
        }
    }
}

impl From<UpdateError> for ApiError {
    fn from(err: UpdateError) -> Self {
        match err {
            UpdateError::Label(problem) => Self::invalid_field("invalid_label", "label", problem),
            UpdateError::SyncInterval(problem) => {
                Self::invalid_field("invalid_sync_interval", "sync_interval_minutes", problem)
            }
            UpdateError::LabelTaken(label) => Self::label_taken(label),
            UpdateError::NotFound(id) => Self::integration_not_found(id),
            UpdateError::Store(store) => store.into(),
        }
    }
}

impl From<RemoveError> for ApiError {
    fn from(err: RemoveError) -> Self {
        match err {
            RemoveError::NotFound(id) => Self::integration_not_found(id),
            RemoveError::Store(store) => store.into(),
        }
    }
}

impl From<HealthError> for ApiError {
    fn from(err: HealthError) -> Self {
        match err {
            HealthError::Store(query) => query.into(),
        }
    }
}

impl From<aviary_domain::usecases::doctor::DoctorError> for ApiError {
    fn from(err: aviary_domain::usecases::doctor::DoctorError) -> Self {
        use aviary_domain::usecases::doctor::DoctorError;
        match err {
            DoctorError::UnknownIntegration(id) => Self::integration_not_found(id),
            DoctorError::Integrations(store) => store.into(),
            DoctorError::Grants(store) => store.into(),
        }
    }
}
