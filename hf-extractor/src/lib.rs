//! Extract Hugging Face model metadata and everything it points to into run folders of JSON files.
//!
//! This facade re-exports the lower crates.

pub use hf_client as client;
pub use hf_enrich as enrich;
pub use hf_identifiers as identifiers;
