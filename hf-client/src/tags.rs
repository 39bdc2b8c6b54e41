//! Tag vocabulary: `GET /api/models-tags-by-type` (and `/api/datasets-tags-by-type`), the labels,
//! types and sub-types of the tags the Hub puts on repositories.
//!
//! The answer is an object keyed by tag type (`pipeline_tag`, `library`, `dataset`, `language`,
//! `license`, `region`, `other`, …), each a list of `{id, label, type, subType?}`
//! ([`TagInfo`]). [`TagVocabulary`] indexes it by tag id. A run needs it once:
//! [`TagVocabularyCache`] fetches it on first use and shares the one answer with every caller,
//! concurrent ones included, so looking up many keywords costs one request.
//!
//! No recorded answer of these endpoints was available; the shape follows huggingface_hub's
//! `get_model_tags` and third-party fixtures (see `HUB-API.md` §10). Unknown keys are kept.
//!
//! ```no_run
//! use hf_client::tags::TagVocabularyCache;
//!
//! # async fn run() -> hf_client::Result<()> {
//! let client = hf_client::HfClient::from_env()?;
//! let cache = TagVocabularyCache::for_models();
//! for tag in ["text-classification", "license:mit", "transformers"] {
//!     // One request for the whole loop.
//!     if let Some(info) = cache.get(&client).await?.get(tag) {
//!         println!("{tag}: {} ({})", info.label, info.tag_type);
//!     }
//! }
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::OnceCell;
use url::Url;

use crate::client::HfClient;
use crate::error::{ResourceKind, Result};

/// One tag of the vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TagInfo {
    /// The tag as it appears on repositories (`text-classification`, `license:apache-2.0`).
    pub id: String,
    /// Display label (`Text Classification`).
    #[serde(default)]
    pub label: String,
    /// The tag's type (`pipeline_tag`, `library`, `license`, …); the group's key when absent.
    #[serde(rename = "type", default)]
    pub tag_type: String,
    /// The sub-type (`nlp` for a pipeline tag), if any.
    #[serde(rename = "subType", default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// Whether the Hub's UI makes it a filter link, if said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clickable: Option<bool>,
    /// Keys this crate does not know, kept as served.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The tag vocabulary, grouped by type and indexed by id.
///
/// Serialised as the Hub serves it (type → list of tags).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(
    from = "BTreeMap<String, Vec<TagInfo>>",
    into = "BTreeMap<String, Vec<TagInfo>>"
)]
pub struct TagVocabulary {
    by_type: BTreeMap<String, Vec<TagInfo>>,
    /// Tag id → (type, position in its list). The first type (in key order) wins on duplicates.
    index: HashMap<String, (String, usize)>,
    /// `language:en` also answers to `en`: id without its `type:` prefix → (type, position).
    bare: HashMap<String, (String, usize)>,
}

impl From<BTreeMap<String, Vec<TagInfo>>> for TagVocabulary {
    fn from(by_type: BTreeMap<String, Vec<TagInfo>>) -> Self {
        Self::new(by_type)
    }
}

impl From<TagVocabulary> for BTreeMap<String, Vec<TagInfo>> {
    fn from(v: TagVocabulary) -> Self {
        v.by_type
    }
}

impl TagVocabulary {
    /// Index a type → tags map (the body of `/api/models-tags-by-type`).
    pub fn new(mut by_type: BTreeMap<String, Vec<TagInfo>>) -> Self {
        let mut index = HashMap::new();
        let mut bare = HashMap::new();
        for (tag_type, tags) in &mut by_type {
            for (i, tag) in tags.iter_mut().enumerate() {
                if tag.tag_type.is_empty() {
                    tag.tag_type = tag_type.clone();
                }
                index
                    .entry(tag.id.clone())
                    .or_insert_with(|| (tag_type.clone(), i));
                if let Some(rest) = tag
                    .id
                    .strip_prefix(tag.tag_type.as_str())
                    .and_then(|r| r.strip_prefix(':'))
                {
                    bare.entry(rest.to_owned())
                        .or_insert_with(|| (tag_type.clone(), i));
                }
            }
        }
        Self {
            by_type,
            index,
            bare,
        }
    }

    fn at(&self, (tag_type, i): &(String, usize)) -> Option<&TagInfo> {
        self.by_type.get(tag_type).and_then(|tags| tags.get(*i))
    }

    /// The tag with this exact id, else the tag whose id is `<its type>:<tag>` (a model's
    /// language tag `en` finds `language:en` if that is how the vocabulary spells it).
    pub fn get(&self, tag: &str) -> Option<&TagInfo> {
        self.index
            .get(tag)
            .and_then(|at| self.at(at))
            .or_else(|| self.bare.get(tag).and_then(|at| self.at(at)))
    }

    /// The tag with this id among the tags of one type.
    pub fn get_typed(&self, tag_type: &str, id: &str) -> Option<&TagInfo> {
        self.of_type(tag_type).iter().find(|t| t.id == id)
    }

    /// The label of a tag (see [`TagVocabulary::get`]).
    pub fn label(&self, tag: &str) -> Option<&str> {
        self.get(tag).map(|t| t.label.as_str())
    }

    /// The tags of one type (empty if the type is unknown).
    pub fn of_type(&self, tag_type: &str) -> &[TagInfo] {
        self.by_type.get(tag_type).map_or(&[], Vec::as_slice)
    }

    /// The tag types, sorted.
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.by_type.keys().map(String::as_str)
    }

    /// Every tag, by type then in served order.
    pub fn iter(&self) -> impl Iterator<Item = &TagInfo> {
        self.by_type.values().flatten()
    }

    /// How many tags (counting a tag listed under two types twice).
    pub fn len(&self) -> usize {
        self.by_type.values().map(Vec::len).sum()
    }

    /// True when there is no tag.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which repositories' tags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TagRepoKind {
    /// `GET /api/models-tags-by-type`.
    #[default]
    Models,
    /// `GET /api/datasets-tags-by-type`.
    Datasets,
}

impl TagRepoKind {
    /// The endpoint's last path segment.
    pub fn endpoint(self) -> &'static str {
        match self {
            Self::Models => "models-tags-by-type",
            Self::Datasets => "datasets-tags-by-type",
        }
    }
}

/// Requests about the tag vocabulary. Get one with [`HfClient::tags`].
#[derive(Debug, Clone, Copy)]
pub struct TagsHandler<'c> {
    client: &'c HfClient,
}

impl HfClient {
    /// Requests about the tag vocabulary.
    pub fn tags(&self) -> TagsHandler<'_> {
        TagsHandler { client: self }
    }
}

impl<'c> TagsHandler<'c> {
    /// `GET /api/models-tags-by-type`. See [`TagsByType`].
    pub fn models_by_type(&self) -> TagsByType<'c> {
        self.by_type(TagRepoKind::Models)
    }

    /// `GET /api/datasets-tags-by-type`. See [`TagsByType`].
    pub fn datasets_by_type(&self) -> TagsByType<'c> {
        self.by_type(TagRepoKind::Datasets)
    }

    /// The vocabulary of models' or datasets' tags.
    pub fn by_type(&self, kind: TagRepoKind) -> TagsByType<'c> {
        TagsByType {
            client: self.client,
            kind,
        }
    }
}

/// `GET /api/models-tags-by-type` or `/api/datasets-tags-by-type`: one request, the whole
/// vocabulary. To fetch it once per run, use a [`TagVocabularyCache`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct TagsByType<'c> {
    client: &'c HfClient,
    kind: TagRepoKind,
}

impl TagsByType<'_> {
    /// The URL this request will fetch.
    pub fn url(&self) -> Url {
        self.client.hub_url(&["api", self.kind.endpoint()])
    }

    /// Send it.
    pub async fn send(self) -> Result<TagVocabulary> {
        let resp = self
            .client
            .get(self.url())
            .await?
            .error_for_status(ResourceKind::Other, self.kind.endpoint())?;
        resp.json()
    }
}

/// The tag vocabulary, fetched on first use and shared afterwards.
///
/// Cheap to clone; clones share the one vocabulary. Concurrent first callers wait for a single
/// request. A failed request is not cached: the next call tries again. Use one cache per client
/// (the first client to ask is the one that fetches).
#[derive(Debug, Clone, Default)]
pub struct TagVocabularyCache {
    kind: TagRepoKind,
    cell: Arc<OnceCell<Arc<TagVocabulary>>>,
}

impl TagVocabularyCache {
    /// A cache of `/api/models-tags-by-type`.
    pub fn for_models() -> Self {
        Self::new(TagRepoKind::Models)
    }

    /// A cache of `/api/datasets-tags-by-type`.
    pub fn for_datasets() -> Self {
        Self::new(TagRepoKind::Datasets)
    }

    /// A cache of the vocabulary of `kind`.
    pub fn new(kind: TagRepoKind) -> Self {
        Self {
            kind,
            cell: Arc::new(OnceCell::new()),
        }
    }

    /// The vocabulary: fetched with `client` on the first call, the same one afterwards.
    pub async fn get(&self, client: &HfClient) -> Result<Arc<TagVocabulary>> {
        self.cell
            .get_or_try_init(|| async {
                client.tags().by_type(self.kind).send().await.map(Arc::new)
            })
            .await
            .cloned()
    }

    /// The vocabulary if it was already fetched.
    pub fn cached(&self) -> Option<Arc<TagVocabulary>> {
        self.cell.get().cloned()
    }

    /// One tag (see [`TagVocabulary::get`]), fetching the vocabulary on first use.
    pub async fn lookup(&self, client: &HfClient, tag: &str) -> Result<Option<TagInfo>> {
        Ok(self.get(client).await?.get(tag).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> TagVocabulary {
        serde_json::from_value(serde_json::json!({
            "pipeline_tag": [
                {"id": "text-classification", "label": "Text Classification", "type": "pipeline_tag", "subType": "nlp"}
            ],
            "license": [{"id": "license:apache-2.0", "label": "apache-2.0", "type": "license"}],
            "language": [{"id": "language:en", "label": "English"}],
            "other": [{"id": "text-classification", "label": "dup", "type": "other", "clickable": true, "x": 1}]
        }))
        .unwrap()
    }

    #[test]
    fn lookups_by_id_type_and_bare_id() {
        let v = vocabulary();
        assert_eq!(v.len(), 4);
        assert_eq!(
            v.types().collect::<Vec<_>>(),
            ["language", "license", "other", "pipeline_tag"]
        );
        // `other` sorts before `pipeline_tag`: the first type in key order wins a duplicate id.
        assert_eq!(v.label("text-classification"), Some("dup"));
        let tc = v.get_typed("pipeline_tag", "text-classification").unwrap();
        assert_eq!(tc.sub_type.as_deref(), Some("nlp"));
        assert_eq!(v.label("license:apache-2.0"), Some("apache-2.0"));
        // The type is filled from the group when absent, and the bare id answers.
        assert_eq!(v.get("en").unwrap().tag_type, "language");
        assert_eq!(v.get("language:en").unwrap().label, "English");
        assert!(v.get("nope").is_none());
        assert!(v.of_type("nope").is_empty());
        assert_eq!(
            v.get_typed("other", "text-classification").unwrap().extra["x"],
            1
        );
    }

    #[test]
    fn round_trips_as_the_hub_serves_it() {
        let v = vocabulary();
        let json = serde_json::to_value(&v).unwrap();
        assert!(json["license"].is_array());
        let back: TagVocabulary = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
    }
}
