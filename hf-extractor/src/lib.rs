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
//! The engine stands on three crates of its own, usable alone: `hf-client` (the Hub, arXiv and
//! SPDX clients), `hf-identifiers` (pure identification of related entities) and `hf-enrich`
//! (the stages over any metadata source). This crate re-exports only what its own API shows:
//! the client ([`HfClient`], [`HfClientBuilder`]), the records of the files ([`records`]) and
//! the downstream's ids ([`mlentory`]).

// What each part owns (each module's docs say more, and what it may call):
// - the public face: `assets` (the typed graph), `config`, `error`, `manifest`, `observer`,
//   `record` (the records a run hands over as it writes them), `stream` (a run as typed
//   results), `standalone` (the replaced system's two calls);
// - `pipeline`: the run — its driver, its scheduler (each asset started once its inputs are
//   done, the values between stages owned there, reports in plan order), the stages, and what
//   they share while a run goes (the models between stages, what is done as each arrives, the
//   lookahead, whose requests are whose);
// - `store`: what a run writes — the journal, the one interface its files are written through
//   (the run folder its backend), streamed JSON, the spool of rendered records;
// - `cpu`: the run's one pool of threads for CPU work;
// - `shard` and `merge`: a run split over processes, and put back together;
// - `pipes` (Dagster), `downstream` (the replaced system's downstream), `schemas`.
pub mod assets;
pub mod config;
mod cpu;
pub mod downstream;
pub mod error;
pub mod manifest;
pub mod merge;
mod observer;
pub mod pipeline;
#[cfg(feature = "dagster-pipes")]
pub mod pipes;
mod record;
#[cfg(feature = "schema")]
pub mod schemas;
pub mod shard;
pub mod standalone;
mod store;
pub mod stream;

pub use pipeline::incremental;
pub use store::json_stream::OutputFormat;
pub use store::{checkpoint, run_folder};

pub use config::HfExtractorBuilder;
pub use error::{Error, Result};
pub use pipeline::{HfExtractor, MaterializeOptions, RunObserver, RunOutcome};

// The lower crates, where this crate's API shows their items, and nothing more (a program that
// drives them itself depends on `hf-client`, `hf-enrich` or `hf-identifiers`):
/// The Hub client ([`HfExtractor::client`]) and its settings ([`HfExtractorBuilder::client`]).
pub use hf_client::{HfClient, HfClientBuilder};
/// The entity records of the enriched files, as [`stream::Record`] gives them.
pub use hf_enrich::entities;
/// The ids the downstream gives the run's entities ([`downstream`]).
pub use hf_enrich::mlentory;
/// The records of the run folder's files, and of [`standalone`]'s results.
pub use hf_enrich::records;
