//! The records a run folder holds, with the keys of the extractor this crate replaces (so its
//! downstream keeps working) plus ours.

use std::collections::BTreeSet;

use crate::models::{FetchedModel, ModelSource};
use hf_client::wire::{CardData, Gated, HubTimestamp, ModelInfo, SafeTensorsInfo};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mlentory::{PLATFORM, mlentory_id};

/// How an entity was obtained, as the downstream reads it on every record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExtractionMetadata {
    /// How the values were obtained (`hf_api`, `arxiv_api`, `card_text`, …).
    pub extraction_method: String,
    /// How sure the extraction is, 0 to 1.
    pub confidence: f64,
    /// When the run extracted it (the run's start, RFC 3339).
    pub extraction_time: String,
    /// Why the entity could not be read, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A model's base model, with the relation the Hub (or the card) states.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BaseModelLink {
    /// The base model's id.
    pub id: String,
    /// `finetune`, `adapter`, `quantized`, `merge`, or `unspecified`.
    pub relation: String,
}

/// One model of `hf_models.json` / `hf_models_with_ancestors.json`.
///
/// The first fifteen fields are the Python extractor's, with its key names; the rest are ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModelRecord {
    /// The model id (the join key of every identified map).
    #[serde(rename = "modelId")]
    pub model_id: String,
    /// `hash("Model", modelId)`; see [`crate::mlentory`].
    pub mlentory_id: String,
    /// The owner.
    pub author: Option<String>,
    /// Last commit date (ISO 8601).
    pub last_modified: Option<String>,
    /// Creation date (ISO 8601).
    #[serde(rename = "createdAt")]
    pub created_at: Option<String>,
    /// Downloads of the last 30 days.
    pub downloads: Option<u64>,
    /// Likes.
    pub likes: Option<u64>,
    /// The library.
    pub library_name: Option<String>,
    /// The task.
    pub pipeline_tag: Option<String>,
    /// The Hub's tags.
    pub tags: Vec<String>,
    /// Parameter counts.
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub safetensors: Option<SafeTensorsInfo>,
    /// The whole README (empty when the model has none).
    pub card: String,
    /// True: the model was read from the Hub.
    pub enriched: bool,
    /// Always `Model`.
    pub entity_type: String,
    /// Always `HF`.
    pub platform: String,
    /// The commit the metadata and card describe.
    pub sha: Option<String>,
    /// The README's metadata as the Hub parsed it (`cardData`).
    pub card_data: Option<Value>,
    /// `false`, `"auto"` or `"manual"`.
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub gated: Option<Gated>,
    /// Private repository.
    pub private: Option<bool>,
    /// All-time downloads.
    pub downloads_all_time: Option<u64>,
    /// The Hub's trending score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trending_score: Option<f64>,
    /// The API's structured `baseModels`, as served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_models_api: Option<Value>,
    /// Base models, with relations.
    pub base_models: Vec<BaseModelLink>,
    /// The sources that produced the model (`latest`, `file`, `lineage`).
    pub sources: BTreeSet<ModelSource>,
    /// Other ids the model was asked by (renamed repos).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub aliases: BTreeSet<String>,
    /// Why the card could not be fetched, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_error: Option<String>,
    /// How the record was obtained.
    pub extraction_metadata: ExtractionMetadata,
}

impl ModelRecord {
    /// The record of a fetched model; `extraction_time` is the run's start (RFC 3339).
    pub fn new(
        model: &FetchedModel,
        base_models: Vec<BaseModelLink>,
        extraction_time: &str,
    ) -> Self {
        let info = &model.info;
        Self {
            model_id: model.id.clone(),
            mlentory_id: mlentory_id("Model", &model.id),
            author: info.author.clone(),
            last_modified: info.last_modified.as_ref().map(|t| t.as_str().to_owned()),
            created_at: info.created_at.as_ref().map(|t| t.as_str().to_owned()),
            downloads: info.downloads,
            likes: info.likes,
            library_name: info.library_name.clone(),
            pipeline_tag: info.pipeline_tag.clone(),
            tags: info.tags.clone(),
            safetensors: info.safetensors.clone(),
            card: model.card.clone().unwrap_or_default(),
            enriched: true,
            entity_type: "Model".into(),
            platform: PLATFORM.into(),
            sha: info.sha.clone(),
            card_data: info.card_data.as_ref().map(|d| d.to_value()),
            gated: info.gated.clone(),
            private: info.private,
            downloads_all_time: info.downloads_all_time,
            trending_score: info.trending_score,
            base_models_api: info.base_models.clone(),
            base_models,
            sources: model.sources.clone(),
            aliases: model.aliases.clone(),
            card_error: model.card_error.clone(),
            extraction_metadata: ExtractionMetadata {
                extraction_method: "hf_api".into(),
                confidence: 1.0,
                extraction_time: extraction_time.to_owned(),
                error: model.card_error.clone(),
            },
        }
    }
}

impl BaseModelLink {
    /// The links of a model's identified base models (every provenance, every confidence).
    pub fn from_refs(refs: &[hf_identifiers::BaseModelRef]) -> Vec<Self> {
        refs.iter()
            .map(|r| Self {
                id: r.id.clone(),
                relation: serde_json::to_value(r.relation)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "unspecified".into()),
            })
            .collect()
    }
}

/// One record of `hf_base_models.json`: an identified base model, read or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BaseModelEntity {
    /// The id as identified (the key of `hf_identified_base_models`).
    pub id: String,
    /// `hash("Model", id)`.
    pub mlentory_id: String,
    /// True when the model exists and was read (it is in `hf_models_with_ancestors.json`).
    pub enriched: bool,
    /// The canonical id of the model read, when it differs from `id` (a renamed repo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_id: Option<String>,
    /// Why it was not read: the Hub's error (404, gated, …), or that it was not followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The HTTP status, when the Hub answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How the record was obtained.
    pub extraction_metadata: ExtractionMetadata,
}

impl ModelRecord {
    /// The fetched model this record was made from, as far as the record keeps it: every field
    /// the pipeline's later stages read (tags, task, library, card data, card, base models).
    pub fn to_fetched_model(&self) -> FetchedModel {
        let info = ModelInfo {
            id: self.model_id.clone(),
            author: self.author.clone(),
            sha: self.sha.clone(),
            last_modified: self.last_modified.clone().map(HubTimestamp::new),
            created_at: self.created_at.clone().map(HubTimestamp::new),
            private: self.private,
            gated: self.gated.clone(),
            downloads: self.downloads,
            downloads_all_time: self.downloads_all_time,
            likes: self.likes,
            trending_score: self.trending_score,
            pipeline_tag: self.pipeline_tag.clone(),
            library_name: self.library_name.clone(),
            tags: self.tags.clone(),
            card_data: self.card_data.clone().and_then(CardData::from_value),
            safetensors: self.safetensors.clone(),
            base_models: self.base_models_api.clone(),
            ..ModelInfo::default()
        };
        FetchedModel {
            id: self.model_id.clone(),
            aliases: self.aliases.clone(),
            info,
            card: (!self.card.is_empty()).then(|| self.card.clone()),
            card_etag: None,
            card_error: self.card_error.clone(),
            sources: self.sources.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_keeps_the_replaced_keys() {
        let info: hf_client::wire::ModelInfo = serde_json::from_value(serde_json::json!({
            "_id": "621ffdc036468d709f174338", "id": "google-bert/bert-base-uncased",
            "author": "google-bert", "sha": "86b5e0934494bd15c9632b12f734a8a67f723594",
            "lastModified": "2024-02-19T11:06:12.000Z", "createdAt": "2022-03-02T23:29:04.000Z",
            "downloads": 5, "likes": 2, "tags": ["fill-mask"], "pipeline_tag": "fill-mask",
            "gated": false, "cardData": {"license": "apache-2.0"}
        }))
        .unwrap();
        let model = FetchedModel {
            id: info.id.clone(),
            aliases: ["bert-base-uncased".to_string()].into(),
            info,
            card: Some("# BERT".into()),
            card_etag: None,
            card_error: None,
            sources: [ModelSource::Latest].into(),
        };
        let record = ModelRecord::new(&model, vec![], "2026-11-27T11:38:00Z");
        let json = serde_json::to_value(&record).unwrap();
        for key in [
            "modelId",
            "mlentory_id",
            "author",
            "last_modified",
            "createdAt",
            "downloads",
            "likes",
            "library_name",
            "pipeline_tag",
            "tags",
            "safetensors",
            "card",
            "enriched",
            "entity_type",
            "platform",
            "sha",
            "card_data",
            "gated",
            "private",
            "downloads_all_time",
            "base_models",
            "sources",
            "extraction_metadata",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(
            json["mlentory_id"],
            "https://w3id.org/mlentory/mlentory_graph/dd1e67ffacf9b91d52a25fb7e0df4683aeb5640dca0cca83f252de7e1694ef56"
        );
        assert_eq!(json["last_modified"], "2024-02-19T11:06:12.000Z");
        assert_eq!(json["card_data"]["license"], "apache-2.0");
        assert_eq!(json["sources"], serde_json::json!(["latest"]));
        assert_eq!(json["gated"], false);
        let back: ModelRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
        // What later stages read survives the trip through the file.
        let again = back.to_fetched_model();
        assert_eq!(again.info.tags, model.info.tags);
        assert_eq!(again.info.card_data, model.info.card_data);
        assert_eq!(again.card, model.card);
        assert_eq!(again.aliases, model.aliases);
        assert_eq!(
            ModelRecord::new(&again, vec![], "2026-11-27T11:38:00Z"),
            record
        );
    }
}
