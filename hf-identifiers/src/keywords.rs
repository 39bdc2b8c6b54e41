//! Keywords: the tags no other kind claimed, with their namespace and category, plus the library.

use serde::{Deserialize, Serialize};

use crate::collect::{Collector, Mergeable, merge_provenance};
use crate::vocab::hub::LIBRARY_TAGS;
use crate::{EntityIdentifier, EntityKind, Evidence, Provenance};

/// Tags the Hub adds about deployment and inference compatibility.
pub const DEPLOY_TAGS: &[&str] = &[
    "autotrain_compatible",
    "endpoints_compatible",
    "text-embeddings-inference",
    "text-generation-inference",
];

/// What kind of tag a keyword is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeywordCategory {
    /// A library, framework or weight format (`transformers`, `pytorch`, `safetensors`, `gguf`),
    /// or a library-scoped tag (`diffusers:StableDiffusionPipeline`).
    Library,
    /// A storage region (`region:us`).
    Region,
    /// A deployment / inference compatibility tag (`endpoints_compatible`, `autotrain_compatible`).
    Deploy,
    /// Any other tag (free tags such as `conversational`, `generated_from_trainer`, `medical`).
    Other,
}

/// A keyword (a tag no other kind claimed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeywordRef {
    /// The tag as written (`region:us`, `endpoints_compatible`, `Source Separation`).
    pub id: String,
    /// The text it came from (the same as `id`, kept for symmetry with the other kinds).
    pub raw: String,
    /// Where it was found (`api` for the `library_name` field).
    pub provenance: Vec<Provenance>,
    /// The namespace before the first `:` (`region` for `region:us`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The category of the tag.
    pub category: KeywordCategory,
}

impl Mergeable for KeywordRef {
    fn key(&self) -> String {
        self.id.to_lowercase()
    }
    fn sort_id(&self) -> &str {
        &self.id
    }
    fn merge(&mut self, other: Self) {
        merge_provenance(&mut self.provenance, &other.provenance);
    }
}

/// The kind that claims a tag, if another kind does.
pub fn claimed_by(tag: &str, ev: &Evidence<'_>) -> Option<EntityKind> {
    if crate::datasets::claims_tag(tag) {
        Some(EntityKind::Datasets)
    } else if crate::articles::claims_tag(tag) {
        Some(EntityKind::Articles)
    } else if crate::base_models::claims_tag(tag) {
        Some(EntityKind::BaseModels)
    } else if crate::licenses::claims_tag(tag) {
        Some(EntityKind::Licenses)
    } else if crate::tasks::claims_tag(tag, ev) {
        Some(EntityKind::Tasks)
    } else if crate::languages::claims_tag(tag, ev) {
        Some(EntityKind::Languages)
    } else {
        None
    }
}

fn is_library(tag: &str, ev: &Evidence<'_>) -> bool {
    LIBRARY_TAGS.binary_search(&tag).is_ok()
        || ev.view().library_name.is_some_and(|l| l == tag)
        || ev.card_string("library_name").is_some_and(|l| l == tag)
}

fn keyword(tag: &str, p: Provenance, ev: &Evidence<'_>) -> Option<KeywordRef> {
    let id = tag.trim();
    if id.is_empty() {
        return None;
    }
    let namespace = id
        .split_once(':')
        .map(|(ns, _)| ns.to_string())
        .filter(|ns| !ns.is_empty());
    let category = match namespace.as_deref() {
        Some("region") => KeywordCategory::Region,
        Some("deploy") => KeywordCategory::Deploy,
        Some(ns) if is_library(ns, ev) => KeywordCategory::Library,
        Some(_) => KeywordCategory::Other,
        None if DEPLOY_TAGS.contains(&id) => KeywordCategory::Deploy,
        None if is_library(id, ev) => KeywordCategory::Library,
        None => KeywordCategory::Other,
    };
    Some(KeywordRef {
        id: id.to_string(),
        raw: tag.to_string(),
        provenance: vec![p],
        namespace,
        category,
    })
}

/// Finds keywords.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeywordIdentifier;

impl EntityIdentifier for KeywordIdentifier {
    type Ref = KeywordRef;
    const KIND: EntityKind = EntityKind::Keywords;

    fn identify(&self, ev: &Evidence<'_>) -> Vec<KeywordRef> {
        let mut out = Collector::new();
        if let Some(lib) = ev.view().library_name
            && let Some(k) = keyword(lib, Provenance::Api, ev)
        {
            out.add(k);
        }
        for (tag, p) in ev.all_tags() {
            if claimed_by(tag, ev).is_none()
                && let Some(k) = keyword(tag, p, ev)
            {
                out.add(k);
            }
        }
        if let Some(lib) = ev.card_string("library_name")
            && let Some(k) = keyword(&lib, ev.card_provenance(), ev)
        {
            out.add(k);
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelView;
    use serde_json::json;

    #[test]
    fn tables_sorted_unique() {
        assert!(LIBRARY_TAGS.windows(2).all(|w| w[0] < w[1]));
        assert!(DEPLOY_TAGS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn claimed_tags_are_not_keywords() {
        let tags: Vec<String> = [
            "transformers",
            "pytorch",
            "text-generation",
            "en",
            "dataset:a/b",
            "arxiv:2106.09685",
            "doi:10.1/x",
            "base_model:a/b",
            "base_model:finetune:a/b",
            "license:mit",
            "region:us",
            "endpoints_compatible",
            "conversational",
            "diffusers:StableDiffusionPipeline",
            "mlx",
            "multilingual",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let card = json!({"tags": ["conversational", "medical"], "library_name": "peft"});
        let view = ModelView {
            tags: &tags,
            library_name: Some("transformers"),
            card_data: Some(&card),
            ..ModelView::new("x/y")
        };
        let got: Vec<_> = KeywordIdentifier
            .identify(&Evidence::new(&view))
            .into_iter()
            .map(|k| (k.id, k.namespace, k.category, k.provenance))
            .collect();
        use KeywordCategory::*;
        use Provenance::{Api, CardData, Tag};
        assert_eq!(
            got,
            vec![
                ("conversational".into(), None, Other, vec![Tag, CardData]),
                (
                    "diffusers:StableDiffusionPipeline".into(),
                    Some("diffusers".into()),
                    Library,
                    vec![Tag]
                ),
                ("endpoints_compatible".into(), None, Deploy, vec![Tag]),
                ("medical".into(), None, Other, vec![CardData]),
                ("mlx".into(), None, Library, vec![Tag]),
                ("multilingual".into(), None, Other, vec![Tag]),
                ("peft".into(), None, Library, vec![CardData]),
                ("pytorch".into(), None, Library, vec![Tag]),
                ("region:us".into(), Some("region".into()), Region, vec![Tag]),
                ("transformers".into(), None, Library, vec![Api, Tag]),
            ]
        );
    }
}
