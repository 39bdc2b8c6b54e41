//! [`ModelInfo`]: a model as `GET /api/models/{id}` and `GET /api/models` describe it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::provider_mapping::{deserialize_mappings, serialize_mappings};
use super::{CardData, Gated, HubTimestamp, ModelIndex, ProviderMapping};

/// A model, as returned by `GET /api/models/{id}` (model_info) and as one item of
/// `GET /api/models` (list).
///
/// One type serves both, with and without `expand[]`: with `expand` the Hub returns only `_id`,
/// `id` and the expanded keys, so every field but `id` is optional or defaults to empty. Keys
/// keep the Hub's spelling when serialised (camelCase, plus `pipeline_tag`, `library_name`,
/// `mask_token` and `model-index`), and keys this type does not know are kept in
/// [`ModelInfo::extra`], so a stored body loses nothing.
///
/// Absent and `null` are the same (`None`); a `null` is not written back.
///
/// ```
/// use hf_client::wire::{Gated, ModelInfo};
///
/// let info: ModelInfo = serde_json::from_str(
///     r#"{"_id": "621ffdc136468d709f17ea63", "id": "org/model", "gated": "manual",
///         "cardData": {"language": "no", "license": "mit"}, "brandNew": 1}"#,
/// ).unwrap();
/// assert_eq!(info.gated, Some(Gated::Manual));
/// assert_eq!(info.card_data.unwrap().language_codes(), ["no"]);
/// assert_eq!(info.extra["brandNew"], 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// `_id`: the Hub's internal (Mongo) object id, 24 hex digits. Stable across renames.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// `id`: the repository id `owner/name` (or a legacy id without owner, such as `gpt2`).
    pub id: String,
    /// `modelId`: a legacy duplicate of `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// `author`: the owner (user or organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `sha`: the commit of the revision described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// `lastModified`: the date of the last commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<HubTimestamp>,
    /// `createdAt`: the creation date (`2022-03-02T23:29:04.000Z` for repositories older than
    /// creation dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<HubTimestamp>,
    /// `private`: whether the repository is private.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// `disabled`: whether the repository was disabled by the Hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// `gated`: `false`, `"auto"` or `"manual"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gated: Option<Gated>,
    /// `downloads`: downloads over the last 30 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloads: Option<u64>,
    /// `downloadsAllTime`: all-time downloads (only with `expand`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloads_all_time: Option<u64>,
    /// `likes`: number of likes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likes: Option<u64>,
    /// `trendingScore`: the Hub's trending score (lists and `expand` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trending_score: Option<f64>,
    /// `pipeline_tag`: the task (`text-generation`, …).
    #[serde(
        rename = "pipeline_tag",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pipeline_tag: Option<String>,
    /// `library_name`: the library (`transformers`, …).
    #[serde(
        rename = "library_name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub library_name: Option<String>,
    /// `tags`: the repository tags, including those the Hub computes (`license:…`,
    /// `arxiv:…`, `dataset:…`, `base_model:…`, `region:us`, language codes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `inference`: the serverless inference state (`"warm"`, formerly also `"cold"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<String>,
    /// `mask_token`: the mask token of fill-mask models.
    #[serde(
        rename = "mask_token",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub mask_token: Option<String>,
    /// `widgetData`: example inputs for the widget (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget_data: Option<Value>,
    /// `model-index`: evaluation results (a list; an object in some old invalid repos).
    #[serde(
        rename = "model-index",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub model_index: Option<ModelIndex>,
    /// `config`: the model configuration summary (architectures, model_type, …), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// `cardData`: the README's YAML metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_data: Option<CardData>,
    /// `transformersInfo`: how to load the model with transformers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformers_info: Option<TransformersInfo>,
    /// `siblings`: the files of the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siblings: Option<Vec<Sibling>>,
    /// `spaces`: ids of Spaces using the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spaces: Option<Vec<String>>,
    /// `safetensors`: parameter counts from the safetensors files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safetensors: Option<SafeTensorsInfo>,
    /// `usedStorage`: bytes used by the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_storage: Option<u64>,
    /// `inferenceProviderMapping`: the inference providers serving the model (only with
    /// `expand`). Read from the object or the list form, written as a list.
    #[serde(
        default,
        deserialize_with = "deserialize_mappings",
        serialize_with = "serialize_mappings",
        skip_serializing_if = "Option::is_none"
    )]
    pub inference_provider_mapping: Option<Vec<ProviderMapping>>,
    /// `baseModels`: the models this one derives from, as the Hub computed them (only with
    /// `expand`), e.g. `{"relation": "finetune", "models": [{"id": "…"}]}`; kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_models: Option<Value>,
    /// `childrenModelCount`: how many models name this one as base (only with `expand`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children_model_count: Option<u64>,
    /// `gguf`: GGUF file metadata (only with `expand`), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gguf: Option<Value>,
    /// `evalResults`: evaluation results (only with `expand`), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_results: Option<Value>,
    /// `resourceGroup`: the enterprise resource group (only with `expand`), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<Value>,
    /// `securityRepoStatus`: the security scan status (with `securityStatus=true`), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_repo_status: Option<Value>,
    /// `gitalyUid`: an internal storage id seen in old list items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitaly_uid: Option<String>,
    /// Every key this type does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModelInfo {
    /// The values of the tags `prefix:value`, e.g. `tag_values("arxiv")` gives `1810.04805`
    /// for the tag `arxiv:1810.04805`, and `tag_values("license")` gives `apache-2.0`.
    pub fn tag_values<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.tags.iter().filter_map(move |tag| {
            tag.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(':'))
        })
    }
}

/// `transformersInfo`: how transformers loads the model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransformersInfo {
    /// `auto_model`: the `AutoModel…` class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_model: Option<String>,
    /// `pipeline_tag`: the transformers pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_tag: Option<String>,
    /// `processor`: the `AutoTokenizer`/`AutoProcessor` class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor: Option<String>,
    /// `custom_class`: a custom model class, for remote code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_class: Option<String>,
    /// Any other key, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One file of a repository, from `siblings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sibling {
    /// `rfilename`: the path of the file in the repository.
    pub rfilename: String,
    /// `size`: the size in bytes (with `blobs=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `blobId`: the git blob id (with `blobs=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_id: Option<String>,
    /// `lfs`: LFS details for files stored in LFS (with `blobs=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lfs: Option<LfsInfo>,
    /// Any other key, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// LFS details of a file, from `siblings[].lfs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LfsInfo {
    /// `size`: the file size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `sha256`: the SHA-256 of the file content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `pointerSize`: the size of the LFS pointer file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer_size: Option<u64>,
    /// Any other key, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `safetensors`: parameter counts read from a repository's safetensors files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SafeTensorsInfo {
    /// `parameters`: parameter count per dtype (`F32`, `BF16`, …).
    #[serde(default)]
    pub parameters: BTreeMap<String, u64>,
    /// `total`: the total parameter count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Any other key, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::ModelInfo;
    use crate::wire::{Gated, ModelIndex};
    use serde_json::json;

    #[test]
    fn expand_body_has_only_a_few_keys() {
        let info: ModelInfo =
            serde_json::from_value(json!({"_id": "abc", "id": "o/m", "downloadsAllTime": 5}))
                .unwrap();
        assert_eq!(info.object_id.as_deref(), Some("abc"));
        assert_eq!(info.downloads_all_time, Some(5));
        assert!(info.tags.is_empty());
        assert_eq!(info.sha, None);
    }

    #[test]
    fn id_is_required() {
        assert!(serde_json::from_value::<ModelInfo>(json!({"_id": "abc"})).is_err());
    }

    #[test]
    fn mixed_type_fields_and_round_trip() {
        let body = json!({
            "_id": "abc",
            "id": "o/m",
            "gated": false,
            "lastModified": "not a date",
            "createdAt": "2022-03-02T23:29:04.000Z",
            "model-index": {"name": "x"},
            "siblings": [{"rfilename": "a.bin", "size": 3, "blobId": "b",
                          "lfs": {"size": 3, "sha256": "s", "pointerSize": 130}}],
            "safetensors": {"parameters": {"F32": 10}, "total": 10},
            "tags": ["license:mit", "arxiv:1810.04805", "arxiv:2004.02349"],
            "trendingScore": 1.5,
            "somethingNew": [1, {"a": null}],
        });
        let info: ModelInfo = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(info.gated, Some(Gated::No));
        assert_eq!(info.last_modified.as_ref().unwrap().timestamp(), None);
        assert!(info.created_at.as_ref().unwrap().timestamp().is_some());
        assert!(matches!(info.model_index, Some(ModelIndex::Invalid(_))));
        assert_eq!(
            info.tag_values("arxiv").collect::<Vec<_>>(),
            ["1810.04805", "2004.02349"]
        );
        assert_eq!(info.tag_values("license").collect::<Vec<_>>(), ["mit"]);
        let lfs = info.siblings.as_ref().unwrap()[0].lfs.as_ref().unwrap();
        assert_eq!(lfs.pointer_size, Some(130));
        assert_eq!(serde_json::to_value(&info).unwrap(), body);
    }
}
