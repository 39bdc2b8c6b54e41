//! The models of a run, from two sources merged by canonical id:
//!
//! - **latest N** — the Hub's listing, newest first (by `lastModified`, or by `createdAt`), with
//!   `expand[]` for exactly the fields the records need; one card request per model, addressed by
//!   the listing's commit `sha`. No per-model info request.
//! - **from a file** — the ids of the model-id file: one `GET /api/models/{id}` with the same
//!   `expand[]`, plus its card.
//!
//! A model whose card cannot be fetched is kept, with the card's error; a model that cannot be
//! fetched at all becomes a [`ModelFailure`]. Nothing already fetched is dropped.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};
use hf_client::HfClient;
use hf_client::models::{ModelProperty, Sort};
use hf_client::wire::ModelInfo;
use serde::{Deserialize, Serialize};

use crate::model_ids::ModelIdList;
use crate::quality::{LowInfo, low_info};

/// The properties asked with `expand[]` in both sources: what the model records need.
pub const MODEL_PROPERTIES: &[ModelProperty] = &[
    ModelProperty::Author,
    ModelProperty::BaseModels,
    ModelProperty::CardData,
    ModelProperty::CreatedAt,
    ModelProperty::Disabled,
    ModelProperty::Downloads,
    ModelProperty::DownloadsAllTime,
    ModelProperty::Gated,
    ModelProperty::LastModified,
    ModelProperty::LibraryName,
    ModelProperty::Likes,
    ModelProperty::PipelineTag,
    ModelProperty::Private,
    ModelProperty::Safetensors,
    ModelProperty::Sha,
    ModelProperty::Tags,
    ModelProperty::TrendingScore,
];

/// Where a model came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// The latest-N listing.
    Latest,
    /// The model-id file.
    File,
    /// Followed as a base model of another model.
    Lineage,
}

/// A model as fetched: its metadata and its card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchedModel {
    /// The canonical id (where a redirect of a renamed repo led).
    pub id: String,
    /// Other ids the model was asked by (legacy ids answered through a redirect).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub aliases: BTreeSet<String>,
    /// The metadata, as the Hub served it.
    pub info: ModelInfo,
    /// The card's text (`README.md`), if the model has one and it could be fetched.
    pub card: Option<String>,
    /// The card's `ETag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_etag: Option<String>,
    /// Why the card could not be fetched, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_error: Option<String>,
    /// The sources that produced this model.
    pub sources: BTreeSet<ModelSource>,
}

impl FetchedModel {
    /// A model from its metadata and card text, produced by one `source`; the id is the
    /// metadata's `id`.
    pub fn new(info: ModelInfo, card: Option<String>, source: ModelSource) -> Self {
        Self {
            id: info.id.clone(),
            aliases: BTreeSet::new(),
            info,
            card,
            card_etag: None,
            card_error: None,
            sources: BTreeSet::from([source]),
        }
    }
}

/// A model that could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFailure {
    /// The id asked (or, for a listing failure, the page URL).
    pub id: String,
    /// The source that asked.
    pub source: ModelSource,
    /// The line of the model-id file, for ids from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The HTTP status, if the Hub answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong.
    pub error: String,
}

impl ModelFailure {
    fn new(id: impl Into<String>, source: ModelSource, error: &hf_client::Error) -> Self {
        Self {
            id: id.into(),
            source,
            line: None,
            status: error.status().map(|s| s.as_u16()),
            error: error.summary(),
        }
    }
}

/// What one source produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceOutcome {
    /// The models fetched.
    pub models: Vec<FetchedModel>,
    /// What could not be fetched.
    pub failures: Vec<ModelFailure>,
    /// Models dropped by the low-information filter, by rule.
    pub filtered: BTreeMap<LowInfo, u64>,
    /// The newest `lastModified` seen (the watermark of an incremental run).
    pub newest_last_modified: Option<String>,
}

/// Options of the latest-N source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestOptions {
    /// How many models to keep.
    pub num_models: usize,
    /// Sort by `lastModified` (true) or `createdAt` (false), newest first.
    pub update_recent: bool,
    /// Cards fetched at once.
    pub threads: usize,
    /// Drop low-information models (and keep listing until `num_models` pass).
    pub filter_low_info: bool,
}

/// The latest N models with their cards. The listing and the card fetches overlap: cards of a
/// page are fetched while the next page is asked.
pub async fn latest_models(client: &HfClient, options: LatestOptions) -> SourceOutcome {
    latest_models_reporting(client, options, &|_| {}).await
}

/// [`latest_models`], calling `on_model` with the number of models done after each one.
pub async fn latest_models_reporting(
    client: &HfClient,
    options: LatestOptions,
    on_model: &(dyn Fn(usize) + Sync),
) -> SourceOutcome {
    let mut outcome = SourceOutcome::default();
    if options.num_models == 0 {
        return outcome;
    }
    let sort = if options.update_recent {
        Sort::LastModified
    } else {
        Sort::CreatedAt
    };
    let mut list = client
        .models()
        .list()
        .sort(sort)
        .expand(MODEL_PROPERTIES.iter().copied());
    if !options.filter_low_info {
        // Without the filter, exactly N models are needed: no page bigger than that.
        list = list.limit(options.num_models);
    }
    let mut listed = std::pin::pin!(list.stream());
    // Cards complete in any order; each carries its listing position so the kept models are
    // the first N in listing order, whatever the timing.
    let mut pending = futures::stream::FuturesUnordered::new();
    let mut done: Vec<(usize, FetchedModel)> = Vec::new();
    let threads = options.threads.max(1);
    let mut listed_count = 0usize;
    let mut listing_done = false;
    loop {
        let kept = passing(&done, options);
        let want_more = !listing_done && kept + pending.len() < options.num_models;
        tokio::select! {
            Some(finished) = pending.next(), if !pending.is_empty() => {
                done.push(finished);
                on_model(done.len());
            }
            item = listed.try_next(), if want_more && pending.len() < threads => {
                match item {
                    Ok(Some(info)) => {
                        note_watermark(&mut outcome, &info);
                        let position = listed_count;
                        listed_count += 1;
                        pending.push(async move {
                            (position, with_card(client, info, ModelSource::Latest).await)
                        });
                    }
                    Ok(None) => listing_done = true,
                    Err(e) => {
                        tracing::error!(error = %e, "the listing failed; keeping what was listed");
                        outcome.failures.push(ModelFailure::new("listing", ModelSource::Latest, &e));
                        listing_done = true;
                    }
                }
            }
            else => break,
        }
    }
    done.sort_by_key(|(position, _)| *position);
    for (_, model) in done {
        if outcome.models.len() >= options.num_models {
            break;
        }
        keep(&mut outcome, model, options);
    }
    outcome
}

/// How many finished models pass the filter (all of them when it is off).
fn passing(done: &[(usize, FetchedModel)], options: LatestOptions) -> usize {
    if !options.filter_low_info {
        return done.len();
    }
    done.iter()
        .filter(|(_, m)| {
            low_info(
                m.info.pipeline_tag.as_deref(),
                &m.info.tags,
                m.card.as_deref().unwrap_or_default(),
            )
            .is_none()
        })
        .count()
}

fn keep(outcome: &mut SourceOutcome, model: FetchedModel, options: LatestOptions) {
    if options.filter_low_info {
        let card = model.card.as_deref().unwrap_or_default();
        if let Some(rule) = low_info(model.info.pipeline_tag.as_deref(), &model.info.tags, card) {
            *outcome.filtered.entry(rule).or_default() += 1;
            return;
        }
    }
    outcome.models.push(model);
}

fn note_watermark(outcome: &mut SourceOutcome, info: &ModelInfo) {
    if let Some(t) = info.last_modified.as_ref().map(|t| t.as_str())
        && outcome
            .newest_last_modified
            .as_deref()
            .is_none_or(|newest| newest < t)
    {
        outcome.newest_last_modified = Some(t.to_owned());
    }
}

/// The card of a listed model, in one request when its `sha` is known.
pub(crate) async fn with_card(
    client: &HfClient,
    info: ModelInfo,
    source: ModelSource,
) -> FetchedModel {
    let mut request = client.models().card(&info.id);
    if let Some(sha) = &info.sha {
        request = request.sha(sha);
    }
    let (card, card_etag, card_error) = match request.send().await {
        Ok(Some(card)) => (Some(card.text), card.etag, None),
        Ok(None) => (None, None, None),
        Err(e) => {
            tracing::warn!(model = %info.id, error = %e, "card not fetched");
            (None, None, Some(e.to_string()))
        }
    };
    FetchedModel {
        card,
        card_etag,
        card_error,
        ..FetchedModel::new(info, None, source)
    }
}

/// One model by id: the info request (with [`MODEL_PROPERTIES`]) and its card. The canonical id
/// is where a redirect led; the asked id, when different, becomes an alias.
pub(crate) async fn model_by_id(
    client: &HfClient,
    id: &str,
    source: ModelSource,
) -> Result<FetchedModel, hf_client::Error> {
    let response = client
        .models()
        .info(id)
        .expand(MODEL_PROPERTIES.iter().copied())
        .send()
        .await?;
    let mut model = with_card(client, response.info, source).await;
    model.id = response.id;
    if response.requested_id != model.id {
        model.aliases.insert(response.requested_id);
    }
    Ok(model)
}

/// The models of a model-id file: one info request (exact lookup) and one card request each,
/// `threads` at a time.
pub async fn models_from_ids(
    client: &HfClient,
    ids: &ModelIdList,
    threads: usize,
) -> SourceOutcome {
    models_from_ids_reporting(client, ids, threads, &|_| {}).await
}

/// [`models_from_ids`], calling `on_model` with the number of ids done after each one.
pub async fn models_from_ids_reporting(
    client: &HfClient,
    ids: &ModelIdList,
    threads: usize,
    on_model: &(dyn Fn(usize) + Sync),
) -> SourceOutcome {
    let fetched: Vec<Result<FetchedModel, ModelFailure>> = futures::stream::iter(&ids.entries)
        .map(|entry| async move {
            model_by_id(client, &entry.id, ModelSource::File)
                .await
                .map_err(|e| ModelFailure {
                    line: Some(entry.line),
                    ..ModelFailure::new(&entry.id, ModelSource::File, &e)
                })
        })
        .buffered(threads.max(1))
        .enumerate()
        .map(|(i, result)| {
            on_model(i + 1);
            result
        })
        .collect()
        .await;
    let mut outcome = SourceOutcome::default();
    for result in fetched {
        match result {
            Ok(model) => {
                note_watermark(&mut outcome, &model.info);
                outcome.models.push(model);
            }
            Err(failure) => {
                tracing::warn!(id = %failure.id, line = ?failure.line, error = %failure.error, "model not fetched");
                outcome.failures.push(failure);
            }
        }
    }
    outcome
}

/// Merge sources by canonical id: one model per id, with every source and alias that produced
/// it, sorted by id.
pub fn merge(sources: impl IntoIterator<Item = SourceOutcome>) -> SourceOutcome {
    let mut by_id: BTreeMap<String, FetchedModel> = BTreeMap::new();
    let mut merged = SourceOutcome::default();
    for source in sources {
        for model in source.models {
            match by_id.get_mut(&model.id) {
                Some(existing) => {
                    existing.sources.extend(model.sources);
                    existing.aliases.extend(model.aliases);
                    if existing.card.is_none() && model.card.is_some() {
                        existing.card = model.card;
                        existing.card_etag = model.card_etag;
                        existing.card_error = None;
                    }
                }
                None => {
                    by_id.insert(model.id.clone(), model);
                }
            }
        }
        merged.failures.extend(source.failures);
        for (rule, n) in source.filtered {
            *merged.filtered.entry(rule).or_default() += n;
        }
        merged.newest_last_modified = merged
            .newest_last_modified
            .into_iter()
            .chain(source.newest_last_modified)
            .max();
    }
    merged.models = by_id.into_values().collect();
    merged
        .failures
        .sort_by(|a, b| (a.source, a.line, &a.id).cmp(&(b.source, b.line, &b.id)));
    merged
}
