//! Fetching ahead: what a run's enrichment will ask for, fetched while its cards are still
//! coming in, under the same in-flight budget as the cards.
//!
//! The lineage and the entity records wait on one another: a parent's card names its own
//! datasets and papers, a legacy dataset id must be resolved before its record, arXiv is asked
//! once for every paper of the run. Asked after the card stage, each link of that chain is a
//! round trip during which the rest of the budget stays idle. A [`Lookahead`] hears of each
//! model of the run as it is identified ([`Lookahead::run_model`]) and asks, as soon as it is
//! sure the run will ask them:
//!
//! - **the task catalog** at once (the tasks' records always read it);
//! - **the tag vocabulary** as soon as a model names a keyword;
//! - **each parent the lineage follows** ([`lineage`](crate::lineage): a structured reference,
//!   not to the model itself, a Hub id), once every model of the run is known
//!   ([`Lookahead::run_listed`]: a parent that is a model of the run is not fetched), and then
//!   the parents of each parent read, iteration by iteration;
//! - **each namespace-less dataset id** the models and parents name, which
//!   [`resolve_datasets`](crate::HfEnrichment::resolve_datasets) asks;
//! - once every model has been told ([`Lookahead::run_complete`]) and the parents and legacy
//!   ids are read: **the other datasets** (but those a legacy id was answered as, whose records
//!   are made from that answer) and **arXiv's papers**, all ids in one ask, as the articles'
//!   stage makes it.
//!
//! Each answer is kept in a [`FetchedAhead`]. The stage that needs it reads through a source
//! that looks there first ([`Prefetched`](crate::prefetched::Prefetched), wrapping any
//! [`MetadataSource`]): it takes the answer, waits for it while its fetch is under way, or
//! fetches it itself if its fetch has not started yet — an id is never asked twice. arXiv's
//! answer is taken only for the very ids the stage asks. What the stages produce is the same as
//! without a lookahead; only when they ask changes.
//!
//! Who owns what: the [`Lookahead`] owns its fetches (tasks on the runtime it was made in) and
//! the sources they go through — one per [`AheadKind`], each with the count of its requests
//! ([`Lookahead::with_sources`]; [`Lookahead::new`] makes them over one [`HfClient`]) — and
//! shares the [`FetchedAhead`] they fill ([`Lookahead::fetched`]). The stages' source is not
//! the lookahead's: a [`Prefetched`](crate::prefetched::Prefetched) owns it and a handle on
//! that [`FetchedAhead`], which is all it knows of the lookahead.
//!
//! Every fetch ahead holds one of the run's in-flight `slots` (shared with the card requests)
//! while it is under way, so the run never has more requests in flight than it was told. Each
//! kind counts its requests ([`Lookahead::requests`]), so that a run can report them under the
//! stage they were made for.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::FutureExt;
use futures::channel::oneshot;
use futures::future::Shared;
use hf_client::HfClient;
use hf_identifiers::{BaseModelRef, Identified};
use tokio::sync::{Notify, OnceCell, Semaphore};
use tokio::task::JoinHandle;

use crate::identify::identify_model;
use crate::legacy_datasets::may_be_legacy;
use crate::lineage::{followed, is_hub_model_id, key};
use crate::models::FetchedModel;
use crate::source::{FetchedDataset, HttpSource, MetadataSource, SourceError};
use hf_client::arxiv::ArxivPaper;
use hf_client::tags::TagVocabulary;
use hf_client::tasks::TaskCatalog;
use hf_identifiers::ArticleKind;

/// How many kinds of fetch ahead there are.
const KINDS: usize = 6;

/// One answer, fetched ahead or by the stage that needs it, whichever asks first.
type Answer<T> = Arc<OnceCell<Result<T, SourceError>>>;

/// A dataset's answer kept while it waits to be taken: its JSON, compact and compressed.
/// Fetched ahead while the models are, the run's datasets wait until their stage; held as
/// values (a Croissant document is a tree of maps) they took several times their text, most of
/// a large run's memory, and their text compresses several times over.
#[derive(Debug, Clone)]
pub(crate) struct PackedDataset {
    /// The canonical id (where a redirect led).
    pub(crate) id: Box<str>,
    /// The length of the JSON.
    len: usize,
    /// The JSON, one zstd frame.
    packed: Arc<[u8]>,
}

/// zstd's level for the datasets waiting: fast, most of the gain.
const PACK_LEVEL: i32 = 1;

impl PackedDataset {
    /// `dataset`, packed.
    pub(crate) fn pack(dataset: &FetchedDataset) -> Result<Self, SourceError> {
        let not_kept = |e: &dyn std::fmt::Display| {
            SourceError::new(
                crate::source::SourceErrorKind::Invalid,
                format!("{}: the answer could not be kept: {e}", dataset.id),
            )
        };
        let json = serde_json::to_vec(dataset).map_err(|e| not_kept(&e))?;
        let packed = zstd::bulk::compress(&json, PACK_LEVEL).map_err(|e| not_kept(&e))?;
        Ok(Self {
            id: dataset.id.as_str().into(),
            len: json.len(),
            packed: packed.into(),
        })
    }

    /// The dataset again.
    pub(crate) fn unpack(&self) -> Result<FetchedDataset, SourceError> {
        let not_read = |e: &dyn std::fmt::Display| {
            SourceError::new(
                crate::source::SourceErrorKind::Decode,
                format!("{}: the answer kept could not be read back: {e}", self.id),
            )
        };
        let json = zstd::bulk::decompress(&self.packed, self.len).map_err(|e| not_read(&e))?;
        serde_json::from_slice(&json).map_err(|e| not_read(&e))
    }
}

/// Answers fetched ahead of the stage that reads them, keyed by the id asked.
///
/// Filled by a [`Lookahead`]; read through a [`Prefetched`](crate::prefetched::Prefetched)
/// source: each answer is taken once. An empty one (its `Default`) holds nothing to take.
#[derive(Debug, Default)]
pub struct FetchedAhead {
    models: Mutex<HashMap<String, Answer<FetchedModel>>>,
    datasets: Mutex<HashMap<String, Answer<PackedDataset>>>,
    tags: Mutex<Option<Answer<Arc<TagVocabulary>>>>,
    tasks: Mutex<Option<Arc<OnceCell<TaskCatalog>>>>,
    /// The arXiv ids asked (sorted, distinct) and their answers, once the ids are known.
    papers: Mutex<Option<Shared<oneshot::Receiver<AskedPapers>>>>,
    /// Done once every dataset the run asks ahead has its answer here (the parents' read,
    /// the `owner/name` ids started): a dataset stage asking earlier could ask one twice.
    datasets_ready: Mutex<Option<Shared<oneshot::Receiver<()>>>>,
}

/// arXiv ids asked ahead (sorted, distinct), and the answers.
type AskedPapers = (Vec<String>, Arc<OnceCell<Papers>>);

/// arXiv's answers, keyed by the id asked.
pub(crate) type Papers = BTreeMap<String, Result<ArxivPaper, SourceError>>;

impl FetchedAhead {
    /// The answer to model `id`, if it was asked ahead (taken: asked again, it is fetched).
    pub(crate) fn take_model(&self, id: &str) -> Option<Answer<FetchedModel>> {
        lock(&self.models).remove(id)
    }

    /// The answer to dataset `id`, if it was asked ahead (taken: asked again, it is fetched).
    /// Waits until every dataset asked ahead is (see [`Lookahead::run_complete`]).
    pub(crate) async fn take_dataset(&self, id: &str) -> Option<Answer<PackedDataset>> {
        let ready = lock(&self.datasets_ready).clone();
        if let Some(ready) = ready {
            // Cancelled only when the lookahead is dropped: then nothing more is asked ahead.
            let _ = ready.await;
        }
        lock(&self.datasets).remove(id)
    }

    /// The tag vocabulary, if it was asked ahead (taken).
    pub(crate) fn take_tags(&self) -> Option<Answer<Arc<TagVocabulary>>> {
        lock(&self.tags).take()
    }

    /// The task catalog, if it was asked ahead (taken).
    pub(crate) fn take_tasks(&self) -> Option<Arc<OnceCell<TaskCatalog>>> {
        lock(&self.tasks).take()
    }

    /// arXiv's answers to `ids` (sorted, distinct), if these very ids are asked ahead (taken;
    /// waits until the lookahead knows which ids it asks).
    pub(crate) async fn take_papers(&self, ids: &[String]) -> Option<Arc<OnceCell<Papers>>> {
        let asked = lock(&self.papers).take()?;
        match asked.await {
            Ok((asked, answer)) if asked == ids => Some(answer),
            _ => None,
        }
    }

    /// How many answers wait to be taken (models, datasets, the vocabularies and the papers).
    pub fn waiting(&self) -> (usize, usize, usize) {
        let others = [
            lock(&self.tags).is_some(),
            lock(&self.tasks).is_some(),
            lock(&self.papers).is_some(),
        ];
        (
            lock(&self.models).len(),
            lock(&self.datasets).len(),
            others.into_iter().filter(|w| *w).count(),
        )
    }
}

/// What a run will read, and so may be fetched ahead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LookaheadPlan {
    /// Lineage iterations the run follows (0: no parent is fetched ahead).
    pub base_model_iterations: usize,
    /// The run resolves its namespace-less dataset ids (it writes the datasets' identified map
    /// or their records).
    pub legacy_datasets: bool,
    /// The run makes the datasets' records.
    pub datasets: bool,
    /// The run makes the keywords' records (from the tag vocabulary).
    pub keywords: bool,
    /// The run makes the tasks' records (from the task catalog).
    pub tasks: bool,
    /// The run makes the articles' records (arXiv's papers).
    pub articles: bool,
}

impl LookaheadPlan {
    /// Whether anything is fetched ahead.
    pub fn is_empty(&self) -> bool {
        self.base_model_iterations == 0
            && !self.legacy_datasets
            && !self.datasets
            && !self.keywords
            && !self.tasks
            && !self.articles
    }
}

/// What a fetch ahead was for, each counted apart ([`Lookahead::requests`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AheadKind {
    /// Parents of the lineage.
    BaseModels,
    /// Namespace-less dataset ids (their resolution, which is also their record's fetch).
    LegacyDatasets,
    /// The other datasets' records.
    Datasets,
    /// The tag vocabulary.
    Keywords,
    /// The task catalog.
    Tasks,
    /// arXiv's papers.
    Articles,
}

impl AheadKind {
    /// Every kind.
    pub const ALL: [Self; KINDS] = [
        Self::BaseModels,
        Self::LegacyDatasets,
        Self::Datasets,
        Self::Keywords,
        Self::Tasks,
        Self::Articles,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// Fetches ahead what a run will ask for: see the [module](self).
///
/// ```
/// # use std::sync::Arc;
/// use hf_enrich::lookahead::{Lookahead, LookaheadPlan};
/// use hf_enrich::prefetched::Prefetched;
/// use hf_enrich::source::HttpSource;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), hf_client::Error> {
/// let client = hf_client::HfClient::builder().build()?;
/// let slots = Arc::new(tokio::sync::Semaphore::new(8));
/// let plan = LookaheadPlan {
///     base_model_iterations: 1,
///     legacy_datasets: true,
///     datasets: true,
///     ..LookaheadPlan::default()
/// };
/// let lookahead = Lookahead::new(&client, slots, plan);
/// // The stages read through a source that takes what was fetched ahead.
/// let source = Prefetched::new(HttpSource::new(client), lookahead.fetched());
/// // As the run's models come: lookahead.listed(ids) for a listing page, lookahead.run_model(..)
/// // for each model identified; then lookahead.run_listed() once all are listed, and
/// // lookahead.run_complete() once all are told. Nothing was told here: nothing was asked.
/// lookahead.finish().await;
/// assert_eq!(lookahead.total_requests(), 0);
/// # drop(source);
/// # Ok(()) }
/// ```
pub struct Lookahead {
    fetched: Arc<FetchedAhead>,
    /// What each kind fetches through, by [`AheadKind::index`].
    sources: [KindSource; KINDS],
    slots: Arc<Semaphore>,
    /// How many of `slots` there are: the tasks that fetch the held datasets.
    fetchers: usize,
    plan: LookaheadPlan,
    runtime: tokio::runtime::Handle,
    state: Mutex<State>,
    /// Told whenever a kind has no fetch under way any more.
    idle: Notify,
}

impl std::fmt::Debug for Lookahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookahead")
            .field("plan", &self.plan)
            .field("requests", &AheadKind::ALL.map(|k| self.requests(k)))
            .finish_non_exhaustive()
    }
}

/// The source the fetches of one [`AheadKind`] go through, and the count of its requests.
struct KindSource {
    source: Box<dyn MetadataSource>,
    requests: Box<dyn Fn() -> u64 + Send + Sync>,
}

#[derive(Default)]
struct State {
    /// Hashes of the ids (ASCII lower case) of the run's models and of the parents asked: a
    /// parent known is not asked. A collision only leaves a parent to its stage.
    known: HashSet<u64>,
    hasher: RandomState,
    /// Whether every model of the run is known.
    listed: bool,
    /// Followed parents of run models named before then (each once: a few distinct ids for
    /// many models).
    waiting: BTreeSet<String>,
    /// Dataset ids asked (or held).
    datasets: HashSet<String>,
    /// `owner/name` dataset ids held until the run is complete.
    held_datasets: Vec<String>,
    /// The ids legacy dataset ids were answered as.
    answered_as: HashSet<String>,
    /// Whether the tag vocabulary was asked.
    tags: bool,
    /// The arXiv ids of the run's models and parents so far, and whether they are complete
    /// (see [`Lookahead::run_complete`]).
    arxiv: BTreeSet<String>,
    complete: bool,
    /// The fetches of each kind under way (or waiting for a slot).
    running: [usize; KINDS],
    /// Every fetch started, to wait for at the end.
    tasks: Vec<JoinHandle<()>>,
    /// Stopped ([`Lookahead::abort`]): no fetch starts.
    aborted: bool,
}

/// One fetch of a kind under way: counted from before it is started until it ends.
struct Running {
    lookahead: Arc<Lookahead>,
    kind: AheadKind,
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut state = self.lookahead.lock();
        let running = &mut state.running[self.kind.index()];
        *running = running.saturating_sub(1);
        if *running == 0 {
            self.lookahead.idle.notify_waiters();
        }
    }
}

impl State {
    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(key(id))
    }

    /// Note `id` as known; false when it was already.
    fn know(&mut self, id: &str) -> bool {
        let hash = self.hash(id);
        self.known.insert(hash)
    }
}

impl Lookahead {
    /// A lookahead fetching from the Hub through `client` (an [`HttpSource`] over one
    /// [counted](HfClient::counted) clone per [`AheadKind`]) what `plan` says the run reads,
    /// each fetch holding one of `slots`: [`with_sources`](Self::with_sources) over HTTP.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn new(client: &HfClient, slots: Arc<Semaphore>, plan: LookaheadPlan) -> Arc<Self> {
        let source_for = |_| {
            let (counted, counter) = client.counted();
            (HttpSource::new(counted), move || counter.get())
        };
        Self::with_sources(source_for, slots, plan)
    }

    /// A lookahead fetching what `plan` says the run reads, each fetch holding one of `slots`.
    /// `source_for(kind)` is called once per [`AheadKind`]: the source the fetches of that kind
    /// go through, and what counts its requests so far ([`requests`](Self::requests)). Call it
    /// inside a Tokio runtime: the fetches are tasks on it, started from any thread.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn with_sources<S, C>(
        mut source_for: impl FnMut(AheadKind) -> (S, C),
        slots: Arc<Semaphore>,
        plan: LookaheadPlan,
    ) -> Arc<Self>
    where
        S: MetadataSource + 'static,
        C: Fn() -> u64 + Send + Sync + 'static,
    {
        let sources = AheadKind::ALL.map(|kind| {
            let (source, requests) = source_for(kind);
            KindSource {
                source: Box::new(source),
                requests: Box::new(requests),
            }
        });
        let lookahead = Arc::new(Self {
            fetched: Arc::default(),
            sources,
            fetchers: slots.available_permits().max(1),
            slots,
            plan,
            runtime: tokio::runtime::Handle::current(),
            state: Mutex::default(),
            idle: Notify::new(),
        });
        if plan.tasks {
            // Asked whatever the models name: start now, while the listing's first page is
            // on its way and the slots are idle.
            let cell = Arc::new(OnceCell::new());
            *lock(&lookahead.fetched.tasks) = Some(Arc::clone(&cell));
            let this = Arc::clone(&lookahead);
            lookahead.start(&mut lookahead.lock(), AheadKind::Tasks, async move {
                let _slot = this.slots.acquire().await;
                let source = this.source(AheadKind::Tasks);
                cell.get_or_init(|| source.tasks()).await;
            });
        }
        lookahead
    }

    /// Where the answers are kept: hand it to the stages' source
    /// ([`Prefetched::new`](crate::prefetched::Prefetched::new)).
    pub fn fetched(&self) -> Arc<FetchedAhead> {
        Arc::clone(&self.fetched)
    }

    /// What the lookahead fetches.
    pub fn plan(&self) -> LookaheadPlan {
        self.plan
    }

    /// Requests sent so far for `kind`.
    pub fn requests(&self, kind: AheadKind) -> u64 {
        (self.sources[kind.index()].requests)()
    }

    /// Requests sent so far, all kinds.
    pub fn total_requests(&self) -> u64 {
        AheadKind::ALL.iter().map(|k| self.requests(*k)).sum()
    }

    /// Models of the run, by id as the run knows them (a listing page, a file of ids), before
    /// their cards are read: a parent among them is not fetched.
    pub fn listed<'i>(&self, ids: impl IntoIterator<Item = &'i str>) {
        let mut state = self.lock();
        for id in ids {
            state.know(id);
        }
    }

    /// Every model of the run is known now ([`listed`](Self::listed) or
    /// [`run_model`](Self::run_model)): the parents found so far are fetched.
    pub fn run_listed(self: &Arc<Self>) {
        let mut state = self.lock();
        state.listed = true;
        let waiting = std::mem::take(&mut state.waiting);
        for parent in &waiting {
            self.fetch_parent(&mut state, parent, 1);
        }
    }

    /// A model of the run (`id`, also known by `aliases`), with what was identified in it: its
    /// datasets are fetched now, its parents once the run is [listed](Self::run_listed).
    pub fn run_model(self: &Arc<Self>, id: &str, aliases: &BTreeSet<String>, found: &Identified) {
        self.entities_of(found);
        if self.plan.base_model_iterations == 0 {
            return;
        }
        let listed = {
            let mut state = self.lock();
            state.know(id);
            aliases.iter().for_each(|a| {
                state.know(a);
            });
            if !state.listed {
                for parent in followed(id, aliases, &found.base_models) {
                    if !state.waiting.contains(&parent.id) {
                        state.waiting.insert(parent.id.clone());
                    }
                }
            }
            state.listed
        };
        if listed {
            self.parents_of(id, aliases, &found.base_models, 1);
        }
    }

    /// Wait until every fetch started is over (the answers stay for the stages to take).
    pub async fn finish(&self) {
        self.finish_kinds(&AheadKind::ALL).await;
        let tasks = std::mem::take(&mut self.lock().tasks);
        for task in tasks {
            if let Err(e) = task.await
                && e.is_panic()
            {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }

    /// Stop every fetch under way and start none: whoever owns the lookahead calls it when
    /// its run is dropped, so that no request of the run is made after it. The fetches stopped
    /// leave their answers unset (a stage asking them then fetches itself).
    pub fn abort(&self) {
        let mut state = self.lock();
        state.aborted = true;
        for task in std::mem::take(&mut state.tasks) {
            task.abort();
        }
        // A task aborted before it ran never says it ended: none is under way any more.
        state.running = [0; KINDS];
        self.idle.notify_waiters();
    }

    /// Wait until no fetch of `kinds` is under way, those they start included (a parent's
    /// parents): after it, [`requests`](Self::requests) of these kinds is final unless more
    /// models of the run are told.
    pub async fn finish_kinds(&self, kinds: &[AheadKind]) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            let running = {
                let state = self.lock();
                kinds.iter().any(|k| state.running[k.index()] > 0)
            };
            if !running {
                return;
            }
            idle.await;
        }
    }

    /// Run `fetch` as a fetch of `kind` (counted as under way until it ends).
    fn start(
        self: &Arc<Self>,
        state: &mut State,
        kind: AheadKind,
        fetch: impl Future<Output = ()> + Send + 'static,
    ) {
        if state.aborted {
            return;
        }
        state.running[kind.index()] += 1;
        let lookahead = Arc::clone(self);
        let task = self.runtime.spawn(async move {
            // Made here, not moved in: a task dropped unpolled (the runtime shutting down
            // under `spawn`) must not take the state's lock, which `spawn`'s caller holds.
            let _running = Running { lookahead, kind };
            fetch.await;
        });
        state.tasks.push(task);
    }

    /// Fetch the parents `child` names that the lineage follows at `iteration`.
    fn parents_of(
        self: &Arc<Self>,
        child: &str,
        aliases: &BTreeSet<String>,
        refs: &[BaseModelRef],
        iteration: usize,
    ) {
        if iteration > self.plan.base_model_iterations {
            return;
        }
        let mut state = self.lock();
        for parent in followed(child, aliases, refs) {
            self.fetch_parent(&mut state, &parent.id, iteration);
        }
    }

    /// Fetch followed parent `id` for `iteration`, unless it is known (a model of the run, a
    /// parent asked) or not a Hub id.
    fn fetch_parent(self: &Arc<Self>, state: &mut State, id: &str, iteration: usize) {
        if !state.know(id) || !is_hub_model_id(id) {
            return;
        }
        let cell = Answer::default();
        lock(&self.fetched.models).insert(id.to_owned(), Arc::clone(&cell));
        let (this, id) = (Arc::clone(self), id.to_owned());
        self.start(state, AheadKind::BaseModels, async move {
            let source = this.source(AheadKind::BaseModels);
            // The lineage may have asked first: its answer is read on all the same.
            if let Ok(model) = this.answer(&cell, || source.model(&id)).await {
                this.parent_read(&id, model, iteration);
            }
        });
    }

    /// A parent read (asked as `asked`): its datasets, and its own parents for the next
    /// iteration. A redirect to a model already known is not read on (as the lineage does).
    fn parent_read(self: &Arc<Self>, asked: &str, model: &FetchedModel, iteration: usize) {
        {
            let mut state = self.lock();
            if key(asked) != key(&model.id) && !state.know(&model.id) {
                return;
            }
            model.aliases.iter().for_each(|a| {
                state.know(a);
            });
        }
        let found = identify_model(model);
        self.entities_of(&found);
        self.parents_of(&model.id, &model.aliases, &found.base_models, iteration + 1);
    }

    /// Every model of the run has been told ([`run_model`](Self::run_model)): once the parents
    /// are read, the `owner/name` datasets are fetched, and the run's arXiv ids are complete:
    /// arXiv is asked for them.
    pub fn run_complete(self: &Arc<Self>) {
        if self.plan.legacy_datasets || self.plan.datasets {
            self.release_datasets();
        }
        if !self.plan.articles {
            return;
        }
        // The articles' stage waits for the ids (or for none: then it asks itself).
        let (asked, ids_known) = oneshot::channel();
        *lock(&self.fetched.papers) = Some(ids_known.shared());
        let this = Arc::clone(self);
        self.start(&mut self.lock(), AheadKind::Articles, async move {
            this.finish_kinds(&[AheadKind::BaseModels]).await;
            let ids: Vec<String> = {
                let mut state = this.lock();
                state.complete = true;
                state.arxiv.iter().cloned().collect()
            };
            if ids.is_empty() {
                return;
            }
            let cell = Arc::new(OnceCell::new());
            if asked.send((ids.clone(), Arc::clone(&cell))).is_err() {
                return;
            }
            let Ok(_slot) = this.slots.acquire().await else {
                return;
            };
            let source = this.source(AheadKind::Articles);
            cell.get_or_init(|| source.papers(&ids)).await;
        });
    }

    /// What the run will ask of the entities named in `found`: its datasets, the tag
    /// vocabulary, its arXiv ids.
    fn entities_of(self: &Arc<Self>, found: &Identified) {
        self.datasets_of(found);
        if self.plan.keywords && !found.keywords.is_empty() {
            let mut state = self.lock();
            if !std::mem::replace(&mut state.tags, true) {
                let cell = Answer::default();
                *lock(&self.fetched.tags) = Some(Arc::clone(&cell));
                let this = Arc::clone(self);
                self.start(&mut state, AheadKind::Keywords, async move {
                    let source = this.source(AheadKind::Keywords);
                    this.answer(&cell, || source.tag_vocabulary()).await;
                });
            }
        }
        if self.plan.articles {
            let mut state = self.lock();
            if !state.complete {
                let arxiv = found
                    .articles
                    .iter()
                    .filter(|a| a.kind == ArticleKind::Arxiv);
                state.arxiv.extend(arxiv.map(|a| a.id.clone()));
            }
        }
    }

    /// Fetch the datasets named in `found` that the run will ask for: a namespace-less id at
    /// once; an `owner/name` id once the run is complete, as it may be what a legacy id is
    /// answered as (its record then made from that answer, and it not asked at all).
    fn datasets_of(self: &Arc<Self>, found: &Identified) {
        if !self.plan.legacy_datasets && !self.plan.datasets {
            return;
        }
        let mut state = self.lock();
        for dataset in &found.datasets {
            let id = &dataset.id;
            let legacy = may_be_legacy(id);
            let asked = if legacy {
                self.plan.legacy_datasets
            } else {
                self.plan.datasets
            };
            if !asked || !state.datasets.insert(id.clone()) {
                continue;
            }
            if legacy {
                self.fetch_dataset(&mut state, id, AheadKind::LegacyDatasets);
            } else {
                state.held_datasets.push(id.clone());
            }
        }
    }

    /// The run is complete: once the parents and the legacy ids are read, the `owner/name`
    /// datasets are fetched, but those a legacy id was answered as.
    fn release_datasets(self: &Arc<Self>) {
        // The dataset stages wait until every dataset the run asks ahead is known to be.
        let (ready, known) = oneshot::channel();
        *lock(&self.fetched.datasets_ready) = Some(known.shared());
        let this = Arc::clone(self);
        self.start(&mut self.lock(), AheadKind::Datasets, async move {
            let before = [AheadKind::BaseModels, AheadKind::LegacyDatasets];
            this.finish_kinds(&before).await;
            let mut state = this.lock();
            let mut held = std::mem::take(&mut state.held_datasets);
            if this.plan.datasets {
                held.retain(|id| !state.answered_as.contains(id));
                // Each answer has its cell before the stages may ask; a few tasks fetch them
                // one after the other (a task for each of tens of thousands of datasets would
                // wait for its slot, its future held all that time).
                let queue: VecDeque<(String, Answer<PackedDataset>)> = held
                    .into_iter()
                    .map(|id| {
                        let cell = this.dataset_cell(&id);
                        (id, cell)
                    })
                    .collect();
                let queue = Arc::new(Mutex::new(queue));
                for _ in 0..this.fetchers {
                    let (fetcher, queue) = (Arc::clone(&this), Arc::clone(&queue));
                    this.start(&mut state, AheadKind::Datasets, async move {
                        loop {
                            let next = lock(&queue).pop_front();
                            let Some((id, cell)) = next else { break };
                            fetcher.fetch_into(&cell, &id, AheadKind::Datasets).await;
                        }
                    });
                }
            }
            let _ = ready.send(());
        });
    }

    /// Start fetching dataset `id` (its info and Croissant) for `kind`.
    fn fetch_dataset(self: &Arc<Self>, state: &mut State, id: &str, kind: AheadKind) {
        let cell = self.dataset_cell(id);
        let (this, id) = (Arc::clone(self), id.to_owned());
        self.start(state, kind, async move {
            this.fetch_into(&cell, &id, kind).await;
        });
    }

    /// The cell of dataset `id`'s answer, where the stages find it.
    fn dataset_cell(&self, id: &str) -> Answer<PackedDataset> {
        let cell = Answer::default();
        lock(&self.fetched.datasets).insert(id.to_owned(), Arc::clone(&cell));
        cell
    }

    /// Fetch dataset `id` for `kind` into `cell`, unless a stage asked first; an id answered
    /// under another is noted.
    async fn fetch_into(&self, cell: &Answer<PackedDataset>, id: &str, kind: AheadKind) {
        let source = self.source(kind);
        let fetch = || async { PackedDataset::pack(&source.dataset(id).await?) };
        if let Ok(dataset) = self.answer(cell, fetch).await
            && *dataset.id != *id
        {
            self.lock().answered_as.insert(dataset.id.to_string());
        }
    }

    /// The answer in `cell`: the stage's, if it asked first, else fetched now, holding a slot.
    async fn answer<'c, T, F>(
        &self,
        cell: &'c OnceCell<Result<T, SourceError>>,
        fetch: impl FnOnce() -> F,
    ) -> &'c Result<T, SourceError>
    where
        F: Future<Output = Result<T, SourceError>>,
    {
        if let Some(answer) = cell.get() {
            return answer;
        }
        let _slot = self.slots.acquire().await;
        cell.get_or_init(fetch).await
    }

    /// The source the fetches of `kind` go through.
    fn source(&self, kind: AheadKind) -> &dyn MetadataSource {
        self.sources[kind.index()].source.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod packed_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_dataset_packed_while_it_waits_is_the_same_dataset_again() {
        let dataset: FetchedDataset = serde_json::from_value(serde_json::json!({
            "requested_id": "mnist",
            "id": "ylecun/mnist",
            "info": {
                "_id": "621ffdd236468d709f181d58", "id": "ylecun/mnist", "downloads": 12,
                "cardData": {"license": "mit", "task_categories": ["image-classification"]},
                "tags": ["task_categories:image-classification"], "newKey": [1.5, null],
            },
            "etag": "W/\"abc\"",
            "croissant": {"@type": "sc:Dataset", "name": "mnist", "recordSet": [{"a": {"b": []}}]},
        }))
        .unwrap();
        let packed = PackedDataset::pack(&dataset).unwrap();
        assert_eq!(&*packed.id, "ylecun/mnist");
        assert!(packed.packed.len() < packed.len, "compressed");
        assert_eq!(packed.unpack().unwrap(), dataset);
        // What a record writes of it is the same too.
        assert_eq!(
            serde_json::to_value(packed.unpack().unwrap()).unwrap(),
            serde_json::to_value(&dataset).unwrap()
        );
    }
}
