//! SQL implementation of [`GrantStore`]: logins in progress and OAuth grants, every secret
//! sealed with the master key and bound to its row. Taking a login deletes it in the same
//! statement that reads it (`DELETE … RETURNING`), so a `state` works once even across
//! processes; refreshed grants are compare-and-swapped on their generation.

use crate::keyring::KeySlot;
use async_trait::async_trait;
use aviary_domain::model::{AuthorizedUser, Grant, PendingLogin, TokenSet};
use aviary_domain::ports::StoreFault;
use aviary_domain::ports::{GrantStore, GrantStoreError};
use aviary_domain::values::{IntegrationId, OAuthState, OpenId, PkceVerifier};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    IntoActiveModel as _, QueryFilter as _, QuerySelect as _, Set, SqlErr,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use crate::connect::Shared;
use crate::crypto::{self, Sealed, grant_tokens_aad, login_verifier_aad};
use crate::entities::{grants, oauth_logins};
use crate::error::{DbError, fault};
use crate::mapping::{
    MappingError, from_micros, grant_sealed_tokens, login_sealed_verifier, micros,
};
use crate::master_key::MasterKey;

/// SQL implementation of [`GrantStore`].
#[derive(Debug, Clone)]
pub(crate) struct SqlGrants {
    shared: Shared,
}

impl SqlGrants {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

/// The two tokens as sealed together (JSON inside the ciphertext only).
#[derive(Serialize, Deserialize)]
struct TokenPair {
    access: String,
    refresh: Option<String>,
}

fn backend(context: &'static str) -> impl FnOnce(DbErr) -> GrantStoreError {
    move |err| GrantStoreError::Backend(fault(context, &err))
}

fn mapping(err: MappingError) -> GrantStoreError {
    GrantStoreError::Backend(StoreFault::failed(err.0))
}

/// A write that names a missing integration fails its foreign key.
fn write_err(
    integration: IntegrationId,
    context: &'static str,
) -> impl FnOnce(DbErr) -> GrantStoreError {
    move |err| match err.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            GrantStoreError::NoIntegration(integration)
        }
        _ => GrantStoreError::Backend(fault(context, &err)),
    }
}

impl SqlGrants {
    /// Encrypts `secret` under the primary key the database records (see
    /// [`crate::connect::Shared::sealing_key`]).
    async fn seal(&self, secret: &SecretString, aad: &str) -> Result<Sealed, GrantStoreError> {
        let key = self
            .shared
            .sealing_key()
            .await
            .map_err(backend("reading the primary master key"))?;
        crypto::seal(&key, secret, aad).map_err(|err| {
            GrantStoreError::Backend(StoreFault::failed(format!("cannot encrypt a token: {err}")))
        })
    }

    fn open(&self, sealed: &Sealed, aad: &str) -> Result<SecretString, GrantStoreError> {
        crypto::open_with(&self.shared.keys, sealed, aad)
            .map_err(|err| GrantStoreError::Undecryptable(err.to_string()))
    }

    async fn grant_row(
        &self,
        grant: &Grant,
        generation: i64,
    ) -> Result<grants::Model, GrantStoreError> {
        let tokens = &grant.tokens;
        let pair = TokenPair {
            access: tokens.access_token.expose_secret().to_owned(),
            refresh: tokens
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
        };
        let plain = serde_json::to_string(&pair).map_err(|err| {
            GrantStoreError::Backend(StoreFault::failed(format!("cannot encode tokens: {err}")))
        })?;
        let id = grant.integration_id.as_uuid();
        let sealed = self
            .seal(&SecretString::from(plain), &grant_tokens_aad(id))
            .await?;
        let user = &grant.authorized_by;
        Ok(grants::Model {
            integration_id: id,
            tokens_ciphertext: sealed.ciphertext,
            tokens_nonce: sealed.nonce,
            tokens_key_id: sealed.key_id,
            access_expires_at: micros(tokens.access_expires_at),
            refresh_expires_at: tokens.refresh_expires_at.map(micros),
            scopes: tokens.scopes.join(" "),
            authorized_open_id: user.open_id.as_str().to_owned(),
            authorized_name: user.name.clone(),
            authorized_email: user.email.clone(),
            tenant_key: user.tenant_key.clone(),
            granted_at: micros(grant.granted_at),
            generation,
            refresh_claimed_by: None,
            refresh_claim_until: None,
        })
    }

    fn grant_from_row(&self, row: grants::Model) -> Result<Grant, GrantStoreError> {
        let sealed = grant_sealed_tokens(&row);
        let plain = self.open(&sealed, &grant_tokens_aad(row.integration_id))?;
        let pair: TokenPair = serde_json::from_str(plain.expose_secret()).map_err(|err| {
            GrantStoreError::Undecryptable(format!("the stored tokens are not readable: {err}"))
        })?;
        let open_id = OpenId::parse(&row.authorized_open_id).map_err(|err| {
            GrantStoreError::Backend(StoreFault::failed(format!(
                "stored grant has a bad open_id: {err}"
            )))
        })?;
        Ok(Grant {
            integration_id: IntegrationId::from_uuid(row.integration_id),
            tokens: TokenSet {
                access_token: SecretString::from(pair.access),
                access_expires_at: from_micros(row.access_expires_at).map_err(mapping)?,
                refresh_token: pair.refresh.map(SecretString::from),
                refresh_expires_at: row
                    .refresh_expires_at
                    .map(from_micros)
                    .transpose()
                    .map_err(mapping)?,
                scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
            },
            authorized_by: AuthorizedUser {
                open_id,
                name: row.authorized_name,
                email: row.authorized_email,
                tenant_key: row.tenant_key,
            },
            granted_at: from_micros(row.granted_at).map_err(mapping)?,
            generation: row.generation,
        })
    }
}

#[async_trait]
impl GrantStore for SqlGrants {
    async fn save_login(&self, login: &PendingLogin) -> Result<(), GrantStoreError> {
        let state = login.state.as_str();
        let sealed = self
            .seal(login.verifier.secret(), &login_verifier_aad(state))
            .await?;
        let row = oauth_logins::ActiveModel {
            state: Set(state.to_owned()),
            integration_id: Set(login.integration_id.as_uuid()),
            started_by: Set(login.started_by.clone()),
            verifier_ciphertext: Set(sealed.ciphertext),
            verifier_nonce: Set(sealed.nonce),
            verifier_key_id: Set(sealed.key_id),
            redirect_uri: Set(login.redirect_uri.clone()),
            expires_at: Set(micros(login.expires_at)),
        };
        // Logins abandoned long ago go at the same time (their states can no longer be used).
        oauth_logins::Entity::delete_many()
            .filter(oauth_logins::Column::ExpiresAt.lt(micros(login.expires_at) - DAY_MICROS))
            .exec(&self.shared.conn)
            .await
            .map_err(backend("clearing abandoned logins"))?;
        oauth_logins::Entity::insert(row)
            .exec(&self.shared.conn)
            .await
            .map_err(write_err(login.integration_id, "remembering a login"))?;
        Ok(())
    }

    async fn take_login(
        &self,
        state: &OAuthState,
    ) -> Result<Option<PendingLogin>, GrantStoreError> {
        let taken = oauth_logins::Entity::delete_many()
            .filter(oauth_logins::Column::State.eq(state.as_str()))
            .exec_with_returning(&self.shared.conn)
            .await
            .map_err(backend("taking a login"))?;
        let Some(row) = taken.into_iter().next() else {
            return Ok(None);
        };
        let sealed = login_sealed_verifier(&row);
        let verifier = self.open(&sealed, &login_verifier_aad(&row.state))?;
        Ok(Some(PendingLogin {
            state: state.clone(),
            integration_id: IntegrationId::from_uuid(row.integration_id),
            started_by: row.started_by,
            verifier: PkceVerifier::from_stored(verifier),
            redirect_uri: row.redirect_uri,
            expires_at: from_micros(row.expires_at).map_err(mapping)?,
        }))
    }

    async fn grant(&self, integration: IntegrationId) -> Result<Option<Grant>, GrantStoreError> {
        grants::Entity::find_by_id(integration.as_uuid())
            .one(&self.shared.conn)
            .await
            .map_err(backend("reading a grant"))?
            .map(|row| self.grant_from_row(row))
            .transpose()
    }

    async fn save_grant(&self, grant: &Grant) -> Result<Grant, GrantStoreError> {
        // A new login starts a new line of refresh tokens: any generation above the old one
        // makes refreshes still in flight from the old grant lose their compare-and-swap.
        // Only the old generation is needed: its tokens are not decrypted (they may not even
        // open under the current key).
        let old: Option<i64> = grants::Entity::find_by_id(grant.integration_id.as_uuid())
            .select_only()
            .column(grants::Column::Generation)
            .into_tuple()
            .one(&self.shared.conn)
            .await
            .map_err(backend("reading a grant's generation"))?;
        let generation = old.map_or(1, |g| g + 1);
        let row = self
            .grant_row(grant, generation)
            .await?
            .into_active_model()
            .reset_all();
        let conflict = OnConflict::column(grants::Column::IntegrationId)
            .update_columns([
                grants::Column::TokensCiphertext,
                grants::Column::TokensNonce,
                grants::Column::TokensKeyId,
                grants::Column::AccessExpiresAt,
                grants::Column::RefreshExpiresAt,
                grants::Column::Scopes,
                grants::Column::AuthorizedOpenId,
                grants::Column::AuthorizedName,
                grants::Column::AuthorizedEmail,
                grants::Column::TenantKey,
                grants::Column::GrantedAt,
                grants::Column::Generation,
                // A new login: no refresh of the old grant is claimed any more.
                grants::Column::RefreshClaimedBy,
                grants::Column::RefreshClaimUntil,
            ])
            .to_owned();
        grants::Entity::insert(row)
            .on_conflict(conflict)
            .exec(&self.shared.conn)
            .await
            .map_err(write_err(grant.integration_id, "storing a grant"))?;
        Ok(Grant {
            generation,
            ..grant.clone()
        })
    }

    async fn replace_refreshed(&self, grant: &Grant) -> Result<Option<Grant>, GrantStoreError> {
        let next = grant.generation + 1;
        let row = self.grant_row(grant, next).await?;
        let result = grants::Entity::update_many()
            .col_expr(
                grants::Column::TokensCiphertext,
                Expr::val(row.tokens_ciphertext),
            )
            .col_expr(grants::Column::TokensNonce, Expr::val(row.tokens_nonce))
            .col_expr(grants::Column::TokensKeyId, Expr::val(row.tokens_key_id))
            .col_expr(
                grants::Column::AccessExpiresAt,
                Expr::val(row.access_expires_at),
            )
            .col_expr(
                grants::Column::RefreshExpiresAt,
                Expr::val(row.refresh_expires_at),
            )
            .col_expr(grants::Column::Scopes, Expr::val(row.scopes))
            .col_expr(grants::Column::Generation, Expr::val(next))
            // The refresh is done: the claim on the old generation goes with it.
            .col_expr(grants::Column::RefreshClaimedBy, Expr::val(None::<String>))
            .col_expr(grants::Column::RefreshClaimUntil, Expr::val(None::<i64>))
            .filter(grants::Column::IntegrationId.eq(grant.integration_id.as_uuid()))
            .filter(grants::Column::Generation.eq(grant.generation))
            .exec(&self.shared.conn)
            .await
            .map_err(backend("storing a refreshed grant"))?;
        Ok((result.rows_affected == 1).then(|| Grant {
            generation: next,
            ..grant.clone()
        }))
    }

    async fn claim_refresh(
        &self,
        integration: IntegrationId,
        generation: i64,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, GrantStoreError> {
        // One statement: claimed only if the grant is still at `generation` and nobody else
        // holds an unexpired claim on it.
        let free = Expr::col(grants::Column::RefreshClaimUntil)
            .is_null()
            .or(Expr::col(grants::Column::RefreshClaimUntil).lte(micros(now)))
            .or(Expr::col(grants::Column::RefreshClaimedBy).eq(owner));
        let claimed = grants::Entity::update_many()
            .col_expr(grants::Column::RefreshClaimedBy, Expr::val(owner))
            .col_expr(grants::Column::RefreshClaimUntil, Expr::val(micros(until)))
            .filter(grants::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(grants::Column::Generation.eq(generation))
            .filter(free)
            .exec(&self.shared.conn)
            .await
            .map_err(backend("claiming a grant's refresh"))?;
        Ok(claimed.rows_affected == 1)
    }

    async fn release_refresh(
        &self,
        integration: IntegrationId,
        owner: &str,
    ) -> Result<(), GrantStoreError> {
        grants::Entity::update_many()
            .col_expr(grants::Column::RefreshClaimedBy, Expr::val(None::<String>))
            .col_expr(grants::Column::RefreshClaimUntil, Expr::val(None::<i64>))
            .filter(grants::Column::IntegrationId.eq(integration.as_uuid()))
            .filter(grants::Column::RefreshClaimedBy.eq(owner))
            .exec(&self.shared.conn)
            .await
            .map_err(backend("releasing a grant's refresh claim"))?;
        Ok(())
    }
}

/// Microseconds in a day.
const DAY_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

/// Re-encrypts every stored token and PKCE verifier under `new` inside the caller's
/// transaction (part of a master-key rotation). Values already under `new` are skipped.
///
/// # Errors
/// `Undecryptable` when a value opens under neither key; nothing is then changed.
pub(crate) async fn rotate(
    txn: &impl ConnectionTrait,
    keys: &KeySlot,
    new: &MasterKey,
) -> Result<u64, DbError> {
    let mut rotated = 0u64;
    for row in grants::Entity::find().all(txn).await? {
        let aad = grant_tokens_aad(row.integration_id);
        let sealed = grant_sealed_tokens(&row);
        if let Some(resealed) = crypto::reseal(keys, new, &sealed, &aad, "a grant's tokens")? {
            // Only if unchanged since read: a refresh that stored new tokens meanwhile wins.
            let written = grants::Entity::update_many()
                .col_expr(
                    grants::Column::TokensCiphertext,
                    Expr::val(resealed.ciphertext),
                )
                .col_expr(grants::Column::TokensNonce, Expr::val(resealed.nonce))
                .col_expr(grants::Column::TokensKeyId, Expr::val(resealed.key_id))
                .filter(grants::Column::IntegrationId.eq(row.integration_id))
                .filter(grants::Column::TokensCiphertext.eq(sealed.ciphertext))
                .exec(txn)
                .await?;
            rotated += written.rows_affected;
        }
    }
    for row in oauth_logins::Entity::find().all(txn).await? {
        let aad = login_verifier_aad(&row.state);
        let sealed = login_sealed_verifier(&row);
        if let Some(resealed) = crypto::reseal(keys, new, &sealed, &aad, "a login's PKCE verifier")?
        {
            let written = oauth_logins::Entity::update_many()
                .col_expr(
                    oauth_logins::Column::VerifierCiphertext,
                    Expr::val(resealed.ciphertext),
                )
                .col_expr(
                    oauth_logins::Column::VerifierNonce,
                    Expr::val(resealed.nonce),
                )
                .col_expr(
                    oauth_logins::Column::VerifierKeyId,
                    Expr::val(resealed.key_id),
                )
                .filter(oauth_logins::Column::State.eq(row.state))
                .filter(oauth_logins::Column::VerifierCiphertext.eq(sealed.ciphertext))
                .exec(txn)
                .await?;
            rotated += written.rows_affected;
        }
    }
    Ok(rotated)
}
