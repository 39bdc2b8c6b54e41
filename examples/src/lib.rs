//! Shared pieces of the example binaries: the bundled offline Hub.

pub mod offline_hub;
