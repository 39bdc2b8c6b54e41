//! The `sharedby` kind: the user or organisation that shares a model on the Hub (the
//! downstream's `sharedBy`, `hash("SharedBy", name)`).
//!
//! Read from what the model's info already says, with no request: the API's `author`, else the
//! namespace of the model id (`google` of `google/gemma-2-9b-it`). A legacy model id without a
//! namespace and without an author (`gpt2` answered as such) has none.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::entities::HUB_URL;
use crate::mlentory::EntityType;
use crate::models::FetchedModel;
use crate::records::ExtractionMetadata;

/// Where a model's sharer was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SharedBySource {
    /// The API's `author`.
    Author,
    /// The namespace of the model id.
    ModelId,
}

/// One entry of `hf_identified_sharedby.json`: who shares the model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SharedByRef {
    /// The user or organisation name (the id of the map).
    pub id: String,
    /// Where it was read.
    pub source: SharedBySource,
}

/// The sharer of one model, if it has one.
pub fn shared_by(model: &FetchedModel) -> Option<SharedByRef> {
    if let Some(author) = model
        .info
        .author
        .as_deref()
        .filter(|a| !a.trim().is_empty())
    {
        return Some(SharedByRef {
            id: author.trim().to_owned(),
            source: SharedBySource::Author,
        });
    }
    let (namespace, _) = model.id.split_once('/')?;
    (!namespace.is_empty()).then(|| SharedByRef {
        id: namespace.to_owned(),
        source: SharedBySource::ModelId,
    })
}

/// `{model_id: [sharer]}` over `models`: one entry per model, an empty list when it has none.
pub fn identify_sharedby(models: &[FetchedModel]) -> BTreeMap<String, Vec<SharedByRef>> {
    models
        .iter()
        .map(|m| (m.id.clone(), shared_by(m).into_iter().collect()))
        .collect()
}

/// A record of `sharedby.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SharedByEntity {
    /// The name as in the map.
    pub id: String,
    /// The downstream's key: the name as in the map.
    pub name: String,
    /// `hash("SharedBy", name)`.
    pub mlentory_id: String,
    /// The profile page on the Hub.
    pub url: String,
    /// True when the Hub's `author` names it for at least one model; false when only model ids'
    /// namespaces do.
    pub enriched: bool,
    /// How many models of the map it shares.
    pub models: usize,
    /// How the record was obtained (`hf_api`, or `model_id`).
    pub extraction_metadata: ExtractionMetadata,
}

/// One record per distinct name of `map`, sorted; `time` is the run's start.
pub fn sharedby_entities(
    map: &BTreeMap<String, Vec<SharedByRef>>,
    time: &str,
) -> Vec<SharedByEntity> {
    let mut tally = SharerTally::default();
    map.values().for_each(|refs| tally.add(refs));
    tally.entities(time)
}

/// The sharers of a run's models, tallied one model at a time: the records of
/// [`sharedby_entities`] without a map of every model (a run of a million models writes its
/// `{model_id: [sharer]}` map entry by entry, and keeps only this).
///
/// ```
/// use hf_enrich::sharedby::{SharedByRef, SharedBySource, SharerTally};
///
/// let mut tally = SharerTally::default();
/// let google = SharedByRef { id: "google".into(), source: SharedBySource::Author };
/// tally.add(&[google.clone()]);
/// tally.add(&[google]);
/// let records = tally.entities("2026-12-07T00:00:00Z");
/// assert_eq!((records[0].id.as_str(), records[0].models), ("google", 2));
/// assert!(records[0].enriched);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharerTally {
    /// Each name: where it was read, and how many references name it.
    seen: BTreeMap<String, (BTreeSet<SharedBySource>, usize)>,
}

impl SharerTally {
    /// Count one model's sharers.
    pub fn add(&mut self, refs: &[SharedByRef]) {
        for r in refs {
            let entry = match self.seen.get_mut(r.id.as_str()) {
                Some(entry) => entry,
                None => self.seen.entry(r.id.clone()).or_default(),
            };
            entry.0.insert(r.source);
            entry.1 += 1;
        }
    }

    /// One record per distinct name, sorted; `time` is the run's start.
    pub fn entities(&self, time: &str) -> Vec<SharedByEntity> {
        self.seen
            .iter()
            .map(|(name, (sources, models))| {
                let enriched = sources.contains(&SharedBySource::Author);
                SharedByEntity {
                    id: name.clone(),
                    name: name.clone(),
                    mlentory_id: EntityType::SharedBy.id(name),
                    url: format!("{HUB_URL}/{name}"),
                    enriched,
                    models: *models,
                    extraction_metadata: ExtractionMetadata {
                        extraction_method: if enriched { "hf_api" } else { "model_id" }.to_owned(),
                        confidence: 1.0,
                        extraction_time: time.to_owned(),
                        error: None,
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hf_client::wire::ModelInfo;
    use serde_json::json;

    use super::*;
    use crate::models::ModelSource;

    fn model(info: serde_json::Value) -> FetchedModel {
        let info: ModelInfo = serde_json::from_value(info).unwrap();
        FetchedModel::new(info, None, ModelSource::Latest)
    }

    #[test]
    fn the_author_then_the_namespace_then_none() {
        let models = [
            model(json!({"id": "google/gemma", "author": "google"})),
            model(json!({"id": "google/t5"})),
            model(json!({"id": "org/x", "author": "  "})),
            model(json!({"id": "gpt2"})),
        ];
        let map = identify_sharedby(&models);
        assert_eq!(map.len(), 4);
        assert_eq!(map["google/gemma"][0].source, SharedBySource::Author);
        assert_eq!(map["google/t5"][0].source, SharedBySource::ModelId);
        assert_eq!(map["org/x"][0].id, "org");
        assert!(map["gpt2"].is_empty());
        let records = sharedby_entities(&map, "t");
        let names: Vec<(&str, bool, usize)> = records
            .iter()
            .map(|r| (r.name.as_str(), r.enriched, r.models))
            .collect();
        assert_eq!(names, [("google", true, 2), ("org", false, 1)]);
        assert_eq!(records[0].mlentory_id, EntityType::SharedBy.id("google"));
        assert_eq!(records[0].url, "https://huggingface.co/google");
    }
}
