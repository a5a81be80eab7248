//! `RegisterIntegration`: validate a new integration, check its credentials against Lark and
//! store it (secret encrypted by the repository).

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::model::{Integration, IntegrationStatus, IntegrationSummary, Region, TenantInfo};
use crate::ports::{
    Clock, DirectoryConnection, DirectoryError, DirectoryGateway, IdSource, IntegrationRepository,
    IntegrationStoreError, RateLimits,
};
use crate::values::{
    AppId, AppIdError, BaseUrl, BaseUrlError, BaseUrlPolicy, BaseUrlRefusal, IntegrationId,
    IntegrationLabel, LabelError, SyncInterval, SyncIntervalError,
};

/// What an admin supplies to register an integration.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    pub label: String,
    pub region: Region,
    pub base_url: Option<String>,
    pub app_id: String,
    pub app_secret: SecretString,
    /// Check the credentials (and read the tenant) against Lark before storing.
    pub verify: bool,
    pub rate_limits: Option<RateLimits>,
}

/// Why an integration was not registered. Nothing is stored in any of these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    // The cause is in the message, not a `source`: error chains would otherwise print it twice.
    #[error("invalid label: {0}")]
    Label(LabelError),
    #[error("invalid App ID: {0}")]
    AppId(AppIdError),
    #[error("the App Secret is empty")]
    EmptySecret,
    #[error(transparent)]
    BaseUrl(BaseUrlError),
    /// A well-formed base URL this installation does not send requests to.
    #[error(transparent)]
    BaseUrlRefused(BaseUrlRefusal),
    #[error("invalid sync interval: {0}")]
    SyncInterval(SyncIntervalError),
    #[error("an integration labelled \"{0}\" already exists")]
    LabelTaken(IntegrationLabel),
    #[error("could not verify the credentials with Lark: {0}")]
    Verification(DirectoryError),
    #[error(transparent)]
    Store(IntegrationStoreError),
}

/// Registers integrations.
#[derive(Clone)]
pub struct RegisterIntegration {
    repo: Arc<dyn IntegrationRepository>,
    directory: Arc<dyn DirectoryGateway>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    base_urls: BaseUrlPolicy,
}

impl std::fmt::Debug for RegisterIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterIntegration")
            .finish_non_exhaustive()
    }
}

/// The validated input of a registration.
struct Inputs {
    label: IntegrationLabel,
    app_id: AppId,
    base_url: Option<BaseUrl>,
    sync_interval: Option<SyncInterval>,
}

impl Inputs {
    /// The first problem in form order, or the validated values.
    fn parse(
        new: &NewIntegration,
        sync_interval_minutes: Option<i64>,
        base_urls: BaseUrlPolicy,
    ) -> Result<Self, RegisterError> {
        let label = IntegrationLabel::parse(&new.label).map_err(RegisterError::Label)?;
        let app_id = AppId::parse(&new.app_id).map_err(RegisterError::AppId)?;
        if new.app_secret.expose_secret().trim().is_empty() {
            return Err(RegisterError::EmptySecret);
        }
        let base_url = new
            .base_url
            .as_deref()
            .map(|raw| admitted_base_url(raw, base_urls))
            .transpose()?;
        let sync_interval = sync_interval_minutes
            .map(SyncInterval::new)
            .transpose()
            .map_err(RegisterError::SyncInterval)?;
        Ok(Self {
            label,
            app_id,
            base_url,
            sync_interval,
        })
    }
}

/// A custom base URL that is well formed and that `policy` lets requests go to.
fn admitted_base_url(raw: &str, policy: BaseUrlPolicy) -> Result<BaseUrl, RegisterError> {
    let url = BaseUrl::parse(raw).map_err(RegisterError::BaseUrl)?;
    policy.admit(&url).map_err(RegisterError::BaseUrlRefused)?;
    Ok(url)
}

impl RegisterIntegration {
    /// `base_urls` is the installation's policy on custom base URLs (Lark's own hosts only,
    /// unless the operator enabled them).
    pub fn new(
        repo: Arc<dyn IntegrationRepository>,
        directory: Arc<dyn DirectoryGateway>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        base_urls: BaseUrlPolicy,
    ) -> Self {
        Self {
            repo,
            directory,
            clock,
            ids,
            base_urls,
        }
    }

    /// Validates, optionally verifies with Lark, and stores a new integration synced every
    /// [`SyncInterval::DEFAULT`].
    ///
    /// # Errors
    /// [`RegisterError`]; nothing is stored when an error is returned.
    pub async fn execute(&self, new: NewIntegration) -> Result<Integration, RegisterError> {
        self.execute_with_schedule(new, Some(i64::from(SyncInterval::DEFAULT.minutes())))
            .await
    }

    /// Every problem with the input, one per field in form order (label, App ID, App Secret,
    /// base URL, sync interval), without calling anything: forms show each next to its field.
    /// `sync_interval_minutes` is `None` for on demand only.
    pub fn check(
        &self,
        new: &NewIntegration,
        sync_interval_minutes: Option<i64>,
    ) -> Vec<RegisterError> {
        let secret_is_empty = new.app_secret.expose_secret().trim().is_empty();
        [
            IntegrationLabel::parse(&new.label)
                .err()
                .map(RegisterError::Label),
            AppId::parse(&new.app_id).err().map(RegisterError::AppId),
            secret_is_empty.then_some(RegisterError::EmptySecret),
            new.base_url
                .as_deref()
                .map(|raw| admitted_base_url(raw, self.base_urls))
                .and_then(Result::err),
            sync_interval_minutes
                .map(SyncInterval::new)
                .and_then(Result::err)
                .map(RegisterError::SyncInterval),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// As [`RegisterIntegration::execute`], synced every `sync_interval_minutes`
    /// (`None`: on demand only).
    ///
    /// # Errors
    /// [`RegisterError`]; nothing is stored when an error is returned.
    pub async fn execute_with_schedule(
        &self,
        new: NewIntegration,
        sync_interval_minutes: Option<i64>,
    ) -> Result<Integration, RegisterError> {
        let Inputs {
            label,
            app_id,
            base_url,
            sync_interval,
        } = Inputs::parse(&new, sync_interval_minutes, self.base_urls)?;
        if self
            .repo
            .find_by_label(&label)
            .await
            .map_err(RegisterError::Store)?
            .is_some()
        {
            return Err(RegisterError::LabelTaken(label));
        }
        let tenant = if new.verify {
            let connection = DirectoryConnection {
                region: new.region,
                base_url: base_url.clone(),
                app_id: app_id.clone(),
                app_secret: new.app_secret.clone(),
                rate_limits: new.rate_limits,
            };
            self.read_tenant(&connection).await?
        } else {
            None
        };
        let now = self.clock.now();
        let integration = Integration {
            summary: IntegrationSummary {
                id: IntegrationId::from_uuid(self.ids.new_uuid()),
                label,
                region: new.region,
                base_url,
                app_id,
                status: IntegrationStatus::PendingAuthorization,
                tenant,
                authorized_by: None,
                sync_interval,
                created_at: now,
                updated_at: now,
            },
            app_secret: new.app_secret,
        };
        self.repo.insert(&integration).await.map_err(|e| match e {
            IntegrationStoreError::LabelTaken(label) => RegisterError::LabelTaken(label),
            other => RegisterError::Store(other),
        })?;
        Ok(integration)
    }

    /// Opens a session (proving the credentials) and reads the tenant; a missing tenant scope
    /// is not fatal since syncing does not need it.
    async fn read_tenant(
        &self,
        connection: &DirectoryConnection,
    ) -> Result<Option<TenantInfo>, RegisterError> {
        let session = self
            .directory
            .open(connection)
            .await
            .map_err(RegisterError::Verification)?;
        match session.tenant().await {
            Ok(tenant) => Ok(Some(tenant)),
            Err(DirectoryError::MissingScope { .. }) => Ok(None),
            Err(other) => Err(RegisterError::Verification(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TenantInfo;
    use crate::ports::{
        DirectorySession, MockClock, MockDirectoryGateway, MockDirectorySession, MockIdSource,
        MockIntegrationRepository,
    };
    use chrono::TimeZone;

    fn new_integration() -> NewIntegration {
        NewIntegration {
            label: " Acme ".into(),
            region: Region::Feishu,
            base_url: Some("http://127.0.0.1:9400/".into()),
            app_id: "cli_0123456789abcdef".into(),
            app_secret: SecretString::from("s3cret"),
            verify: true,
            rate_limits: None,
        }
    }

    fn use_case(
        repo: MockIntegrationRepository,
        tenant: Result<TenantInfo, DirectoryError>,
        open_error: Option<DirectoryError>,
    ) -> RegisterIntegration {
        let mut directory = MockDirectoryGateway::new();
        directory.expect_open().returning(move |connection| {
            assert_eq!(
                connection.base_url.as_ref().map(BaseUrl::as_str),
                Some("http://127.0.0.1:9400")
            );
            if let Some(error) = open_error.clone() {
                return Err(error);
            }
            let mut session = MockDirectorySession::new();
            let tenant = tenant.clone();
            session.expect_tenant().returning(move || tenant.clone());
            Ok(Arc::new(session) as Arc<dyn DirectorySession>)
        });
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        let mut ids = MockIdSource::new();
        ids.expect_new_uuid().returning(|| uuid::Uuid::from_u128(7));
        RegisterIntegration::new(
            Arc::new(repo),
            Arc::new(directory),
            Arc::new(clock),
            Arc::new(ids),
            BaseUrlPolicy::new(true),
        )
    }

    fn tenant() -> TenantInfo {
        TenantInfo {
            name: "Acme Corp".into(),
            tenant_key: "736588c9260f175d".into(),
        }
    }

    #[tokio::test]
    async fn verifies_reads_the_tenant_and_stores() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_find_by_label().returning(|_| Ok(None));
        repo.expect_insert()
            .withf(|i| {
                i.label.as_str() == "Acme"
                    && i.tenant.as_ref().is_some_and(|t| t.name == "Acme Corp")
                    && i.base_url.as_ref().map(BaseUrl::as_str) == Some("http://127.0.0.1:9400")
                    && i.status == IntegrationStatus::PendingAuthorization
            })
            .times(1)
            .returning(|_| Ok(()));
        let stored = use_case(repo, Ok(tenant()), None)
            .execute(new_integration())
            .await
            .unwrap();
        assert_eq!(stored.id.as_uuid(), uuid::Uuid::from_u128(7));
        assert_eq!(stored.region, Region::Feishu);
    }

    #[tokio::test]
    async fn the_schedule_is_hourly_unless_told_and_validated() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_find_by_label().returning(|_| Ok(None));
        repo.expect_insert()
            .withf(|i| i.sync_interval_minutes() == Some(60))
            .times(1)
            .returning(|_| Ok(()));
        use_case(repo, Ok(tenant()), None)
            .execute(new_integration())
            .await
            .unwrap();

        let mut repo = MockIntegrationRepository::new();
        repo.expect_find_by_label().returning(|_| Ok(None));
        repo.expect_insert()
            .withf(|i| i.sync_interval.is_none())
            .times(1)
            .returning(|_| Ok(()));
        let case = use_case(repo, Ok(tenant()), None);
        let on_demand = case
            .execute_with_schedule(new_integration(), None)
            .await
            .unwrap();
        assert_eq!(on_demand.sync_interval, None);
        let err = case
            .execute_with_schedule(new_integration(), Some(4))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            RegisterError::SyncInterval(SyncIntervalError::OutOfRange {
                min: 5,
                max: 10_080
            })
        );
    }

    #[test]
    fn check_lists_every_invalid_field_in_form_order() {
        let case = use_case(MockIntegrationRepository::new(), Ok(tenant()), None);
        assert!(case.check(&new_integration(), Some(15)).is_empty());
        let everything_wrong = NewIntegration {
            label: " ".into(),
            app_id: "12345".into(),
            app_secret: SecretString::from(""),
            base_url: Some("ftp://x".into()),
            ..new_integration()
        };
        let problems = case.check(&everything_wrong, Some(0));
        assert_eq!(
            problems,
            vec![
                RegisterError::Label(LabelError::Empty),
                RegisterError::AppId(AppIdError::MissingPrefix),
                RegisterError::EmptySecret,
                RegisterError::BaseUrl(BaseUrlError("ftp://x".into())),
                RegisterError::SyncInterval(SyncIntervalError::OutOfRange {
                    min: 5,
                    max: 10_080
                }),
            ]
        );
    }

    #[tokio::test]
    async fn a_custom_base_url_is_refused_before_any_call_unless_the_operator_allows_it() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_find_by_label().never();
        repo.expect_insert().never();
        let mut directory = MockDirectoryGateway::new();
        directory.expect_open().never();
        let case = RegisterIntegration::new(
            Arc::new(repo),
            Arc::new(directory),
            Arc::new(MockClock::new()),
            Arc::new(MockIdSource::new()),
            BaseUrlPolicy::LARK_ONLY,
        );
        let err = case.execute(new_integration()).await.unwrap_err();
        assert_eq!(
            err,
            RegisterError::BaseUrlRefused(BaseUrlRefusal::CustomDisabled)
        );
        assert_eq!(
            case.check(&new_integration(), Some(15)),
            vec![RegisterError::BaseUrlRefused(
                BaseUrlRefusal::CustomDisabled
            )]
        );
        let lark_hosts = NewIntegration {
            base_url: None,
            ..new_integration()
        };
        assert!(case.check(&lark_hosts, Some(15)).is_empty());
    }

    #[tokio::test]
    async fn plain_http_to_another_host_is_refused_even_when_custom_base_urls_are_allowed() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_insert().never();
        let case = use_case(repo, Ok(tenant()), None);
        let remote = NewIntegration {
            base_url: Some("http://169.254.169.254/latest".into()),
            ..new_integration()
        };
        assert_eq!(
            case.execute(remote).await.unwrap_err(),
            RegisterError::BaseUrlRefused(BaseUrlRefusal::PlainHttp)
        );
    }

    #[tokio::test]
    async fn a_missing_tenant_scope_is_not_fatal() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_find_by_label().returning(|_| Ok(None));
        repo.expect_insert()
            .withf(|i| i.tenant.is_none())
            .times(1)
            .returning(|_| Ok(()));
        let missing = DirectoryError::MissingScope {
            scope: Some("tenant:tenant:readonly".into()),
            detail: "99991672".into(),
        };
        use_case(repo, Err(missing), None)
            .execute(new_integration())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn rejected_credentials_store_nothing() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_find_by_label().returning(|_| Ok(None));
        repo.expect_insert().never();
        let rejected = DirectoryError::InvalidCredentials {
            detail: "app secret invalid".into(),
        };
        let err = use_case(repo, Ok(tenant()), Some(rejected))
            .execute(new_integration())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                RegisterError::Verification(DirectoryError::InvalidCredentials { .. })
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn invalid_input_and_taken_labels_are_refused_before_any_call() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_insert().never();
        repo.expect_find_by_label().returning(|_| Ok(None));
        let case = use_case(repo, Ok(tenant()), None);
        let bad_id = NewIntegration {
            app_id: "12345".into(),
            ..new_integration()
        };
        assert_eq!(
            case.execute(bad_id).await.unwrap_err(),
            RegisterError::AppId(AppIdError::MissingPrefix)
        );
        let bad_url = NewIntegration {
            base_url: Some("ftp://x".into()),
            ..new_integration()
        };
        assert!(matches!(
            case.execute(bad_url).await.unwrap_err(),
            RegisterError::BaseUrl(_)
        ));
        let empty = NewIntegration {
            app_secret: SecretString::from("  "),
            ..new_integration()
        };
        assert_eq!(
            case.execute(empty).await.unwrap_err(),
            RegisterError::EmptySecret
        );

        let mut taken = MockIntegrationRepository::new();
        taken.expect_find_by_label().returning(|_| {
            let stored = crate::testing::integration().secret("other").build();
            Ok(Some(stored))
        });
        taken.expect_insert().never();
        let err = use_case(taken, Ok(tenant()), None)
            .execute(new_integration())
            .await
            .unwrap_err();
        assert!(matches!(err, RegisterError::LabelTaken(_)), "{err:?}");
    }
}
