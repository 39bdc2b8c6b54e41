//! [`HfEnrichment`]: identify the entities the models of a run point to, follow their base
//! models, and fetch every identified entity through a [`MetadataSource`].
//!
//! The steps, in order:
//!
//! 1. identify the run's models;
//! 2. follow the lineage ([`crate::lineage`]) for `base_model_iterations` iterations; the parents
//!    read are identified too, so [`EnrichmentOutcome::identified`] covers the run's models **and**
//!    the lineage's (a model's ancestors have licenses, datasets and papers worth having);
//! 3. fetch, all at once: datasets (info + Croissant, `threads` in flight), arXiv papers (one
//!    call: the source batches and paces), the tag vocabulary (once), the task catalog and the
//!    license resolver (once each); languages resolve offline.
//!
//! Partial failure is data: an entity that cannot be fetched is a record with `enriched: false`
//! and its error, and a line in [`EnrichmentOutcome::failures`]. `enriched: false` without an
//! error means the entity was not looked up or is not in a vocabulary (a DOI, a free-form tag, an
//! unknown license id): not a failure.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use hf_client::languages::resolve_language;
use hf_client::tasks::TaskSource;
use hf_identifiers::{ArticleKind, EntityKind, Identified, RunIdentified};
use serde::{Deserialize, Serialize};

pub use crate::entities::{
    ArticleEntity, DatasetEntity, KeywordEntity, LanguageEntity, LicenseEntity, TaskEntities,
    TaskEntity,
};

use crate::identify::{IdentifiedRun, identify_model};
use crate::legacy_datasets::ResolvedDatasets;
use crate::lineage::{
    BaseModelsById, DEFAULT_BASE_MODEL_ITERATIONS, Following, Lineage, LineageEdges, ModelKey,
    RunReferences, canonicalise_base_models, follow, resolve_legacy_parents,
};
use crate::models::FetchedModel;
use crate::records::ModelRecord;
use crate::source::{MetadataSource, SourceError};

/// How many fetches are in flight by default (`HF_ENRICHMENT_THREADS`).
pub const DEFAULT_ENRICHMENT_THREADS: usize = 8;

/// The reason an article with a DOI is not fetched.
pub const DOI_NOT_FETCHED: &str = "DOI references are not fetched";

/// Options of [`HfEnrichment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrichmentOptions {
    /// Fetches in flight (`HF_ENRICHMENT_THREADS`; 0 counts as 1).
    pub threads: usize,
    /// Lineage iterations (`HF_BASE_MODEL_ITERATIONS`; 0 disables lineage).
    pub base_model_iterations: usize,
}

impl Default for EnrichmentOptions {
    fn default() -> Self {
        Self {
            threads: DEFAULT_ENRICHMENT_THREADS,
            base_model_iterations: DEFAULT_BASE_MODEL_ITERATIONS,
        }
    }
}

/// Progress of one kind: `done` of `total` entities fetched. Sent with `done = 0` when a kind
/// starts, then after each entity (for arXiv, once when all papers are in). Base models send
/// one series per lineage iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressEvent {
    /// The kind being fetched.
    pub kind: EntityKind,
    /// How many are done.
    pub done: usize,
    /// How many there are.
    pub total: usize,
    /// The lineage iteration (base models only).
    pub iteration: Option<usize>,
}

/// A progress callback.
pub type ProgressFn = dyn Fn(ProgressEvent) + Send + Sync;

/// An entity that could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityFailure {
    /// Its kind.
    pub kind: EntityKind,
    /// Its id.
    pub id: String,
    /// Why.
    pub error: SourceError,
}

/// The figures of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityCounts {
    /// Distinct ids identified.
    pub identified: usize,
    /// Records with `enriched: true`.
    pub enriched: usize,
    /// Fetches that failed (each is in [`EnrichmentOutcome::failures`]).
    pub failed: usize,
}

/// Everything enrichment produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichmentOutcome {
    /// The references of the run's models and of the lineage's models.
    pub identified: IdentifiedRun,
    /// The base-model lineage.
    pub lineage: Lineage,
    /// One record per distinct dataset id, sorted by id.
    pub datasets: Vec<DatasetEntity>,
    /// One record per distinct article id, sorted by id.
    pub articles: Vec<ArticleEntity>,
    /// One record per distinct keyword, sorted.
    pub keywords: Vec<KeywordEntity>,
    /// One record per distinct license id, sorted.
    pub licenses: Vec<LicenseEntity>,
    /// One record per distinct language code, sorted.
    pub languages: Vec<LanguageEntity>,
    /// One record per distinct task id, sorted.
    pub tasks: Vec<TaskEntity>,
    /// Where the task catalog came from (the Hub, or the embedded pipeline types).
    pub task_source: TaskSource,
    /// Why the embedded task catalog was used, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_fallback_reason: Option<String>,
    /// Every fetch that failed, by kind then id (lineage stubs included).
    pub failures: Vec<EntityFailure>,
    /// Figures per kind.
    pub counts: BTreeMap<EntityKind, EntityCounts>,
}

/// Why [`HfEnrichment::enrich_from_models_json`] could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrichError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a JSON array of models.
    #[error("{path} is not a JSON array of models: {source}")]
    Json {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: serde_json::Error,
    },
}

/// Enrichment of a run's models through a [`MetadataSource`].
///
/// ```no_run
/// # async fn run(models: Vec<hf_enrich::models::FetchedModel>) -> hf_client::Result<()> {
/// use hf_enrich::{EnrichmentOptions, HfEnrichment, HttpSource};
///
/// let source = HttpSource::new(hf_client::HfClient::from_env()?);
/// let enrichment = HfEnrichment::new(source, EnrichmentOptions::default());
/// let outcome = enrichment.enrich(&models).await;
/// for failure in &outcome.failures {
///     eprintln!("{:?} {}: {}", failure.kind, failure.id, failure.error);
/// }
/// # Ok(()) }
/// ```
pub struct HfEnrichment<S> {
    source: S,
    options: EnrichmentOptions,
    progress: Option<Arc<ProgressFn>>,
    extraction_time: String,
    lineage_edges: LineageEdges,
}

impl<S> std::fmt::Debug for HfEnrichment<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HfEnrichment")
            .field("options", &self.options)
            .field("progress", &self.progress.is_some())
            .field("extraction_time", &self.extraction_time)
            .field("lineage_edges", &self.lineage_edges)
            .finish_non_exhaustive()
    }
}

impl<S: MetadataSource> HfEnrichment<S> {
    /// Enrichment through `source`. Records say they were extracted now; see
    /// [`with_extraction_time`](Self::with_extraction_time).
    pub fn new(source: S, options: EnrichmentOptions) -> Self {
        Self {
            source,
            options,
            progress: None,
            extraction_time: jiff::Timestamp::now().to_string(),
            lineage_edges: LineageEdges::All,
        }
    }

    /// Which links the lineages followed keep in [`Lineage::edges`] (default: all).
    pub fn with_lineage_edges(mut self, edges: LineageEdges) -> Self {
        self.lineage_edges = edges;
        self
    }

    /// The `extraction_time` every record carries (a run's start, RFC 3339), so that every file
    /// of a run says the same.
    pub fn with_extraction_time(mut self, time: impl Into<String>) -> Self {
        self.extraction_time = time.into();
        self
    }

    /// The `extraction_time` records carry.
    pub fn extraction_time(&self) -> &str {
        &self.extraction_time
    }

    /// Calls `progress` as entities are fetched (from any task: keep it quick).
    pub fn with_progress(
        mut self,
        progress: impl Fn(ProgressEvent) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The options.
    pub fn options(&self) -> EnrichmentOptions {
        self.options
    }

    /// [`enrich`](Self::enrich) over the models of a JSON file: a run folder's `hf_models.json`
    /// (an array of [`ModelRecord`]s), or an array of [`FetchedModel`]s.
    pub async fn enrich_from_models_json(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<EnrichmentOutcome, EnrichError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        // One read at the start of a run: blocking briefly is fine.
        let text = std::fs::read_to_string(path).map_err(|source| EnrichError::Io {
            path: shown.clone(),
            source,
        })?;
        let models: Vec<FetchedModel> = match serde_json::from_str::<Vec<ModelRecord>>(&text) {
            Ok(records) => records.iter().map(ModelRecord::to_fetched_model).collect(),
            Err(_) => serde_json::from_str(&text).map_err(|source| EnrichError::Json {
                path: shown,
                source,
            })?,
        };
        Ok(self.enrich(&models).await)
    }

    /// Identifies, follows the lineage, and fetches every entity. Never fails: what cannot be
    /// fetched is recorded. The same input and source answers give the same output.
    ///
    /// The steps are public too ([`ancestors`](Self::ancestors), then one per kind), so an
    /// orchestrator can materialise them one at a time.
    pub async fn enrich(&self, models: &[FetchedModel]) -> EnrichmentOutcome {
        let (lineage, mut identified) = self.ancestors(models).await;
        // Legacy dataset ids are learnt before the references are final: one record per dataset.
        let resolved = self.resolve_datasets(&identified).await;
        resolved.canonicalise_run(&mut identified);
        let (datasets, articles, keywords, licenses, tasks) = tokio::join!(
            self.datasets_resolved(&identified, &resolved),
            self.articles(&identified),
            self.keywords(&identified),
            self.licenses(&identified),
            self.tasks(&identified),
        );
        let languages = self.languages(&identified);

        let mut failures = Vec::new();
        let mut fail = |kind, id: &str, error: &Option<SourceError>| {
            if let Some(error) = error {
                failures.push(EntityFailure {
                    kind,
                    id: id.to_owned(),
                    error: error.clone(),
                });
            }
        };
        for d in &datasets {
            fail(EntityKind::Datasets, &d.id, &d.error);
        }
        for a in &articles {
            fail(EntityKind::Articles, &a.id, &a.error);
        }
        for s in &lineage.stubs {
            fail(EntityKind::BaseModels, &s.id, &Some(s.error.clone()));
        }
        for k in &keywords {
            fail(EntityKind::Keywords, &k.id, &k.error);
        }
        failures.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));

        let ids = &identified.ids;
        let mut counts: BTreeMap<EntityKind, EntityCounts> = BTreeMap::new();
        for kind in EntityKind::ALL {
            let enriched = match kind {
                EntityKind::Datasets => datasets.iter().filter(|e| e.enriched).count(),
                EntityKind::Articles => articles.iter().filter(|e| e.enriched).count(),
                EntityKind::BaseModels => count_parents_read(&identified, models, &lineage),
                EntityKind::Keywords => keywords.iter().filter(|e| e.enriched).count(),
                EntityKind::Licenses => licenses.iter().filter(|e| e.enriched).count(),
                EntityKind::Languages => languages.iter().filter(|e| e.enriched).count(),
                EntityKind::Tasks => tasks.tasks.iter().filter(|e| e.enriched).count(),
            };
            counts.insert(
                kind,
                EntityCounts {
                    identified: ids.get(kind).len(),
                    enriched,
                    failed: failures.iter().filter(|f| f.kind == kind).count(),
                },
            );
        }
        tracing::info!(failures = failures.len(), "enrichment done");
        EnrichmentOutcome {
            identified,
            lineage,
            datasets,
            articles,
            keywords,
            licenses,
            languages,
            tasks: tasks.tasks,
            task_source: tasks.source,
            task_fallback_reason: tasks.fallback_reason,
            failures,
            counts,
        }
    }

    /// Step 1: identify the run's models, follow their lineage, and identify the parents read.
    pub async fn ancestors(&self, models: &[FetchedModel]) -> (Lineage, IdentifiedRun) {
        self.ancestors_beside(models, &[]).await
    }

    /// [`Self::ancestors`] of some of the run's models (a shard's), `beside` the others: a
    /// model of the run is never fetched as a parent, whichever process follows its lineage.
    pub async fn ancestors_beside(
        &self,
        models: &[FetchedModel],
        beside: &[FetchedModel],
    ) -> (Lineage, IdentifiedRun) {
        let mut refs = RunIdentified::default();
        for model in models {
            refs.insert(&model.id, identify_model(model));
        }
        tracing::info!(models = models.len(), "identified the run's models");
        let keys: Vec<ModelKey> = models.iter().map(ModelKey::of).collect();
        let beside: Vec<ModelKey> = beside.iter().map(ModelKey::of).collect();
        let Ok(lineage) = self
            .ancestors_of_identified(&keys, &beside, &mut refs)
            .await;
        (lineage, IdentifiedRun::from_refs(refs))
    }

    /// The lineage of the run's `models` known by their ids, `beside` the run's others (as in
    /// [`ancestors_beside`](Self::ancestors_beside)), given what was identified in them
    /// (`refs`): the parents read. Each parent's references are added to `refs`, and every
    /// base-model reference there to a model of the run or a parent read is named by its
    /// canonical id. The first error adding a parent's references ends it.
    pub async fn ancestors_of_identified<R, K>(
        &self,
        models: &[K],
        beside: &[K],
        refs: &mut R,
    ) -> Result<Lineage, R::Error>
    where
        R: RunReferences + Send + Sync,
        K: AsRef<ModelKey> + Sync,
    {
        let (mut lineage, parents_found) = self.ancestors_of(models, beside, refs).await;
        for (id, found) in parents_found {
            refs.add_parent(&id, found)?;
        }
        // A reference to a model of the run in another shard is canonicalised too; so is a
        // namespace-less id no model read is known by, once the Hub said what it is called now.
        let parents: Vec<ModelKey> = lineage.models.iter().map(ModelKey::of).collect();
        let read: Vec<&ModelKey> = models
            .iter()
            .chain(beside)
            .map(K::as_ref)
            .chain(&parents)
            .collect();
        lineage.renamed = resolve_legacy_parents(
            &self.source,
            refs.all_base_models(),
            &read,
            &lineage.stubs,
            self.options.threads,
        )
        .await;
        let renamed = lineage.renamed_keys();
        canonicalise_base_models(refs, read.into_iter().chain(&renamed));
        Ok(lineage)
    }

    /// The lineage of models known by their ids only, with their base models already
    /// identified (`first`), `beside` the run's other models (as in
    /// [`ancestors_beside`](Self::ancestors_beside)): the parents read and what was identified
    /// in each of them. Holds no card of the run's models.
    pub async fn ancestors_of<K: AsRef<ModelKey> + Sync>(
        &self,
        models: &[K],
        beside: &[K],
        first: &(impl BaseModelsById + Sync + ?Sized),
    ) -> (Lineage, Vec<(String, Identified)>) {
        let threads = self.options.threads.max(1);
        let how = Following {
            iterations: self.options.base_model_iterations,
            threads,
            edges: self.lineage_edges,
            progress: self.progress.as_deref(),
        };
        let (lineage, lineage_found) = follow(&self.source, models, beside, first, how).await;
        tracing::info!(
            parents = lineage.models.len(),
            stubs = lineage.stubs.len(),
            "lineage followed"
        );
        (lineage, lineage_found)
    }

    /// The language records (resolved offline).
    pub fn languages(&self, identified: &IdentifiedRun) -> Vec<LanguageEntity> {
        self.languages_with(identified, std::iter::empty::<&str>())
    }

    /// The language records of the identified codes and of `more` codes (those detected in the
    /// READMEs, [`crate::readme_languages`]): one record per distinct code, sorted.
    pub fn languages_with<'a>(
        &self,
        identified: &'a IdentifiedRun,
        more: impl IntoIterator<Item = &'a str>,
    ) -> Vec<LanguageEntity> {
        let codes: std::collections::BTreeSet<&str> = identified
            .ids
            .languages
            .iter()
            .map(String::as_str)
            .chain(more)
            .collect();
        codes
            .into_iter()
            .map(|id| LanguageEntity::new(id, resolve_language(id), &self.extraction_time))
            .collect()
    }

    /// The task records, from the source's task catalog.
    pub async fn tasks(&self, identified: &IdentifiedRun) -> TaskEntities {
        let catalog = self.source.tasks().await;
        let tasks = identified
            .ids
            .tasks
            .iter()
            .map(|id| {
                TaskEntity::new(
                    id,
                    catalog.get(id).cloned(),
                    catalog.source,
                    &self.extraction_time,
                )
            })
            .collect();
        TaskEntities {
            tasks,
            source: catalog.source,
            fallback_reason: catalog.fallback_reason,
        }
    }

    fn report(&self, kind: EntityKind, done: usize, total: usize) {
        if let Some(f) = &self.progress {
            f(ProgressEvent {
                kind,
                done,
                total,
                iteration: None,
            });
        }
    }

    /// The dataset records: info and Croissant, `threads` in flight.
    pub async fn datasets(&self, identified: &IdentifiedRun) -> Vec<DatasetEntity> {
        self.datasets_resolved(identified, &ResolvedDatasets::default())
            .await
    }

    /// The dataset records of a run whose legacy ids were resolved
    /// ([`resolve_datasets`](Self::resolve_datasets)): the answers `resolved` holds are used,
    /// not fetched again; each record lists the legacy ids its dataset was named by.
    pub async fn datasets_resolved(
        &self,
        identified: &IdentifiedRun,
        resolved: &ResolvedDatasets,
    ) -> Vec<DatasetEntity> {
        let mut out = Vec::new();
        self.each_dataset(identified, resolved, |entity| out.push(entity))
            .await;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The dataset records of [`datasets_resolved`](Self::datasets_resolved), each handed to
    /// `each` as soon as it is made (in the order the answers come, not sorted): for a caller
    /// that keeps them elsewhere than in memory (a dataset's record holds its whole Croissant
    /// document).
    pub async fn each_dataset(
        &self,
        identified: &IdentifiedRun,
        resolved: &ResolvedDatasets,
        mut each: impl FnMut(DatasetEntity),
    ) {
        let ids = &identified.ids.datasets;
        let threads = self.options.threads.max(1);
        let total = ids.len();
        self.report(EntityKind::Datasets, 0, total);
        let mut done = 0usize;
        // Owned ids: a closure over borrowed ones would keep the run's future from being
        // provably `Send` (rust-lang/rust#102211).
        futures::stream::iter(ids.iter().cloned())
            .map(|id: String| async move {
                let id = id.as_str();
                let fetched = match resolved.answer(id) {
                    Some(answer) => answer,
                    None => self.source.dataset(id).await,
                };
                if let Err(error) = &fetched {
                    tracing::warn!(dataset = %id, %error, "dataset not fetched");
                }
                let mut entity = DatasetEntity::new(id, fetched, &self.extraction_time);
                entity.aliases = resolved.aliases(id);
                entity
            })
            .buffer_unordered(threads)
            .for_each(|entity| {
                done += 1;
                self.report(EntityKind::Datasets, done, total);
                each(entity);
                std::future::ready(())
            })
            .await;
    }

    /// The article records: arXiv papers (batched and paced by the source); DOIs are listed,
    /// not fetched.
    pub async fn articles(&self, identified: &IdentifiedRun) -> Vec<ArticleEntity> {
        let mut articles = Vec::new();
        self.each_article(identified, |article| articles.push(article))
            .await;
        articles
    }

    /// The records of [`articles`](Self::articles), each handed to `each` as soon as it is made,
    /// sorted by id: for a caller that keeps them elsewhere than in memory (a paper's record
    /// holds its abstract and authors, and a large run cites tens of thousands of papers).
    pub async fn each_article(
        &self,
        identified: &IdentifiedRun,
        mut each: impl FnMut(ArticleEntity),
    ) {
        let mut kinds: BTreeMap<&str, ArticleKind> = BTreeMap::new();
        for refs in identified.refs.articles.values() {
            for r in refs {
                kinds.entry(r.id.as_str()).or_insert(r.kind);
            }
        }
        let arxiv: Vec<String> = kinds
            .iter()
            .filter(|(_, k)| **k == ArticleKind::Arxiv)
            .map(|(id, _)| (*id).to_owned())
            .collect();
        let total = arxiv.len();
        self.report(EntityKind::Articles, 0, total);
        let mut papers = self.source.papers(&arxiv).await;
        drop(arxiv);
        self.report(EntityKind::Articles, total, total);
        for (id, kind) in kinds {
            let (fetched, skipped) = match kind {
                ArticleKind::Doi => (None, Some(DOI_NOT_FETCHED.to_owned())),
                _ => match papers.remove(id) {
                    Some(Ok(paper)) => (Some(Ok(paper)), None),
                    Some(Err(error)) => {
                        tracing::warn!(article = %id, %error, "paper not fetched");
                        (Some(Err(error)), None)
                    }
                    None => (
                        Some(Err(SourceError::new(
                            crate::source::SourceErrorKind::Transport,
                            format!("the source gave no answer for {id}"),
                        ))),
                        None,
                    ),
                },
            };
            each(ArticleEntity::new(
                id,
                kind,
                fetched,
                skipped,
                &self.extraction_time,
            ));
        }
    }

    /// The keyword records, from the tag vocabulary (fetched once).
    pub async fn keywords(&self, identified: &IdentifiedRun) -> Vec<KeywordEntity> {
        let ids = &identified.ids.keywords;
        if ids.is_empty() {
            return Vec::new();
        }
        self.report(EntityKind::Keywords, 0, ids.len());
        let vocabulary = self.source.tag_vocabulary().await;
        if let Err(error) = &vocabulary {
            tracing::warn!(%error, "tag vocabulary not fetched");
        }
        self.report(EntityKind::Keywords, ids.len(), ids.len());
        ids.iter()
            .map(|id| {
                let tag = match &vocabulary {
                    Ok(v) => Ok(v.get(id).cloned()),
                    Err(error) => Err(error.clone()),
                };
                KeywordEntity::new(id, tag, &self.extraction_time)
            })
            .collect()
    }

    /// The license records, resolved against the source's SPDX list and the Hub's own ids.
    pub async fn licenses(&self, identified: &IdentifiedRun) -> Vec<LicenseEntity> {
        if identified.ids.licenses.is_empty() {
            return Vec::new();
        }
        let resolver = self.source.license_resolver().await;
        // The first license_name / license_link seen for each id, in model order, and whether
        // every reference names a custom license (`license: other` with that `license_name`).
        let mut named: BTreeMap<&str, (Option<&str>, Option<&str>, bool)> = BTreeMap::new();
        for refs in identified.refs.licenses.values() {
            for r in refs {
                let entry = named.entry(r.id.as_str()).or_insert((None, None, true));
                entry.0 = entry.0.or(r.license_name.as_deref());
                entry.1 = entry.1.or(r.license_link.as_deref());
                entry.2 &= r.custom;
            }
        }
        identified
            .ids
            .licenses
            .iter()
            .map(|id| {
                let (name, link, custom) = named.get(id.as_str()).copied().unwrap_or_default();
                let record = if custom {
                    // A custom license, identified by its name: kind Other, with the card's name
                    // and link, whatever list the name happens to match.
                    let mut record = resolver.resolve("other", name, link);
                    record.id.clone_from(id);
                    record
                } else {
                    resolver.resolve(id, name, link)
                };
                LicenseEntity::new(id, record, &self.extraction_time)
            })
            .collect()
    }
}

/// How many identified base models have a record: a model of the run or a parent read (by id or
/// alias, case-insensitively).
fn count_parents_read(
    identified: &IdentifiedRun,
    models: &[FetchedModel],
    lineage: &Lineage,
) -> usize {
    let known: std::collections::BTreeSet<String> = models
        .iter()
        .chain(&lineage.models)
        .flat_map(|m| std::iter::once(&m.id).chain(&m.aliases))
        .map(|id| id.to_ascii_lowercase())
        .collect();
    identified
        .ids
        .base_models
        .iter()
        .filter(|id| known.contains(&id.to_ascii_lowercase()))
        .count()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use hf_client::arxiv::ArxivPaper;
    use hf_client::datasets::DatasetInfo;
    use hf_client::tags::TagVocabulary;
    use hf_client::wire::ModelInfo;
    use serde_json::{Value, json};

    use super::*;
    use crate::models::ModelSource;
    use crate::source::{FetchedDataset, InMemorySource, SourceErrorKind};

    fn model(info: Value) -> FetchedModel {
        let info: ModelInfo = serde_json::from_value(info).unwrap();
        FetchedModel::new(info, None, ModelSource::Latest)
    }

    fn run() -> Vec<FetchedModel> {
        vec![
            model(json!({
                "id": "run/b",
                "pipeline_tag": "text-classification",
                "tags": ["dataset:org/missing-ds", "arxiv:2106.09685", "region:us", "license:mit"],
                "cardData": {"base_model": "org/gone", "language": ["en"]},
            })),
            model(json!({
                "id": "run/a",
                "pipeline_tag": "text-generation",
                "tags": [
                    "dataset:org/ok-ds", "dataset:org/gated-ds", "arxiv:1706.03762",
                    "doi:10.57967/hf/0181", "endpoints_compatible", "license:mit",
                ],
                "cardData": {
                    "base_model": "org/parent",
                    "base_model_relation": "finetune",
                    "license": "not-a-license-xyz",
                    "language": ["fr", "zzz-not-a-language"],
                },
            })),
        ]
    }

    fn source() -> InMemorySource {
        let mut paper = ArxivPaper::default();
        paper.id = "1706.03762".into();
        paper.title = "Attention Is All You Need".into();
        let vocabulary: TagVocabulary = serde_json::from_value(json!({
            "region": [{"id": "region:us", "label": "🇺🇸 Region: US"}],
        }))
        .unwrap();
        let ds: DatasetInfo = serde_json::from_value(json!({"id": "org/ok-ds"})).unwrap();
        let parent_ds: DatasetInfo =
            serde_json::from_value(json!({"id": "org/parent-ds"})).unwrap();
        InMemorySource::new()
            .with_model(model(json!({
                "id": "org/parent",
                "tags": ["dataset:org/parent-ds", "license:apache-2.0"],
            })))
            .with_dataset(FetchedDataset::new(ds))
            .with_dataset(FetchedDataset::new(parent_ds))
            .fail_dataset("org/gated-ds", SourceError::gated("gated repository"))
            .with_paper(paper)
            .with_tag_vocabulary(vocabulary)
    }

    fn options() -> EnrichmentOptions {
        EnrichmentOptions {
            threads: 3,
            base_model_iterations: 1,
        }
    }

    #[tokio::test]
    async fn partial_failures_are_records_and_listed() {
        let enrichment = HfEnrichment::new(source(), options());
        let out = enrichment.enrich(&run()).await;

        // Lineage: the parent was read and identified; the missing one is a stub.
        assert_eq!(out.lineage.models.len(), 1);
        assert_eq!(out.lineage.stubs[0].id, "org/gone");
        assert!(out.identified.refs.datasets.contains_key("org/parent"));

        let datasets: Vec<(&str, bool, Option<SourceErrorKind>)> = out
            .datasets
            .iter()
            .map(|d| (d.id.as_str(), d.enriched, d.error.as_ref().map(|e| e.kind)))
            .collect();
        assert_eq!(
            datasets,
            [
                ("org/gated-ds", false, Some(SourceErrorKind::Gated)),
                ("org/missing-ds", false, Some(SourceErrorKind::NotFound)),
                ("org/ok-ds", true, None),
                ("org/parent-ds", true, None),
            ]
        );

        let articles: Vec<(&str, bool, bool, bool)> = out
            .articles
            .iter()
            .map(|a| {
                (
                    a.id.as_str(),
                    a.enriched,
                    a.error.is_some(),
                    a.skipped.is_some(),
                )
            })
            .collect();
        assert_eq!(
            articles,
            [
                ("10.57967/hf/0181", false, false, true),
                ("1706.03762", true, false, false),
                ("2106.09685", false, true, false),
            ]
        );

        let licenses: Vec<(&str, bool)> = out
            .licenses
            .iter()
            .map(|l| (l.id.as_str(), l.enriched))
            .collect();
        assert!(licenses.contains(&("mit", true)));
        assert!(licenses.contains(&("apache-2.0", true)));
        assert!(licenses.contains(&("not-a-license-xyz", false)));

        let languages: Vec<(&str, bool)> = out
            .languages
            .iter()
            .map(|l| (l.id.as_str(), l.enriched))
            .collect();
        assert!(languages.contains(&("en", true)));
        assert!(languages.contains(&("fr", true)));

        let tasks: Vec<(&str, bool)> = out
            .tasks
            .iter()
            .map(|t| (t.id.as_str(), t.enriched))
            .collect();
        assert_eq!(
            tasks,
            [("text-classification", true), ("text-generation", true)]
        );
        assert_eq!(out.task_source, TaskSource::Embedded);

        let region = out.keywords.iter().find(|k| k.id == "region:us").unwrap();
        assert!(region.enriched);
        assert_eq!(region.tag.as_ref().unwrap().label, "🇺🇸 Region: US");

        let failures: Vec<(EntityKind, &str, SourceErrorKind)> = out
            .failures
            .iter()
            .map(|f| (f.kind, f.id.as_str(), f.error.kind))
            .collect();
        assert_eq!(
            failures,
            [
                (EntityKind::Datasets, "org/gated-ds", SourceErrorKind::Gated),
                (
                    EntityKind::Datasets,
                    "org/missing-ds",
                    SourceErrorKind::NotFound
                ),
                (
                    EntityKind::Articles,
                    "2106.09685",
                    SourceErrorKind::NotFound
                ),
                (
                    EntityKind::BaseModels,
                    "org/gone",
                    SourceErrorKind::NotFound
                ),
            ]
        );
        let datasets = out.counts[&EntityKind::Datasets];
        assert_eq!(
            datasets,
            EntityCounts {
                identified: 4,
                enriched: 2,
                failed: 2
            }
        );
        let base = out.counts[&EntityKind::BaseModels];
        assert_eq!(
            base,
            EntityCounts {
                identified: 2,
                enriched: 1,
                failed: 1
            }
        );
        // One record per distinct id, for every kind.
        assert_eq!(out.datasets.len(), out.identified.ids.datasets.len());
        assert_eq!(out.keywords.len(), out.identified.ids.keywords.len());
        assert_eq!(out.languages.len(), out.identified.ids.languages.len());
    }

    #[tokio::test]
    async fn a_failed_tag_vocabulary_fails_every_keyword() {
        let source = source().fail_tag_vocabulary(SourceError::new(
            SourceErrorKind::Transport,
            "connection reset",
        ));
        let out = HfEnrichment::new(source, options()).enrich(&run()).await;
        assert!(!out.keywords.is_empty());
        assert!(
            out.keywords
                .iter()
                .all(|k| !k.enriched && k.error.is_some())
        );
        assert_eq!(out.counts[&EntityKind::Keywords].failed, out.keywords.len());
    }

    #[tokio::test]
    async fn the_same_input_gives_the_same_output() {
        let mut reversed = run();
        reversed.reverse();
        let time = "2026-11-27T12:00:00Z";
        let a = HfEnrichment::new(source(), options())
            .with_extraction_time(time)
            .enrich(&run())
            .await;
        let b = HfEnrichment::new(
            source(),
            EnrichmentOptions {
                threads: 1,
                ..options()
            },
        )
        .with_extraction_time(time)
        .enrich(&reversed)
        .await;
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        // And it round-trips.
        let back: EnrichmentOutcome =
            serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[tokio::test]
    async fn no_lineage_with_zero_iterations_and_each_vocabulary_once() {
        let source = Arc::new(source());
        let out = HfEnrichment::new(
            source.clone(),
            EnrichmentOptions {
                threads: 2,
                base_model_iterations: 0,
            },
        )
        .enrich(&run())
        .await;
        assert_eq!(out.lineage, Lineage::default());
        assert!(!out.identified.refs.datasets.contains_key("org/parent"));
        let requests = source.requests();
        assert!(!requests.iter().any(|r| r.starts_with("model:")));
        for once in ["tags", "tasks", "licenses"] {
            assert_eq!(requests.iter().filter(|r| *r == once).count(), 1, "{once}");
        }
        assert_eq!(
            requests.iter().filter(|r| r.starts_with("papers:")).count(),
            1
        );
    }

    #[tokio::test]
    async fn progress_is_reported_per_kind() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        let out = HfEnrichment::new(source(), options())
            .with_progress(move |e| seen.lock().unwrap().push(e))
            .enrich(&run())
            .await;
        let events = events.lock().unwrap();
        let last_datasets = events
            .iter()
            .rev()
            .find(|e| e.kind == EntityKind::Datasets)
            .unwrap();
        assert_eq!(last_datasets.done, out.datasets.len());
        assert_eq!(last_datasets.total, out.datasets.len());
        assert!(
            events
                .iter()
                .any(|e| e.kind == EntityKind::BaseModels && e.iteration == Some(1))
        );
    }

    #[tokio::test]
    async fn models_from_a_json_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("models.json");
        std::fs::write(&path, serde_json::to_string(&run()).unwrap()).unwrap();
        let enrichment = HfEnrichment::new(source(), options());
        let from_file = enrichment.enrich_from_models_json(&path).await.unwrap();
        assert_eq!(from_file, enrichment.enrich(&run()).await);
        std::fs::write(&path, "{}").unwrap();
        assert!(matches!(
            enrichment.enrich_from_models_json(&path).await,
            Err(EnrichError::Json { .. })
        ));
    }

    #[tokio::test]
    async fn a_custom_license_is_its_own_record_of_kind_other() {
        use hf_client::licenses::LicenseKind;
        let custom = |id: &str, name: &str, link: &str| {
            model(json!({
                "id": id,
                "tags": ["license:other"],
                "cardData": {"license": "other", "license_name": name, "license_link": link},
            }))
        };
        let models = vec![
            custom(
                "run/a",
                "Gemma Terms of Use",
                "https://ai.google.dev/gemma/terms",
            ),
            custom(
                "run/b",
                "gemma terms of use",
                "https://elsewhere.example/terms",
            ),
            custom("run/c", "llama3", "https://llama.meta.com/llama3/license"),
            model(json!({"id": "run/d", "tags": ["license:other"]})),
        ];
        let enrichment = HfEnrichment::new(InMemorySource::new(), options());
        let out = enrichment.enrich(&models).await;
        let records: Vec<(&str, LicenseKind, Option<&str>, Option<&str>)> = out
            .licenses
            .iter()
            .map(|l| {
                (
                    l.id.as_str(),
                    l.record.kind,
                    l.keys.name.as_str().into(),
                    l.keys.url.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            records,
            [
                (
                    "gemma-terms-of-use",
                    LicenseKind::Other,
                    Some("Gemma Terms of Use"),
                    Some("https://ai.google.dev/gemma/terms")
                ),
                (
                    "llama3",
                    LicenseKind::Other,
                    Some("llama3"),
                    Some("https://llama.meta.com/llama3/license")
                ),
                ("other", LicenseKind::Other, Some("Other"), None),
            ]
        );
        // The identity rule: one record per id, its id the hash of (License, id).
        for l in &out.licenses {
            assert_eq!(
                l.mlentory_id,
                crate::mlentory::EntityType::License.id(&l.id)
            );
            assert_eq!(l.record.id, l.id);
        }

        // Declared as the Hub's own id by another model, `llama3` resolves from the Hub's list.
        let mut mixed = models;
        mixed.push(model(
            json!({"id": "run/e", "cardData": {"license": "llama3"}}),
        ));
        let out = enrichment.enrich(&mixed).await;
        let llama = out.licenses.iter().find(|l| l.id == "llama3").unwrap();
        assert_eq!(llama.record.kind, LicenseKind::HubSpecific);
    }
}
