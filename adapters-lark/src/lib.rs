//! Lark Open Platform adapter: the client that implements Aviary's directory port, and (feature
//! `simulator`) a faithful fake Lark tenant served over HTTP for tests, demos and benchmarks.

pub mod client;

pub use client::{LarkClientSettings, LarkGateway};

#[cfg(feature = "simulator")]
pub mod simulator;
