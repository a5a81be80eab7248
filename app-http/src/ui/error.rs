//! The UI's error pages: every failure of a page becomes one [`UiError`], converted from each
//! use-case error enum by an exhaustive `match` (as `api/error.rs` does for JSON), and
//! rendered as a plain-words HTML page with its status.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use aviary_domain::ports::{
    FaultKind, GrantStoreError, IntegrationStoreError, QueryError, StoreFault, SyncStoreError,
};
use aviary_domain::usecases::admins::AccessBackend;
use aviary_domain::usecases::connect::{ConnectBackend, StartError};
use aviary_domain::usecases::sync::SyncError;
use aviary_domain::usecases::{CsrfMismatch, HealthError, QueriesError, SessionError, SignInError};
use aviary_wiring::logging::chain;

use super::pages::{ASSET_VERSION, ErrorPage};
use aviary_domain::usecases::admins::Throttled;

/// What a page says when another run of the integration holds its lease.
const ALREADY_RUNNING: &str =
    "A sync of this integration is already running; wait for it to finish";

/// A page request that failed. Details are logged where the error is converted, never shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiError {
    /// No, an unknown or an expired session (GET requests are redirected instead).
    NotSignedIn,
    /// A state-changing request without its session's CSRF token.
    Csrf,
    /// Too many failed sign-ins from this client.
    Throttled(Throttled),
    /// A state-changing request sent from another site (its `Origin` or `Sec-Fetch-Site`).
    CrossSite,
    /// This server is checking as many passwords as it does at once.
    Busy,
    /// A form that is not what the page sent.
    BadForm,
    NotFound,
    MethodNotAllowed,
    /// A sync could not start, for a reason the admin can act on (plain words).
    SyncNotStarted(String),
    /// The database does not answer.
    Unavailable,
    /// One integration's stored secret opens under no master key this server knows.
    Undecryptable,
    Internal,
}

impl UiError {
    fn page(&self) -> (StatusCode, ErrorPage) {
        let page = |title, message: String, next_href, next_label| ErrorPage {
            chrome: None,
            asset_version: ASSET_VERSION,
            title,
            message,
            next_href,
            next_label,
        };
        let home = |title, message: &str| page(title, message.to_owned(), "/", "Back to Aviary");
        match self {
            Self::NotSignedIn => (
                StatusCode::UNAUTHORIZED,
                page(
                    "Please sign in",
                    "You are not signed in, or your session has ended. Sign in and try again."
                        .to_owned(),
                    "/signin",
                    "Sign in",
                ),
            ),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                home(
                    "This form has expired",
                    "The form did not come from this Aviary page, or your session changed since \
                     it was shown. Nothing was changed. Go back, reload the page and try again.",
                ),
            ),
            Self::Throttled(throttled) => (
                StatusCode::TOO_MANY_REQUESTS,
                page(
                    "Too many failed sign-ins",
                    format!(
                        "There were too many failed sign-ins from your network address. Try again \
                         in {} minutes.",
                        throttled.retry_after_secs.div_ceil(60)
                    ),
                    "/signin",
                    "Sign in",
                ),
            ),
            Self::CrossSite => (
                StatusCode::FORBIDDEN,
                home(
                    "This form came from another site",
                    "Aviary only accepts forms sent from its own pages. Nothing was changed. Open \
                     Aviary directly and try again.",
                ),
            ),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                page(
                    "Too many sign-ins right now",
                    "Aviary is checking many sign-ins at this moment. Nothing was counted against \
                     you; try again in a moment."
                        .to_owned(),
                    "/signin",
                    "Sign in",
                ),
            ),
            Self::BadForm => (
                StatusCode::BAD_REQUEST,
                home(
                    "Unexpected form",
                    "The form sent was not the one this page expects. Reload the page and try again.",
                ),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                home("Page not found", "There is no page at this address."),
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                home(
                    "Not allowed here",
                    "This page cannot be used this way. Use the links and buttons on the pages.",
                ),
            ),
            Self::SyncNotStarted(reason) => (
                StatusCode::CONFLICT,
                page(
                    "The sync did not start",
                    format!("{reason}."),
                    "/",
                    "Back to Aviary",
                ),
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                home(
                    "Aviary is unavailable",
                    "The database does not answer right now. Try again in a moment.",
                ),
            ),
            Self::Undecryptable => (
                StatusCode::INTERNAL_SERVER_ERROR,
                home(
                    "This integration's credentials cannot be read",
                    "Its stored App Secret or Lark sign-in cannot be decrypted with any master key \
                     this server knows. Give the server the key they were stored under (see \
                     `aviary db rotate-key` in docs/cli.md), or delete the integration and add it \
                     again. Other integrations are not affected.",
                ),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                home(
                    "Something went wrong",
                    "Aviary hit an internal error; the server log has the details.",
                ),
            ),
        }
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.page().1.title)
    }
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        self.page().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, page) = self.page();
        let mut response = match super::pages::render(status, &page) {
            Ok(response) => response,
            // Rendering failed (already logged): plain words without the layout.
            Err(_) => HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(page.message),
        };
        let retry_after = match self {
            Self::Throttled(throttled) => Some(throttled.retry_after_secs),
            Self::Busy => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

// The mappings below match every variant by name, without wildcard arms: a new variant in
// the domain does not compile until it is given a page here.

impl From<Throttled> for UiError {
    fn from(throttled: Throttled) -> Self {
        Self::Throttled(throttled)
    }
}

/// The one mapping of a store's failure, whichever page meets it: unreachable → the 503 page,
/// any other failure → the 500 page; the cause goes to the log.
impl From<StoreFault> for UiError {
    fn from(fault: StoreFault) -> Self {
        let detail = chain(&fault);
        match fault.kind() {
            FaultKind::Unavailable => {
                tracing::warn!(%detail, "the database is unavailable");
                Self::Unavailable
            }
            FaultKind::Failed => {
                tracing::error!(%detail, "a store operation failed");
                Self::Internal
            }
        }
    }
}

impl From<SyncStoreError> for UiError {
    fn from(err: SyncStoreError) -> Self {
        match err {
            SyncStoreError::LeaseHeld { .. } => Self::SyncNotStarted(ALREADY_RUNNING.to_owned()),
            SyncStoreError::LeaseLost => Self::SyncNotStarted(
                "Another process took over this sync; nothing more was written".to_owned(),
            ),
            SyncStoreError::Backend(fault) => fault.into(),
        }
    }
}

impl From<GrantStoreError> for UiError {
    fn from(err: GrantStoreError) -> Self {
        match err {
            GrantStoreError::NoIntegration(_) => Self::NotFound,
            GrantStoreError::Undecryptable(detail) => {
                tracing::error!(%detail, "a stored Lark sign-in cannot be decrypted");
                Self::Undecryptable
            }
            GrantStoreError::Backend(fault) => fault.into(),
        }
    }
}

impl From<ConnectBackend> for UiError {
    fn from(err: ConnectBackend) -> Self {
        match err {
            ConnectBackend::Integrations(store) => store.into(),
            ConnectBackend::Grants(store) => store.into(),
        }
    }
}

impl From<AccessBackend> for UiError {
    fn from(err: AccessBackend) -> Self {
        use aviary_domain::ports::{AdminStoreError, SessionStoreError};
        match err {
            AccessBackend::Admins(AdminStoreError::Backend(fault))
            | AccessBackend::Sessions(SessionStoreError::Backend(fault)) => fault.into(),
            // A sign-in or a session check meets none of these; should one happen, it is a bug.
            AccessBackend::Admins(
                ref other @ (AdminStoreError::EmailTaken(_) | AdminStoreError::NotFound(_)),
            ) => {
                tracing::error!(error = %other, "unexpected admin store answer");
                Self::Internal
            }
            AccessBackend::Sessions(ref other @ SessionStoreError::NoAdmin(_)) => {
                tracing::error!(error = %other, "unexpected session store answer");
                Self::Internal
            }
            AccessBackend::Hasher(hasher) => {
                tracing::error!(detail = %chain(&hasher), "the password hasher failed");
                Self::Internal
            }
        }
    }
}

impl From<CsrfMismatch> for UiError {
    fn from(CsrfMismatch: CsrfMismatch) -> Self {
        Self::Csrf
    }
}

impl From<SessionError> for UiError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::Unauthenticated => Self::NotSignedIn,
            SessionError::Unavailable(backend) => backend.into(),
        }
    }
}

impl From<SignInError> for UiError {
    fn from(err: SignInError) -> Self {
        match err {
            // The sign-in page answers this itself, with the form; elsewhere it is a 401.
            SignInError::InvalidCredentials => Self::NotSignedIn,
            SignInError::Throttled(throttled) => Self::Throttled(throttled),
            SignInError::Busy => Self::Busy,
            SignInError::Unavailable(backend) => backend.into(),
        }
    }
}

impl From<QueryError> for UiError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::Backend(fault) => fault.into(),
        }
    }
}

impl From<QueriesError> for UiError {
    fn from(err: QueriesError) -> Self {
        match err {
            QueriesError::UnknownDepartment(_)
            | QueriesError::UnknownAccount(_)
            | QueriesError::UnknownRun(_)
            | QueriesError::UnknownGroup(_)
            | QueriesError::UnknownGroupFilter(_)
            | QueriesError::UnknownApp(_) => Self::NotFound,
            // The accounts page shows it next to its pager; anywhere else it is a bad request.
            QueriesError::CursorMismatch { .. } => Self::BadForm,
            QueriesError::Store(store) => store.into(),
        }
    }
}

impl From<IntegrationStoreError> for UiError {
    fn from(err: IntegrationStoreError) -> Self {
        match err {
            IntegrationStoreError::NotFound(_) => Self::NotFound,
            // Only the write pages to come can meet it; they will show it next to the form.
            IntegrationStoreError::LabelTaken(label) => {
                tracing::warn!(%label, "label taken");
                Self::BadForm
            }
            IntegrationStoreError::Undecryptable(detail) => {
                tracing::error!(%detail, "stored credentials cannot be decrypted");
                Self::Undecryptable
            }
            IntegrationStoreError::Backend(fault) => fault.into(),
        }
    }
}

impl From<StartError> for UiError {
    fn from(err: StartError) -> Self {
        match err {
            StartError::UnknownIntegration(_) => Self::NotFound,
            StartError::Store(store) => store.into(),
        }
    }
}

impl From<SyncError> for UiError {
    fn from(err: SyncError) -> Self {
        match err {
            SyncError::NotFound(_) => Self::NotFound,
            SyncError::Disabled(label) => Self::SyncNotStarted(format!(
                "Integration \"{label}\" is disabled; enable it before syncing"
            )),
            SyncError::AlreadyRunning { .. } => Self::SyncNotStarted(ALREADY_RUNNING.to_owned()),
            SyncError::NotHeld(_) => Self::SyncNotStarted(
                "This run was not held, so there is nothing to confirm".to_owned(),
            ),
            SyncError::Superseded(_) => Self::SyncNotStarted(
                "A newer run of this integration exists; confirm the newest held run instead"
                    .to_owned(),
            ),
            // Only the scheduler starts scheduled runs; listed for completeness.
            SyncError::NotDue(_) => Self::SyncNotStarted(
                "No scheduled sync of this integration is due: another process has just run it"
                    .to_owned(),
            ),
            SyncError::Integrations(store) => store.into(),
            SyncError::Store(store) => store.into(),
        }
    }
}

impl From<HealthError> for UiError {
    fn from(err: HealthError) -> Self {
        match err {
            HealthError::Store(query) => query.into(),
        }
    }
}
