//! What each master key encrypts: how many stored secrets name each key, which keys this
//! process knows, and every secret that no known key opens — what an operator checks before
//! removing a key, and after a rotation was interrupted.

use std::collections::BTreeMap;

use sea_orm::EntityTrait as _;

use crate::connect::Shared;
use crate::crypto::{self, Sealed, app_secret_aad, grant_tokens_aad, login_verifier_aad};
use crate::entities::{grants, integrations, oauth_logins};
use crate::error::DbError;
use crate::mapping::{grant_sealed_tokens, integration_sealed_secret, login_sealed_verifier};

/// The master keys and the stored secrets under each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsage {
    /// The primary the database records (`None`: no rotation recorded one yet).
    pub recorded_primary: Option<String>,
    /// The key this process encrypts with.
    pub in_use: String,
    /// Every key that a stored secret names or this process knows, by id.
    pub keys: Vec<KeyCount>,
    /// Each stored secret that opens under no known key: what it is and why (never its value).
    pub undecryptable: Vec<String>,
}

/// One master key and how many stored secrets it encrypts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCount {
    pub id: String,
    pub secrets: u64,
    /// Whether this process has the key (can decrypt what is under it).
    pub known: bool,
}

/// Opens every stored secret (App Secrets, grants' tokens, logins' verifiers) with the known
/// keys and counts them per key.
pub(crate) async fn key_usage(shared: &Shared) -> Result<KeyUsage, DbError> {
    let mut sealed: Vec<(String, Sealed, String)> = Vec::new();
    for row in integrations::Entity::find().all(&shared.conn).await? {
        let what = format!("the App Secret of integration \"{}\"", row.label);
        sealed.push((
            what,
            integration_sealed_secret(&row),
            app_secret_aad(row.id),
        ));
    }
    for row in grants::Entity::find().all(&shared.conn).await? {
        let what = format!("the Lark sign-in of integration {}", row.integration_id);
        let aad = grant_tokens_aad(row.integration_id);
        let tokens = grant_sealed_tokens(&row);
        sealed.push((what, tokens, aad));
    }
    for row in oauth_logins::Entity::find().all(&shared.conn).await? {
        let what = "a pending Lark login's PKCE verifier".to_owned();
        let aad = login_verifier_aad(&row.state);
        let verifier = login_sealed_verifier(&row);
        sealed.push((what, verifier, aad));
    }
    let recorded_primary = crate::key_record::recorded_primary(&shared.conn).await?;
    let mut counts: BTreeMap<String, u64> =
        shared.keys.ids().into_iter().map(|id| (id, 0)).collect();
    let mut undecryptable = Vec::new();
    for (what, value, aad) in &sealed {
        *counts.entry(value.key_id.clone()).or_default() += 1;
        if let Err(err) = crypto::open_with(&shared.keys, value, aad) {
            undecryptable.push(format!("{what}: {err}"));
        }
    }
    let keys = counts
        .into_iter()
        .map(|(id, secrets)| KeyCount {
            known: shared.keys.find(&id).is_some(),
            id,
            secrets,
        })
        .collect();
    Ok(KeyUsage {
        recorded_primary,
        in_use: shared.keys.current().id().to_owned(),
        keys,
        undecryptable,
    })
}
