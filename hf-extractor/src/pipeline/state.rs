//! What the scheduler holds while a run goes: the typed values the assets hand to the assets
//! after them ([`Value`]), what a stage gives back ([`Done`]), the run folder being written
//! ([`Run`]) and what every stage reads of the run ([`Ctx`]).
//!
//! A value belongs to the scheduler until the last asset that reads it starts; that asset then
//! holds it alone, so a stage that extends its input (the lineage adding parents to the run's
//! models) takes it over without a copy. Nothing is put back: a stage's output is a new value.

use super::*;

/// The run's models as an asset gives them (`hf_raw_models`, `hf_add_ancestor_models`): places
/// in the run's journal ([`Checkpoint`]) with their ids — no card stays in memory between
/// stages — and what was identified in them.
#[derive(Default)]
pub(super) struct Models {
    /// Sorted by id.
    pub(super) entries: Arc<Vec<Entry>>,
    /// What was identified in them, packed.
    pub(super) refs: Arc<PackedRun>,
    /// How the lineage went (`hf_add_ancestor_models`).
    pub(super) lineage: Option<Arc<Lineage>>,
    /// The run's own namespace-less dataset ids, resolved while the lineage was followed: the
    /// answers `hf_identified_datasets` completes.
    pub(super) datasets_early: Option<Arc<ResolvedDatasets>>,
}

/// One kind's identified references (`hf_identified_<kind>`), as its entity records read them.
#[derive(Clone)]
pub(super) struct Refs {
    /// The references, of this kind at least.
    pub(super) refs: Arc<PackedRun>,
    /// The models with their ancestors, when the run has them (the base models' records say
    /// which were read).
    pub(super) models: Option<Arc<Models>>,
    /// The answers to the namespace-less dataset ids, when this run resolved them (datasets):
    /// read through them, `refs` name the canonical ids.
    pub(super) resolved: Option<Arc<ResolvedDatasets>>,
}

/// What an asset hands to the assets that read it.
#[derive(Clone)]
pub(super) enum Value {
    /// Nothing: its file is all of it.
    Nothing,
    /// A model source's models (`hf_raw_models_latest`, `hf_raw_models_from_file`).
    Source(Arc<SourceModels>),
    /// The run's models (`hf_raw_models`, `hf_add_ancestor_models`).
    Models(Arc<Models>),
    /// One kind's references (`hf_identified_<kind>`).
    Refs(Refs),
    /// The sharers of `{model_id: [sharer]}` (`hf_identified_sharedby`).
    Sharers(Arc<SharerTally>),
    /// The language codes of `{model_id: [README language]}` (`hf_detected_readme_languages`).
    Readme(Arc<BTreeSet<String>>),
}

/// The values of an asset's inputs, by asset: each input the plan computed or loaded (an
/// input neither computed nor loaded reads as empty).
#[derive(Default)]
pub(super) struct Inputs(BTreeMap<Asset, Value>);

impl Inputs {
    pub(super) fn insert(&mut self, asset: Asset, value: Value) {
        self.0.insert(asset, value);
    }

    /// A source's models, owned (the merge is their only reader).
    pub(super) fn source(&mut self, asset: Asset) -> SourceModels {
        match self.0.remove(&asset) {
            Some(Value::Source(models)) => Arc::unwrap_or_clone(models),
            _ => SourceModels::default(),
        }
    }

    /// The run's models given by `asset`.
    pub(super) fn models(&self, asset: Asset) -> Option<Arc<Models>> {
        match self.0.get(&asset) {
            Some(Value::Models(models)) => Some(Arc::clone(models)),
            _ => None,
        }
    }

    /// The run's models given by `asset`, owned when this stage is their last reader.
    pub(super) fn take_models(&mut self, asset: Asset) -> Models {
        match self.0.remove(&asset) {
            Some(Value::Models(models)) => {
                Arc::try_unwrap(models).unwrap_or_else(|shared| Models {
                    entries: Arc::clone(&shared.entries),
                    refs: Arc::clone(&shared.refs),
                    lineage: shared.lineage.clone(),
                    datasets_early: shared.datasets_early.clone(),
                })
            }
            _ => Models::default(),
        }
    }

    /// One kind's references (`hf_identified_<kind>`).
    pub(super) fn refs(&self, asset: Asset) -> Option<&Refs> {
        match self.0.get(&asset) {
            Some(Value::Refs(refs)) => Some(refs),
            _ => None,
        }
    }

    /// The sharers of `{model_id: [sharer]}`.
    pub(super) fn sharers(&self) -> Option<Arc<SharerTally>> {
        match self.0.get(&Asset::Identified(Kind::SharedBy)) {
            Some(Value::Sharers(map)) => Some(Arc::clone(map)),
            _ => None,
        }
    }

    /// The language codes of `{model_id: [README language]}`.
    pub(super) fn readme(&self) -> Option<Arc<BTreeSet<String>>> {
        match self.0.get(&Asset::ReadmeLanguages) {
            Some(Value::Readme(map)) => Some(Arc::clone(map)),
            _ => None,
        }
    }
}

/// What the run learnt besides the assets' values, for the manifest.
#[derive(Default)]
pub(super) struct RunFacts {
    /// How many models the run has (`hf_raw_models`; a shard's own).
    pub(super) run_models: Option<usize>,
    pub(super) filtered: BTreeMap<String, u64>,
    pub(super) watermark: Option<String>,
    pub(super) id_file: Option<ModelIdFileReport>,
}

impl RunFacts {
    /// Take in what one asset learnt.
    pub(super) fn add(&mut self, facts: RunFacts) {
        let RunFacts {
            run_models,
            filtered,
            watermark,
            id_file,
        } = facts;
        self.run_models = run_models.or(self.run_models.take());
        for (rule, n) in filtered {
            *self.filtered.entry(rule).or_default() += n;
        }
        self.watermark = watermark.or(self.watermark.take());
        self.id_file = id_file.or(self.id_file.take());
    }
}

/// What computing (or loading, or taking over) an asset gave.
pub(super) struct Done {
    /// Its records.
    pub(super) count: u64,
    /// Its failures as counted in its report.
    pub(super) failures: u64,
    /// The failures it adds to the run's list.
    pub(super) failed: Vec<FailureReport>,
    /// What is written for it.
    pub(super) output: Output,
    /// What it hands to the assets after it.
    pub(super) value: Value,
    /// What the run learnt.
    pub(super) facts: RunFacts,
}

impl Done {
    /// An asset of `count` records written as `output`, handing nothing on.
    pub(super) fn written(count: u64, output: Output) -> Self {
        Self {
            count,
            failures: 0,
            failed: Vec::new(),
            output,
            value: Value::Nothing,
            facts: RunFacts::default(),
        }
    }

    /// This, handing `value` on.
    pub(super) fn giving(mut self, value: Value) -> Self {
        self.value = value;
        self
    }

    /// This, with `failed` added to the run's failures (and counted as its own).
    pub(super) fn failing(mut self, failed: Vec<FailureReport>) -> Self {
        self.failures = failed.len() as u64;
        self.failed = failed;
        self
    }
}

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
    /// How its files of records are laid out.
    pub(super) format: OutputFormat,
}

/// What a model source reads of the run: its journal, the incremental plan and the lookahead
/// to tell of its models.
pub(super) type Sources<'r> = (
    &'r Arrivals,
    &'r Incremental,
    Option<&'r RunLookahead>,
    &'r CpuPool,
);

/// What every stage reads of the run.
#[derive(Clone, Copy)]
pub(super) struct Ctx<'r> {
    /// Where the run's files are written.
    pub(super) files: &'r RunFiles,
    /// Where the run is (the run folder asset's location).
    pub(super) location: &'r Path,
    pub(super) checkpoint: &'r Checkpoint,
    pub(super) incremental: &'r Incremental,
    pub(super) stamp: &'r str,
    pub(super) lookahead: Option<&'r RunLookahead>,
    /// The run's CPU pool.
    pub(super) cpu: &'r CpuPool,
    /// What is done with each model as it arrives.
    pub(super) arrivals: &'r Arrivals,
    /// Whose requests are whose.
    pub(super) requests: &'r Requests,
    pub(super) observer: &'r dyn RunObserver,
    /// The shard whose models this process computes, if any.
    pub(super) shard: Option<Shard>,
    /// The dataset asset that completes the legacy dataset ids resolved while the lineage is
    /// followed, if the run resolves them then.
    pub(super) datasets_early_for: Option<Asset>,
    /// What an interrupted run's journal says of each source (a resumed run).
    pub(super) replayed: &'r Replayed,
}

/// What an interrupted run's journal says of each model source, for the source to take when
/// it starts (a resumed run).
pub(super) struct Replayed {
    latest: std::sync::Mutex<Option<LatestReplay>>,
    file: std::sync::Mutex<Option<FileReplay>>,
}

impl Replayed {
    pub(super) fn new(latest: Option<LatestReplay>, file: Option<FileReplay>) -> Self {
        Self {
            latest: std::sync::Mutex::new(latest),
            file: std::sync::Mutex::new(file),
        }
    }

    /// The latest listing's, taken.
    pub(super) fn latest(&self) -> Option<LatestReplay> {
        self.latest.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// The model-id file's, taken.
    pub(super) fn file(&self) -> Option<FileReplay> {
        self.file.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl<'r> Ctx<'r> {
    /// What was fetched ahead, for the enrichments to take.
    pub(super) fn ahead(&self) -> Option<Arc<FetchedAhead>> {
        self.lookahead.map(RunLookahead::fetched)
    }

    /// What a model source reads.
    pub(super) fn sources(&self) -> Sources<'r> {
        (self.arrivals, self.incremental, self.lookahead, self.cpu)
    }

    /// What writing a file of model records reads.
    pub(super) fn records(&self) -> (&'r CpuPool, &'r RunFiles, &'r Arrivals) {
        (self.cpu, self.files, self.arrivals)
    }
}
