//! Where enrichment reads metadata from: the [`MetadataSource`] trait, implemented over HTTP by
//! [`HttpSource`] (the Hub, arXiv) and in memory by [`InMemorySource`] (tests, replays).
//!
//! Every fetch answers with data or a [`SourceError`]: a small, cloneable, serialisable error
//! that a run records beside the entity it could not fetch.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hf_client::HfClient;
use hf_client::arxiv::{ArxivError, ArxivPaper, ArxivResults};
use hf_client::datasets::{Croissant, DatasetInfo, DatasetRecord};
use hf_client::licenses::LicenseResolver;
use hf_client::tags::{TagVocabulary, TagVocabularyCache};
use hf_client::tasks::TaskCatalog;
use serde::{Deserialize, Serialize};

use crate::models::{FetchedModel, ModelSource, model_by_id};

/// What kind of failure a [`SourceError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceErrorKind {
    /// The entity does not exist (or is private): HTTP 404, arXiv without the paper.
    NotFound,
    /// The repository is gated and the token has no access.
    Gated,
    /// The token is missing, invalid or lacks the rights (401/403).
    Unauthorized,
    /// The Hub disabled the repository.
    Disabled,
    /// HTTP 429 after the retry budget.
    RateLimited,
    /// Any other unsuccessful HTTP status.
    Http,
    /// No answer: connection refused or reset, timeout, a bad redirect.
    Transport,
    /// An answer that could not be read.
    Decode,
    /// The id is not valid for the source (a malformed arXiv id, a local path); nothing was asked.
    Invalid,
}

impl SourceErrorKind {
    /// The kind's name, as serialised (`not_found`, `gated`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Gated => "gated",
            Self::Unauthorized => "unauthorized",
            Self::Disabled => "disabled",
            Self::RateLimited => "rate_limited",
            Self::Http => "http",
            Self::Transport => "transport",
            Self::Decode => "decode",
            Self::Invalid => "invalid",
        }
    }
}

/// Why an entity could not be fetched. Cloneable and serialisable, so it can be stored in the
/// entity's record and in the run's list of failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("{}: {message}", kind.as_str())]
pub struct SourceError {
    /// What kind of failure.
    pub kind: SourceErrorKind,
    /// The HTTP status, when a server answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong, in words (never contains the token).
    pub message: String,
}

impl SourceError {
    /// An error of `kind` without a status.
    pub fn new(kind: SourceErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// A not-found error (status 404).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(SourceErrorKind::NotFound, message).with_status(404)
    }

    /// A gated-repository error (status 403).
    pub fn gated(message: impl Into<String>) -> Self {
        Self::new(SourceErrorKind::Gated, message).with_status(403)
    }

    /// The same error with an HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// True for [`SourceErrorKind::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.kind == SourceErrorKind::NotFound
    }
}

impl From<&hf_client::Error> for SourceError {
    fn from(error: &hf_client::Error) -> Self {
        use hf_client::Error as E;
        let kind = match error {
            E::NotFound { .. } => SourceErrorKind::NotFound,
            E::Gated { .. } => SourceErrorKind::Gated,
            E::Unauthorized { .. } => SourceErrorKind::Unauthorized,
            E::Disabled { .. } => SourceErrorKind::Disabled,
            E::RateLimited { .. } => SourceErrorKind::RateLimited,
            E::Http { .. } => SourceErrorKind::Http,
            E::Decode { .. } => SourceErrorKind::Decode,
            E::Config(_) => SourceErrorKind::Invalid,
            // Transport, Redirect, and variants added later.
            _ => SourceErrorKind::Transport,
        };
        Self {
            kind,
            status: error.status().map(|s| s.as_u16()),
            // Stable from run to run (no URL, request id or body): records are compared
            // across runs. The full error is logged where it happens.
            message: error.summary(),
        }
    }
}

impl From<hf_client::Error> for SourceError {
    fn from(error: hf_client::Error) -> Self {
        Self::from(&error)
    }
}

impl From<&ArxivError> for SourceError {
    fn from(error: &ArxivError) -> Self {
        match error {
            ArxivError::NotFound { .. } => Self::new(SourceErrorKind::NotFound, error.to_string()),
            ArxivError::InvalidId(_) => Self::new(SourceErrorKind::Invalid, error.to_string()),
            ArxivError::Rejected { .. } => {
                Self::new(SourceErrorKind::Invalid, error.to_string()).with_status(400)
            }
            ArxivError::Failed { id, source } => Self {
                message: format!("{id}: {}", source.summary()),
                ..Self::from(source.as_ref())
            },
            _ => Self::new(SourceErrorKind::Transport, error.to_string()),
        }
    }
}

/// A dataset as fetched: its info and, when the Hub has it, its Croissant metadata.
///
/// The crate's own type (rather than [`DatasetRecord`], which only `hf-client` can build) so an
/// in-memory source can produce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchedDataset {
    /// The id that was asked.
    pub requested_id: String,
    /// The canonical id (where a redirect of a renamed repo led).
    pub id: String,
    /// `GET /api/datasets/{id}`.
    pub info: DatasetInfo,
    /// The info answer's `ETag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `GET /api/datasets/{id}/croissant`, when it answered with a Croissant document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub croissant: Option<Croissant>,
    /// Why there is no Croissant, when there is none (not a failure: only datasets converted to
    /// Parquet have one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub croissant_error: Option<String>,
}

impl FetchedDataset {
    /// A dataset found under its own id, without Croissant metadata.
    pub fn new(info: DatasetInfo) -> Self {
        Self {
            requested_id: info.id.clone(),
            id: info.id.clone(),
            info,
            etag: None,
            croissant: None,
            croissant_error: None,
        }
    }
}

impl From<DatasetRecord> for FetchedDataset {
    fn from(record: DatasetRecord) -> Self {
        Self {
            requested_id: record.info.requested_id,
            id: crate::models::canonical_repo_id(
                &record.info.id,
                record.info.info.author.as_deref(),
            ),
            info: record.info.info,
            etag: record.info.etag,
            croissant: record.croissant,
            croissant_error: record.croissant_error,
        }
    }
}

/// Where enrichment reads metadata from.
///
/// Implemented by [`HttpSource`] (the Hub and arXiv) and [`InMemorySource`] (tests), and by
/// [`Prefetched`](crate::prefetched::Prefetched) over any of them (what a
/// [`Lookahead`](crate::lookahead::Lookahead) fetched ahead first). Fetches of single entities
/// fail with a [`SourceError`]; the vocabularies (licenses, tasks) always answer, falling back
/// to embedded copies. `hf-enrich/tests/conformance.rs` checks what every source answers.
#[async_trait]
pub trait MetadataSource: Send + Sync {
    /// One model by id, with [`MODEL_PROPERTIES`](crate::models::MODEL_PROPERTIES) and its card;
    /// `sources` is `{lineage}`, and an asked id answered through a redirect is an alias.
    async fn model(&self, id: &str) -> Result<FetchedModel, SourceError>;

    /// What the Hub calls model `id` now: where a redirect led, or `author/name` for a legacy
    /// id answered as itself ([`canonical_repo_id`](crate::models::canonical_repo_id)). The
    /// default reads the whole [`model`](Self::model); a source that can should ask for less
    /// (the Hub: one info request, no card).
    async fn model_id(&self, id: &str) -> Result<String, SourceError> {
        self.model(id).await.map(|model| model.id)
    }

    /// One dataset by id: its info and Croissant metadata.
    async fn dataset(&self, id: &str) -> Result<FetchedDataset, SourceError>;

    /// arXiv papers by id (without version), all at once: one result per distinct asked id,
    /// keyed as asked.
    async fn papers(&self, ids: &[String]) -> BTreeMap<String, Result<ArxivPaper, SourceError>>;

    /// The license resolver (SPDX list and the Hub's own ids).
    async fn license_resolver(&self) -> LicenseResolver;

    /// The task catalog (the Hub's, or the embedded pipeline types).
    async fn tasks(&self) -> TaskCatalog;

    /// The models' tag vocabulary (`/api/models-tags-by-type`).
    async fn tag_vocabulary(&self) -> Result<Arc<TagVocabulary>, SourceError>;
}

#[async_trait]
impl<T: MetadataSource + ?Sized> MetadataSource for Arc<T> {
    async fn model(&self, id: &str) -> Result<FetchedModel, SourceError> {
        (**self).model(id).await
    }
    async fn model_id(&self, id: &str) -> Result<String, SourceError> {
        (**self).model_id(id).await
    }
    async fn dataset(&self, id: &str) -> Result<FetchedDataset, SourceError> {
        (**self).dataset(id).await
    }
    async fn papers(&self, ids: &[String]) -> BTreeMap<String, Result<ArxivPaper, SourceError>> {
        (**self).papers(ids).await
    }
    async fn license_resolver(&self) -> LicenseResolver {
        (**self).license_resolver().await
    }
    async fn tasks(&self) -> TaskCatalog {
        (**self).tasks().await
    }
    async fn tag_vocabulary(&self) -> Result<Arc<TagVocabulary>, SourceError> {
        (**self).tag_vocabulary().await
    }
}

/// The Hub and arXiv over HTTP, through an [`HfClient`].
///
/// The tag vocabulary is fetched once per source (a [`TagVocabularyCache`]): build one source
/// per run. To take what was fetched ahead first, wrap it in a
/// [`Prefetched`](crate::prefetched::Prefetched).
#[derive(Debug, Clone)]
pub struct HttpSource {
    client: HfClient,
    tags: TagVocabularyCache,
}

impl HttpSource {
    /// A source over `client`.
    pub fn new(client: HfClient) -> Self {
        Self {
            client,
            tags: TagVocabularyCache::for_models(),
        }
    }

    /// The client.
    pub fn client(&self) -> &HfClient {
        &self.client
    }
}

#[async_trait]
impl MetadataSource for HttpSource {
    async fn model(&self, id: &str) -> Result<FetchedModel, SourceError> {
        model_by_id(&self.client, id, ModelSource::Lineage)
            .await
            .map_err(SourceError::from)
    }

    async fn model_id(&self, id: &str) -> Result<String, SourceError> {
        let response = self
            .client
            .models()
            .info(id)
            .send()
            .await
            .map_err(SourceError::from)?;
        Ok(crate::models::canonical_repo_id(
            &response.id,
            response.info.author.as_deref(),
        ))
    }

    async fn dataset(&self, id: &str) -> Result<FetchedDataset, SourceError> {
        self.client
            .datasets()
            .fetch(id)
            .await
            .map(FetchedDataset::from)
            .map_err(SourceError::from)
    }

    async fn papers(&self, ids: &[String]) -> BTreeMap<String, Result<ArxivPaper, SourceError>> {
        if ids.is_empty() {
            return BTreeMap::new();
        }
        let mut found = self.client.arxiv().fetch(ids).await;
        tracing::debug!(
            ids = ids.len(),
            requests = found.requests,
            "arXiv papers fetched"
        );
        // Each paper moves into the answer (tens of thousands of them in a large run); an
        // answer two forms of an id share is copied for all but the last.
        let keys: Vec<String> = ids.iter().map(|id| ArxivResults::key(id)).collect();
        let mut left: HashMap<&str, usize> = HashMap::new();
        for key in &keys {
            *left.entry(key).or_default() += 1;
        }
        ids.iter()
            .zip(&keys)
            .map(|(id, key)| {
                let last = left.get_mut(key.as_str()).is_some_and(|n| {
                    *n -= 1;
                    *n == 0
                });
                let answer = if last {
                    found.take(id)
                } else {
                    found.get(id).cloned()
                };
                let result = match answer {
                    Some(Ok(paper)) => Ok(paper),
                    Some(Err(e)) => Err(SourceError::from(&e)),
                    None => Err(SourceError::new(
                        SourceErrorKind::Transport,
                        format!("arXiv gave no answer for {id}"),
                    )),
                };
                (id.clone(), result)
            })
            .collect()
    }

    async fn license_resolver(&self) -> LicenseResolver {
        self.client.licenses().resolver().await
    }

    async fn tasks(&self) -> TaskCatalog {
        self.client.tasks().list_or_embedded().await
    }

    async fn tag_vocabulary(&self) -> Result<Arc<TagVocabulary>, SourceError> {
        self.tags.get(&self.client).await.map_err(SourceError::from)
    }
}

/// Metadata held in memory: what tests (and replays of earlier runs) fetch from.
///
/// Unknown ids answer [`SourceErrorKind::NotFound`]; an id told to fail with
/// [`fail_model`](Self::fail_model) (and siblings) answers that error. Vocabularies default to
/// the embedded ones (licenses, tasks) and to an empty tag vocabulary. Every fetch is logged, in
/// order, in [`requests`](Self::requests).
#[derive(Debug, Default)]
pub struct InMemorySource {
    models: BTreeMap<String, FetchedModel>,
    datasets: BTreeMap<String, FetchedDataset>,
    papers: BTreeMap<String, ArxivPaper>,
    model_errors: BTreeMap<String, SourceError>,
    dataset_errors: BTreeMap<String, SourceError>,
    paper_errors: BTreeMap<String, SourceError>,
    tags: Option<Arc<TagVocabulary>>,
    tags_error: Option<SourceError>,
    tasks: Option<TaskCatalog>,
    licenses: Option<LicenseResolver>,
    requests: Mutex<Vec<String>>,
}

impl InMemorySource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a model, found under its id and each of its aliases (asked by an alias, it answers
    /// with that alias only, as a redirect would).
    pub fn with_model(mut self, model: FetchedModel) -> Self {
        for alias in &model.aliases {
            self.models.insert(alias.clone(), model.clone());
        }
        self.models.insert(model.id.clone(), model);
        self
    }

    /// Adds a dataset, found under its id and its `requested_id`.
    pub fn with_dataset(mut self, dataset: FetchedDataset) -> Self {
        if dataset.requested_id != dataset.id {
            self.datasets
                .insert(dataset.requested_id.clone(), dataset.clone());
        }
        self.datasets.insert(dataset.id.clone(), dataset);
        self
    }

    /// Adds an arXiv paper, found under its id.
    pub fn with_paper(mut self, paper: ArxivPaper) -> Self {
        self.papers.insert(paper.id.clone(), paper);
        self
    }

    /// Sets the tag vocabulary.
    pub fn with_tag_vocabulary(mut self, vocabulary: TagVocabulary) -> Self {
        self.tags = Some(Arc::new(vocabulary));
        self
    }

    /// Sets the task catalog (default: the embedded one).
    pub fn with_tasks(mut self, catalog: TaskCatalog) -> Self {
        self.tasks = Some(catalog);
        self
    }

    /// Sets the license resolver (default: the embedded SPDX list).
    pub fn with_license_resolver(mut self, resolver: LicenseResolver) -> Self {
        self.licenses = Some(resolver);
        self
    }

    /// Makes the model `id` fail with `error`.
    pub fn fail_model(mut self, id: impl Into<String>, error: SourceError) -> Self {
        self.model_errors.insert(id.into(), error);
        self
    }

    /// Makes the dataset `id` fail with `error`.
    pub fn fail_dataset(mut self, id: impl Into<String>, error: SourceError) -> Self {
        self.dataset_errors.insert(id.into(), error);
        self
    }

    /// Makes the arXiv paper `id` fail with `error`.
    pub fn fail_paper(mut self, id: impl Into<String>, error: SourceError) -> Self {
        self.paper_errors.insert(id.into(), error);
        self
    }

    /// Makes the tag vocabulary fail with `error`.
    pub fn fail_tag_vocabulary(mut self, error: SourceError) -> Self {
        self.tags_error = Some(error);
        self
    }

    /// Every fetch so far, in order: `model:{id}`, `dataset:{id}`, `papers:{ids,…}`, `tags`,
    /// `tasks`, `licenses`.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    fn log(&self, request: String) {
        match self.requests.lock() {
            Ok(mut r) => r.push(request),
            Err(poisoned) => poisoned.into_inner().push(request),
        }
    }
}

#[async_trait]
impl MetadataSource for InMemorySource {
    async fn model(&self, id: &str) -> Result<FetchedModel, SourceError> {
        self.log(format!("model:{id}"));
        if let Some(error) = self.model_errors.get(id) {
            return Err(error.clone());
        }
        let mut model = self
            .models
            .get(id)
            .cloned()
            .ok_or_else(|| SourceError::not_found(format!("model not found: {id}")))?;
        model.aliases.clear();
        if model.id != id {
            model.aliases.insert(id.to_owned());
        }
        model.sources = [ModelSource::Lineage].into();
        Ok(model)
    }

    async fn dataset(&self, id: &str) -> Result<FetchedDataset, SourceError> {
        self.log(format!("dataset:{id}"));
        if let Some(error) = self.dataset_errors.get(id) {
            return Err(error.clone());
        }
        let mut dataset = self
            .datasets
            .get(id)
            .cloned()
            .ok_or_else(|| SourceError::not_found(format!("dataset not found: {id}")))?;
        dataset.requested_id = id.to_owned();
        Ok(dataset)
    }

    async fn papers(&self, ids: &[String]) -> BTreeMap<String, Result<ArxivPaper, SourceError>> {
        self.log(format!("papers:{}", ids.join(",")));
        ids.iter()
            .map(|id| {
                let result = match (self.paper_errors.get(id), self.papers.get(id)) {
                    (Some(error), _) => Err(error.clone()),
                    (None, Some(paper)) => Ok(paper.clone()),
                    (None, None) => Err(SourceError::new(
                        SourceErrorKind::NotFound,
                        format!("arXiv has no paper {id}"),
                    )),
                };
                (id.clone(), result)
            })
            .collect()
    }

    async fn license_resolver(&self) -> LicenseResolver {
        self.log("licenses".into());
        self.licenses
            .clone()
            .unwrap_or_else(LicenseResolver::embedded)
    }

    async fn tasks(&self) -> TaskCatalog {
        self.log("tasks".into());
        self.tasks
            .clone()
            .unwrap_or_else(|| TaskCatalog::embedded(None))
    }

    async fn tag_vocabulary(&self) -> Result<Arc<TagVocabulary>, SourceError> {
        self.log("tags".into());
        if let Some(error) = &self.tags_error {
            return Err(error.clone());
        }
        Ok(self.tags.clone().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn client_and_arxiv_errors_keep_their_kind() {
        let config = SourceError::from(hf_client::Error::Config("bad endpoint".into()));
        assert_eq!(config.kind, SourceErrorKind::Invalid);
        assert_eq!(config.status, None);
        let missing = SourceError::from(&ArxivError::NotFound {
            id: "2106.09685".into(),
        });
        assert!(missing.is_not_found());
        let rejected = SourceError::from(&ArxivError::Rejected {
            id: "abc".into(),
            message: "incorrect id format for abc".into(),
        });
        assert_eq!(
            (rejected.kind, rejected.status),
            (SourceErrorKind::Invalid, Some(400))
        );
    }

    #[test]
    fn errors_serialise_with_snake_case_kinds() {
        let e = SourceError::gated("no access");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"kind": "gated", "status": 403, "message": "no access"})
        );
        assert_eq!(e.to_string(), "gated: no access");
    }

    #[tokio::test]
    async fn in_memory_answers_fail_and_log() {
        let dataset: DatasetInfo =
            serde_json::from_value(serde_json::json!({"id": "org/ds"})).unwrap();
        let source = InMemorySource::new()
            .with_dataset(FetchedDataset::new(dataset))
            .fail_dataset("org/broken", SourceError::new(SourceErrorKind::Http, "500"));
        assert_eq!(source.dataset("org/ds").await.unwrap().id, "org/ds");
        assert!(source.dataset("org/none").await.unwrap_err().is_not_found());
        assert_eq!(
            source.dataset("org/broken").await.unwrap_err().kind,
            SourceErrorKind::Http
        );
        assert!(source.tag_vocabulary().await.unwrap().is_empty());
        assert_eq!(
            source.requests(),
            [
                "dataset:org/ds",
                "dataset:org/none",
                "dataset:org/broken",
                "tags"
            ]
        );
    }
}
