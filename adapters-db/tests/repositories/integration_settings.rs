//! Changing an integration's label and schedule, and counting what deleting it would remove,
//! on every backend.

use aviary_domain::model::{ChangeKind, Subject};
use aviary_domain::ports::{IntegrationSettings, IntegrationStoreError, StoredData, WriteBatch};
use aviary_domain::values::{IntegrationId, IntegrationLabel, SyncInterval};
use uuid::Uuid;

use super::{
    Ctx, account, assert_same_integration, at, change, department, lease_and_run, oid,
    on_each_backend, registered, write,
};

fn settings(label: &str, minutes: Option<i64>) -> IntegrationSettings {
    IntegrationSettings {
        label: IntegrationLabel::parse(label).unwrap(),
        sync_interval: minutes.map(|m| SyncInterval::new(m).unwrap()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_updated_and_everything_else_is_kept() {
    on_each_backend(|ctx: Ctx| async move {
        let repo = ctx.integrations();
        let acme = registered(&ctx, "Acme").await;
        let other = registered(&ctx, "Other").await;

        repo.update_settings(acme.id, &settings("Acme HQ", Some(15)), at(9_000))
            .await
            .unwrap();
        let mut expected = acme.clone();
        expected.label = IntegrationLabel::parse("Acme HQ").unwrap();
        expected.sync_interval = Some(SyncInterval::new(15).unwrap());
        expected.updated_at = at(9_000);
        assert_same_integration(&repo.get(acme.id).await.unwrap().unwrap(), &expected);
        assert!(
            repo.find_by_label(&IntegrationLabel::parse("Acme").unwrap())
                .await
                .unwrap()
                .is_none(),
            "the old label is free again"
        );

        // On demand only; the same label again is no conflict with itself.
        repo.update_settings(acme.id, &settings("Acme HQ", None), at(9_500))
            .await
            .unwrap();
        let on_demand = repo.get(acme.id).await.unwrap().unwrap();
        assert_eq!(on_demand.sync_interval_minutes(), None);
        assert_eq!(on_demand.updated_at, at(9_500));
        assert_same_integration(&repo.get(other.id).await.unwrap().unwrap(), &other);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_taken_on_update_is_label_taken_and_changes_nothing() {
    on_each_backend(|ctx: Ctx| async move {
        let repo = ctx.integrations();
        let acme = registered(&ctx, "Acme").await;
        registered(&ctx, "Globex").await;
        assert_eq!(
            repo.update_settings(acme.id, &settings("Globex", Some(30)), at(9_000))
                .await,
            Err(IntegrationStoreError::LabelTaken(
                IntegrationLabel::parse("Globex").unwrap()
            ))
        );
        assert_same_integration(&repo.get(acme.id).await.unwrap().unwrap(), &acme);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updating_or_counting_an_unknown_integration_is_not_found() {
    on_each_backend(|ctx: Ctx| async move {
        let repo = ctx.integrations();
        registered(&ctx, "Acme").await;
        let missing = IntegrationId::from_uuid(Uuid::new_v4());
        assert_eq!(
            repo.update_settings(missing, &settings("Nobody", None), at(0))
                .await,
            Err(IntegrationStoreError::NotFound(missing))
        );
        assert_eq!(
            repo.stored_data(missing).await,
            Err(IntegrationStoreError::NotFound(missing))
        );
        assert_eq!(repo.list().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_data_counts_only_the_integrations_own_rows() {
    on_each_backend(|ctx: Ctx| async move {
        let repo = ctx.integrations();
        let counted = registered(&ctx, "Counted").await;
        let empty = registered(&ctx, "Empty").await;
        let (lease, run) = lease_and_run(&ctx, &counted).await;
        let batch = WriteBatch {
            accounts: vec![
                account(&counted, "ou_1", |_| {}),
                account(&counted, "ou_2", |_| {}),
                account(&counted, "ou_3", |_| {}),
            ],
            departments: vec![department(&counted, "od-sales", Some("Sales"), "0")],
            changes: vec![
                change(
                    &run,
                    Subject::Account(oid("ou_1")),
                    ChangeKind::Added,
                    at(20),
                ),
                change(
                    &run,
                    Subject::Account(oid("ou_2")),
                    ChangeKind::Added,
                    at(20),
                ),
            ],
            ..WriteBatch::default()
        };
        write(&ctx, &lease, batch, at(20)).await;
        assert_eq!(
            repo.stored_data(counted.id).await.unwrap(),
            StoredData {
                accounts: 3,
                departments: 1,
                runs: 1,
                changes: 2,
            }
        );
        assert_eq!(
            repo.stored_data(empty.id).await.unwrap(),
            StoredData::default()
        );
    })
    .await;
}
