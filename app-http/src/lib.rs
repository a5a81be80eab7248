//! Aviary's HTTP application and its composition root: the settings and the wiring of
//! adapters into use cases, shared by the `aviary` CLI and the server; the server itself with
//! its JSON API and its server-rendered web UI; and the JSON views both speak.

pub mod api;
pub mod logging;
pub mod passwords;
pub mod runner;
pub mod server;
pub mod settings;
pub mod system;
pub mod ui;
pub mod views;
pub mod wiring;

pub use settings::{Settings, SettingsError};
pub use wiring::Services;
