//! The records a run hands over as it writes them: one element of an asset's file at a time
//! ([`AssetRecord`]), typed by the asset when asked ([`Record`]), to whoever takes them
//! ([`RecordSink`]: the run folder's files are written from the same elements, in the same
//! order).

use std::sync::Arc;

use hf_enrich::entities::{
    ArticleEntity, DatasetEntity, KeywordEntity, LanguageEntity, LicenseEntity, TaskEntity,
};
use hf_enrich::records::{BaseModelEntity, ModelRecord};
use hf_enrich::sharedby::SharedByEntity;
use serde::de::DeserializeOwned;

use crate::assets::{Asset, Kind};
use crate::error::{Error, Result};

/// One record of an asset, typed by the asset.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A model (`hf_raw_models_latest`, `hf_raw_models_from_file`, `hf_raw_models`,
    /// `hf_add_ancestor_models`).
    Model(Box<ModelRecord>),
    /// A dataset (`hf_enriched_datasets`).
    Dataset(Box<DatasetEntity>),
    /// An article (`hf_enriched_articles`).
    Article(Box<ArticleEntity>),
    /// A base model (`hf_enriched_base_models`).
    BaseModel(Box<BaseModelEntity>),
    /// A keyword (`hf_enriched_keywords`).
    Keyword(Box<KeywordEntity>),
    /// A license (`hf_enriched_licenses`).
    License(Box<LicenseEntity>),
    /// A language (`hf_enriched_languages`).
    Language(Box<LanguageEntity>),
    /// A task (`hf_enriched_tasks`).
    Task(Box<TaskEntity>),
    /// Who shares models (`hf_enriched_sharedby`).
    Sharer(Box<SharedByEntity>),
    /// One model's entry of a `{model_id: value}` file: the identified maps, the README
    /// languages, the citation and card chunks.
    ModelEntry {
        /// The model.
        model_id: String,
        /// Its value, as in the file.
        value: serde_json::Value,
    },
    /// A record of `sources.json` (`hf_raw_catalog_sources`).
    Source(serde_json::Value),
}

/// One record of an asset's file, handed over as the run writes it: its JSON (compact, keys
/// sorted: the line a `--format jsonl` file holds, or the entry's value for the files that
/// map model ids to values), typed by the asset when asked ([`decode`](Self::decode)).
///
/// ```
/// use hf_extractor::assets::{Asset, Kind};
/// use hf_extractor::stream::{AssetRecord, Record};
///
/// let record = AssetRecord::new(
///     Asset::Identified(Kind::Licenses),
///     Some("org/model"),
///     r#"["apache-2.0"]"#,
/// );
/// assert_eq!(record.json(), r#"["apache-2.0"]"#);
/// match record.decode()? {
///     Record::ModelEntry { model_id, value } => {
///         assert_eq!(model_id, "org/model");
///         assert_eq!(value[0], "apache-2.0");
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), hf_extractor::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRecord {
    asset: Asset,
    model_id: Option<Box<str>>,
    json: Box<str>,
}

impl AssetRecord {
    /// A record of `asset`: an element of its array (`model_id` `None`), or the entry of
    /// `model_id` in its map, with its JSON.
    pub fn new(asset: Asset, model_id: Option<&str>, json: &str) -> Self {
        Self {
            asset,
            model_id: model_id.map(Box::from),
            json: json.into(),
        }
    }

    /// The asset whose file holds it.
    pub fn asset(&self) -> Asset {
        self.asset
    }

    /// The model it is the entry of, in a file that maps model ids to values (the identified
    /// maps, the README languages, the citation and card chunks); `None` in an array.
    pub fn model_id(&self) -> Option<&str> {
        self.model_id.as_deref()
    }

    /// Its JSON, compact, keys sorted.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The record, typed by its asset. JSON that is not a record of the asset is an error
    /// naming the asset (and the model, for an entry).
    pub fn decode(&self) -> Result<Record> {
        let json = self.json.as_bytes();
        Ok(match self.asset {
            Asset::RawModelsLatest
            | Asset::RawModelsFromFile
            | Asset::RawModels
            | Asset::AncestorModels => Record::Model(self.typed(json)?),
            Asset::Enriched(kind) => match kind {
                Kind::Datasets => Record::Dataset(self.typed(json)?),
                Kind::Articles => Record::Article(self.typed(json)?),
                Kind::BaseModels => Record::BaseModel(self.typed(json)?),
                Kind::Keywords => Record::Keyword(self.typed(json)?),
                Kind::Licenses => Record::License(self.typed(json)?),
                Kind::Languages => Record::Language(self.typed(json)?),
                Kind::Tasks => Record::Task(self.typed(json)?),
                Kind::SharedBy => Record::Sharer(self.typed(json)?),
            },
            Asset::Identified(_)
            | Asset::ReadmeLanguages
            | Asset::ChunkCitation
            | Asset::ModelcardChunks => Record::ModelEntry {
                model_id: self.model_id.as_deref().unwrap_or_default().to_owned(),
                value: *self.typed(json)?,
            },
            Asset::CatalogSources => Record::Source(*self.typed(json)?),
            Asset::RunFolder => {
                return Err(self.not_a_record(serde::de::Error::custom(
                    "the run folder holds no records of its own",
                )));
            }
        })
    }

    fn typed<T: DeserializeOwned>(&self, json: &[u8]) -> Result<Box<T>> {
        serde_json::from_slice(json).map_err(|e| self.not_a_record(e))
    }

    fn not_a_record(&self, source: serde_json::Error) -> Error {
        Error::Record {
            asset: self.asset,
            model_id: self.model_id.as_deref().map(str::to_owned),
            source,
        }
    }
}

/// Takes each record of each asset's file as the run writes it
/// ([`RunObserver::record_sink`](crate::pipeline::RunObserver::record_sink)), in each file's
/// order, before the asset is reported done. The records of several files being written at
/// once come interleaved. Called on the thread writing the file (never one of the caller's
/// async workers): it may block, and the file waits for it. An asset whose file fails to be
/// written may have handed over some of its records: the asset's
/// [`asset_done`](crate::pipeline::RunObserver::asset_done) says they are final. The assets a
/// resumed run takes over hand over their files' records too; those loaded from an earlier
/// run ([`MaterializeOptions::from`](crate::MaterializeOptions::from)) are that run's, and
/// hand over none.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use hf_extractor::pipeline::RecordSink;
///
/// let written = Arc::new(AtomicU64::new(0));
/// let counted = Arc::clone(&written);
/// let sink = RecordSink::new(move |record| {
///     counted.fetch_add(record.json().len() as u64, Ordering::Relaxed);
/// });
/// # let _ = sink;
/// ```
#[derive(Clone)]
pub struct RecordSink(Arc<dyn Fn(AssetRecord) + Send + Sync>);

impl RecordSink {
    /// A sink calling `take` with each record.
    pub fn new(take: impl Fn(AssetRecord) + Send + Sync + 'static) -> Self {
        Self(Arc::new(take))
    }

    /// Hand over one record.
    pub(crate) fn take(&self, record: AssetRecord) {
        (self.0)(record);
    }
}

impl std::fmt::Debug for RecordSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordSink")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_record_is_typed_by_its_asset() {
        let entry = AssetRecord::new(
            Asset::Identified(Kind::Licenses),
            Some("org/model"),
            r#"["mit"]"#,
        );
        assert_eq!(
            entry.decode().unwrap(),
            Record::ModelEntry {
                model_id: "org/model".into(),
                value: serde_json::json!(["mit"]),
            }
        );
        let source = AssetRecord::new(Asset::CatalogSources, None, r#"{"a":1}"#);
        assert_eq!(
            source.decode().unwrap(),
            Record::Source(serde_json::json!({"a": 1}))
        );
    }

    #[test]
    fn json_that_is_no_record_of_the_asset_is_an_error_naming_it() {
        let entry = AssetRecord::new(Asset::RawModels, None, r#"{"modelId": 3}"#);
        let err = entry.decode().unwrap_err().to_string();
        assert!(err.contains("hf_raw_models"), "{err}");
        let entry = AssetRecord::new(Asset::ReadmeLanguages, Some("org/model"), "[");
        let err = entry.decode().unwrap_err().to_string();
        assert!(err.contains("org/model"), "{err}");
        let folder = AssetRecord::new(Asset::RunFolder, None, "{}");
        assert!(folder.decode().is_err());
    }
}
