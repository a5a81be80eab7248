//! `UpdateIntegration`: change an integration's label and sync schedule, validated field by
//! field so that callers can show each problem next to its field.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::Integration;
use crate::ports::{Clock, IntegrationRepository, IntegrationSettings, IntegrationStoreError};
use crate::values::{
    IntegrationId, IntegrationLabel, LabelError, Patch, SyncInterval, SyncIntervalError,
};

/// What to change; `None` / `Patch::Keep` keeps a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrationChanges {
    pub label: Option<String>,
    /// `Set(n)`: sync every `n` minutes; `Clear`: on demand only.
    pub sync_interval_minutes: Patch<i64>,
}

/// Why an integration was not updated. Nothing is changed in any of these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    // The cause is in the message, not a `source`: error chains would otherwise print it twice.
    #[error("invalid label: {0}")]
    Label(LabelError),
    #[error("invalid sync interval: {0}")]
    SyncInterval(SyncIntervalError),
    #[error("an integration labelled \"{0}\" already exists")]
    LabelTaken(IntegrationLabel),
    #[error("integration {0} does not exist")]
    NotFound(IntegrationId),
    #[error(transparent)]
    Store(IntegrationStoreError),
}

/// Changes registered integrations.
#[derive(Clone)]
pub struct UpdateIntegration {
    repo: Arc<dyn IntegrationRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for UpdateIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateIntegration").finish_non_exhaustive()
    }
}

/// The validated changes.
struct Valid {
    label: Option<IntegrationLabel>,
    sync_interval: Patch<SyncInterval>,
}

impl Valid {
    fn parse(changes: &IntegrationChanges) -> Result<Self, UpdateError> {
        Ok(Self {
            label: changes
                .label
                .as_deref()
                .map(IntegrationLabel::parse)
                .transpose()
                .map_err(UpdateError::Label)?,
            sync_interval: changes
                .sync_interval_minutes
                .try_map(SyncInterval::new)
                .map_err(UpdateError::SyncInterval)?,
        })
    }
}

impl UpdateIntegration {
    pub fn new(repo: Arc<dyn IntegrationRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// Every invalid field of `changes` (label first, then the interval), without touching
    /// the store: forms show each next to its field.
    pub fn check(changes: &IntegrationChanges) -> Vec<UpdateError> {
        let label = changes
            .label
            .as_deref()
            .and_then(|raw| IntegrationLabel::parse(raw).err())
            .map(UpdateError::Label);
        let interval = changes
            .sync_interval_minutes
            .as_set()
            .and_then(|minutes| SyncInterval::new(*minutes).err())
            .map(UpdateError::SyncInterval);
        [label, interval].into_iter().flatten().collect()
    }

    /// The time, to the microsecond: what the store keeps, so the integration returned equals
    /// the one read back later.
    fn now(&self) -> DateTime<Utc> {
        let now = self.clock.now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    /// Applies `changes` and returns the integration as stored. Changes that change nothing
    /// write nothing (and keep `updated_at`).
    ///
    /// # Errors
    /// The first invalid field (`Label`, `SyncInterval`), `NotFound`, `LabelTaken` when
    /// another integration has the label, `Store` when the store fails.
    pub async fn execute(
        &self,
        id: IntegrationId,
        changes: &IntegrationChanges,
    ) -> Result<Integration, UpdateError> {
        let valid = Valid::parse(changes)?;
        let mut integration = self
            .repo
            .get(id)
            .await
            .map_err(UpdateError::Store)?
            .ok_or(UpdateError::NotFound(id))?;
        let current = IntegrationSettings {
            label: integration.label.clone(),
            sync_interval: integration.sync_interval,
        };
        let wanted = IntegrationSettings {
            label: valid.label.unwrap_or_else(|| current.label.clone()),
            sync_interval: valid.sync_interval.apply(current.sync_interval),
        };
        let schedule_changes = wanted.sync_interval != current.sync_interval;
        if wanted.label == current.label && !schedule_changes {
            return Ok(integration);
        }
        let now = self.now();
        self.repo
            .update_settings(id, &wanted, now)
            .await
            .map_err(|err| match err {
                IntegrationStoreError::LabelTaken(label) => UpdateError::LabelTaken(label),
                IntegrationStoreError::NotFound(id) => UpdateError::NotFound(id),
                other => UpdateError::Store(other),
            })?;
        integration.label = wanted.label;
        integration.sync_interval = wanted.sync_interval;
        integration.updated_at = now;
        Ok(integration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IntegrationStatus, Region};
    use crate::ports::{MockClock, MockIntegrationRepository};
    use crate::values::AppId;
    use chrono::TimeZone as _;

    fn id() -> IntegrationId {
        IntegrationId::from_uuid(uuid::Uuid::from_u128(7))
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap()
    }

    fn stored() -> Integration {
        Integration {
            summary: crate::model::IntegrationSummary {
                id: id(),
                label: IntegrationLabel::parse("Acme").unwrap(),
                region: Region::Lark,
                base_url: None,
                app_id: AppId::parse("cli_acme").unwrap(),
                status: IntegrationStatus::Active,
                tenant: None,
                authorized_by: None,
                sync_interval: Some(crate::values::SyncInterval::new(60).unwrap()),
                created_at: at(0),
                updated_at: at(1),
            },
            app_secret: "secret".into(),
        }
    }

    fn use_case(repo: MockIntegrationRepository) -> UpdateIntegration {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(at(30));
        UpdateIntegration::new(Arc::new(repo), Arc::new(clock))
    }

    fn found() -> MockIntegrationRepository {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_get().returning(|_| Ok(Some(stored())));
        repo
    }

    fn changes(label: Option<&str>, minutes: Patch<i64>) -> IntegrationChanges {
        IntegrationChanges {
            label: label.map(str::to_owned),
            sync_interval_minutes: minutes,
        }
    }

    #[tokio::test]
    async fn changes_the_label_and_schedule_in_one_write() {
        let mut repo = found();
        repo.expect_update_settings()
            .withf(|id_, settings, now| {
                *id_ == id()
                    && settings.label.as_str() == "Acme HQ"
                    && settings.sync_interval.map(SyncInterval::minutes) == Some(15)
                    && *now == at(30)
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let updated = use_case(repo)
            .execute(id(), &changes(Some("  Acme HQ "), Patch::Set(15)))
            .await
            .unwrap();
        assert_eq!(updated.label.as_str(), "Acme HQ");
        assert_eq!(updated.sync_interval_minutes(), Some(15));
        assert_eq!(updated.updated_at, at(30));
        assert_eq!(updated.created_at, at(0));
    }

    #[tokio::test]
    async fn on_demand_keeps_the_label_and_clears_the_schedule() {
        let mut repo = found();
        repo.expect_update_settings()
            .withf(|_, settings, _| {
                settings.label.as_str() == "Acme" && settings.sync_interval.is_none()
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let updated = use_case(repo)
            .execute(id(), &changes(None, Patch::Clear))
            .await
            .unwrap();
        assert_eq!(updated.sync_interval, None);
        assert_eq!(updated.label.as_str(), "Acme");
    }

    #[tokio::test]
    async fn changes_that_change_nothing_write_nothing() {
        let mut repo = found();
        repo.expect_update_settings().never();
        let case = use_case(repo);
        for nothing in [
            changes(None, Patch::Keep),
            changes(Some("Acme"), Patch::Keep),
            changes(Some(" Acme "), Patch::Set(60)),
        ] {
            let same = case.execute(id(), &nothing).await.unwrap();
            assert_eq!(same.updated_at, at(1), "{nothing:?}");
        }
    }

    #[tokio::test]
    async fn invalid_fields_are_refused_before_the_store_is_asked() {
        let mut repo = MockIntegrationRepository::new();
        repo.expect_get().never();
        repo.expect_update_settings().never();
        let case = use_case(repo);
        assert_eq!(
            case.execute(id(), &changes(Some("  "), Patch::Set(1)))
                .await
                .unwrap_err(),
            UpdateError::Label(LabelError::Empty)
        );
        let out_of_range = UpdateError::SyncInterval(SyncIntervalError::OutOfRange {
            min: 5,
            max: 10_080,
        });
        assert_eq!(
            case.execute(id(), &changes(None, Patch::Set(10_081)))
                .await
                .unwrap_err(),
            out_of_range
        );
        // `check` reports every field at once, for forms.
        assert_eq!(
            UpdateIntegration::check(&changes(Some(""), Patch::Set(4))),
            vec![UpdateError::Label(LabelError::Empty), out_of_range]
        );
        assert!(UpdateIntegration::check(&changes(Some("ok"), Patch::Clear)).is_empty());
    }

    #[tokio::test]
    async fn a_taken_label_and_a_vanished_integration_are_named_errors() {
        let mut repo = found();
        repo.expect_update_settings().returning(|_, settings, _| {
            Err(IntegrationStoreError::LabelTaken(settings.label.clone()))
        });
        let err = use_case(repo)
            .execute(id(), &changes(Some("Globex"), Patch::Keep))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            UpdateError::LabelTaken(IntegrationLabel::parse("Globex").unwrap())
        );

        let mut missing = MockIntegrationRepository::new();
        missing.expect_get().returning(|_| Ok(None));
        missing.expect_update_settings().never();
        assert_eq!(
            use_case(missing)
                .execute(id(), &changes(Some("Globex"), Patch::Keep))
                .await
                .unwrap_err(),
            UpdateError::NotFound(id())
        );

        // Deleted between the read and the write.
        let mut raced = found();
        raced
            .expect_update_settings()
            .returning(|id, _, _| Err(IntegrationStoreError::NotFound(id)));
        assert_eq!(
            use_case(raced)
                .execute(id(), &changes(None, Patch::Set(30)))
                .await
                .unwrap_err(),
            UpdateError::NotFound(id())
        );

        let mut broken = found();
        let backend =
            IntegrationStoreError::Backend(crate::ports::StoreFault::failed("disk on fire"));
        let returned = backend.clone();
        broken
            .expect_update_settings()
            .returning(move |_, _, _| Err(returned.clone()));
        assert_eq!(
            use_case(broken)
                .execute(id(), &changes(None, Patch::Set(30)))
                .await
                .unwrap_err(),
            UpdateError::Store(backend)
        );
    }
}
