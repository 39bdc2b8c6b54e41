//! Legacy dataset ids (`mnist`, answered through a 307 by `ylecun/mnist`), learnt before the
//! identified map is written, so that one dataset is one record, keyed by its canonical id.
//!
//! Only a namespace-less id can be legacy. [`HfEnrichment::resolve_datasets`] asks the source
//! for each distinct one, once ([`crate::legacy_ids`], the mechanism base models share): that is the fetch the dataset's record needs anyway (info and
//! Croissant), so the answer is kept in [`ResolvedDatasets`] and
//! [`HfEnrichment::datasets_resolved`] uses it instead of asking again: resolving costs no
//! request. Then:
//!
//! - [`ResolvedDatasets::canonicalise`] rewrites the references of one model (or
//!   [`canonicalise_all`](ResolvedDatasets::canonicalise_all) of a whole map) to the canonical
//!   ids; the text as written stays in the reference's `raw`, and a model naming both
//!   spellings keeps one reference;
//! - the dataset's record is keyed by the canonical id (`id`, `datasetId`, `mlentory_id`), and
//!   lists the legacy ids it was named by in `aliases`.
//!
//! An id the source could not answer (404, transport error) stays as identified; its record
//! carries the error, as any dataset's.

use std::collections::BTreeMap;

use hf_identifiers::DatasetRef;
use hf_identifiers::datasets::merge_dataset_refs;

use crate::enrich::HfEnrichment;
use crate::identify::IdentifiedRun;
use crate::legacy_ids::LegacyIds;
pub use crate::legacy_ids::may_be_legacy;
use crate::source::{FetchedDataset, MetadataSource};

/// The answers to the namespace-less dataset ids of a run, keyed as asked: what each is
/// called now, and the fetch its record reuses ([`LegacyIds`]).
pub type ResolvedDatasets = LegacyIds<FetchedDataset>;

impl LegacyIds<FetchedDataset> {
    /// Rewrites one model's references to the canonical ids (`raw` keeps the text as written)
    /// and keeps one reference per dataset. Rewriting twice changes nothing.
    ///
    /// ```
    /// use hf_client::datasets::DatasetInfo;
    /// use hf_enrich::legacy_datasets::ResolvedDatasets;
    /// use hf_enrich::source::FetchedDataset;
    /// use hf_identifiers::{DatasetRef, DatasetRelation, Provenance};
    ///
    /// let info: DatasetInfo = serde_json::from_str(r#"{"id": "ylecun/mnist"}"#).unwrap();
    /// let mut mnist = FetchedDataset::new(info);
    /// mnist.requested_id = "mnist".into();
    /// let resolved = ResolvedDatasets::from_answers([("mnist".to_owned(), Ok(mnist))]);
    ///
    /// let found = |id: &str, relation| DatasetRef {
    ///     id: id.into(),
    ///     raw: format!("dataset:{id}"),
    ///     provenance: vec![Provenance::Tag],
    ///     relations: vec![relation],
    /// };
    /// let mut refs = vec![
    ///     found("mnist", DatasetRelation::EvaluatedOn),
    ///     found("ylecun/mnist", DatasetRelation::TrainedOn),
    /// ];
    /// resolved.canonicalise(&mut refs);
    /// assert_eq!(refs.len(), 1);
    /// assert_eq!(refs[0].id, "ylecun/mnist");
    /// // One dataset: the relations of both references.
    /// assert_eq!(refs[0].relations, [DatasetRelation::TrainedOn, DatasetRelation::EvaluatedOn]);
    /// assert_eq!(resolved.aliases("ylecun/mnist"), ["mnist"]);
    /// ```
    pub fn canonicalise(&self, refs: &mut Vec<DatasetRef>) {
        let mut renamed = false;
        for r in refs.iter_mut() {
            if let Some(canonical) = self.canonical(&r.id) {
                r.id = canonical.to_owned();
                renamed = true;
            }
        }
        if renamed {
            *refs = merge_dataset_refs(std::mem::take(refs));
        }
    }

    /// [`canonicalise`](Self::canonicalise) every model of a `{model_id: [references]}` map.
    pub fn canonicalise_all(&self, refs: &mut BTreeMap<String, Vec<DatasetRef>>) {
        if self.is_empty() {
            return;
        }
        refs.values_mut().for_each(|r| self.canonicalise(r));
    }

    /// [`canonicalise_all`](Self::canonicalise_all) the datasets of a run, and its distinct ids
    /// computed again.
    pub fn canonicalise_run(&self, identified: &mut IdentifiedRun) {
        if self.is_empty() {
            return;
        }
        self.canonicalise_all(&mut identified.refs.datasets);
        *identified = IdentifiedRun::from_refs(std::mem::take(&mut identified.refs));
    }
}

impl<S: MetadataSource> HfEnrichment<S> {
    /// Asks the source for each distinct namespace-less dataset id of the run (`threads` in
    /// flight), before its map is written: see the [module](crate::legacy_datasets). Rewrite
    /// the references with [`ResolvedDatasets::canonicalise_run`], then make the records with
    /// [`datasets_resolved`](Self::datasets_resolved), which fetches no id twice.
    pub async fn resolve_datasets(&self, identified: &IdentifiedRun) -> ResolvedDatasets {
        self.resolve_datasets_beyond(identified, ResolvedDatasets::default())
            .await
    }

    /// [`resolve_datasets`](Self::resolve_datasets), asking only the ids `known` has no answer
    /// for (ids resolved earlier, such as those of the run's own models while the lineage was
    /// followed); returns the answers of both.
    ///
    /// ```
    /// # use hf_enrich::{HfEnrichment, EnrichmentOptions, source::InMemorySource};
    /// # use hf_enrich::legacy_datasets::ResolvedDatasets;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let enrichment = HfEnrichment::new(InMemorySource::new(), EnrichmentOptions::default());
    /// let none = hf_enrich::identify::IdentifiedRun::default();
    /// let known = enrichment.resolve_datasets(&none).await;
    /// assert!(enrichment.resolve_datasets_beyond(&none, known).await.is_empty());
    /// # }
    /// ```
    pub async fn resolve_datasets_beyond(
        &self,
        identified: &IdentifiedRun,
        known: ResolvedDatasets,
    ) -> ResolvedDatasets {
        let threads = self.options().threads;
        known
            .ask(
                identified.ids.datasets.iter().map(String::as_str),
                threads,
                |id| async move { self.source().dataset(&id).await },
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hf_client::datasets::DatasetInfo;
    use hf_client::wire::ModelInfo;
    use serde_json::json;

    use super::*;
    use crate::enrich::EnrichmentOptions;
    use crate::mlentory::EntityType;
    use crate::models::{FetchedModel, ModelSource};
    use crate::source::{InMemorySource, SourceError};

    fn model(id: &str, tags: &[&str]) -> FetchedModel {
        let info: ModelInfo = serde_json::from_value(json!({"id": id, "tags": tags})).unwrap();
        FetchedModel::new(info, None, ModelSource::Latest)
    }

    /// `mnist` answers as `ylecun/mnist` (a 307 followed); `gone` is missing.
    fn source() -> InMemorySource {
        let info: DatasetInfo = serde_json::from_value(json!({"id": "ylecun/mnist"})).unwrap();
        let mut mnist = FetchedDataset::new(info);
        mnist.requested_id = "mnist".into();
        let squad: DatasetInfo = serde_json::from_value(json!({"id": "squad"})).unwrap();
        InMemorySource::new()
            .with_dataset(mnist)
            .with_dataset(FetchedDataset::new(squad))
    }

    #[tokio::test]
    async fn one_dataset_named_both_ways_is_one_record_under_its_canonical_id() {
        let models = [
            model("run/both", &["dataset:mnist", "dataset:ylecun/mnist"]),
            model(
                "run/legacy",
                &["dataset:mnist", "dataset:gone", "dataset:squad"],
            ),
            model("run/canonical", &["dataset:ylecun/mnist"]),
        ];
        let source = std::sync::Arc::new(source());
        let options = EnrichmentOptions {
            threads: 2,
            base_model_iterations: 0,
        };
        let out = HfEnrichment::new(source.clone(), options)
            .enrich(&models)
            .await;

        // The map: canonical ids, one reference per dataset, the text as written kept.
        let refs = &out.identified.refs.datasets;
        let ids = |model: &str| -> Vec<(&str, &str)> {
            refs[model]
                .iter()
                .map(|r| (r.id.as_str(), r.raw.as_str()))
                .collect()
        };
        assert_eq!(ids("run/both"), [("ylecun/mnist", "dataset:mnist")]);
        assert_eq!(refs["run/both"][0].provenance.len(), 1);
        assert_eq!(
            ids("run/legacy"),
            [
                ("gone", "dataset:gone"),
                ("squad", "dataset:squad"),
                ("ylecun/mnist", "dataset:mnist"),
            ]
        );
        assert_eq!(
            ids("run/canonical"),
            [("ylecun/mnist", "dataset:ylecun/mnist")]
        );
        assert_eq!(
            out.identified.ids.datasets,
            ["gone", "squad", "ylecun/mnist"]
        );

        // The records: one per id of the map, keyed by it, the legacy spelling in aliases.
        let records: Vec<(&str, &str, bool, &[String])> = out
            .datasets
            .iter()
            .map(|d| {
                (
                    d.id.as_str(),
                    d.dataset_id.as_str(),
                    d.enriched,
                    d.aliases.as_slice(),
                )
            })
            .collect();
        let mnist = ["mnist".to_owned()];
        assert_eq!(
            records,
            [
                ("gone", "gone", false, &[][..]),
                ("squad", "squad", true, &[][..]),
                ("ylecun/mnist", "ylecun/mnist", true, &mnist[..]),
            ]
        );
        let record = &out.datasets[2];
        assert_eq!(record.mlentory_id, EntityType::Dataset.id("ylecun/mnist"));
        assert_eq!(record.canonical_id.as_deref(), Some("ylecun/mnist"));
        assert_eq!(out.failures.len(), 1, "{:?}", out.failures);
        assert_eq!(out.failures[0].id, "gone");

        // Each namespace-less id asked once; nothing fetched twice.
        let mut asked: Vec<String> = source
            .requests()
            .into_iter()
            .filter(|r| r.starts_with("dataset:"))
            .collect();
        asked.sort();
        assert_eq!(asked, ["dataset:gone", "dataset:mnist", "dataset:squad"]);
    }

    #[tokio::test]
    async fn ids_resolved_earlier_are_not_asked_again() {
        let source = std::sync::Arc::new(source());
        let enrichment = HfEnrichment::new(source.clone(), EnrichmentOptions::default());
        let early = crate::identify::identify_models(&[model("run/a", &["dataset:mnist"])]);
        let known = enrichment.resolve_datasets(&early).await;
        let all = crate::identify::identify_models(&[
            model("run/a", &["dataset:mnist"]),
            model("parent/b", &["dataset:squad", "dataset:mnist"]),
        ]);
        let resolved = enrichment.resolve_datasets_beyond(&all, known).await;
        assert_eq!(resolved.len(), 2);
        assert_eq!(resolved.canonical("mnist"), Some("ylecun/mnist"));
        let asked: Vec<String> = source
            .requests()
            .into_iter()
            .filter(|r| r.starts_with("dataset:"))
            .collect();
        assert_eq!(asked, ["dataset:mnist", "dataset:squad"]);
    }

    #[test]
    fn rewriting_is_idempotent_and_leaves_unanswered_ids() {
        let resolved = ResolvedDatasets::from_answers([
            (
                "gone".to_owned(),
                Err(SourceError::not_found("dataset not found: gone")),
            ),
            (
                "mnist".to_owned(),
                Ok(FetchedDataset {
                    requested_id: "mnist".into(),
                    ..FetchedDataset::new(
                        serde_json::from_value(json!({"id": "ylecun/mnist"})).unwrap(),
                    )
                }),
            ),
        ]);
        let r = |id: &str| DatasetRef {
            id: id.into(),
            raw: id.into(),
            provenance: vec![hf_identifiers::Provenance::CardData],
            relations: vec![hf_identifiers::DatasetRelation::TrainedOn],
        };
        let mut map = BTreeMap::from([("m".to_owned(), vec![r("gone"), r("mnist")])]);
        resolved.canonicalise_all(&mut map);
        let once = map.clone();
        resolved.canonicalise_all(&mut map);
        assert_eq!(map, once);
        let ids: Vec<&str> = map["m"].iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["gone", "ylecun/mnist"]);
        assert_eq!(map["m"][1].raw, "mnist");
        assert_eq!(resolved.canonical("gone"), None);
        assert_eq!(resolved.canonical("ylecun/mnist"), None);
        assert!(resolved.aliases("gone").is_empty());
    }
}
