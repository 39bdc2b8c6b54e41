//! What a run holds while it goes: the assets' values so far, the run folder being written,
//! and what computing an asset reads.

use super::*;

/// Values of the assets computed or loaded so far. Models are places in the run's journal
/// ([`Checkpoint`]): no card stays in memory between stages.
#[derive(Default)]
pub(super) struct State {
    pub(super) latest: Option<SourceModels>,
    pub(super) from_file: Option<SourceModels>,
    pub(super) raw: Option<Arc<Vec<Entry>>>,
    /// How many models the run has (`hf_raw_models`), for the manifest.
    pub(super) run_models: usize,
    /// The shard whose models this process computes, if any.
    pub(super) shard: Option<Shard>,
    /// The run's models and the parents read (`hf_add_ancestor_models`), sorted by id.
    pub(super) with_ancestors: Option<Arc<Vec<Entry>>>,
    pub(super) lineage: Option<Lineage>,
    /// What was identified in the run's models (and the parents read), packed.
    pub(super) identified: Option<PackedRun>,
    /// The answers to the run's namespace-less dataset ids (`hf_identified_datasets`): what
    /// the references are rewritten to, and what `hf_enriched_datasets` does not fetch again.
    pub(super) datasets: Option<ResolvedDatasets>,
    /// Where the stages take what was fetched ahead (see [`crate::pipeline::run_lookahead`]).
    pub(super) ahead: Option<Arc<FetchedAhead>>,
    /// Whether the entity kinds that fetch were launched side by side.
    pub(super) enriched_side_by_side: bool,
    /// The first planned asset that resolves legacy dataset ids, when the run's own ids are
    /// resolved while the lineage is followed (see `hf_add_ancestor_models`).
    pub(super) datasets_early_for: Option<Asset>,
    /// The answers resolved early, for [`HfExtractor::legacy_datasets`] to complete.
    pub(super) datasets_early: Option<ResolvedDatasets>,
    /// Requests made by the asset running for a later one: taken off the running asset's
    /// count and added to the later one's.
    pub(super) requests_for_later: u64,
    pub(super) requests_ahead: BTreeMap<Asset, u64>,
    /// Sources fetched ahead, together: (outcome, its requests, its milliseconds).
    pub(super) prefetched: BTreeMap<Asset, (SourceModels, u64, u64)>,
    /// Entity kinds fetched side by side when the first of them was due: (what was fetched,
    /// its requests, its milliseconds), by asset.
    pub(super) enriched_ahead: BTreeMap<Asset, (Result<Fetched>, u64, u64)>,
    /// Whether the identified maps were written side by side.
    pub(super) identified_side_by_side: bool,
    /// Identified maps written side by side when the first of them was due: (the file
    /// written, its milliseconds), by asset.
    pub(super) identified_ahead: BTreeMap<Asset, (Result<WrittenArray>, u64)>,
    /// `{model_id: [sharer]}` (`hf_identified_sharedby`).
    pub(super) sharedby: Option<BTreeMap<String, Vec<SharedByRef>>>,
    /// `{model_id: [README language]}` (`readme_languages`).
    pub(super) readme: Option<BTreeMap<String, Vec<ReadmeLanguage>>>,
    pub(super) id_file: ModelIdFileReport,
    pub(super) failures: Vec<FailureReport>,
    pub(super) filtered: BTreeMap<String, u64>,
    pub(super) watermark: Option<String>,
    /// What the journal of an interrupted run says of each source (a resumed run).
    pub(super) latest_replay: Option<LatestReplay>,
    pub(super) file_replay: Option<FileReplay>,
    pub(super) resumed: Option<ResumeReport>,
}

/// The entity kinds whose enrichment makes requests, fetched side by side (see
/// `HfExtractor::enrich_side_by_side`).
pub(super) const FETCHED_SIDE_BY_SIDE: [Asset; 5] = [
    Asset::Enriched(Kind::Datasets),
    Asset::Enriched(Kind::Articles),
    Asset::Enriched(Kind::Keywords),
    Asset::Enriched(Kind::Licenses),
    Asset::Enriched(Kind::Tasks),
];

/// The identified maps that need nothing but the packed references (all but the datasets',
/// whose legacy ids are resolved first): written side by side, one per core, when the first
/// of them is due (see `write_identified_side_by_side`).
pub(super) const WRITTEN_SIDE_BY_SIDE: [Asset; 6] = [
    Asset::Identified(Kind::Articles),
    Asset::Identified(Kind::BaseModels),
    Asset::Identified(Kind::Keywords),
    Asset::Identified(Kind::Licenses),
    Asset::Identified(Kind::Languages),
    Asset::Identified(Kind::Tasks),
];

/// The assets whose files are model records (rendered once for all of them, see
/// [`crate::store::record_spool`]).
pub(super) const RECORD_ASSETS: [Asset; 3] = [
    Asset::RawModelsLatest,
    Asset::RawModels,
    Asset::AncestorModels,
];

/// A run folder being written: its journal, its start (the extraction time of its records),
/// what it materialises and where it reads from.
pub(super) struct Run {
    pub(super) folder: RunFolder,
    pub(super) checkpoint: Checkpoint,
    pub(super) stamp: String,
    pub(super) selection: Vec<Asset>,
    pub(super) from: Option<RunFolder>,
    /// The file the run's models are read from, if not extracted (see
    /// [`MaterializeOptions::models`]).
    pub(super) models: Option<PathBuf>,
    /// The shard this process computes, if any.
    pub(super) shard_run: Option<PreparedShard>,
    pub(super) incremental: Incremental,
    pub(super) resuming: bool,
    /// What serves the Hub (see [`MaterializeOptions::served_by`]).
    pub(super) served_by: Option<String>,
}

/// What a model source reads of the run: its journal, the incremental plan and the lookahead
/// to tell of its models.
pub(super) type Sources<'r> = (
    &'r Arrivals,
    &'r Incremental,
    Option<&'r RunLookahead>,
    &'r CpuPool,
);

/// What computing an asset reads of the run.
#[derive(Clone, Copy)]
pub(super) struct Ctx<'r> {
    pub(super) folder: &'r RunFolder,
    pub(super) checkpoint: &'r Checkpoint,
    pub(super) incremental: &'r Incremental,
    pub(super) stamp: &'r str,
    pub(super) lookahead: Option<&'r RunLookahead>,
    /// The run's CPU pool.
    pub(super) cpu: &'r CpuPool,
    /// What is done with each model as it arrives.
    pub(super) arrivals: &'r Arrivals,
}

impl State {
    /// The run's models so far: with their ancestors once the lineage was followed.
    pub(super) fn models(&self) -> Arc<Vec<Entry>> {
        self.with_ancestors
            .as_ref()
            .or(self.raw.as_ref())
            .map(Arc::clone)
            .unwrap_or_default()
    }
}
