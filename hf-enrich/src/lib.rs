//! Orchestration for hf-extractor: fetch the models of a run, identify the entities they point
//! to, fetch those, and follow base-model lineage.
//!
//! - [`models`]: the models of a run from the latest-N listing and from a model-id file
//!   ([`model_ids`]), merged by canonical id, with the optional low-information filter
//!   ([`quality`]).

pub mod model_ids;
pub mod models;
pub mod quality;
