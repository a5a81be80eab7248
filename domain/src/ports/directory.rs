//! Directory port: read a tenant's contact directory (Lark's contact v3 API) with an app's
//! tenant identity. Adapters handle tokens, pacing, retries and paging details.

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::model::{
    ApiCounters, AppState, DepartmentState, GroupState, Integration, Region, TenantInfo,
    UserProfile,
};
use crate::values::{AppId, BaseUrl, BaseUrlRefusal, DepartmentId, GroupId, OpenId};

/// Client-side pacing: requests per second and per minute, per API (Lark's tier 4 is 50/s and
/// 1000/min). `None` in a connection means no pacing (simulator benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_second: u32,
    pub per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_second: 50,
            per_minute: 1000,
        }
    }
}

/// Everything needed to talk to one integration's tenant.
#[derive(Debug, Clone)]
pub struct DirectoryConnection {
    pub region: Region,
    /// Overrides the region's hosts when set.
    pub base_url: Option<BaseUrl>,
    pub app_id: AppId,
    pub app_secret: SecretString,
    pub rate_limits: Option<RateLimits>,
}

impl DirectoryConnection {
    /// How to reach a registered integration's tenant.
    pub fn of(integration: &Integration, rate_limits: Option<RateLimits>) -> Self {
        Self {
            region: integration.region,
            base_url: integration.base_url.clone(),
            app_id: integration.app_id.clone(),
            app_secret: integration.app_secret.clone(),
            rate_limits,
        }
    }
}

/// The app's contact scope: the departments, users and user groups it was granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactScope {
    /// Top-level departments of the scope (first-level departments when the scope is everyone).
    pub department_ids: Vec<DepartmentId>,
    /// Users granted directly (root-level users when the scope is everyone).
    pub user_ids: Vec<OpenId>,
    /// User groups granted (every group when the scope is everyone), as Lark names them: which
    /// of a group's two ids (`id` or the custom `group_id`) is not documented, so match either
    /// (`GroupState::is_named`).
    pub group_ids: Vec<String>,
}

/// A user as listed, with Lark's JSON for forward compatibility. Field groups Lark left out
/// are in `profile.withheld` (their fields are `None`, the status `Unknown`).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteUser {
    pub profile: UserProfile,
    pub raw: serde_json::Value,
}

/// A department as listed, with Lark's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteDepartment {
    pub state: DepartmentState,
    pub raw: serde_json::Value,
}

/// A user group with its members, with Lark's JSON of the group.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteGroup {
    pub state: GroupState,
    pub raw: serde_json::Value,
}

/// An installed application, with Lark's JSON of it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteApp {
    pub state: AppState,
    pub raw: serde_json::Value,
}

/// What Lark answers when asked directly about one user or department that vanished from a
/// listing (`GET /contact/v3/users/:user_id`, `GET /contact/v3/departments/:department_id`).
#[derive(Debug, Clone, PartialEq)]
pub enum Recheck<T> {
    /// Lark returned it (a resigned user, with its status).
    Found(T),
    /// Lark refused it as outside the app's contact range (40004, 40014, 41050): it may well
    /// still be in the tenant.
    OutOfRange,
    /// Lark does not know it (deleted), or returned it marked deleted.
    Gone,
}

/// One page of a department's direct members.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserPage {
    pub users: Vec<RemoteUser>,
    /// Present when more pages follow; pass it back unchanged.
    pub next_page_token: Option<String>,
}

/// Why a directory request failed, after the adapter's own retries.
///
/// The text of an error is what API clients, pages and stored runs show, so it never carries
/// what the upstream said (HTTP status, message, log id): a custom base URL could otherwise read
/// the operator's network through Aviary. The `detail` fields keep it for the adapter's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// App ID/secret rejected (wrong secret, unknown or disabled app).
    #[error("Lark rejected the app credentials")]
    InvalidCredentials { detail: String },
    /// The app lacks an API scope; `scope` names it when Lark did.
    #[error("the app is missing a Lark permission{}", scope.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
    MissingScope {
        scope: Option<String>,
        detail: String,
    },
    /// A department or user is outside the app's contact scope.
    #[error("the app has no authority over {resource}")]
    NoAuthority { resource: String, detail: String },
    /// Still rate limited after the adapter's bounded retries.
    #[error("Lark kept answering 'rate limited' after {attempts} attempts")]
    RateLimited { attempts: u32 },
    /// Lark or the network kept failing (5xx, timeouts, resets) after bounded retries.
    #[error("Lark could not be reached or kept failing")]
    Unavailable { detail: String },
    /// Lark answered with something that is not the documented shape.
    #[error("Lark sent an invalid response")]
    InvalidResponse { detail: String },
    /// The connection's custom base URL is one this installation does not send requests to;
    /// nothing was sent.
    #[error(transparent)]
    BaseUrlRefused(BaseUrlRefusal),
    /// Any other Lark error code, with Lark's message and log id for support.
    #[error("Lark answered with error code {code}")]
    Api {
        code: i64,
        msg: String,
        log_id: Option<String>,
    },
}

/// Opens authenticated sessions against a tenant.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DirectoryGateway: Send + Sync {
    /// Authenticates (fetching or reusing a tenant token) and returns a session.
    ///
    /// # Errors
    /// [`DirectoryError::InvalidCredentials`] for a wrong App ID/secret, `Unavailable` when Lark
    /// cannot be reached, `BaseUrlRefused` (nothing sent) for a custom base URL the
    /// installation does not allow, other variants as Lark answers.
    async fn open(
        &self,
        connection: &DirectoryConnection,
    ) -> Result<Arc<dyn DirectorySession>, DirectoryError>;

    /// Like [`Self::open`], but always asks Lark for a tenant token with the connection's App
    /// ID and secret (never reusing a cached one), so that a reset secret shows at once. Costs
    /// one token request; for checks, not for syncs.
    ///
    /// # Errors
    /// As [`Self::open`].
    async fn open_verified(
        &self,
        connection: &DirectoryConnection,
    ) -> Result<Arc<dyn DirectorySession>, DirectoryError>;
}

/// An authenticated view of one tenant's directory. Implementations are safe to call
/// concurrently; they pace themselves under the configured rate limits.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DirectorySession: Send + Sync {
    /// The tenant's name and key.
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers (`MissingScope` without `tenant:tenant:readonly`).
    async fn tenant(&self) -> Result<TenantInfo, DirectoryError>;

    /// The app's contact scope (all pages).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers.
    async fn contact_scope(&self) -> Result<ContactScope, DirectoryError>;

    /// The given departments themselves (any number; the adapter batches).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `NoAuthority` when one is outside the scope.
    async fn departments(
        &self,
        ids: &[DepartmentId],
    ) -> Result<Vec<RemoteDepartment>, DirectoryError>;

    /// Every department below `root` (not `root` itself), walking level by level when Lark
    /// refuses recursion on a big tree.
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `NoAuthority` when `root` is outside the scope.
    async fn departments_under(
        &self,
        root: &DepartmentId,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError>;

    /// One page of the direct members of `department` (`"0"` = root-level users).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `NoAuthority` when the department is outside the scope.
    async fn users_page(
        &self,
        department: &DepartmentId,
        page_token: Option<String>,
    ) -> Result<UserPage, DirectoryError>;

    /// The given users (any number; the adapter batches by 50). Users Lark does not return
    /// (deleted, outside the scope — and, as far as the documentation says, resigned ones) are
    /// simply absent: ask [`Self::user`] about those.
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers.
    async fn users(&self, ids: &[OpenId]) -> Result<Vec<RemoteUser>, DirectoryError>;

    /// One user, asked for directly: the documented way to learn that a user resigned.
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers, other than the refusals that are [`Recheck`]s.
    async fn user(&self, id: &OpenId) -> Result<Recheck<RemoteUser>, DirectoryError>;

    /// One department, asked for directly.
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers, other than the refusals that are [`Recheck`]s.
    async fn department(
        &self,
        id: &DepartmentId,
    ) -> Result<Recheck<RemoteDepartment>, DirectoryError>;

    /// Every user group the app may see (normal and dynamic, all pages), each with all its
    /// members (`contact:group:readonly`).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `MissingScope` without `contact:group:readonly`.
    async fn groups(&self) -> Result<Vec<RemoteGroup>, DirectoryError>;

    /// One group (by its `id`) with its members, asked for directly.
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers, other than the refusals that are [`Recheck`]s.
    async fn group(&self, id: &GroupId) -> Result<Recheck<RemoteGroup>, DirectoryError>;

    /// Every application installed in the tenant, with who may use it where Lark tells
    /// (`admin:app.info:readonly`).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `MissingScope` without `admin:app.info:readonly`.
    async fn apps(&self) -> Result<Vec<RemoteApp>, DirectoryError>;

    /// Up to `limit` (at most 50) direct sub-departments of `parent`, from one request: a
    /// cheap, read-only probe of the department listing (the permission doctor).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `MissingScope` without a department-listing scope,
    /// `NoAuthority` when `parent` is outside the contact scope.
    async fn sample_departments(
        &self,
        parent: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteDepartment>, DirectoryError>;

    /// Up to `limit` (at most 50) direct members of `department`, from one request: a cheap,
    /// read-only probe of the member listing whose items show which fields Lark returns.
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `MissingScope` without a user-listing scope,
    /// `NoAuthority` when the department is outside the contact scope.
    async fn sample_users(
        &self,
        department: &DepartmentId,
        limit: usize,
    ) -> Result<Vec<RemoteUser>, DirectoryError>;

    /// Up to `limit` (at most 50) user groups from one request, without their members: a
    /// cheap probe of the group listing (the permission doctor).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `MissingScope` without `contact:group:readonly`.
    async fn sample_groups(&self, limit: usize) -> Result<Vec<RemoteGroup>, DirectoryError>;

    /// Up to `limit` (at most 50) installed apps from one request, without their
    /// availability: a cheap probe of the app listing (the permission doctor).
    ///
    /// # Errors
    /// [`DirectoryError`] as Lark answers; `MissingScope` without `admin:app.info:readonly`.
    async fn sample_apps(&self, limit: usize) -> Result<Vec<RemoteApp>, DirectoryError>;

    /// Calls, retries and rate-limit waits made through this session so far.
    fn counters(&self) -> ApiCounters;
}
