//! Validated value types: constructing one proves its invariants hold.

mod api_key;
mod app_id;
mod base_url;
mod content_hash;
mod email;
mod ids;
mod key_name;
mod label;
mod oauth;
mod password;
mod patch;
mod remote_ids;
mod session;
mod sync_interval;

pub use api_key::{
    API_KEY_MARKER, ApiKeyHash, ApiKeyHashError, GeneratedKey, KeyPrefix, KeyPrefixError,
    MalformedKey, hash_presented_key,
};
pub use app_id::{AppId, AppIdError};
pub use base_url::{BaseUrl, BaseUrlError, BaseUrlPolicy, BaseUrlRefusal};
pub use content_hash::ContentHash;
pub use email::{EmailAddress, EmailError};
pub use ids::AdminId;
pub use ids::{ApiKeyId, IdParseError, IntegrationId, RunId};
pub use key_name::{KeyName, KeyNameError};
pub use label::{IntegrationLabel, LabelError};
pub use oauth::{OAuthState, OAuthStateError, PkceVerifier};
pub use password::{Password, PasswordError, PasswordHash};
pub use patch::Patch;
pub use remote_ids::{DepartmentId, GroupId, InstalledAppId, OpenId, RemoteIdError};
pub use session::{CsrfToken, MalformedSessionToken, SessionId, SessionIdError};
pub use sync_interval::{SyncInterval, SyncIntervalError};
