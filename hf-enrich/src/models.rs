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
use std::sync::Arc;

use futures::StreamExt;
use hf_client::HfClient;
use hf_client::models::{CardAnswer, ModelProperty, Sort};
use hf_client::pagination::Page;
use hf_client::wire::ModelInfo;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::model_ids::{ModelIdEntry, ModelIdList};
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

/// How early the next listing page is asked: when fewer models than this many round trips'
/// worth of card fetches (`threads` each) wait for a slot.
const PAGE_AHEAD: usize = 4;

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
    let fetched = std::sync::Mutex::new(Vec::new());
    let sink = |position: usize, model: FetchedModel| {
        if let Ok(mut fetched) = fetched.lock() {
            fetched.push((position, model));
            on_model(fetched.len());
        }
    };
    let streamed = latest_models_streaming(client, options, &ListingPlan::default(), &sink).await;
    let mut by_position: BTreeMap<usize, FetchedModel> = fetched
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut outcome = streamed.outcome;
    outcome.models = streamed
        .kept
        .iter()
        .filter_map(|p| by_position.remove(p))
        .collect();
    outcome
}

/// Where a latest-N listing starts and stops, for incremental and resumed runs.
#[derive(Clone, Default)]
pub struct ListingPlan<'a> {
    /// Stop at the first model last modified before this time (an incremental run's watermark).
    /// The listing is then sorted by `lastModified` whatever [`LatestOptions::update_recent`]
    /// says, and is not cut at [`LatestOptions::num_models`].
    pub since: Option<jiff::Timestamp>,
    /// Resume from this point of an interrupted listing.
    pub resume: Option<ListingResume>,
    /// Cards of an earlier run, reused when a model's `sha` did not change.
    pub cards: Option<&'a dyn CardCache>,
    /// Called with each listing page as it arrives (to checkpoint it).
    pub on_page: Option<&'a (dyn Fn(&ListedPage) + Sync)>,
    /// Called once no other page will be listed: every model the run keeps has been listed
    /// (with the low-information filter on, only when the listing is over).
    pub on_listed: Option<&'a (dyn Fn() + Sync)>,
    /// The run's in-flight budget, shared with other requests made meanwhile (such as a
    /// [`Lookahead`](crate::lookahead::Lookahead)'s): each card request holds one permit.
    /// Without one, [`LatestOptions::threads`] card requests are in flight at most.
    pub slots: Option<Arc<Semaphore>>,
    /// The room of whoever takes the models handed over: a semaphore whose permits are the
    /// models it may still queue (its `sink` takes one per model and gives it back once the
    /// model is handled). No card is asked, and no model handed over, while none is free, so a
    /// `sink` handing models to other threads keeps a bounded queue without blocking this
    /// future.
    pub room: Option<Arc<Semaphore>>,
}

/// Wait, without blocking, until `room` (see [`ListingPlan::room`]) has a permit free; none
/// is taken.
async fn wait_for_room(room: Option<&Semaphore>) {
    if let Some(room) = room {
        // Closed only by its owner, who then wants nothing more: go on.
        drop(room.acquire().await);
    }
}

/// A listing page as it arrived: enough to resume the listing after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedPage {
    /// The listing position of the page's first model.
    pub first_position: usize,
    /// The page's models.
    pub items: Vec<ModelInfo>,
    /// The next page, if any.
    pub next: Option<String>,
}

/// The state of an interrupted listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingResume {
    /// Models listed but whose card was not fetched yet, with their listing position.
    pub pending: Vec<(usize, ModelInfo)>,
    /// Models already done: their position and, when the filter dropped them, why.
    pub done: Vec<(usize, Option<LowInfo>)>,
    /// How many models the listing had served.
    pub listed: usize,
    /// The next page to ask (none: the listing was over).
    pub next: Option<url::Url>,
    /// The newest `lastModified` seen so far.
    pub newest_last_modified: Option<String>,
}

/// Cards of an earlier run, by model id.
pub trait CardCache: Send + Sync {
    /// The earlier card of `id`, if the earlier run had one.
    fn get(&self, id: &str) -> Option<CachedCard>;
    /// Note a card reused because the model's `sha` did not change (a request saved).
    fn reused(&self) {}
    /// Note a card answered `304 Not Modified` (a body saved).
    fn not_modified(&self) {}
}

/// A card kept by an earlier run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedCard {
    /// The commit the card was read at.
    pub sha: Option<String>,
    /// The card's `ETag`, if the Hub sent one.
    pub etag: Option<String>,
    /// The card's text (none: the model had no card).
    pub text: Option<String>,
}

/// What a streamed latest-N listing produced, its models handed out as they came.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamedSource {
    /// Failures, filtered counts and the watermark; `models` is empty.
    pub outcome: SourceOutcome,
    /// The listing positions of the models kept, in listing order.
    pub kept: Vec<usize>,
}

/// The latest-N listing with cards, each model handed to `sink` with its listing position as
/// soon as its card is fetched (in completion order), so nothing holds every card at once.
/// Returns which positions are kept: the first `num_models` (passing the filter) in listing
/// order.
///
/// Each card request runs as a Tokio task of its own (on the runtime's worker threads, when
/// there are several), so `sink` is called from this future only, one model at a time.
pub async fn latest_models_streaming(
    client: &HfClient,
    options: LatestOptions,
    plan: &ListingPlan<'_>,
    sink: &(dyn Fn(usize, FetchedModel) + Sync),
) -> StreamedSource {
    let mut outcome = SourceOutcome::default();
    let unbounded = plan.since.is_some();
    if options.num_models == 0 && !unbounded {
        return StreamedSource::default();
    }
    let wanted = if unbounded {
        usize::MAX
    } else {
        options.num_models
    };
    let sort = if options.update_recent || unbounded {
        Sort::LastModified
    } else {
        Sort::CreatedAt
    };
    let resume = plan.resume.clone().unwrap_or_default();
    // Without the filter, exactly N models are needed: no page bigger than that.
    let limit = (!options.filter_low_info && !unbounded)
        .then(|| options.num_models.saturating_sub(resume.listed).max(1));
    let resuming = plan.resume.is_some();
    let mut listing_done = resuming && resume.next.is_none();
    let from = resume.next.clone().filter(|_| resuming);
    let mut pages = PageFeed::start(client.clone(), sort, limit, from);
    outcome.newest_last_modified = resume.newest_last_modified.clone();
    // Cards complete in any order; each carries its listing position so the kept models are
    // the first N in listing order, whatever the timing. Each card request is a task of its
    // own (answer read, card checked against the filter), so this loop only refills the
    // slots and hands the models over: a slot freed is asked again at once, not after the
    // other answers that came in the same moment were handled.
    // Each card request holds a slot of the in-flight budget until its model is handed over.
    let slots = plan
        .slots
        .clone()
        .unwrap_or_else(|| Arc::new(Semaphore::new(options.threads.max(1))));
    let mut spare: Option<OwnedSemaphorePermit> = None;
    // A task's slot comes back with its answer: finished tasks waiting to be joined hold
    // their cards, so they count as in flight (at no latency they would otherwise pile up).
    let mut pending: tokio::task::JoinSet<Answered> = tokio::task::JoinSet::new();
    let mut queued: std::collections::VecDeque<(usize, ModelInfo)> = resume.pending.into();
    let mut done: Vec<(usize, Option<LowInfo>)> = resume.done;
    let mut passed = done.iter().filter(|(_, rule)| rule.is_none()).count();
    let threads = options.threads.max(1);
    let mut listed_count = resume.listed;
    let cards = plan.cards;
    let filter = options.filter_low_info;
    let listed_signalled = std::sync::atomic::AtomicBool::new(false);
    let signal_listed = || {
        if !listed_signalled.swap(true, std::sync::atomic::Ordering::Relaxed)
            && let Some(on_listed) = plan.on_listed
        {
            on_listed();
        }
    };
    if listing_done || (!filter && !unbounded && listed_count >= wanted) {
        signal_listed();
    }
    loop {
        // The models handed over are taken as fast as they come, or the next card waits.
        wait_for_room(plan.room.as_deref()).await;
        let want_more = passed + pending.len() + queued.len() < wanted;
        // The next page is asked while the last few models of this one wait for a slot, so
        // the card fetches do not stall at each page's end (a page answer takes a few round
        // trips' time: ask it PAGE_AHEAD round trips of work early).
        if !listing_done && want_more && queued.len() < threads * PAGE_AHEAD {
            pages.ask();
        }
        let page_asked = pages.asked;
        let mut deliver = |position: usize, model: FetchedModel, rule: Option<LowInfo>| {
            if rule.is_none() {
                passed += 1;
            }
            done.push((position, rule));
            sink(position, model);
        };
        // A slot acquired while waiting (only while cards wait: nothing takes them off the
        // queue meanwhile), else one free now.
        let slot = if queued.is_empty() {
            None
        } else {
            spare
                .take()
                .or_else(|| Arc::clone(&slots).try_acquire_owned().ok())
        };
        if let Some(slot) = slot
            && let Some((position, info)) = queued.pop_front()
        {
            if let Some((model, rule)) =
                ask_card(&mut pending, (client, cards, filter), position, info, slot)
            {
                deliver(position, model, rule);
            }
            continue;
        }
        tokio::select! {
            Some(joined) = pending.join_next(), if !pending.is_empty() => {
                match joined {
                    Ok((position, answered, rule, slot)) => {
                        deliver(position, answered.into_model(cards), rule);
                        drop(slot);
                    }
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Only when the runtime shuts down, which ends this loop too.
                    Err(e) => tracing::error!(error = %e, "a card request was cancelled"),
                }
            }
            slot = Arc::clone(&slots).acquire_owned(), if !queued.is_empty() => {
                // Closed only if dropped, which it is not while this loop runs.
                spare = slot.ok();
            }
            page = pages.next(), if page_asked => {
                match page {
                    Some(Ok(page)) => {
                        let first_position = listed_count;
                        let mut items = Vec::with_capacity(page.items.len());
                        for info in page.items {
                            let older = plan.since.is_some_and(|since| {
                                last_modified(&info).is_none_or(|t| t < since)
                            });
                            if older {
                                listing_done = true;
                                break;
                            }
                            note_watermark(&mut outcome, &info);
                            items.push(info);
                        }
                        let next = if listing_done { None } else { page.next.clone() };
                        if next.is_none() {
                            listing_done = true;
                        }
                        let page = ListedPage {
                            first_position,
                            items,
                            next: next.map(|u| u.to_string()),
                        };
                        // The first cards (a round of them) are asked before the page is
                        // noted (noting a page of 1,000 models takes milliseconds), when no
                        // model listed earlier waits. None is handed over before the page is
                        // noted: hand-overs happen in this loop, after it.
                        let mut asked = 0;
                        let mut reused = Vec::new();
                        while queued.is_empty() && asked < page.items.len().min(threads) {
                            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                                break;
                            };
                            let position = listed_count + asked;
                            let info = page.items[asked].clone();
                            let asking = (client, cards, filter);
                            if let Some(model) = ask_card(&mut pending, asking, position, info, slot) {
                                reused.push((position, model));
                            }
                            asked += 1;
                        }
                        if let Some(on_page) = &plan.on_page {
                            on_page(&page);
                        }
                        for (position, (model, rule)) in reused {
                            deliver(position, model, rule);
                        }
                        let listed = page.items.len();
                        for (i, info) in page.items.into_iter().enumerate().skip(asked) {
                            queued.push_back((listed_count + i, info));
                        }
                        listed_count += listed;
                        if listing_done || (!filter && !unbounded && listed_count >= wanted) {
                            signal_listed();
                        }
                    }
                    None => {
                        listing_done = true;
                        signal_listed();
                    }
                    Some(Err(e)) => {
                        tracing::error!(error = %e, "the listing failed; keeping what was listed");
                        outcome.failures.push(ModelFailure::new("listing", ModelSource::Latest, &e));
                        listing_done = true;
                        signal_listed();
                    }
                }
            }
            else => break,
        }
    }
    signal_listed();
    done.sort_by_key(|(position, _)| *position);
    let mut kept = Vec::new();
    for (position, rule) in done {
        if kept.len() >= wanted {
            break;
        }
        match rule {
            Some(rule) => *outcome.filtered.entry(rule).or_default() += 1,
            None => kept.push(position),
        }
    }
    StreamedSource { outcome, kept }
}

/// A card request answered: the model's listing position, the answer, the low-information
/// rule it fails (when the filter is on), and the in-flight slot it held.
type Answered = (usize, CardAnswered, Option<LowInfo>, OwnedSemaphorePermit);

/// Ask the card of the model listed at `position`, holding `slot`, on a task of its own; a
/// card an earlier run kept ([`CardCache`]) comes back at once, with the rule it fails.
fn ask_card(
    pending: &mut tokio::task::JoinSet<Answered>,
    (client, cards, filter): (&HfClient, Option<&dyn CardCache>, bool),
    position: usize,
    info: ModelInfo,
    slot: OwnedSemaphorePermit,
) -> Option<(FetchedModel, Option<LowInfo>)> {
    match CardFetch::plan(info, ModelSource::Latest, cards) {
        CardFetch::Reused(model) => {
            let rule = filter.then(|| low_info_of(&model)).flatten();
            Some((*model, rule))
        }
        CardFetch::Ask(ask) => {
            let client = client.clone();
            pending.spawn(async move {
                let answered = ask.send(&client).await;
                let rule = filter.then(|| low_info_of(&answered.model)).flatten();
                (position, answered, rule, slot)
            });
            None
        }
    }
}

fn low_info_of(model: &FetchedModel) -> Option<LowInfo> {
    low_info(
        model.info.pipeline_tag.as_deref(),
        &model.info.tags,
        model.card.as_deref().unwrap_or_default(),
    )
}

fn last_modified(info: &ModelInfo) -> Option<jiff::Timestamp> {
    info.last_modified.as_ref()?.as_str().parse().ok()
}

/// Note `info`'s `lastModified` as the outcome's newest, if it is newer.
pub fn note_watermark(outcome: &mut SourceOutcome, info: &ModelInfo) {
    if let Some(t) = info.last_modified.as_ref().map(|t| t.as_str())
        && outcome
            .newest_last_modified
            .as_deref()
            .is_none_or(|newest| newest < t)
    {
        outcome.newest_last_modified = Some(t.to_owned());
    }
}

/// The listing's pages, each fetched and parsed on a task of its own when asked
/// ([`ask`](Self::ask)), so the card loop never stops for a page: parsing a page of 1,000
/// expanded models takes 10-20 ms, during which the slots freed would wait for their next card.
/// A page is only fetched when asked, so the listing asks no page the run does not use.
struct PageFeed {
    want: tokio::sync::mpsc::Sender<()>,
    pages: tokio::sync::mpsc::Receiver<hf_client::Result<Page<ModelInfo>>>,
    /// Whether a page was asked and not received yet.
    asked: bool,
    task: tokio::task::JoinHandle<()>,
}

impl PageFeed {
    /// List with `sort` and [`MODEL_PROPERTIES`] (pages of `limit` if given), from the first
    /// page or from `from` (a page URL kept by an interrupted run).
    fn start(client: HfClient, sort: Sort, limit: Option<usize>, from: Option<url::Url>) -> Self {
        let (want, mut wanted) = tokio::sync::mpsc::channel::<()>(1);
        let (send, pages) = tokio::sync::mpsc::channel(1);
        let task = tokio::spawn(async move {
            let mut list = client
                .models()
                .list()
                .sort(sort)
                .expand(MODEL_PROPERTIES.iter().copied());
            if let Some(limit) = limit {
                list = list.limit(limit);
            }
            let pages = match from {
                Some(url) => futures::future::Either::Left(list.pages_from_url(url)),
                None => futures::future::Either::Right(list.pages()),
            };
            let mut pages = std::pin::pin!(pages);
            // Ends when the pages do, or when the loop is gone.
            while wanted.recv().await.is_some() {
                let Some(page) = pages.next().await else {
                    return;
                };
                if send.send(page).await.is_err() {
                    return;
                }
            }
        });
        Self {
            want,
            pages,
            asked: false,
            task,
        }
    }

    /// Ask the next page, unless one is on its way.
    fn ask(&mut self) {
        if !self.asked && self.want.try_send(()).is_ok() {
            self.asked = true;
        }
    }

    /// The page asked: `None` when the listing has no more. A panic of the listing's task
    /// goes on here.
    async fn next(&mut self) -> Option<hf_client::Result<Page<ModelInfo>>> {
        let page = self.pages.recv().await;
        self.asked = false;
        if page.is_none()
            && let Err(e) = (&mut self.task).await
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
        page
    }
}

/// The card of a listed model (one request when its `sha` is known), reusing an earlier run's card: without any request when the model's `sha` did
/// not change, else asking with `If-None-Match` (the earlier `ETag`) and keeping the earlier
/// text on `304 Not Modified`.
pub(crate) async fn with_card_cached(
    client: &HfClient,
    info: ModelInfo,
    source: ModelSource,
    cache: Option<&dyn CardCache>,
) -> FetchedModel {
    match CardFetch::plan(info, source, cache) {
        CardFetch::Reused(model) => *model,
        CardFetch::Ask(ask) => ask.send(client).await.into_model(cache),
    }
}

/// How a listed model's card is to be had: from an earlier run without a request, or by asking.
enum CardFetch {
    /// The earlier run's card, the model's `sha` unchanged (no request).
    Reused(Box<FetchedModel>),
    /// One card request (conditional when an earlier `ETag` is known).
    Ask(Box<CardAsk>),
}

/// A card request to send: owns all it needs, so it can run as a task of its own.
struct CardAsk {
    info: ModelInfo,
    source: ModelSource,
    earlier: Option<CachedCard>,
}

/// A card request answered.
struct CardAnswered {
    model: FetchedModel,
    /// `304 Not Modified`: the earlier run's text was kept.
    not_modified: bool,
}

impl CardFetch {
    fn plan(info: ModelInfo, source: ModelSource, cache: Option<&dyn CardCache>) -> Self {
        let earlier = cache.and_then(|c| c.get(&info.id));
        if let (Some(earlier), Some(sha)) = (&earlier, &info.sha)
            && earlier.sha.as_ref() == Some(sha)
        {
            if let Some(cache) = cache {
                cache.reused();
            }
            return Self::Reused(Box::new(FetchedModel {
                card: earlier.text.clone(),
                card_etag: earlier.etag.clone(),
                ..FetchedModel::new(info, None, source)
            }));
        }
        Self::Ask(Box::new(CardAsk {
            info,
            source,
            earlier,
        }))
    }
}

impl CardAsk {
    async fn send(self, client: &HfClient) -> CardAnswered {
        let Self {
            info,
            source,
            earlier,
        } = self;
        let mut request = client.models().card(&info.id);
        if let Some(sha) = &info.sha {
            request = request.sha(sha);
        }
        let earlier_etag = earlier.as_ref().and_then(|e| e.etag.clone());
        if let Some(etag) = &earlier_etag {
            request = request.if_none_match(etag);
        }
        let mut not_modified = false;
        // The text only: the card is parsed where it is identified, not in this request's slot.
        let (card, card_etag, card_error) = match request.send_conditional_text().await {
            Ok(CardAnswer::Card(card)) => (Some(card.text), card.etag, None),
            Ok(CardAnswer::NotModified) => {
                not_modified = true;
                (earlier.and_then(|e| e.text), earlier_etag, None)
            }
            Ok(_) => (None, None, None),
            Err(e) => {
                tracing::warn!(model = %info.id, error = %e, "card not fetched");
                (None, None, Some(e.to_string()))
            }
        };
        CardAnswered {
            model: FetchedModel {
                card,
                card_etag,
                card_error,
                ..FetchedModel::new(info, None, source)
            },
            not_modified,
        }
    }
}

impl CardAnswered {
    fn into_model(self, cache: Option<&dyn CardCache>) -> FetchedModel {
        if self.not_modified
            && let Some(cache) = cache
        {
            cache.not_modified();
        }
        self.model
    }
}

/// One model by id: the info request (with [`MODEL_PROPERTIES`]) and its card. The canonical id
/// is where a redirect led; the asked id, when different, becomes an alias.
pub(crate) async fn model_by_id(
    client: &HfClient,
    id: &str,
    source: ModelSource,
) -> Result<FetchedModel, hf_client::Error> {
    model_by_id_cached(client, id, source, None).await
}

async fn model_by_id_cached(
    client: &HfClient,
    id: &str,
    source: ModelSource,
    cards: Option<&dyn CardCache>,
) -> Result<FetchedModel, hf_client::Error> {
    let response = client
        .models()
        .info(id)
        .expand(MODEL_PROPERTIES.iter().copied())
        .send()
        .await?;
    let mut model = with_card_cached(client, response.info, source, cards).await;
    model.id = canonical_repo_id(&response.id, model.info.author.as_deref());
    for other in [response.requested_id, response.id] {
        if other != model.id {
            model.aliases.insert(other);
        }
    }
    Ok(model)
}

/// The canonical id of a repository (model or dataset) the Hub answered as `answered` (where a
/// redirect led), owned by `author`. The Hub answers some legacy ids with 200 and the legacy id
/// itself rather than a 307: `GET /api/models/gpt2` gives `"id": "gpt2"`, `"author":
/// "openai-community"` and the `_id` of `openai-community/gpt2` (`HUB-API.md` §7). A
/// namespace-less id with an author is therefore named `author/id`, so that one repository is
/// one record whichever way it was asked for.
///
/// ```
/// use hf_enrich::models::canonical_repo_id;
///
/// assert_eq!(canonical_repo_id("gpt2", Some("openai-community")), "openai-community/gpt2");
/// assert_eq!(canonical_repo_id("org/model", Some("org")), "org/model");
/// assert_eq!(canonical_repo_id("gpt2", None), "gpt2");
/// ```
pub fn canonical_repo_id(answered: &str, author: Option<&str>) -> String {
    match author.map(str::trim) {
        Some(author)
            if !answered.contains('/')
                && !author.is_empty()
                && !author.contains('/')
                && author != answered =>
        {
            format!("{author}/{answered}")
        }
        _ => answered.to_owned(),
    }
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
    let outcome = std::sync::Mutex::new(SourceOutcome::default());
    let sink = |index: usize, result: Result<FetchedModel, ModelFailure>| {
        if let Ok(mut outcome) = outcome.lock() {
            outcome.add(result);
        }
        on_model(index + 1);
    };
    let plan = IdsPlan {
        threads,
        ..IdsPlan::default()
    };
    models_from_ids_streaming(client, ids, &plan, &sink).await;
    outcome.into_inner().unwrap_or_default()
}

/// How to fetch the ids of a model-id file.
#[derive(Default)]
pub struct IdsPlan<'a> {
    /// Ids fetched at once.
    pub threads: usize,
    /// Entries (by index in [`ModelIdList::entries`]) already done (a resumed run).
    pub skip: BTreeSet<usize>,
    /// Cards of an earlier run, reused when a model's `sha` did not change.
    pub cards: Option<&'a dyn CardCache>,
    /// The room of whoever takes the models handed over, as [`ListingPlan::room`].
    pub room: Option<Arc<Semaphore>>,
}

/// The models of a model-id file, each result handed to `sink` with its entry's index, in the
/// file's order, as soon as it is fetched.
pub async fn models_from_ids_streaming(
    client: &HfClient,
    ids: &ModelIdList,
    plan: &IdsPlan<'_>,
    sink: &(dyn Fn(usize, Result<FetchedModel, ModelFailure>) + Sync),
) {
    let cards = plan.cards;
    // Named futures, not closures returning async blocks: the whole future stays `Send` for
    // any caller (closures over borrowed entries defeat the compiler's proof of it).
    let entries: Vec<(usize, &ModelIdEntry)> = ids
        .entries
        .iter()
        .enumerate()
        .filter(|(index, _)| !plan.skip.contains(index))
        .collect();
    let mut entries = entries.into_iter();
    // `threads` in flight, answers handed over in the file's order.
    let mut answers = futures::stream::FuturesOrdered::new();
    for (index, entry) in entries.by_ref().take(plan.threads.max(1)) {
        answers.push_back(id_entry(client, index, entry, cards));
    }
    while let Some((index, result)) = answers.next().await {
        if let Some((index, entry)) = entries.next() {
            answers.push_back(id_entry(client, index, entry, cards));
        }
        wait_for_room(plan.room.as_deref()).await;
        sink(index, result);
    }
}

/// The model of the model-id file's entry `index`, or why not.
async fn id_entry(
    client: &HfClient,
    index: usize,
    entry: &ModelIdEntry,
    cards: Option<&dyn CardCache>,
) -> (usize, Result<FetchedModel, ModelFailure>) {
    let result = model_by_id_cached(client, &entry.id, ModelSource::File, cards)
        .await
        .map_err(|e| ModelFailure {
            line: Some(entry.line),
            ..ModelFailure::new(&entry.id, ModelSource::File, &e)
        });
    (index, result)
}

impl SourceOutcome {
    /// Add one model, or one failure, of a source.
    pub fn add(&mut self, result: Result<FetchedModel, ModelFailure>) {
        match result {
            Ok(model) => {
                note_watermark(self, &model.info);
                self.models.push(model);
            }
            Err(failure) => {
                tracing::warn!(id = %failure.id, line = ?failure.line, error = %failure.error, "model not fetched");
                self.failures.push(failure);
            }
        }
    }
}

/// Fold `other` into `existing`, two answers for the same canonical id: every source and alias
/// is kept, and a card if `existing` has none.
pub fn merge_model(existing: &mut FetchedModel, other: FetchedModel) {
    existing.sources.extend(other.sources);
    existing.aliases.extend(other.aliases);
    if existing.card.is_none() && other.card.is_some() {
        existing.card = other.card;
        existing.card_etag = other.card_etag;
        existing.card_error = None;
    }
}

/// Merge sources by canonical id: one model per id, with every source and alias that produced
/// it, sorted by id.
pub fn merge(sources: impl IntoIterator<Item = SourceOutcome>) -> SourceOutcome {
    let mut by_id: BTreeMap<String, FetchedModel> = BTreeMap::new();
    let mut merged = SourceOutcome::default();
    for source in sources {
        for model in source.models {
            match by_id.get_mut(&model.id) {
                Some(existing) => merge_model(existing, model),
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
