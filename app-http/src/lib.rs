//! Aviary's HTTP application and its composition root: the settings and the wiring of
//! adapters into use cases, shared by the `aviary` CLI and the server.

pub mod passwords;
pub mod settings;
pub mod system;
pub mod wiring;

pub use settings::{Settings, SettingsError};
pub use wiring::Services;
