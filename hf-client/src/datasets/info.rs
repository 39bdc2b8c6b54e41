//! [`DatasetInfo`]: a dataset as `GET /api/datasets/{id}` describes it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::{CardData, Gated, HubTimestamp, Sibling};

/// A dataset, as returned by `GET /api/datasets/{id}` (dataset_info) and as one item of
/// `GET /api/datasets`.
///
/// Every field but `id` is optional (with `expand[]` the Hub returns only the keys asked for).
/// Keys keep the Hub's spelling when serialised (camelCase, plus `paperswithcode_id`), and keys
/// this type does not know are kept in [`DatasetInfo::extra`].
///
/// ```
/// use hf_client::datasets::DatasetInfo;
/// use hf_client::wire::Gated;
///
/// let info: DatasetInfo = serde_json::from_str(
///     r#"{"_id": "621ffdd236468d709f181d58", "id": "rajpurkar/squad", "gated": false,
///         "tags": ["task_categories:question-answering", "language:en", "arxiv:1606.05250"],
///         "cardData": {"license": ["cc-by-sa-4.0"]}, "paperswithcode_id": "squad",
///         "mainSize": 1}"#,
/// ).unwrap();
/// assert_eq!(info.gated, Some(Gated::No));
/// assert_eq!(info.tag_values("arxiv").collect::<Vec<_>>(), ["1606.05250"]);
/// assert_eq!(info.paperswithcode_id.as_deref(), Some("squad"));
/// assert_eq!(info.extra["mainSize"], 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetInfo {
    /// `_id`: the Hub's internal object id. Stable across renames.
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// `id`: the repository id `owner/name` (or a legacy id without owner, such as `squad`).
    pub id: String,
    /// `author`: the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `sha`: the commit of the revision described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// `createdAt`: the creation date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<HubTimestamp>,
    /// `lastModified`: the date of the last commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<HubTimestamp>,
    /// `private`: whether the repository is private.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// `gated`: `false`, `"auto"` or `"manual"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gated: Option<Gated>,
    /// `disabled`: whether the Hub disabled the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// `downloads`: downloads over the last 30 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloads: Option<u64>,
    /// `downloadsAllTime`: all-time downloads (only with `expand`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloads_all_time: Option<u64>,
    /// `likes`: number of likes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likes: Option<u64>,
    /// `trendingScore`: the Hub's trending score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trending_score: Option<f64>,
    /// `tags`: prefixed tags (`task_categories:…`, `language:en`, `license:…`, `arxiv:…`,
    /// `region:us`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `cardData`: the README's YAML metadata (old cards may use `languages` / `licenses`,
    /// kept in [`CardData::extra`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_data: Option<CardData>,
    /// `citation`: the BibTeX citation from the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    /// `description`: the card's summary text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `paperswithcode_id`: the Papers with Code dataset id.
    #[serde(
        rename = "paperswithcode_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub paperswithcode_id: Option<String>,
    /// `siblings`: the files of the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siblings: Option<Vec<Sibling>>,
    /// `usedStorage`: bytes used by the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_storage: Option<u64>,
    /// Every key this type does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DatasetInfo {
    /// The values of the tags `prefix:value` (`tag_values("license")` gives `mit` for
    /// `license:mit`).
    pub fn tag_values<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.tags.iter().filter_map(move |tag| {
            tag.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(':'))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::OneOrMany;

    #[test]
    fn round_trips_with_unknown_keys_and_odd_values() {
        let body = serde_json::json!({
            "_id": "x", "id": "squad", "gated": "manual", "createdAt": "not a date",
            "cardData": {"languages": ["en"], "licenses": "cc-by-4.0", "brand_new": {"a": 1}},
            "siblings": [{"rfilename": "README.md"}], "trendingScore": 1.5, "newKey": [1, 2]
        });
        let info: DatasetInfo = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(info.gated, Some(Gated::Manual));
        assert_eq!(info.created_at.as_ref().unwrap().timestamp(), None);
        let card = info.card_data.as_ref().unwrap();
        assert_eq!(card.languages, Some(OneOrMany::Many(vec!["en".into()])));
        assert_eq!(info.extra["newKey"], serde_json::json!([1, 2]));
        assert_eq!(serde_json::to_value(&info).unwrap(), body);
    }

    #[test]
    fn only_the_id_is_required() {
        let info: DatasetInfo = serde_json::from_str(r#"{"id": "a/b"}"#).unwrap();
        assert_eq!(info.id, "a/b");
        assert!(serde_json::from_str::<DatasetInfo>("{}").is_err());
    }
}
