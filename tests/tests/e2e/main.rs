//! End-to-end tests: the real `aviary` binary against an in-process simulated Lark tenant.

mod admins;
mod api_keys;
mod backup;
mod bad_input;
mod browser;
mod deletion;
mod demo;
mod doctor;
mod faults;
mod first_sync;
mod groups;
mod hostile;
mod integration_set;
mod oauth;
mod processes;
mod resync;
mod rotation_under_fire;
mod secrets;
mod server_binary;
mod sign_in_flood;
mod stop_signals;
mod support;
mod takeover;
mod withheld;
