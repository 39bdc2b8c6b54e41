//! JSON Schemas of the run folder's files, generated from the record types (feature `schema`).
//!
//! The schemas are committed under `schemas/` at the root of the repository, one
//! `<file>.schema.json` per file below; a test of the examples crate fails when they differ from
//! what the types generate. Regenerate them with
//!
//! ```sh
//! cargo run -p hf-extractor-examples --bin gen-schemas
//! ```
//!
//! Values this crate keeps as the Hub, arXiv or SPDX served them (dataset info, Croissant,
//! the arXiv entry, the license and language resolutions, the task catalog entry, the tag, card
//! data) are described as any JSON value; the keys the downstream reads are typed.

use std::collections::BTreeMap;
use std::path::Path;

use hf_enrich::card_chunks::CardChunk;
use hf_enrich::citation::CitationChunk;
use hf_enrich::entities::{
    ArticleEntity, DatasetEntity, KeywordEntity, LanguageEntity, LicenseEntity, TaskEntity,
};
use hf_enrich::readme_languages::ReadmeLanguage;
use hf_enrich::records::{BaseModelEntity, ModelRecord};
use hf_enrich::sharedby::{SharedByEntity, SharedByRef};
use hf_identifiers::{
    ArticleRef, BaseModelRef, DatasetRef, KeywordRef, LanguageRef, LicenseRef, TaskRef,
};
use schemars::JsonSchema;

use crate::downstream::SourceRecord;
use crate::error::{Error, Result};
use crate::manifest::RunManifest;

fn of<T: JsonSchema>() -> serde_json::Value {
    schemars::schema_for!(T).to_value()
}

/// `{model_id: [references]}`.
fn map_of<T: JsonSchema>() -> serde_json::Value {
    of::<BTreeMap<String, Vec<T>>>()
}

/// Every file of a run folder (`run.json` included), with its schema, sorted by file name.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    let models = of::<Vec<ModelRecord>>;
    let mut all = vec![
        ("arxiv_articles.json", of::<Vec<ArticleEntity>>()),
        (
            "chunks_citation.json",
            of::<BTreeMap<String, Option<CitationChunk>>>(),
        ),
        ("hf_base_models.json", of::<Vec<BaseModelEntity>>()),
        (
            "hf_modelcard_chunks.json",
            of::<BTreeMap<String, Vec<CardChunk>>>(),
        ),
        ("hf_datasets_specific.json", of::<Vec<DatasetEntity>>()),
        (
            "hf_identified_sharedby.json",
            of::<BTreeMap<String, Vec<SharedByRef>>>(),
        ),
        ("hf_identified_articles.json", map_of::<ArticleRef>()),
        ("hf_identified_base_models.json", map_of::<BaseModelRef>()),
        ("hf_identified_datasets.json", map_of::<DatasetRef>()),
        ("hf_identified_keywords.json", map_of::<KeywordRef>()),
        ("hf_identified_languages.json", map_of::<LanguageRef>()),
        ("hf_identified_licenses.json", map_of::<LicenseRef>()),
        ("hf_identified_tasks.json", map_of::<TaskRef>()),
        ("hf_models.json", models()),
        ("hf_models_with_ancestors.json", models()),
        ("hf_raw_models_from_file.json", models()),
        ("hf_raw_models_latest.json", models()),
        ("keywords.json", of::<Vec<KeywordEntity>>()),
        ("languages.json", of::<Vec<LanguageEntity>>()),
        ("licenses.json", of::<Vec<LicenseEntity>>()),
        (
            "readme_languages.json",
            of::<BTreeMap<String, Vec<ReadmeLanguage>>>(),
        ),
        ("run.json", of::<RunManifest>()),
        ("sharedby.json", of::<Vec<SharedByEntity>>()),
        ("sources.json", of::<Vec<SourceRecord>>()),
        ("tasks.json", of::<Vec<TaskEntity>>()),
    ];
    all.sort_by_key(|(file, _)| *file);
    all
}

/// The name of the schema of `file` (`tasks.json` → `tasks.schema.json`).
pub fn schema_file_name(file: &str) -> String {
    format!("{}.schema.json", file.trim_end_matches(".json"))
}

/// A schema as committed: pretty JSON and a final newline.
pub fn render(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes every schema into `dir` (created if needed).
pub fn write_all(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (file, schema) in schemas() {
        let path = dir.join(schema_file_name(file));
        std::fs::write(&path, render(&schema)).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
