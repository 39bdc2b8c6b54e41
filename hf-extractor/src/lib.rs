//! Extract Hugging Face model metadata and everything it points to into run folders of JSON files.
//!
//! A run materialises a graph of [assets](assets::Asset) — the latest models and those of a
//! model-id file, their lineage, the identified maps and the entity records of each
//! [kind](assets::Kind) — into a new run folder, one JSON file per asset plus `run.json`.
//!
//! ```no_run
//! use hf_extractor::HfExtractor;
//! use hf_extractor::assets::{Asset, Kind};
//!
//! # async fn run() -> hf_extractor::Result<()> {
//! // Every setting has a method; `HfExtractorBuilder::from_env()` reads the HF_* variables.
//! let extractor = HfExtractor::builder()
//!     .num_models(500)
//!     .base_model_iterations(2)
//!     .output_dir("runs")
//!     .build()?;
//!
//! // The whole graph.
//! let outcome = extractor.run().await?;
//! let datasets = outcome.manifest.asset(Asset::Enriched(Kind::Datasets));
//! println!("{}: {:?}", outcome.folder.path().display(), datasets.map(|d| d.count));
//!
//! // Or the replaced system's two standalone calls: the latest models, written and returned…
//! let extracted = extractor.extract_models(100, true, 8).await?;
//! // …then the entity files of some kinds for the models of that file.
//! let enriched = extractor
//!     .enrich_from_models_json(&extracted.path, &[Kind::Datasets, Kind::Articles], 8)
//!     .await?;
//! println!("{:?}", enriched.files);
//! # Ok(()) }
//! ```
//!
//! Selections as orchestrator users write them (`+hf_enriched_licenses`, `hf_identified_*`)
//! are parsed by [`assets::select`]; [`HfExtractor::materialize`] runs one, [`HfExtractor::resume`]
//! continues a run that was cut short.
//!
//! This facade re-exports the lower crates: [`client`] (the Hub, arXiv and SPDX clients),
//! [`identifiers`] (pure identification of related entities) and [`enrich`] (orchestration).

mod append_file;
mod arrivals;
pub mod assets;
pub mod checkpoint;
pub mod config;
mod cpu;
mod derived_ahead;
pub mod downstream;
mod downstream_assets;
pub mod error;
pub mod incremental;
mod json_stream;
mod languages_ahead;
pub mod manifest;
pub mod merge;
mod observer;
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
pub mod standalone;

pub use config::HfExtractorBuilder;
pub use error::{Error, Result};
pub use hf_enrich::{mlentory, model_ids, models, quality, records};
pub use pipeline::{HfExtractor, MaterializeOptions, RunObserver, RunOutcome};

pub use hf_client as client;
pub use hf_enrich as enrich;
pub use hf_identifiers as identifiers;
