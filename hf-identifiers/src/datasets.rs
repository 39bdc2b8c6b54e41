//! Datasets: `dataset:` tags, the card's `datasets`, and `huggingface.co/datasets/…` links in the card.

use serde::{Deserialize, Serialize};

use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

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
    }
}

/// Folds references naming one dataset (ids equal case-insensitively) into one, as the
/// identifier does: the first keeps its id and `raw`, the provenance is merged; the result is
/// ordered as the identifier orders it. For references whose ids were rewritten after
/// identification (a legacy id replaced by its canonical one).
///
/// ```
/// use hf_identifiers::{DatasetRef, Provenance};
/// use hf_identifiers::datasets::merge_dataset_refs;
///
/// let found = |id: &str, raw: &str, p| DatasetRef { id: id.into(), raw: raw.into(), provenance: vec![p] };
/// let merged = merge_dataset_refs(vec![
///     found("ylecun/mnist", "dataset:mnist", Provenance::Tag),
///     found("ylecun/mnist", "ylecun/mnist", Provenance::CardData),
/// ]);
/// assert_eq!(merged.len(), 1);
/// assert_eq!(merged[0].raw, "dataset:mnist");
/// assert_eq!(merged[0].provenance.len(), 2);
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

impl EntityIdentifier for DatasetIdentifier {
    type Ref = DatasetRef;
    const KIND: EntityKind = EntityKind::Datasets;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<DatasetRef> {
        let mut out = Collector::new();
        let mut add = |id: String, raw: &str, p: Provenance| {
            out.add(DatasetRef {
                id,
                raw: raw.to_string(),
                provenance: vec![p],
            })
        };
        for (tag, p) in ev.all_tags() {
            if let Some(value) = tag.strip_prefix("dataset:")
                && let Some(id) = normalize_dataset_id(value)
            {
                add(id, tag, p);
            }
        }
        for raw in ev.card_strings("datasets") {
            if let Some(id) = normalize_dataset_id(&raw) {
                add(id, &raw, ev.card_provenance());
            }
        }
        for (id, raw) in &ev.scan().datasets {
            add(id.clone(), raw, Provenance::CardText);
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
    }
}
