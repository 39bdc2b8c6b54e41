//! Fetching ahead: the parents and datasets a run will ask for, fetched while its cards are
//! still coming in, under the same in-flight budget as the cards.
//!
//! The lineage and the dataset records wait on one another: a parent's card names its own
//! datasets, a legacy dataset id must be resolved before its record. Asked after the card
//! stage, each link of that chain is a round trip during which the rest of the budget stays
//! idle. A [`Lookahead`] hears of each model of the run as it is identified
//! ([`Lookahead::run_model`]) and asks, as soon as it is sure the run will ask them:
//!
//! - **each parent the lineage follows** ([`lineage`](crate::lineage): a structured reference,
//!   not to the model itself, a Hub id), once every model of the run is known
//!   ([`Lookahead::run_listed`]: a parent that is a model of the run is not fetched), and then
//!   the parents of each parent read, iteration by iteration;
//! - **each dataset** the models and parents name: the namespace-less ids that
//!   [`resolve_datasets`](crate::HfEnrichment::resolve_datasets) asks, and the others whose
//!   records the run makes.
//!
//! Each answer is kept in a [`FetchedAhead`]. The stage that needs it reads through a source
//! that looks there first ([`HttpSource::with_ahead`](crate::source::HttpSource::with_ahead)):
//! it takes the answer, waits for it while its fetch is under way, or fetches it itself if its
//! fetch has not started yet — an id is never asked twice. What the stages produce is the same
//! as without a lookahead; only when they ask changes.
//!
//! Every fetch ahead holds one of the run's in-flight `slots` (shared with the card requests)
//! while it is under way, so the run never has more requests in flight than it was told. Each
//! kind counts its requests ([`Lookahead::requests`]), so that a run can report them under the
//! stage they were made for.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hf_client::{HfClient, RequestCounter};
use hf_identifiers::{BaseModelRef, Identified};
use tokio::sync::{OnceCell, Semaphore};
use tokio::task::JoinHandle;

use crate::identify::identify_model;
use crate::legacy_datasets::may_be_legacy;
use crate::lineage::{followed, is_hub_model_id, key};
use crate::models::FetchedModel;
use crate::source::{FetchedDataset, HttpSource, MetadataSource, SourceError};

/// One answer, fetched ahead or by the stage that needs it, whichever asks first.
type Answer<T> = Arc<OnceCell<Result<T, SourceError>>>;

/// Answers fetched ahead of the stage that reads them, keyed by the id asked.
///
/// Read through [`HttpSource::with_ahead`](crate::source::HttpSource::with_ahead): each answer is
/// taken once.
#[derive(Debug, Default)]
pub struct FetchedAhead {
    models: Mutex<HashMap<String, Answer<FetchedModel>>>,
    datasets: Mutex<HashMap<String, Answer<FetchedDataset>>>,
}

impl FetchedAhead {
    /// The answer to model `id`, if it was asked ahead (taken: asked again, it is fetched).
    pub(crate) fn take_model(&self, id: &str) -> Option<Answer<FetchedModel>> {
        lock(&self.models).remove(id)
    }

    /// The answer to dataset `id`, if it was asked ahead (taken: asked again, it is fetched).
    pub(crate) fn take_dataset(&self, id: &str) -> Option<Answer<FetchedDataset>> {
        lock(&self.datasets).remove(id)
    }

    /// How many answers wait to be taken (models, datasets).
    pub fn waiting(&self) -> (usize, usize) {
        (lock(&self.models).len(), lock(&self.datasets).len())
    }
}

/// Whichever comes first, the fetch ahead or the stage, fetches; the other waits for it.
pub(crate) async fn answer<T: Clone, F: Future<Output = Result<T, SourceError>>>(
    cell: Option<Answer<T>>,
    fetch: impl FnOnce() -> F,
) -> Result<T, SourceError> {
    match cell {
        Some(cell) => cell.get_or_init(fetch).await.clone(),
        None => fetch().await,
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
}

impl LookaheadPlan {
    /// Whether anything is fetched ahead.
    pub fn is_empty(&self) -> bool {
        self.base_model_iterations == 0 && !self.legacy_datasets && !self.datasets
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
}

impl AheadKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::BaseModels, Self::LegacyDatasets, Self::Datasets];

    fn index(self) -> usize {
        self as usize
    }
}

/// Fetches ahead what a run will ask for: see the [module](self).
///
/// ```
/// # use std::sync::Arc;
/// use hf_enrich::lookahead::{Lookahead, LookaheadPlan};
/// use hf_enrich::source::HttpSource;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), hf_client::Error> {
/// let client = hf_client::HfClient::builder().build()?;
/// let slots = Arc::new(tokio::sync::Semaphore::new(8));
/// let plan = LookaheadPlan { base_model_iterations: 1, legacy_datasets: true, datasets: true };
/// let lookahead = Lookahead::new(&client, slots, plan);
/// // The stages read through a source that takes what was fetched ahead.
/// let source = HttpSource::new(client).with_ahead(lookahead.fetched());
/// // ... the run's models: lookahead.run_model(..), lookahead.listed(..), lookahead.run_listed()
/// lookahead.finish().await;
/// # drop(source);
/// # Ok(()) }
/// ```
pub struct Lookahead {
    fetched: Arc<FetchedAhead>,
    /// One source per kind, each over a client counting its requests.
    sources: [HttpSource; 3],
    counters: [RequestCounter; 3],
    slots: Arc<Semaphore>,
    plan: LookaheadPlan,
    runtime: tokio::runtime::Handle,
    state: Mutex<State>,
}

impl std::fmt::Debug for Lookahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookahead")
            .field("plan", &self.plan)
            .field("requests", &AheadKind::ALL.map(|k| self.requests(k)))
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    /// Hashes of the ids (ASCII lower case) of the run's models and of the parents asked: a
    /// parent known is not asked. A collision only leaves a parent to its stage.
    known: HashSet<u64>,
    hasher: RandomState,
    /// Whether every model of the run is known.
    listed: bool,
    /// Followed parents of run models found before then: (child, its aliases, the parents).
    waiting: Vec<(String, BTreeSet<String>, Vec<BaseModelRef>)>,
    /// Dataset ids asked, and the canonical ids the legacy ones were answered as.
    datasets: HashSet<String>,
    resolved_as: HashSet<String>,
    /// The fetches started, by kind.
    tasks: [Vec<JoinHandle<()>>; 3],
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
    /// A lookahead fetching through `client` (one counted clone per [`AheadKind`]) what `plan`
    /// says the run reads, each fetch holding one of `slots`. Call it inside a Tokio runtime:
    /// the fetches are tasks on it, started from any thread.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn new(client: &HfClient, slots: Arc<Semaphore>, plan: LookaheadPlan) -> Arc<Self> {
        let counted = AheadKind::ALL.map(|_| client.counted());
        let counters = counted.clone().map(|(_, counter)| counter);
        let sources = counted.map(|(client, _)| HttpSource::new(client));
        Arc::new(Self {
            fetched: Arc::default(),
            sources,
            counters,
            slots,
            plan,
            runtime: tokio::runtime::Handle::current(),
            state: Mutex::default(),
        })
    }

    /// Where the answers are kept: hand it to the stages' source
    /// ([`HttpSource::with_ahead`](crate::source::HttpSource::with_ahead)).
    pub fn fetched(&self) -> Arc<FetchedAhead> {
        Arc::clone(&self.fetched)
    }

    /// What the lookahead fetches.
    pub fn plan(&self) -> LookaheadPlan {
        self.plan
    }

    /// Requests sent so far for `kind`.
    pub fn requests(&self, kind: AheadKind) -> u64 {
        self.counters[kind.index()].get()
    }

    /// Requests sent so far, all kinds.
    pub fn total_requests(&self) -> u64 {
        self.counters.iter().map(RequestCounter::get).sum()
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
        let waiting = {
            let mut state = self.lock();
            state.listed = true;
            std::mem::take(&mut state.waiting)
        };
        for (child, aliases, refs) in waiting {
            self.parents_of(&child, &aliases, &refs, 1);
        }
    }

    /// A model of the run (`id`, also known by `aliases`), with what was identified in it: its
    /// datasets are fetched now, its parents once the run is [listed](Self::run_listed).
    pub fn run_model(self: &Arc<Self>, id: &str, aliases: &BTreeSet<String>, found: &Identified) {
        self.datasets_of(found);
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
                let refs: Vec<BaseModelRef> =
                    followed(id, aliases, &found.base_models).cloned().collect();
                if !refs.is_empty() {
                    state.waiting.push((id.to_owned(), aliases.clone(), refs));
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
    }

    /// Wait until every fetch of `kinds` started is over, those they start included (a
    /// parent's parents): after it, [`requests`](Self::requests) of these kinds is final
    /// unless more models of the run are found.
    pub async fn finish_kinds(&self, kinds: &[AheadKind]) {
        loop {
            let tasks: Vec<JoinHandle<()>> = {
                let mut state = self.lock();
                kinds
                    .iter()
                    .flat_map(|k| std::mem::take(&mut state.tasks[k.index()]))
                    .collect()
            };
            if tasks.is_empty() {
                return;
            }
            for task in tasks {
                if let Err(e) = task.await
                    && e.is_panic()
                {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
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
            if !state.know(&parent.id) || !is_hub_model_id(&parent.id) {
                continue;
            }
            let cell = Answer::default();
            lock(&self.fetched.models).insert(parent.id.clone(), Arc::clone(&cell));
            let (this, id) = (Arc::clone(self), parent.id.clone());
            let task = self.runtime.spawn(async move {
                let Ok(_slot) = this.slots.acquire().await else {
                    return;
                };
                if cell.initialized() {
                    // The lineage asked first.
                    return;
                }
                let source = &this.sources[AheadKind::BaseModels.index()];
                let answer = cell.get_or_init(|| source.model(&id)).await;
                if let Ok(model) = answer {
                    this.parent_read(&id, model, iteration);
                }
            });
            state.tasks[AheadKind::BaseModels.index()].push(task);
        }
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
        self.datasets_of(&found);
        self.parents_of(&model.id, &model.aliases, &found.base_models, iteration + 1);
    }

    /// Fetch the datasets named in `found` that the run will ask for.
    fn datasets_of(self: &Arc<Self>, found: &Identified) {
        if !self.plan.legacy_datasets && !self.plan.datasets {
            return;
        }
        let mut state = self.lock();
        for dataset in &found.datasets {
            let id = &dataset.id;
            let kind = if may_be_legacy(id) {
                AheadKind::LegacyDatasets
            } else {
                AheadKind::Datasets
            };
            let asked = match kind {
                AheadKind::LegacyDatasets => self.plan.legacy_datasets,
                _ => self.plan.datasets && !state.resolved_as.contains(id),
            };
            if !asked {
                continue;
            }
            if !state.datasets.insert(id.clone()) {
                continue;
            }
            let cell = Answer::default();
            lock(&self.fetched.datasets).insert(id.clone(), Arc::clone(&cell));
            let (this, id) = (Arc::clone(self), id.clone());
            let task = self.runtime.spawn(async move {
                let Ok(_slot) = this.slots.acquire().await else {
                    return;
                };
                if cell.initialized() {
                    // The dataset stage asked first.
                    return;
                }
                let source = &this.sources[kind.index()];
                let answer = cell.get_or_init(|| source.dataset(&id)).await;
                if let Ok(dataset) = answer
                    && dataset.id != id
                {
                    // The record is made from this answer: its canonical id is not asked.
                    this.lock().resolved_as.insert(dataset.id.clone());
                }
            });
            state.tasks[kind.index()].push(task);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
