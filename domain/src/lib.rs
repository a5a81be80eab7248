//! Aviary's pure core: entities, validated values, ports (contracts adapters implement) and use
//! cases. Depends on no I/O framework; time and randomness come in through ports.

pub mod model;
pub mod ports;
pub mod usecases;
pub mod values;
