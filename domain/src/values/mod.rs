//! Validated value types: constructing one proves its invariants hold.

mod app_id;
mod content_hash;
mod ids;
mod label;
mod oauth;
mod remote_ids;

pub use app_id::{AppId, AppIdError};
pub use content_hash::ContentHash;
pub use ids::{IdParseError, IntegrationId, RunId};
pub use label::{IntegrationLabel, LabelError};
pub use oauth::{OAuthState, OAuthStateError, PkceVerifier};
pub use remote_ids::{DepartmentId, OpenId, RemoteIdError};
