//! A run's [`Lookahead`]: the parents, datasets, vocabularies and papers fetched while the
//! cards come in (see [`hf_enrich::lookahead`]), and whose asset each of those requests is
//! reported under.
//!
//! A run looks ahead when it lists the latest models itself (not a shard, not a resumed run,
//! not with the low-information filter, which decides only at the end which models the run
//! keeps) and plans an asset that fetches after the cards (the lineage, datasets, keywords,
//! tasks, articles). The card requests and the fetches ahead
//! share one in-flight budget of `HF_THREADS` slots.
//!
//! Each request made ahead counts as a request of the asset that would have made it: the
//! parents as `hf_add_ancestor_models`'s, the namespace-less dataset ids as the first dataset
//! asset's, the other datasets as `hf_enriched_datasets`'s, the tag vocabulary, the task
//! catalog and arXiv's papers as those of `hf_enriched_keywords`, `hf_enriched_tasks` and
//! `hf_enriched_articles` ([`RunLookahead::requests_of`], added to the asset's own count in
//! [`crate::pipeline::requests`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hf_client::HfClient;
use hf_enrich::lookahead::{AheadKind, FetchedAhead, Lookahead, LookaheadPlan};
use tokio::sync::Semaphore;

use crate::assets::{Asset, Kind};

/// The asset whose requests the fetches ahead of each kind are.
const LINEAGE: Asset = Asset::AncestorModels;
const IDENTIFIED_DATASETS: Asset = Asset::Identified(Kind::Datasets);
const ENRICHED_DATASETS: Asset = Asset::Enriched(Kind::Datasets);
const KEYWORDS: Asset = Asset::Enriched(Kind::Keywords);
const TASKS: Asset = Asset::Enriched(Kind::Tasks);
const ARTICLES: Asset = Asset::Enriched(Kind::Articles);

/// A run's lookahead, its in-flight budget and the model sources still listing.
#[derive(Debug)]
pub(crate) struct RunLookahead {
    lookahead: Arc<Lookahead>,
    slots: Arc<Semaphore>,
    sources_listing: AtomicUsize,
    sources_running: AtomicUsize,
    /// The asset owning each kind's requests, by [`AheadKind::ALL`] order.
    owners: [Option<Asset>; AheadKind::ALL.len()],
}

/// What decides whether and what a run looks ahead.
pub(crate) struct LookaheadInputs<'p> {
    /// The assets the run computes, in order.
    pub plan: &'p [Asset],
    /// Cards in flight at once (`HF_THREADS`).
    pub threads: usize,
    /// `HF_BASE_MODEL_ITERATIONS`.
    pub base_model_iterations: usize,
    /// Whether only the models passing the low-information filter are kept.
    pub filter_low_info: bool,
    /// Whether the run computes a shard, or resumes an interrupted run.
    pub shard_or_resumed: bool,
}

impl RunLookahead {
    /// The lookahead of a run, if it has one (see the [module](self)).
    pub fn plan(client: &HfClient, inputs: LookaheadInputs<'_>) -> Option<Self> {
        let planned = |asset: Asset| inputs.plan.contains(&asset);
        if !planned(Asset::RawModelsLatest) || inputs.filter_low_info || inputs.shard_or_resumed {
            return None;
        }
        let first_dataset_asset = inputs
            .plan
            .iter()
            .copied()
            .find(|a| *a == IDENTIFIED_DATASETS || *a == ENRICHED_DATASETS);
        let plan = LookaheadPlan {
            base_model_iterations: if planned(LINEAGE) {
                inputs.base_model_iterations
            } else {
                0
            },
            legacy_datasets: first_dataset_asset.is_some(),
            datasets: planned(ENRICHED_DATASETS),
            keywords: planned(KEYWORDS),
            tasks: planned(TASKS),
            articles: planned(ARTICLES),
        };
        if plan.is_empty() {
            return None;
        }
        let sources = if planned(Asset::RawModelsFromFile) {
            2
        } else {
            1
        };
        let slots = Arc::new(Semaphore::new(inputs.threads.max(1)));
        Some(Self {
            lookahead: Lookahead::new(client, Arc::clone(&slots), plan),
            slots,
            sources_listing: AtomicUsize::new(sources),
            sources_running: AtomicUsize::new(sources),
            owners: [
                Some(LINEAGE).filter(|_| plan.base_model_iterations > 0),
                first_dataset_asset,
                Some(ENRICHED_DATASETS).filter(|_| plan.datasets),
                Some(KEYWORDS).filter(|_| plan.keywords),
                Some(TASKS).filter(|_| plan.tasks),
                Some(ARTICLES).filter(|_| plan.articles),
            ],
        })
    }

    /// The lookahead, to tell of the run's models.
    pub fn lookahead(&self) -> &Arc<Lookahead> {
        &self.lookahead
    }

    /// The in-flight budget the card requests share with the fetches ahead.
    pub fn slots(&self) -> Arc<Semaphore> {
        Arc::clone(&self.slots)
    }

    /// Where the stages take what was fetched ahead.
    pub fn fetched(&self) -> Arc<FetchedAhead> {
        self.lookahead.fetched()
    }

    /// One model source knows every model it will give: once all have, the parents are
    /// fetched.
    pub fn source_listed(&self) {
        if self.sources_listing.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.lookahead.run_listed();
        }
    }

    /// One model source gave all its models: once all have, the run's arXiv ids are asked.
    pub fn source_finished(&self) {
        if self.sources_running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.lookahead.run_complete();
        }
    }

    /// The requests made ahead for `asset`, once its fetches are over.
    pub async fn requests_of(&self, asset: Asset) -> u64 {
        let kinds: Vec<AheadKind> = AheadKind::ALL
            .into_iter()
            .zip(self.owners)
            .filter(|(_, owner)| *owner == Some(asset))
            .map(|(kind, _)| kind)
            .collect();
        if kinds.is_empty() {
            return 0;
        }
        self.lookahead.finish_kinds(&kinds).await;
        kinds.iter().map(|k| self.lookahead.requests(*k)).sum()
    }

    /// Wait for the fetches still under way (their answers unused).
    pub async fn finish(&self) {
        self.lookahead.finish().await;
    }
}

impl Drop for RunLookahead {
    /// The run is over, or its future was dropped: no fetch of its goes on.
    fn drop(&mut self) {
        self.lookahead.abort();
    }
}
