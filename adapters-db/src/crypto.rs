//! Secret box: AES-256-GCM with a random 96-bit nonce per encryption, the master key's id stored
//! next to the ciphertext, and associated data that binds a ciphertext to its row and column.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use aviary_domain::ports::StoreFault;
use rand::RngCore as _;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret as _, SecretString};

use crate::error::DbError;
use crate::keyring::KeySlot;
use crate::master_key::MasterKey;

const NONCE_LEN: usize = 12;

/// An encrypted value as stored: ciphertext with its tag, nonce, and the encrypting key's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
    pub key_id: String,
}

/// Why a stored secret could not be opened or sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CryptoError {
    #[error(
        "it was encrypted with master key {stored}, which is not one of the keys this process knows ({configured})"
    )]
    WrongKey { stored: String, configured: String },
    #[error(
        "authentication failed: the ciphertext was altered, belongs to another row, or the master key is wrong"
    )]
    Tampered,
    #[error("the stored nonce is {0} bytes long, expected 12")]
    BadNonce(usize),
    #[error("the decrypted secret is not UTF-8 text")]
    NotText,
    #[error("encryption failed")]
    Encrypt,
}

/// Associated data for the `app_secret` column of integration `id`: a ciphertext copied to
/// another row or column no longer authenticates.
pub(crate) fn app_secret_aad(id: uuid::Uuid) -> String {
    format!("aviary:v1:integrations.app_secret:{id}")
}

/// Associated data for the PKCE verifier of the login with this `state`.
pub(crate) fn login_verifier_aad(state: &str) -> String {
    format!("aviary:v1:oauth_logins.verifier:{state}")
}

/// Associated data for the tokens of integration `id`'s grant.
pub(crate) fn grant_tokens_aad(id: uuid::Uuid) -> String {
    format!("aviary:v1:grants.tokens:{id}")
}

fn cipher(key: &MasterKey) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.bytes()))
}

/// Encrypts `secret` under `key`, bound to `aad`, with a fresh random nonce.
pub(crate) fn seal(
    key: &MasterKey,
    secret: &SecretString,
    aad: &str,
) -> Result<Sealed, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let ciphertext = cipher(key)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret.expose_secret().as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| CryptoError::Encrypt)?;
    Ok(Sealed {
        ciphertext,
        nonce: nonce.to_vec(),
        key_id: key.id().to_owned(),
    })
}

/// Decrypts `sealed` with whichever key of `keys` it names.
///
/// # Errors
/// As [`open`]; `WrongKey` when no key of the ring has its id.
pub(crate) fn open_with(
    keys: &KeySlot,
    sealed: &Sealed,
    aad: &str,
) -> Result<SecretString, CryptoError> {
    match keys.find_or_reload(&sealed.key_id) {
        Some(key) => open(&key, sealed, aad),
        None => Err(CryptoError::WrongKey {
            stored: sealed.key_id.clone(),
            configured: keys.ids().join(", "),
        }),
    }
}

/// `sealed` re-encrypted under `new` for a key rotation, or `None` when it already is under
/// `new`; it is opened with whichever known key it names. `what` names the value in errors.
///
/// # Errors
/// `Undecryptable` when it opens under no known key, `Backend` when encryption fails.
pub(crate) fn reseal(
    keys: &KeySlot,
    new: &MasterKey,
    sealed: &Sealed,
    aad: &str,
    what: &str,
) -> Result<Option<Sealed>, DbError> {
    if sealed.key_id == new.id() && open(new, sealed, aad).is_ok() {
        return Ok(None);
    }
    let secret = open_with(keys, sealed, aad).map_err(|err| {
        DbError::Undecryptable(format!("{what}: {err}; nothing was re-encrypted"))
    })?;
    seal(new, &secret, aad).map(Some).map_err(|err| {
        DbError::Backend(StoreFault::failed(format!("cannot encrypt {what}: {err}")))
    })
}

/// Decrypts a sealed secret bound to `aad`.
pub(crate) fn open(
    key: &MasterKey,
    sealed: &Sealed,
    aad: &str,
) -> Result<SecretString, CryptoError> {
    if sealed.key_id != key.id() {
        return Err(CryptoError::WrongKey {
            stored: sealed.key_id.clone(),
            configured: key.id().to_owned(),
        });
    }
    if sealed.nonce.len() != NONCE_LEN {
        return Err(CryptoError::BadNonce(sealed.nonce.len()));
    }
    let plain = Zeroizing::new(
        cipher(key)
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?,
    );
    let text = std::str::from_utf8(&plain).map_err(|_| CryptoError::NotText)?;
    Ok(SecretString::from(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let key = MasterKey::generate();
        let a = seal(&key, &secret("s3cret"), "row-1").unwrap();
        let b = seal(&key, &secret("s3cret"), "row-1").unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(a.key_id, key.id());
        assert!(!a.ciphertext.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(open(&key, &a, "row-1").unwrap().expose_secret(), "s3cret");
    }

    #[test]
    fn refuses_other_rows_other_keys_and_tampering() {
        let key = MasterKey::generate();
        let sealed = seal(&key, &secret("s3cret"), "row-1").unwrap();
        assert_eq!(
            open(&key, &sealed, "row-2").unwrap_err(),
            CryptoError::Tampered
        );

        let other = MasterKey::generate();
        assert!(matches!(
            open(&other, &sealed, "row-1"),
            Err(CryptoError::WrongKey { .. })
        ));
        let relabelled = Sealed {
            key_id: other.id().to_owned(),
            ..sealed.clone()
        };
        assert_eq!(
            open(&other, &relabelled, "row-1").unwrap_err(),
            CryptoError::Tampered
        );

        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert_eq!(
            open(&key, &flipped, "row-1").unwrap_err(),
            CryptoError::Tampered
        );
        let short_nonce = Sealed {
            nonce: vec![0; 8],
            ..sealed
        };
        assert_eq!(
            open(&key, &short_nonce, "row-1").unwrap_err(),
            CryptoError::BadNonce(8)
        );
    }
}
