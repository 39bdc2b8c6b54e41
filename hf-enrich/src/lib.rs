//! Orchestration for hf-extractor: fetch the models of a run, identify the entities they point
//! to, fetch those, and follow base-model lineage.
//!
//! - [`models`]: the models of a run from the latest-N listing and from a model-id file
//!   ([`model_ids`]), merged by canonical id, with the optional low-information filter
//!   ([`quality`]).
//! - [`source`]: the [`MetadataSource`] trait enrichment reads through, over HTTP
//!   ([`HttpSource`]) or in memory ([`InMemorySource`]); [`lookahead`] fetches ahead what a run
//!   will read, which any source wrapped in a [`Prefetched`] takes first ([`prefetched`]).
//! - [`identify`]: the identifiers of `hf-identifiers` run over fetched models.
//! - [`lineage`]: base models followed for a number of iterations.
//! - [`enrich`]: [`HfEnrichment`], which does all of it and fetches every identified entity.
//! - [`entities`]: the entity records, with the keys of the Python extractor's downstream and
//!   the `mlentory_id` of [`mlentory`]; [`sharedby`] (the model's author or organisation),
//!   [`readme_languages`] (the languages a card is written in) and [`citation`] (its citation
//!   section, read from the [`card_chunks`] every card is cut into for the LLM step), which
//!   that downstream reads too.

pub mod card_chunks;
mod caseless;
pub mod citation;
pub mod enrich;
pub mod entities;
pub mod identify;
pub mod language_scope;
pub mod legacy_datasets;
pub mod legacy_ids;
pub mod lineage;
pub mod lookahead;
pub mod mlentory;
pub mod model_ids;
pub mod models;
pub mod prefetched;
pub mod quality;
pub mod readme_languages;
pub mod records;
#[cfg(feature = "schema")]
pub mod schemas;
pub mod sharedby;
pub mod source;

pub use enrich::{EnrichmentOptions, EnrichmentOutcome, HfEnrichment};
pub use identify::{IdentifiedRun, identify_models};
pub use lineage::{Lineage, follow_lineage};
pub use prefetched::Prefetched;
pub use source::{HttpSource, InMemorySource, MetadataSource, SourceError, SourceErrorKind};
