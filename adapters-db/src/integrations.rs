//! `IntegrationRepository` over the `integrations` table, with the app secret sealed by the
//! master key (bound to its row), plus master-key rotation.

use async_trait::async_trait;
use aviary_domain::model::{Integration, IntegrationStatus, IntegrationSummary, TenantInfo};
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{
    IntegrationRepository, IntegrationSettings, IntegrationStoreError, StoredData,
};
use aviary_domain::values::{IntegrationId, IntegrationLabel};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, SqlErr,
};

use crate::connect::Shared;
use crate::crypto::{self, app_secret_aad};
use crate::entities::integrations::{self, Column, Entity};
use crate::entities::{
    account_departments, accounts, changes, departments, directory_objects, raw_dictionaries,
    sync_leases, sync_runs,
};
use crate::error::{DbError, store_err};
use crate::mapping::{
    integration_active_model, integration_from_row, integration_sealed_secret,
    integration_summary_from_row, micros,
};
use crate::master_key::MasterKey;

/// SQL implementation of [`IntegrationRepository`].
#[derive(Debug, Clone)]
pub(crate) struct SqlIntegrations {
    shared: Shared,
}

impl SqlIntegrations {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }

    fn decrypt(&self, row: integrations::Model) -> Result<Integration, IntegrationStoreError> {
        let secret = crypto::open_with(
            &self.shared.keys,
            &integration_sealed_secret(&row),
            &app_secret_aad(row.id),
        )
        .map_err(|err| {
            IntegrationStoreError::Undecryptable(format!(
                "the App Secret of integration \"{}\": {err}",
                row.label
            ))
        })?;
        Ok(integration_from_row(row, secret)?)
    }
}

#[async_trait]
impl IntegrationRepository for SqlIntegrations {
    async fn insert(&self, integration: &Integration) -> Result<(), IntegrationStoreError> {
        let key = self.shared.sealing_key().await.map_err(|err| {
            IntegrationStoreError::Backend(crate::error::fault(
                "reading the primary master key",
                &err,
            ))
        })?;
        let sealed = crypto::seal(
            &key,
            &integration.app_secret,
            &app_secret_aad(integration.id.as_uuid()),
        )
        .map_err(|err| {
            IntegrationStoreError::Backend(StoreFault::failed(format!(
                "cannot encrypt the App Secret: {err}"
            )))
        })?;
        let row = integration_active_model(integration, sealed);
        match Entity::insert(row)
            .exec_without_returning(&self.shared.conn)
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => Err(insert_error(integration, &err)),
        }
    }

    async fn get(&self, id: IntegrationId) -> Result<Option<Integration>, IntegrationStoreError> {
        let row = Entity::find_by_id(id.as_uuid())
            .one(&self.shared.conn)
            .await
            .map_err(store_err("reading an integration"))?;
        row.map(|row| self.decrypt(row)).transpose()
    }

    async fn find_by_label(
        &self,
        label: &IntegrationLabel,
    ) -> Result<Option<Integration>, IntegrationStoreError> {
        let row = Entity::find()
            .filter(Column::Label.eq(label.as_str()))
            .one(&self.shared.conn)
            .await
            .map_err(store_err("finding an integration by label"))?;
        row.map(|row| self.decrypt(row)).transpose()
    }

    async fn list(&self) -> Result<Vec<IntegrationSummary>, IntegrationStoreError> {
        let rows = Entity::find()
            .order_by_asc(Column::Label)
            .all(&self.shared.conn)
            .await
            .map_err(store_err("listing integrations"))?;
        rows.iter()
            .map(|row| Ok(integration_summary_from_row(row)?))
            .collect()
    }

    async fn set_status(
        &self,
        id: IntegrationId,
        status: IntegrationStatus,
        tenant: Option<TenantInfo>,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError> {
        let mut update = Entity::update_many()
            .col_expr(Column::Status, Expr::val(status.as_str()))
            .col_expr(Column::UpdatedAt, Expr::val(micros(now)));
        if let Some(tenant) = tenant {
            update = update
                .col_expr(Column::TenantName, Expr::val(tenant.name))
                .col_expr(Column::TenantKey, Expr::val(tenant.tenant_key));
        }
        let result = update
            .filter(Column::Id.eq(id.as_uuid()))
            .exec(&self.shared.conn)
            .await
            .map_err(store_err("updating an integration's status"))?;
        if result.rows_affected == 0 {
            return Err(IntegrationStoreError::NotFound(id));
        }
        Ok(())
    }

    async fn record_authorization(
        &self,
        id: IntegrationId,
        tenant: TenantInfo,
        authorized_by: String,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError> {
        let result = Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::val(IntegrationStatus::Active.as_str()),
            )
            .col_expr(Column::TenantName, Expr::val(tenant.name))
            .col_expr(Column::TenantKey, Expr::val(tenant.tenant_key))
            .col_expr(Column::AuthorizedBy, Expr::val(authorized_by))
            .col_expr(Column::UpdatedAt, Expr::val(micros(now)))
            .filter(Column::Id.eq(id.as_uuid()))
            .exec(&self.shared.conn)
            .await
            .map_err(store_err("recording an integration's authorisation"))?;
        if result.rows_affected == 0 {
            return Err(IntegrationStoreError::NotFound(id));
        }
        Ok(())
    }

    async fn update_settings(
        &self,
        id: IntegrationId,
        settings: &IntegrationSettings,
        now: DateTime<Utc>,
    ) -> Result<(), IntegrationStoreError> {
        let minutes = settings
            .sync_interval
            .map(|interval| i64::from(interval.minutes()));
        let result = Entity::update_many()
            .col_expr(Column::Label, Expr::val(settings.label.as_str()))
            .col_expr(Column::SyncIntervalMinutes, Expr::val(minutes))
            .col_expr(Column::UpdatedAt, Expr::val(micros(now)))
            .filter(Column::Id.eq(id.as_uuid()))
            .exec(&self.shared.conn)
            .await
            .map_err(|err| label_error(&settings.label, "updating an integration", &err))?;
        if result.rows_affected == 0 {
            return Err(IntegrationStoreError::NotFound(id));
        }
        Ok(())
    }

    async fn stored_data(&self, id: IntegrationId) -> Result<StoredData, IntegrationStoreError> {
        // Separate statements: the counts are for people deciding, not a consistent snapshot.
        let conn = &self.shared.conn;
        let uuid = id.as_uuid();
        let exists = Entity::find_by_id(uuid)
            .count(conn)
            .await
            .map_err(store_err("reading an integration"))?;
        if exists == 0 {
            return Err(IntegrationStoreError::NotFound(id));
        }
        let data = StoredData {
            accounts: count(
                conn,
                accounts::Entity::find().filter(accounts::Column::IntegrationId.eq(uuid)),
                "counting an integration's accounts",
            )
            .await?,
            departments: count(
                conn,
                departments::Entity::find().filter(departments::Column::IntegrationId.eq(uuid)),
                "counting an integration's departments",
            )
            .await?,
            runs: count(
                conn,
                sync_runs::Entity::find().filter(sync_runs::Column::IntegrationId.eq(uuid)),
                "counting an integration's runs",
            )
            .await?,
            changes: count(
                conn,
                changes::Entity::find().filter(changes::Column::IntegrationId.eq(uuid)),
                "counting an integration's changes",
            )
            .await?,
        };
        Ok(data)
    }

    async fn delete(&self, id: IntegrationId) -> Result<(), IntegrationStoreError> {
        // One transaction: the lease first, then the bulk tables by hand (they have no foreign
        // keys, see the migration), then the integration, whose runs go by ON DELETE CASCADE.
        // Deleting the lease first waits for a sync's batch being written (it share-locks the
        // lease row) and fences off its later ones (they find no lease): deleting the bulk
        // rows first would miss a batch committed meanwhile and leave it behind.
        let txn = self
            .shared
            .begin_write()
            .await
            .map_err(store_err("starting a transaction"))?;
        let uuid = id.as_uuid();
        sync_leases::Entity::delete_many()
            .filter(sync_leases::Column::IntegrationId.eq(uuid))
            .exec(&txn)
            .await
            .map_err(store_err("deleting an integration's lease"))?;
        changes::Entity::delete_many()
            .filter(changes::Column::IntegrationId.eq(uuid))
            .exec(&txn)
            .await
            .map_err(store_err("deleting an integration's changes"))?;
        account_departments::Entity::delete_many()
            .filter(account_departments::Column::IntegrationId.eq(uuid))
            .exec(&txn)
            .await
            .map_err(store_err(
                "deleting an integration's department memberships",
            ))?;
        accounts::Entity::delete_many()
            .filter(accounts::Column::IntegrationId.eq(uuid))
            .exec(&txn)
            .await
            .map_err(store_err("deleting an integration's accounts"))?;
        departments::Entity::delete_many()
            .filter(departments::Column::IntegrationId.eq(uuid))
            .exec(&txn)
            .await
            .map_err(store_err("deleting an integration's departments"))?;
        directory_objects::Entity::delete_many()
            .filter(directory_objects::Column::IntegrationId.eq(uuid))
            .exec(&txn)
            .await
            .map_err(store_err("deleting an integration's groups and apps"))?;
        raw_dictionaries::Entity::delete_many()
            .filter(raw_dictionaries::Column::IntegrationId.eq(uuid))
            .exec(&txn)
            .await
            .map_err(store_err("deleting an integration's raw JSON dictionaries"))?;
        let result = Entity::delete_by_id(uuid)
            .exec(&txn)
            .await
            .map_err(store_err("deleting an integration"))?;
        if result.rows_affected == 0 {
            return Err(IntegrationStoreError::NotFound(id));
        }
        txn.commit()
            .await
            .map_err(store_err("committing the deletion"))?;
        self.shared.dictionaries.forget(id);
        Ok(())
    }
}

/// The rows a query selects, as a count.
async fn count<E, C>(
    conn: &C,
    select: sea_orm::Select<E>,
    context: &str,
) -> Result<u64, IntegrationStoreError>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    select.count(conn).await.map_err(store_err(context))
}

/// `LabelTaken` for a violation of the label's unique index, else a backend error.
fn label_error(label: &IntegrationLabel, context: &str, err: &DbErr) -> IntegrationStoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("label") => {
            IntegrationStoreError::LabelTaken(label.clone())
        }
        _ => IntegrationStoreError::Backend(crate::error::fault(context, err)),
    }
}

fn insert_error(integration: &Integration, err: &DbErr) -> IntegrationStoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("label") => {
            IntegrationStoreError::LabelTaken(integration.label.clone())
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            IntegrationStoreError::Backend(StoreFault::failed(format!(
                "an integration with id {} already exists",
                integration.id
            )))
        }
        _ => IntegrationStoreError::Backend(crate::error::fault("inserting an integration", err)),
    }
}

/// Key of the PostgreSQL advisory lock that serialises rotations ("aviaryrk"); on SQLite the
/// write transaction already does.
const ROTATION_LOCK_KEY: i64 = 0x6176_6961_7279_726b;

/// Re-encrypts every integration secret under `new` in one transaction that also records `new`
/// as the primary (every process that knows it switches when it commits), then makes `new` the
/// key in use. Rows already under `new` (an earlier rotation whose key was kept) are skipped.
/// `before_commit` is told how many secrets were re-encrypted before the transaction commits.
pub(crate) async fn rotate_secrets(
    shared: &Shared,
    new: MasterKey,
    before_commit: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, DbError> {
    let old = shared.keys.current();
    let keys = &shared.keys;
    let txn = shared.begin_write().await?;
    crate::connect::without_statement_timeouts(shared, &txn).await?;
    if shared.backend == crate::Backend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({ROTATION_LOCK_KEY})"
        ))
        .await?;
    }
    let mut rotated = rotate_app_secrets(&txn, keys, &new).await?;
    rotated += crate::grants::rotate(&txn, keys, &new).await?;
    crate::key_record::record_primary(&txn, new.id()).await?;
    before_commit(rotated);
    txn.commit().await?;
    tracing::info!(
        old_key = old.id(),
        new_key = new.id(),
        rotated,
        "re-encrypted stored secrets"
    );
    shared.keys.replace(std::sync::Arc::new(new));
    Ok(rotated)
}

/// Re-encrypts the App Secrets not under `new`, inside the rotation's transaction.
async fn rotate_app_secrets(
    txn: &sea_orm::DatabaseTransaction,
    keys: &crate::keyring::KeySlot,
    new: &MasterKey,
) -> Result<u64, DbError> {
    let rows = Entity::find().order_by_asc(Column::Id).all(txn).await?;
    let mut rotated = 0u64;
    for row in rows {
        let aad = app_secret_aad(row.id);
        let sealed = integration_sealed_secret(&row);
        let what = format!("the App Secret of integration \"{}\"", row.label);
        let Some(resealed) = crypto::reseal(keys, new, &sealed, &aad, &what)? else {
            continue;
        };
        // Only if unchanged since read: a secret replaced meanwhile stays as its writer left it
        // (under a key the ring keeps), rather than being overwritten with the old value.
        let written = Entity::update_many()
            .col_expr(Column::AppSecretCiphertext, Expr::val(resealed.ciphertext))
            .col_expr(Column::AppSecretNonce, Expr::val(resealed.nonce))
            .col_expr(Column::AppSecretKeyId, Expr::val(resealed.key_id))
            .filter(Column::Id.eq(row.id))
            .filter(Column::AppSecretCiphertext.eq(sealed.ciphertext))
            .exec(txn)
            .await?;
        rotated += written.rows_affected;
    }
    Ok(rotated)
}
