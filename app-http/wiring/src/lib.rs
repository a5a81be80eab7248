//! Aviary's composition root, shared by the `aviary` CLI, the `aviary-server` binary and the
//! tests: the settings, the wiring of the database and Lark adapters into the domain's use
//! cases ([`Services`], the only thing the apps are handed), the production clock, id source
//! and password hasher, the background sync runner, and the log set-up.

mod database_clock;
pub mod logging;
pub mod maintenance;
pub mod metrics;
pub mod passwords;
mod processes;
pub mod runner;
pub mod services;
pub mod settings;
mod settings_check;
pub mod signals;
pub mod system;

pub use services::Services;
pub use settings::{Loaded, Settings, SettingsError, UnknownSetting};
