//! Lark's raw JSON of an account or a department, stored once and zstd-compressed.
//!
//! A user's JSON is ~1.2 KB, mostly key names and values that repeat from user to user (avatar
//! URL prefixes, department ids, the tenant's mail domain). Compressed alone it shrinks by half;
//! with a dictionary trained on the same tenant's users, to about a fifth. So the first write
//! of an integration that brings at least [`TRAIN_MIN_SAMPLES`] accounts trains a dictionary
//! from them and stores it (`raw_dictionaries`); every later row names the dictionary it was
//! compressed with, and rows written before one existed name none. Dictionaries are never
//! changed, only deleted with their integration, so a prepared one is cached for good.
//! Departments are few (thousands, not hundred thousands): each is compressed alone.

use std::collections::HashMap;
use std::io::Read as _;
use std::sync::{Arc, Mutex, PoisonError};

use aviary_domain::values::IntegrationId;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait as _,
    ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

use aviary_domain::model::{Department, UserAccount};

use crate::batch::BatchError;
use crate::entities::raw_dictionaries;
use crate::mapping::{AccountRow, DepartmentRow, Mapped, MappingError, StoredRaw};

/// Accounts a first write must bring to train a dictionary on (fewer train a poor one; a tenant
/// that small does not need one).
pub(crate) const TRAIN_MIN_SAMPLES: usize = 256;

/// Samples a dictionary is trained on at most (training time grows with them).
const TRAIN_MAX_SAMPLES: usize = 2_000;

/// A dictionary's size at most: zstd's guidance is about a hundredth of the samples.
const DICTIONARY_BYTES: usize = 16 * 1024;

/// zstd's default level: at these sizes higher levels gain a few bytes for twice the time.
const LEVEL: i32 = 3;

/// A raw JSON document larger than this is refused when read back (a corrupt frame).
const MAX_RAW_BYTES: u64 = 4 * 1024 * 1024;

/// A stored dictionary, prepared for both directions.
pub(crate) struct Prepared {
    pub id: i64,
    encoder: EncoderDictionary<'static>,
    decoder: DecoderDictionary<'static>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").field("id", &self.id).finish()
    }
}

impl Prepared {
    pub(crate) fn new(id: i64, bytes: &[u8]) -> Self {
        Self {
            id,
            encoder: EncoderDictionary::copy(bytes, LEVEL),
            decoder: DecoderDictionary::copy(bytes),
        }
    }
}

/// The process's prepared dictionaries: by id, and each integration's newest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dictionaries {
    cache: Arc<Mutex<Cache>>,
    /// Held while an integration's newest dictionary is looked up (and perhaps trained), so the
    /// batches a sync writes side by side train one, not one each.
    lookup: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Default)]
struct Cache {
    by_id: HashMap<i64, Arc<Prepared>>,
    newest: HashMap<IntegrationId, Arc<Prepared>>,
}

impl Dictionaries {
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds only finished values: a panic elsewhere cannot leave it half-written.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The dictionary to compress `integration`'s accounts with: its newest, or one trained on
    /// `samples` and stored now when it has none and they are enough; `None` otherwise.
    ///
    /// # Errors
    /// The database's, reading or storing the dictionary.
    pub(crate) async fn for_writing(
        &self,
        db: &impl ConnectionTrait,
        integration: IntegrationId,
        samples: &[&[u8]],
    ) -> Result<Option<Arc<Prepared>>, DbErr> {
        if let Some(known) = self.newest(integration) {
            return Ok(Some(known));
        }
        let _one_at_a_time = self.lookup.lock().await;
        // Another batch may have found or trained it while this one waited.
        if let Some(known) = self.newest(integration) {
            return Ok(Some(known));
        }
        let stored = raw_dictionaries::Entity::find()
            .filter(raw_dictionaries::Column::IntegrationId.eq(integration.as_uuid()))
            .order_by_desc(raw_dictionaries::Column::Id)
            .one(db)
            .await?;
        let prepared = match stored {
            Some(row) => Prepared::new(row.id, &row.dictionary),
            None => match train(samples) {
                Some(bytes) => Prepared::new(store(db, integration, bytes.clone()).await?, &bytes),
                None => return Ok(None),
            },
        };
        let prepared = Arc::new(prepared);
        let mut cache = self.cache();
        cache.by_id.insert(prepared.id, Arc::clone(&prepared));
        cache.newest.insert(integration, Arc::clone(&prepared));
        Ok(Some(prepared))
    }

    fn newest(&self, integration: IntegrationId) -> Option<Arc<Prepared>> {
        self.cache().newest.get(&integration).map(Arc::clone)
    }

    /// The dictionaries `ids` name, read from the database when not cached yet.
    ///
    /// # Errors
    /// The database's.
    pub(crate) async fn for_reading(
        &self,
        db: &impl ConnectionTrait,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<HashMap<i64, Arc<Prepared>>, DbErr> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let cache = self.cache();
            for id in ids {
                match cache.by_id.get(&id) {
                    Some(prepared) => {
                        found.insert(id, Arc::clone(prepared));
                    }
                    None => missing.push(id),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        missing.sort_unstable();
        missing.dedup();
        let rows = raw_dictionaries::Entity::find()
            .filter(raw_dictionaries::Column::Id.is_in(missing))
            .all(db)
            .await?;
        let mut cache = self.cache();
        for row in rows {
            let prepared = Arc::new(Prepared::new(row.id, &row.dictionary));
            cache.by_id.insert(row.id, Arc::clone(&prepared));
            found.insert(row.id, prepared);
        }
        Ok(found)
    }

    /// Forgets an integration's dictionaries (it was deleted with them).
    pub(crate) fn forget(&self, integration: IntegrationId) {
        let mut cache = self.cache();
        if let Some(newest) = cache.newest.remove(&integration) {
            cache.by_id.remove(&newest.id);
        }
    }
}

/// A dictionary trained on `samples`, or `None` when they are too few or training fails (the
/// rows are then compressed without one: smaller gains, nothing lost).
pub(crate) fn train(samples: &[&[u8]]) -> Option<Vec<u8>> {
    if samples.len() < TRAIN_MIN_SAMPLES {
        return None;
    }
    let samples = &samples[..samples.len().min(TRAIN_MAX_SAMPLES)];
    match zstd::dict::from_samples(samples, DICTIONARY_BYTES) {
        Ok(bytes) => Some(bytes),
        Err(err) => {
            tracing::debug!(error = %err, "no dictionary for raw JSON: compressing without one");
            None
        }
    }
}

/// Stores a dictionary for `integration` and returns its id.
///
/// # Errors
/// The database's.
pub(crate) async fn store(
    db: &impl ConnectionTrait,
    integration: IntegrationId,
    dictionary: Vec<u8>,
) -> Result<i64, DbErr> {
    let row = raw_dictionaries::ActiveModel {
        id: NotSet,
        integration_id: Set(integration.as_uuid()),
        dictionary: Set(dictionary),
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// The raw JSON of `accounts` compressed for storing, in their order, with the integration's
/// dictionary (trained from these accounts when it has none yet and they are enough).
///
/// # Errors
/// `Db` reading or storing the dictionary; `Mapping` if a document cannot be compressed.
pub(crate) async fn compress_accounts(
    dictionaries: &Dictionaries,
    db: &impl ConnectionTrait,
    integration: IntegrationId,
    accounts: &[&UserAccount],
) -> Result<Vec<StoredRaw>, BatchError> {
    let documents = serialise(accounts.iter().map(|account| &account.raw))?;
    let samples: Vec<&[u8]> = documents.iter().map(Vec::as_slice).collect();
    let dictionary = dictionaries.for_writing(db, integration, &samples).await?;
    Ok(stored(dictionary.as_deref(), &documents)?)
}

/// Stored account rows as accounts with their raw JSON.
///
/// # Errors
/// `Db` reading a dictionary; `Mapping` for a row, or a compressed document, that is not valid.
pub(crate) async fn accounts_with_raw(
    dictionaries: &Dictionaries,
    db: &impl ConnectionTrait,
    rows: Vec<AccountRow>,
) -> Result<Vec<UserAccount>, BatchError> {
    let ids = rows.iter().filter_map(|row| row.raw_dictionary_id);
    let prepared = dictionaries.for_reading(db, ids).await?;
    let mut accounts = Vec::with_capacity(rows.len());
    for mut row in rows {
        let raw = match (row.raw.take(), row.raw_dictionary_id) {
            (None, _) => serde_json::Value::Null,
            (Some(bytes), None) => decompress(None, &bytes)?,
            (Some(bytes), Some(id)) => {
                let dictionary = prepared.get(&id).ok_or_else(|| {
                    MappingError(format!(
                        "stored raw JSON needs dictionary {id}, which is gone"
                    ))
                })?;
                decompress(Some(dictionary), &bytes)?
            }
        };
        accounts.push(row.into_account(raw)?);
    }
    Ok(accounts)
}

/// The raw JSON of `departments` compressed for storing, in their order (no dictionary).
///
/// # Errors
/// A document that cannot be serialised or compressed.
pub(crate) fn compress_departments(departments: &[&Department]) -> Mapped<Vec<StoredRaw>> {
    stored(None, &serialise(departments.iter().map(|d| &d.raw))?)
}

/// Each document as JSON bytes.
fn serialise<'a>(raws: impl Iterator<Item = &'a serde_json::Value>) -> Mapped<Vec<Vec<u8>>> {
    raws.map(serde_json::to_vec)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| MappingError(format!("serialising raw JSON: {err}")))
}

/// Serialised documents compressed for storing, naming the dictionary they need.
fn stored(dictionary: Option<&Prepared>, documents: &[Vec<u8>]) -> Mapped<Vec<StoredRaw>> {
    let id = dictionary.map(|prepared| prepared.id);
    Ok(compress_all(dictionary, documents)?
        .into_iter()
        .map(|bytes| StoredRaw {
            bytes,
            dictionary: id,
        })
        .collect())
}

/// A stored department row as a department with its raw JSON.
///
/// # Errors
/// A row, or a compressed document, that is not valid.
pub(crate) fn department_with_raw(mut row: DepartmentRow) -> Mapped<Department> {
    let raw = match row.raw.take() {
        Some(bytes) => decompress(None, &bytes)?,
        None => serde_json::Value::Null,
    };
    row.into_department(raw)
}

/// Compresses serialised documents, with `dictionary` when given.
pub(crate) fn compress_all(
    dictionary: Option<&Prepared>,
    documents: &[Vec<u8>],
) -> Mapped<Vec<Vec<u8>>> {
    let failed = |err: std::io::Error| MappingError(format!("compressing raw JSON: {err}"));
    let mut compressor = match dictionary {
        Some(prepared) => zstd::bulk::Compressor::with_prepared_dictionary(&prepared.encoder),
        None => zstd::bulk::Compressor::new(LEVEL),
    }
    .map_err(failed)?;
    documents
        .iter()
        .map(|document| compressor.compress(document).map_err(failed))
        .collect()
}

/// Decompresses one stored document and parses it.
pub(crate) fn decompress(
    dictionary: Option<&Prepared>,
    stored: &[u8],
) -> Mapped<serde_json::Value> {
    let failed = |err: std::io::Error| MappingError(format!("stored raw JSON is corrupt: {err}"));
    let mut text = Vec::with_capacity(stored.len() * 6);
    match dictionary {
        Some(prepared) => {
            zstd::stream::read::Decoder::with_prepared_dictionary(stored, &prepared.decoder)
                .map_err(failed)?
                .take(MAX_RAW_BYTES)
                .read_to_end(&mut text)
        }
        None => zstd::stream::read::Decoder::with_buffer(stored)
            .map_err(failed)?
            .take(MAX_RAW_BYTES)
            .read_to_end(&mut text),
    }
    .map_err(failed)?;
    serde_json::from_slice(&text)
        .map_err(|err| MappingError(format!("stored raw JSON is not valid: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(i: usize) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "open_id": format!("ou_{i:032x}"),
            "name": format!("User {i}"),
            "email": format!("user{i}@example.com"),
            "avatar": {"avatar_72": format!("https://example.com/avatar/{i}~72x72.png")},
            "department_ids": [format!("od-{:032x}", i % 7)],
            "status": {"is_activated": true, "is_frozen": false, "is_resigned": false},
        }))
        .unwrap()
    }

    #[test]
    fn documents_read_back_as_written_with_and_without_a_dictionary() {
        let documents: Vec<Vec<u8>> = (0..400).map(document).collect();
        let samples: Vec<&[u8]> = documents.iter().map(Vec::as_slice).collect();
        let trained = Prepared::new(1, &train(&samples).unwrap());
        for dictionary in [None, Some(&trained)] {
            let stored = compress_all(dictionary, &documents).unwrap();
            for (document, stored) in documents.iter().zip(&stored) {
                let back = decompress(dictionary, stored).unwrap();
                assert_eq!(serde_json::to_vec(&back).unwrap(), *document);
            }
        }
    }

    #[test]
    fn a_dictionary_needs_enough_samples_and_pays_for_itself() {
        let documents: Vec<Vec<u8>> = (0..400).map(document).collect();
        let samples: Vec<&[u8]> = documents.iter().map(Vec::as_slice).collect();
        assert!(train(&samples[..TRAIN_MIN_SAMPLES - 1]).is_none());
        let trained = Prepared::new(1, &train(&samples).unwrap());
        let size = |dictionary| -> usize {
            compress_all(dictionary, &documents)
                .unwrap()
                .iter()
                .map(Vec::len)
                .sum()
        };
        assert!(size(Some(&trained)) * 2 < size(None));
    }

    #[test]
    fn a_corrupt_or_foreign_frame_is_an_error_not_a_panic() {
        let documents = vec![document(1)];
        let stored = compress_all(None, &documents).unwrap().remove(0);
        assert!(decompress(None, &stored[..stored.len() / 2]).is_err());
        assert!(decompress(None, b"not zstd").is_err());
        let other: Vec<Vec<u8>> = (0..400).map(document).collect();
        let samples: Vec<&[u8]> = other.iter().map(Vec::as_slice).collect();
        let trained = Prepared::new(1, &train(&samples).unwrap());
        let with_dictionary = compress_all(Some(&trained), &documents).unwrap().remove(0);
        assert!(decompress(None, &with_dictionary).is_err());
    }
}
