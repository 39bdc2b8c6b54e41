//! What the Python extractor's downstream (the MLentory HF transformer) reads from a run folder,
//! and how this crate's run folders satisfy it.
//!
//! | file | what | asset |
//! |---|---|---|
//! | `hf_models_with_ancestors.json` | models that exist and were read (the run's and their parents); stubs of missing, gated or private parents are only in `hf_base_models.json` | `hf_add_ancestor_models` |
//! | `hf_identified_<kind>.json` | `{model_id: [references]}`; each reference's `id` is the plain string the downstream's map holds | `hf_identified_<kind>` |
//! | `hf_datasets_specific.json`, `arxiv_articles.json`, `licenses.json`, `keywords.json`, `languages.json`, `tasks.json`, `sharedby.json` | entity records with the downstream's keys ([`hf_enrich::entities`], [`hf_enrich::sharedby`]) | `hf_enriched_<kind>` |
//! | `readme_languages.json` | `{model_id: [{"code", "confidence"}]}` ([`hf_enrich::readme_languages`]) | `readme_languages` |
//! | `chunks_citation.json` | `{model_id: chunk or null}` ([`hf_enrich::citation`]) | `chunks_citation` |
//! | `sources.json` | the catalog source: one record ([`SourceRecord`]) | `sources` |
//!
//! # The identity rule
//!
//! The downstream links a model to an entity by `hash(TYPE, id)` of the id in the map, and finds
//! the entity by its record's `mlentory_id`. So, for every kind, each id of the map has exactly
//! one record with `mlentory_id == hash(TYPE, that exact id string)`, and no two records share
//! an `mlentory_id`:
//!
//! - **Records carry the exact map id.** Each entity file has one record per distinct id of its
//!   map, keyed by that very string (`id` and the downstream's key), its `mlentory_id` computed
//!   from it. Ids are compared exactly (case included), as the downstream hashes them.
//! - **Canonical ids are used wherever they are known before the map is written.** Models are
//!   keyed by their canonical id everywhere (a renamed repo asked by its old name is a record of
//!   the new name with the old one in `aliases`; a legacy id the Hub answers with 200 as itself,
//!   `gpt2` with `author: openai-community`, is the record of `openai-community/gpt2`), and
//!   base-model references to a model that was
//!   read are rewritten to its canonical id (the text as written stays in the reference's `raw`),
//!   so `baseModel` links land on the model's record in `hf_models_with_ancestors.json`.
//!   References to parents that were not read stay as written; their records (stubs, with the
//!   reason) are in `hf_base_models.json`, which the downstream does not read.
//! - **Legacy dataset ids are resolved before their map is written.** Only a namespace-less id
//!   can be legacy; each distinct one is asked once (the fetch its record needs anyway, kept and
//!   not repeated). A legacy id (`mnist`, answered through a 307 by `ylecun/mnist`) is rewritten
//!   to its canonical id in every model's references (the text as written stays in `raw`; a
//!   model naming both spellings keeps one reference), and the dataset has one record, keyed by
//!   the canonical id (`datasetId: "ylecun/mnist"`, `mlentory_id = hash("Dataset",
//!   "ylecun/mnist")`), listing the legacy ids it was named by in `aliases`. One dataset, one
//!   node. An id the Hub did not answer (404, transport error) stays as identified, its record
//!   carrying the error.
//! - README languages are keyed by code, like the identified languages: `hf_enriched_languages`
//!   has a record for every code of both maps, so `inLanguage` links resolve too.

use serde::{Deserialize, Serialize};

use hf_enrich::mlentory::mlentory_id;
use hf_enrich::records::ExtractionMetadata;

/// The name of the catalog source in `sources.json`.
pub const SOURCE_NAME: &str = "Hugging Face";

/// The catalog every model belongs to: the public Hub, whatever endpoint a run used (a mirror or
/// a local Hub serves models of huggingface.co).
pub const CATALOG_URL: &str = "https://huggingface.co/";

/// The record of `sources.json`: the catalog the models come from, as the downstream reads it.
///
/// The downstream links every model to `hash("WebSite", "https://huggingface.co/")`, computed by
/// itself, and reads this record for that node: its identifier is exactly that IRI, its URL the
/// public Hub's (with the trailing slash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SourceRecord {
    /// `[hash("WebSite", "https://huggingface.co/")]`: a list of one IRI.
    #[serde(rename = "https://schema.org/identifier")]
    pub identifier: Vec<String>,
    /// [`SOURCE_NAME`].
    #[serde(rename = "https://schema.org/name")]
    pub name: String,
    /// [`CATALOG_URL`].
    #[serde(rename = "https://schema.org/url")]
    pub url: String,
    /// The same IRI as the identifier.
    pub mlentory_id: String,
    /// How the record was obtained (`configuration`).
    pub extraction_metadata: ExtractionMetadata,
}

impl SourceRecord {
    /// The catalog's record; `time` is the run's start.
    ///
    /// ```
    /// use hf_extractor::downstream::SourceRecord;
    /// use hf_extractor::mlentory::mlentory_id;
    ///
    /// let source = SourceRecord::new("2026-11-27T12:00:00Z");
    /// let json = serde_json::to_value(&source).unwrap();
    /// let catalog = mlentory_id("WebSite", "https://huggingface.co/");
    /// assert_eq!(json["https://schema.org/identifier"], serde_json::json!([catalog]));
    /// assert_eq!(json["https://schema.org/url"], "https://huggingface.co/");
    /// assert_eq!(json["mlentory_id"], catalog.as_str());
    /// ```
    pub fn new(time: &str) -> Self {
        let iri = mlentory_id("WebSite", CATALOG_URL);
        Self {
            identifier: vec![iri.clone()],
            name: SOURCE_NAME.to_owned(),
            url: CATALOG_URL.to_owned(),
            mlentory_id: iri,
            extraction_metadata: ExtractionMetadata {
                extraction_method: "configuration".into(),
                confidence: 1.0,
                extraction_time: time.to_owned(),
                error: None,
            },
        }
    }
}
