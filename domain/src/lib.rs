//! Aviary's pure core: entities, validated values, ports (contracts adapters implement) and use
//! cases. Depends on no I/O framework; time and randomness come in through ports.

pub mod model;
pub mod ports;
#[cfg(any(test, feature = "mock"))]
pub mod testing;
pub mod usecases;
pub mod values;
