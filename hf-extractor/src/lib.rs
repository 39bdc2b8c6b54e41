//! Extract Hugging Face model metadata and everything it points to into run folders of JSON files.
//!
//! This facade re-exports the lower crates: [`client`] (the Hub, arXiv and SPDX clients),
//! [`identifiers`] (pure identification of related entities) and [`enrich`] (orchestration).

mod append_file;
pub mod assets;
pub mod checkpoint;
pub mod config;
mod derived_ahead;
pub mod downstream;
mod downstream_assets;
pub mod error;
mod in_order;
pub mod incremental;
pub mod json_stream;
mod languages_ahead;
pub mod manifest;
pub mod merge;
mod packed_refs;
pub mod pipeline;
#[cfg(feature = "dagster-pipes")]
pub mod pipes;
mod record_spool;
mod reports_in_order;
mod resume;
pub mod run_folder;
mod run_lookahead;
mod run_models;
#[cfg(feature = "schema")]
pub mod schemas;
pub mod shard;

pub use error::{Error, Result};
pub use hf_enrich::{mlentory, model_ids, models, quality, records};
pub use pipeline::{HfExtractor, MaterializeOptions, RunObserver, RunOutcome};

pub use hf_client as client;
pub use hf_enrich as enrich;
pub use hf_identifiers as identifiers;
