//! The identifiers of `hf-identifiers` run over fetched models.
//!
//! [`PreparedModel`] adapts a [`FetchedModel`] into the borrowed [`ModelView`] the identifiers
//! read; [`identify_models`] runs all seven identifiers over a run and gathers, per kind, the
//! `{model_id: [references]}` maps and the distinct ids to fetch.

use std::collections::{BTreeMap, BTreeSet};

use hf_client::card::ModelCard;
use hf_identifiers::{EntityKind, Identified, ModelView, RunIdentified, identify_all};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::models::FetchedModel;

/// What a [`ModelView`] of a fetched model borrows: the card, parsed once, and the card data
/// as JSON.
///
/// - `card_data`: the API's `cardData` when the Hub served it, else the card's front matter
///   parsed here.
/// - `card_text`: the card's body, without the front matter.
/// - `raw_front_matter`: the card's YAML when it did not parse (the identifiers then read it
///   line by line).
/// - `base_models`: the API's `baseModels`.
#[derive(Debug, Clone)]
pub struct PreparedModel<'m> {
    model: &'m FetchedModel,
    card_data: Option<Value>,
    card: Option<ModelCard>,
}

impl<'m> PreparedModel<'m> {
    /// Parses the card of `model` (if any) and converts its card data.
    pub fn new(model: &'m FetchedModel) -> Self {
        let card = model.card.as_deref().map(ModelCard::parse);
        let card_data = model
            .info
            .card_data
            .as_ref()
            .map(|c| c.to_value())
            .filter(Value::is_object)
            .or_else(|| card.as_ref().and_then(|c| c.metadata.clone()));
        Self {
            model,
            card_data,
            card,
        }
    }

    /// The view the identifiers read.
    pub fn view(&self) -> ModelView<'_> {
        let info = &self.model.info;
        let raw_front_matter = self
            .card
            .as_ref()
            .filter(|c| c.yaml_error.is_some())
            .and_then(|c| c.front_matter.as_deref());
        ModelView {
            id: &self.model.id,
            tags: &info.tags,
            pipeline_tag: info.pipeline_tag.as_deref(),
            library_name: info.library_name.as_deref(),
            card_data: self.card_data.as_ref(),
            card_text: self.card.as_ref().map(|c| c.body.as_str()),
            base_models: info.base_models.as_ref(),
            raw_front_matter,
        }
    }

    /// Runs the seven identifiers over this model.
    pub fn identify(&self) -> Identified {
        identify_all(&self.view())
    }
}

/// Identifies every entity of one model.
pub fn identify_model(model: &FetchedModel) -> Identified {
    PreparedModel::new(model).identify()
}

/// The distinct ids of each kind, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityIds {
    /// Dataset ids.
    pub datasets: Vec<String>,
    /// Article ids (arXiv ids without version, and DOIs).
    pub articles: Vec<String>,
    /// Base model ids.
    pub base_models: Vec<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// License ids.
    pub licenses: Vec<String>,
    /// Language codes.
    pub languages: Vec<String>,
    /// Task ids.
    pub tasks: Vec<String>,
}

impl EntityIds {
    /// The ids of one kind.
    pub fn get(&self, kind: EntityKind) -> &[String] {
        match kind {
            EntityKind::Datasets => &self.datasets,
            EntityKind::Articles => &self.articles,
            EntityKind::BaseModels => &self.base_models,
            EntityKind::Keywords => &self.keywords,
            EntityKind::Licenses => &self.licenses,
            EntityKind::Languages => &self.languages,
            EntityKind::Tasks => &self.tasks,
        }
    }
}

/// The references of a run: per kind, `{model_id: [references]}` (every model present, possibly
/// with an empty list) and the distinct ids. Deterministic: maps are ordered by model id, ids
/// are sorted and distinct (compared exactly, case included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifiedRun {
    /// Per kind, the references of each model.
    pub refs: RunIdentified,
    /// Per kind, the distinct ids over all models.
    pub ids: EntityIds,
}

impl IdentifiedRun {
    /// Adds one model's references (replacing earlier ones of the same id) and recomputes the
    /// distinct ids.
    pub fn insert(&mut self, model_id: &str, found: Identified) {
        self.refs.insert(model_id, found);
        self.ids = distinct_ids(&self.refs);
    }

    /// A run from per-model references (e.g. one kind's map read back from a run folder); the
    /// distinct ids are computed from them.
    pub fn from_refs(refs: RunIdentified) -> Self {
        let ids = distinct_ids(&refs);
        Self { refs, ids }
    }

    /// The model ids identified, in order (those of any kind's map).
    pub fn model_ids(&self) -> impl Iterator<Item = &str> {
        let r = &self.refs;
        let all: BTreeSet<&str> = r
            .datasets
            .keys()
            .chain(r.articles.keys())
            .chain(r.base_models.keys())
            .chain(r.keywords.keys())
            .chain(r.licenses.keys())
            .chain(r.languages.keys())
            .chain(r.tasks.keys())
            .map(String::as_str)
            .collect();
        all.into_iter()
    }
}

/// The distinct ids of each kind in `refs` (each kind's map read on its own, so a run holding
/// only some kinds, read back from a run folder, has its ids too).
fn distinct_ids(refs: &RunIdentified) -> EntityIds {
    fn ids<R>(map: &BTreeMap<String, Vec<R>>, id: impl Fn(&R) -> &str) -> Vec<String> {
        let set: BTreeSet<&str> = map.values().flatten().map(id).collect();
        set.into_iter().map(str::to_owned).collect()
    }
    EntityIds {
        datasets: ids(&refs.datasets, |r| &r.id),
        articles: ids(&refs.articles, |r| &r.id),
        base_models: ids(&refs.base_models, |r| &r.id),
        keywords: ids(&refs.keywords, |r| &r.id),
        licenses: ids(&refs.licenses, |r| &r.id),
        languages: ids(&refs.languages, |r| &r.id),
        tasks: ids(&refs.tasks, |r| &r.id),
    }
}

/// Runs the identifiers over every model. A model id seen twice keeps its last references.
pub fn identify_models(models: &[FetchedModel]) -> IdentifiedRun {
    identify_with(models.iter().map(|m| (m.id.clone(), identify_model(m))))
}

/// Builds an [`IdentifiedRun`] from references already computed.
pub(crate) fn identify_with(
    found: impl IntoIterator<Item = (String, Identified)>,
) -> IdentifiedRun {
    let mut refs = RunIdentified::default();
    for (model_id, identified) in found {
        refs.insert(&model_id, identified);
    }
    let ids = distinct_ids(&refs);
    IdentifiedRun { refs, ids }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hf_client::wire::ModelInfo;
    use serde_json::json;

    use super::*;
    use crate::models::ModelSource;

    fn model(info: Value, card: Option<&str>) -> FetchedModel {
        let info: ModelInfo = serde_json::from_value(info).unwrap();
        FetchedModel::new(info, card.map(str::to_owned), ModelSource::File)
    }

    #[test]
    fn the_api_card_data_wins_over_the_card() {
        let m = model(
            json!({"id": "a/b", "cardData": {"license": "mit"}}),
            Some("---\nlicense: apache-2.0\n---\n# Hello\n"),
        );
        let prepared = PreparedModel::new(&m);
        let view = prepared.view();
        assert_eq!(view.card_data.unwrap()["license"], "mit");
        assert_eq!(view.card_text, Some("# Hello\n"));
        assert_eq!(view.raw_front_matter, None);
    }

    #[test]
    fn the_card_front_matter_is_read_without_card_data() {
        let m = model(
            json!({"id": "a/b"}),
            Some("---\nlicense: apache-2.0\ndatasets: [squad]\n---\nBody\n"),
        );
        let found = identify_model(&m);
        assert_eq!(found.ids(EntityKind::Licenses), ["apache-2.0"]);
        assert_eq!(found.ids(EntityKind::Datasets), ["squad"]);
    }

    #[test]
    fn a_broken_front_matter_is_handed_over_raw() {
        let m = model(
            json!({"id": "a/b"}),
            Some("---\nlicense: mit\nbase_model: org/base\nbad: [unclosed\n---\nBody\n"),
        );
        let prepared = PreparedModel::new(&m);
        let view = prepared.view();
        assert!(view.card_data.is_none());
        assert!(view.raw_front_matter.unwrap().contains("org/base"));
        assert_eq!(
            prepared.identify().ids(EntityKind::BaseModels),
            ["org/base"]
        );
    }

    #[test]
    fn a_run_has_every_model_and_distinct_sorted_ids() {
        let models = [
            model(
                json!({"id": "z/one", "tags": ["license:mit", "dataset:squad"]}),
                None,
            ),
            model(
                json!({"id": "a/two", "tags": ["license:mit", "dataset:glue"]}),
                None,
            ),
            model(json!({"id": "m/three"}), None),
        ];
        let run = identify_models(&models);
        assert_eq!(
            run.model_ids().collect::<Vec<_>>(),
            ["a/two", "m/three", "z/one"]
        );
        assert_eq!(run.ids.licenses, ["mit"]);
        assert_eq!(run.ids.datasets, ["glue", "squad"]);
        assert!(run.refs.datasets["m/three"].is_empty());
        assert_eq!(run, identify_models(&models));
    }
}
