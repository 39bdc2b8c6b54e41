//! Datasets: `dataset:` tags, the card's `datasets`, `huggingface.co/datasets/…` links in the card
//! (trained on), and the card's `model-index` results (evaluated on).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// How a model relates to a dataset it points to. Serialised in `snake_case`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DatasetRelation {
    /// Trained (or fine-tuned) on it: a `dataset:` tag, the card's `datasets`, a dataset link in
    /// the card text.
    TrainedOn,
    /// Evaluated on it: a `model-index` result's dataset.
    EvaluatedOn,
}

/// A dataset the model points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DatasetRef {
    /// The dataset id as first found (`owner/name`, or a legacy single name such as `squad`).
    /// Ids are compared case-insensitively; the first spelling found is kept.
    pub id: String,
    /// The text it came from (`dataset:squad`, `squad`, `huggingface.co/datasets/squad/tree/main`).
    pub raw: String,
    /// Where it was found.
    pub provenance: Vec<Provenance>,
    /// How the model relates to it: `trained_on`, `evaluated_on` or both (sorted, unique).
    #[serde(default)]
    pub relations: Vec<DatasetRelation>,
}

impl Mergeable for DatasetRef {
    fn key(&self) -> String {
        self.id.to_ascii_lowercase()
    }
    fn sort_id(&self) -> &str {
        &self.id
    }
    fn merge(&mut self, other: Self) {
        merge_provenance(&mut self.provenance, &other.provenance);
        for r in other.relations {
            if let Err(at) = self.relations.binary_search(&r) {
                self.relations.insert(at, r);
            }
        }
    }
}

/// Folds references naming one dataset (ids equal case-insensitively) into one, as the
/// identifier does: the first keeps its id and `raw`, the provenance and relations are merged; the result is
/// ordered as the identifier orders it. For references whose ids were rewritten after
/// identification (a legacy id replaced by its canonical one).
///
/// ```
/// use hf_identifiers::{DatasetRef, DatasetRelation, Provenance};
/// use hf_identifiers::datasets::merge_dataset_refs;
///
/// let found = |id: &str, raw: &str, p, r| DatasetRef {
///     id: id.into(), raw: raw.into(), provenance: vec![p], relations: vec![r],
/// };
/// let merged = merge_dataset_refs(vec![
///     found("ylecun/mnist", "dataset:mnist", Provenance::Tag, DatasetRelation::TrainedOn),
///     found("ylecun/mnist", "mnist", Provenance::CardData, DatasetRelation::EvaluatedOn),
/// ]);
/// assert_eq!(merged.len(), 1);
/// assert_eq!(merged[0].raw, "dataset:mnist");
/// assert_eq!(merged[0].provenance.len(), 2);
/// assert_eq!(merged[0].relations, [DatasetRelation::TrainedOn, DatasetRelation::EvaluatedOn]);
/// ```
pub fn merge_dataset_refs(refs: Vec<DatasetRef>) -> Vec<DatasetRef> {
    let mut out = Collector::new();
    for r in refs {
        out.add(r);
    }
    out.finish()
}

/// Finds datasets.
#[derive(Debug, Clone, Copy, Default)]
pub struct DatasetIdentifier;

/// Normalises a declared dataset id: a Hub URL becomes its id; paths, URLs elsewhere and blanks
/// are rejected.
pub fn normalize_dataset_id(raw: &str) -> Option<String> {
    let s = raw.trim().trim_matches(['"', '\'']);
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let s = s.strip_prefix("www.").unwrap_or(s);
    let s = s
        .strip_prefix("huggingface.co/datasets/")
        .or_else(|| s.strip_prefix("hf.co/datasets/"))
        .unwrap_or(s);
    let s = s.split(['?', '#']).next().unwrap_or("");
    let mut segs = s.split('/');
    let first = segs.next().unwrap_or("");
    let second = segs.next();
    let third = segs.next();
    let ok = |x: &str| {
        !x.is_empty()
            && x.len() <= 96
            && x.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && x.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    };
    if !ok(first) || first.eq_ignore_ascii_case("none") {
        return None;
    }
    match (second, third) {
        (None, _) => Some(first.to_string()),
        (Some(n), None) if ok(n) => Some(format!("{first}/{n}")),
        (Some(n), Some(route))
            if ok(n) && ["tree", "blob", "resolve", "viewer"].contains(&route) =>
        {
            Some(format!("{first}/{n}"))
        }
        _ => None,
    }
}

/// `model-index` dataset types (and names) that name no Hub dataset: placeholders and the
/// `datasets` library's file loaders (`imagefolder`, `json`, …). Sorted, lowercase.
pub const NOT_EVALUATION_DATASETS: &[&str] = &[
    "arrow",
    "audiofolder",
    "csv",
    "custom",
    "dataset",
    "default",
    "generator",
    "imagefolder",
    "json",
    "local",
    "n/a",
    "na",
    "none",
    "null",
    "other",
    "pandas",
    "parquet",
    "private",
    "sql",
    "text",
    "unknown",
    "videofolder",
    "webdataset",
    "xml",
];

/// The dataset a `model-index` result was evaluated on: its `type` when that is a Hub id, else its
/// `name` when the type is missing or not id-shaped (`GLUE MRPC`) and the name is one. A
/// placeholder type (`unknown`) or a loader (`imagefolder`) names none. Returns the id and the
/// value it came from.
pub fn evaluation_dataset(dataset: &Value) -> Option<(String, String)> {
    let field = |key: &str| {
        dataset
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let not_placeholder = |s: &&str| {
        !NOT_EVALUATION_DATASETS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(s))
    };
    let hub_id = |s: &str| -> Option<(String, String)> {
        let id = normalize_dataset_id(s).filter(|id| not_placeholder(&id.as_str()))?;
        Some((id, s.to_string()))
    };
    match field("type") {
        Some(t) if !not_placeholder(&t) => None,
        Some(t) => hub_id(t).or_else(|| field("name").and_then(hub_id)),
        None => field("name").and_then(hub_id),
    }
}

/// The evaluation datasets of a card's `model-index` (`[].results[].dataset`), in order.
fn model_index_datasets(model_index: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Array(entries)) = model_index else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| e.get("results").and_then(Value::as_array))
        .flatten()
        .filter_map(|r| r.get("dataset"))
        .filter_map(evaluation_dataset)
        .collect()
}

impl EntityIdentifier for DatasetIdentifier {
    type Ref = DatasetRef;
    const KIND: EntityKind = EntityKind::Datasets;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<DatasetRef> {
        use DatasetRelation::{EvaluatedOn, TrainedOn};
        let mut out = Collector::new();
        let mut add = |id: String, raw: &str, p: Provenance, relation: DatasetRelation| {
            out.add(DatasetRef {
                id,
                raw: raw.to_string(),
                provenance: vec![p],
                relations: vec![relation],
            })
        };
        for (tag, p) in ev.all_tags() {
            if let Some(value) = tag.strip_prefix("dataset:")
                && let Some(id) = normalize_dataset_id(value)
            {
                add(id, tag, p, TrainedOn);
            }
        }
        for raw in ev.card_strings("datasets") {
            if let Some(id) = normalize_dataset_id(&raw) {
                add(id, &raw, ev.card_provenance(), TrainedOn);
            }
        }
        for (id, raw) in &ev.scan().datasets {
            add(id.clone(), raw, Provenance::CardText, TrainedOn);
        }
        for (id, raw) in model_index_datasets(ev.card_value("model-index")) {
            add(id, &raw, ev.card_provenance(), EvaluatedOn);
        }
        out.finish()
    }
}

/// Whether a tag is claimed by the dataset identifier.
pub(crate) fn claims_tag(tag: &str) -> bool {
    tag.starts_with("dataset:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelView;
    use serde_json::json;

    #[test]
    fn normalize_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("squad", Some("squad")),
            (
                "HuggingFaceH4/ultrachat_200k",
                Some("HuggingFaceH4/ultrachat_200k"),
            ),
            ("https://huggingface.co/datasets/a/b", Some("a/b")),
            ("https://huggingface.co/datasets/a/b/tree/main", Some("a/b")),
            ("./data", None),
            ("/content/data", None),
            ("C:\\data", None),
            ("", None),
            ("None", None),
            ("a/b/c", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                normalize_dataset_id(input).as_deref(),
                *expected,
                "input: {input:?}"
            );
        }
    }

    #[test]
    fn sources_merge_case_insensitively() {
        let tags = vec![
            "dataset:Open-Orca/OpenOrca".to_string(),
            "region:us".to_string(),
        ];
        let card = json!({"datasets": "open-orca/openorca"});
        let text = "Trained on [it](https://huggingface.co/datasets/Open-Orca/OpenOrca/tree/main?x=1#y) and \
                    [c4](https://hf.co/datasets/allenai/c4). Logo: https://huggingface.co/datasets/huggingface/documentation-images/resolve/main/a.png";
        let view = ModelView {
            tags: &tags,
            card_data: Some(&card),
            card_text: Some(text),
            ..ModelView::new("x/y")
        };
        let got = DatasetIdentifier.identify(&Evidence::new(&view));
        let ids: Vec<_> = got
            .iter()
            .map(|d| (d.id.as_str(), d.provenance.clone()))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("allenai/c4", vec![Provenance::CardText]),
                (
                    "Open-Orca/OpenOrca",
                    vec![Provenance::Tag, Provenance::CardData, Provenance::CardText]
                ),
            ]
        );
        assert_eq!(got[1].raw, "dataset:Open-Orca/OpenOrca");
        assert!(
            got.iter()
                .all(|d| d.relations == [DatasetRelation::TrainedOn])
        );
    }

    #[test]
    fn placeholders_sorted_unique() {
        assert!(NOT_EVALUATION_DATASETS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn evaluation_dataset_table() {
        let cases: &[(serde_json::Value, Option<&str>)] = &[
            (
                json!({"type": "cais/mmlu", "name": "MMLU (5-Shot)"}),
                Some("cais/mmlu"),
            ),
            (
                json!({"type": "ai2_arc", "name": "AI2 Reasoning Challenge"}),
                Some("ai2_arc"),
            ),
            (json!({"type": "GLUE MRPC", "name": "glue"}), Some("glue")),
            (json!({"type": null, "name": "squad_v2"}), Some("squad_v2")),
            (json!({"name": "squad_v2"}), Some("squad_v2")),
            (json!({"type": "unknown", "name": "MT-Bench"}), None),
            (json!({"type": "imagefolder", "name": "imagefolder"}), None),
            (json!({"type": "Custom eval", "name": "imagefolder"}), None),
            (json!({"name": "Our private eval set"}), None),
            (
                json!({"type": "https://huggingface.co/datasets/a/b"}),
                Some("a/b"),
            ),
            (json!({}), None),
            (json!("squad"), None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                evaluation_dataset(input).map(|(id, _)| id).as_deref(),
                *expected,
                "input: {input}"
            );
        }
    }
}
