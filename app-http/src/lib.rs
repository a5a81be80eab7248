//! Aviary's HTTP server: the JSON API (with its OpenAPI document) and the server-rendered web
//! UI, both calling the use cases that `aviary-wiring` builds. The JSON views it answers with
//! live in `aviary-views`, shared with the CLI.

pub mod api;
mod body_deadline;
pub mod server;
pub mod ui;

pub use aviary_views as views;
pub use aviary_wiring::{Services, Settings};
