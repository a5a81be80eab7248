//! Lark Open Platform adapter: the client that implements Aviary's directory port. The fake Lark
//! tenant it is tested against is its own crate, `aviary-lark-simulator` (`adapters-lark/simulator/`).

pub mod client;

pub use client::{AttemptOutcome, CallObserver, LarkClientSettings, LarkGateway, Unobserved};
