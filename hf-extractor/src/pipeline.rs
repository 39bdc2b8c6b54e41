//! [`HfExtractor`]: materialise a selection of assets into a run folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use hf_client::HfClient;
use hf_enrich::enrich::{EnrichmentOptions, HfEnrichment, ProgressEvent};
use hf_enrich::identify::IdentifiedRun;
use hf_enrich::legacy_datasets::ResolvedDatasets;
use hf_enrich::lineage::{Lineage, ModelKey};
use hf_enrich::lookahead::FetchedAhead;
use hf_enrich::model_ids::{ModelIdEntry, ModelIdList};
use hf_enrich::models::{
    FetchedModel, IdsPlan, LatestOptions, ListedPage, ListingPlan, ModelFailure, ModelSource,
    SourceOutcome, latest_models_streaming, models_from_ids_streaming, note_watermark,
};
use hf_enrich::prefetched::Prefetched;
use hf_enrich::readme_languages::ReadmeLanguage;
use hf_enrich::sharedby::SharedByRef;
use hf_enrich::source::{HttpSource, SourceError};
use hf_identifiers::{BaseModelRef, EntityKind, RunIdentified};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::assets::{self, Asset, Kind, graph};
use crate::checkpoint::{Checkpoint, Event};
use crate::config::ExtractorConfig;
use crate::downstream_assets::DownstreamAsset;
use crate::error::{Error, Result};
use crate::incremental::{EarlierRun, Incremental};
use crate::json_stream::for_each_element;
use crate::manifest::{
    AssetReport, FailureReport, HttpReport, MANIFEST_FILE, ManifestConfig, ModelIdFileReport,
    ModelsReport, ResumeReport, RunManifest,
};
use crate::packed_refs::{PackedRefs, PackedRun};
use crate::reports_in_order::InOrderReports;
use crate::reports_in_order::Written::{Behind, Ready, Restored};
use crate::resume::{FileReplay, LatestReplay, Replay};
use crate::run_folder::{FileWriting, RunFolder, WrittenArray};
use crate::run_lookahead::{LookaheadInputs, RunLookahead};
use crate::run_models::{
    Collector, Entry, JournalThreads, SourceModels, identify_entries, keep_positions,
    merge_sources, write_records_behind,
};
use crate::shard::{PreparedShard, Shard, ShardRun};
use hf_enrich::records::{BaseModelEntity, ExtractionMetadata, ModelRecord};

/// What a caller sees of a run as it goes: progress bars, Dagster Pipes.
pub trait RunObserver: Send + Sync {
    /// An asset starts.
    fn asset_started(&self, _name: &str) {}
    /// Progress inside an asset (`done` of `total`, when known).
    fn progress(&self, _name: &str, _done: u64, _total: Option<u64>) {}
    /// An asset's file is written (or it was loaded from an earlier run). Assets are reported
    /// in the run's order; a file written on a thread of its own may let the next asset start
    /// before it is reported.
    fn asset_done(&self, _report: &AssetReport, _path: Option<&Path>) {}
}

/// An observer that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl RunObserver for Silent {}

/// What to materialise.
#[derive(Debug, Clone, Default)]
pub struct MaterializeOptions {
    /// The assets to materialise (see [`assets::select`] for selections as orchestrator users
    /// write them). Empty: all of them.
    pub selection: Vec<Asset>,
    /// An earlier run folder to load upstream assets from instead of recomputing them.
    pub from: Option<PathBuf>,
    /// The run's models (`hf_raw_models`) read from this JSON array of model records (a run
    /// folder's `hf_models.json`, or any file of that shape) instead of extracted from the
    /// Hub. Used by [`HfExtractor::enrich_from_models_json`].
    pub models: Option<PathBuf>,
    /// Compute the per-model stages of one shard of an existing run folder (see
    /// [`crate::shard`]) instead of creating a new run folder.
    pub shard: Option<ShardRun>,
    /// The run's start, stamped on its records. Default: now, or for a shard, the run folder's.
    pub started_at: Option<jiff::Timestamp>,
    /// What serves the Hub, when not the service at the endpoint itself: `hf-extract --offline`
    /// says `"offline-hub"` (its bundled Hub listens on a new loopback port in each process).
    /// Journaled with the run's start ([`RunStart::served_by`](crate::checkpoint::RunStart::served_by)) and written to `run.json`'s
    /// config, so that whoever resumes the run can serve it the same way. Never a secret.
    pub served_by: Option<String>,
}

/// The result of a run: its folder and manifest.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The run folder.
    pub folder: RunFolder,
    /// The manifest written to `run.json`.
    pub manifest: RunManifest,
}

/// The extractor: configuration, a Hub client, and the asset graph.
///
/// ```no_run
/// use hf_extractor::{HfExtractor, assets::Asset, config::ExtractorConfig};
///
/// # async fn run() -> hf_extractor::Result<()> {
/// let extractor = HfExtractor::new(ExtractorConfig::from_env()?)?;
/// let outcome = extractor.run().await?;
/// let models = outcome.manifest.asset(Asset::RawModels).map_or(0, |a| a.count);
/// println!("{}: {models} models", outcome.folder.path().display());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HfExtractor {
    config: ExtractorConfig,
    client: HfClient,
}

/// Values of the assets computed or loaded so far. Models are places in the run's journal
/// ([`Checkpoint`]): no card stays in memory between stages.
#[derive(Default)]
struct State {
    latest: Option<SourceModels>,
    from_file: Option<SourceModels>,
    raw: Option<Vec<Entry>>,
    /// How many models the run has (`hf_raw_models`), for the manifest.
    run_models: usize,
    /// The shard whose models this process computes, if any.
    shard: Option<Shard>,
    /// The run's models and the parents read (`hf_add_ancestor_models`), sorted by id.
    with_ancestors: Option<Vec<Entry>>,
    lineage: Option<Lineage>,
    /// What was identified in the run's models (and the parents read), packed.
    identified: Option<PackedRun>,
    /// The answers to the run's namespace-less dataset ids (`hf_identified_datasets`): what
    /// the references are rewritten to, and what `hf_enriched_datasets` does not fetch again.
    datasets: Option<ResolvedDatasets>,
    /// Where the stages take what was fetched ahead (see [`crate::run_lookahead`]).
    ahead: Option<Arc<FetchedAhead>>,
    /// Whether the entity kinds that fetch were launched side by side.
    enriched_side_by_side: bool,
    /// The first planned asset that resolves legacy dataset ids, when the run's own ids are
    /// resolved while the lineage is followed (see `hf_add_ancestor_models`).
    datasets_early_for: Option<Asset>,
    /// The answers resolved early, for [`HfExtractor::legacy_datasets`] to complete.
    datasets_early: Option<ResolvedDatasets>,
    /// Requests made by the asset running for a later one: taken off the running asset's
    /// count and added to the later one's.
    requests_for_later: u64,
    requests_ahead: BTreeMap<Asset, u64>,
    /// Sources fetched ahead, together: (outcome, its requests, its milliseconds).
    prefetched: BTreeMap<Asset, (SourceModels, u64, u64)>,
    /// Entity kinds fetched side by side when the first of them was due: (what was fetched,
    /// its requests, its milliseconds), by asset.
    enriched_ahead: BTreeMap<Asset, (Result<Fetched>, u64, u64)>,
    /// Whether the identified maps were written side by side.
    identified_side_by_side: bool,
    /// Identified maps written side by side when the first of them was due: (the file
    /// written, its milliseconds), by asset.
    identified_ahead: BTreeMap<Asset, (Result<WrittenArray>, u64)>,
    /// `{model_id: [sharer]}` (`hf_identified_sharedby`).
    sharedby: Option<BTreeMap<String, Vec<SharedByRef>>>,
    /// `{model_id: [README language]}` (`readme_languages`).
    readme: Option<BTreeMap<String, Vec<ReadmeLanguage>>>,
    id_file: ModelIdFileReport,
    failures: Vec<FailureReport>,
    filtered: BTreeMap<String, u64>,
    watermark: Option<String>,
    /// What the journal of an interrupted run says of each source (a resumed run).
    latest_replay: Option<LatestReplay>,
    file_replay: Option<FileReplay>,
    resumed: Option<ResumeReport>,
}

/// The entity kinds whose enrichment makes requests, fetched side by side (see
/// `HfExtractor::enrich_side_by_side`).
const FETCHED_SIDE_BY_SIDE: [Asset; 5] = [
    Asset::Enriched(Kind::Datasets),
    Asset::Enriched(Kind::Articles),
    Asset::Enriched(Kind::Keywords),
    Asset::Enriched(Kind::Licenses),
    Asset::Enriched(Kind::Tasks),
];

/// The identified maps that need nothing but the packed references (all but the datasets',
/// whose legacy ids are resolved first): written side by side, one per core, when the first
/// of them is due (see `write_identified_side_by_side`).
const WRITTEN_SIDE_BY_SIDE: [Asset; 6] = [
    Asset::Identified(Kind::Articles),
    Asset::Identified(Kind::BaseModels),
    Asset::Identified(Kind::Keywords),
    Asset::Identified(Kind::Licenses),
    Asset::Identified(Kind::Languages),
    Asset::Identified(Kind::Tasks),
];

/// The assets whose files are model records (rendered once for all of them, see
/// [`crate::record_spool`]).
const RECORD_ASSETS: [Asset; 3] = [
    Asset::RawModelsLatest,
    Asset::RawModels,
    Asset::AncestorModels,
];

/// A run folder being written: its journal, its start (the extraction time of its records),
/// what it materialises and where it reads from.
struct Run {
    folder: RunFolder,
    checkpoint: Checkpoint,
    stamp: String,
    selection: Vec<Asset>,
    from: Option<RunFolder>,
    /// The file the run's models are read from, if not extracted (see
    /// [`MaterializeOptions::models`]).
    models: Option<PathBuf>,
    /// The shard this process computes, if any.
    shard_run: Option<PreparedShard>,
    incremental: Incremental,
    resuming: bool,
    /// What serves the Hub (see [`MaterializeOptions::served_by`]).
    served_by: Option<String>,
}

/// What a model source reads of the run: its journal, the incremental plan and the lookahead
/// to tell of its models.
type Sources<'r> = (&'r Checkpoint, &'r Incremental, Option<&'r RunLookahead>);

/// What computing an asset reads of the run.
#[derive(Clone, Copy)]
struct Ctx<'r> {
    folder: &'r RunFolder,
    checkpoint: &'r Checkpoint,
    incremental: &'r Incremental,
    stamp: &'r str,
    lookahead: Option<&'r RunLookahead>,
}

/// Take an asset over from the interrupted run being resumed, when its file was written: the
/// lineage (its parents and stubs are in the journal) and the entities. Returns its report.
fn restore(
    asset: Asset,
    folder: &RunFolder,
    checkpoint: &Checkpoint,
    replay: &mut Replay,
    state: &mut State,
) -> Result<Option<AssetReport>> {
    if !matches!(asset, Asset::AncestorModels | Asset::Enriched(_)) {
        return Ok(None);
    }
    let Some((report, failures)) = replay.assets.remove(&asset) else {
        return Ok(None);
    };
    if !report
        .file
        .as_ref()
        .is_some_and(|f| folder.path().join(f).is_file())
    {
        return Ok(None);
    }
    if asset == Asset::AncestorModels {
        let Some(stubs) = replay.stubs.take() else {
            return Ok(None);
        };
        let mut refs = take_identified(checkpoint, state)?;
        let mut all = state.raw.take().unwrap_or_default();
        for (entry, found) in std::mem::take(&mut replay.parents) {
            refs.insert(&entry.key.id, found);
            all.push(entry);
        }
        all.sort_by(|a, b| a.key.id.cmp(&b.key.id));
        let lineage = Lineage {
            stubs,
            renamed: std::mem::take(&mut replay.renamed),
            ..Lineage::default()
        };
        // As the lineage left them: named by the canonical ids of the models read and of the
        // legacy ids resolved.
        let renamed = lineage.renamed_keys();
        refs.canonicalise_base_models(all.iter().map(|e| &e.key).chain(&renamed));
        state.with_ancestors = Some(all);
        state.lineage = Some(lineage);
        state.identified = Some(refs);
    }
    state.failures.extend(failures);
    if let Some(resumed) = &mut state.resumed {
        resumed.assets.push(asset.name().to_owned());
    }
    tracing::info!(%asset, "taken over from the interrupted run");
    Ok(Some(report))
}

impl HfExtractor {
    /// Every setting, one method each ([`HfExtractorBuilder`](crate::config::HfExtractorBuilder)).
    pub fn builder() -> crate::config::HfExtractorBuilder {
        crate::config::HfExtractorBuilder::new()
    }

    /// An extractor for `config`. Fails when the client settings are invalid; touches no file
    /// (the output folder is created, and checked, by the first run).
    pub fn new(config: ExtractorConfig) -> Result<Self> {
        let in_flight = config
            .threads
            .max(config.enrichment_threads)
            .max(hf_client::config::DEFAULT_MAX_IN_FLIGHT);
        let client = config
            .client
            .clone()
            .with_max_in_flight(in_flight)
            .build()
            .map_err(|e| Error::Config {
                variable: "HF_*".into(),
                value: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { config, client })
    }

    /// The configuration.
    pub fn config(&self) -> &ExtractorConfig {
        &self.config
    }

    /// The Hub client (its counters feed the manifest).
    pub fn client(&self) -> &HfClient {
        &self.client
    }

    /// Materialise every asset.
    pub async fn run(&self) -> Result<RunOutcome> {
        self.materialize(&MaterializeOptions::default(), &Silent)
            .await
    }

    /// Materialise a selection into a new run folder, loading upstream assets from
    /// `options.from` when given, and write `run.json`.
    pub async fn materialize(
        &self,
        options: &MaterializeOptions,
        observer: &dyn RunObserver,
    ) -> Result<RunOutcome> {
        let shard_run = options
            .shard
            .as_ref()
            .map(|s| s.prepare(&options.selection, options.from.is_some()))
            .transpose()?;
        let started = options
            .started_at
            .or(shard_run.as_ref().map(|s| s.started))
            .unwrap_or_else(jiff::Timestamp::now);
        let selection = match &shard_run {
            Some(s) => s.selection.clone(),
            None if options.selection.is_empty() => graph(),
            None => options.selection.clone(),
        };
        let from = options.from.as_deref().map(RunFolder::open).transpose()?;
        let incremental = self.incremental()?;
        let folder = match &shard_run {
            Some(s) => s.folder.clone(),
            None => RunFolder::create(&self.config.output_dir, started)?,
        };
        let checkpoint = Checkpoint::create(folder.path())?;
        let stamp = started.to_string();
        checkpoint.append(&Event::Started {
            started_at: stamp.clone(),
            selection: selection.clone(),
            from: from.as_ref().map(|f| f.path().to_owned()),
            models: options.models.clone(),
            endpoint: Some(self.client.endpoint().to_string()),
            served_by: options.served_by.clone(),
        })?;
        let run = Run {
            folder,
            checkpoint,
            stamp,
            selection,
            from,
            models: options.models.clone(),
            shard_run,
            incremental,
            resuming: false,
            served_by: options.served_by.clone(),
        };
        self.run_unless_unreachable(run, Replay::new(self.config.filter_low_info), observer)
            .await
    }

    /// Continue the interrupted run in `folder` (killed at any point) from its journal
    /// (`checkpoint.jsonl`): the listing goes on from its next page, models already fetched and
    /// entity files already written are taken as they are, and the run ends with the files a
    /// clean run would have written. Resume with the same settings as the interrupted run.
    pub async fn resume(&self, folder: &Path, observer: &dyn RunObserver) -> Result<RunOutcome> {
        let folder = RunFolder::open(folder)?;
        let removed = folder.remove_partial_writes()?;
        if removed > 0 {
            tracing::info!(files = removed, "removed what writes cut short left behind");
        }
        let mut replay = Replay::new(self.config.filter_low_info);
        let checkpoint = Checkpoint::open(folder.path(), |at, event| {
            replay.add(at, event);
            Ok(())
        })?;
        let started = replay.started.take().ok_or_else(|| Error::Config {
            variable: "--resume".into(),
            value: folder.path().display().to_string(),
            reason: "its checkpoint.jsonl does not say how the run started".into(),
        })?;
        tracing::info!(folder = %folder.path().display(), "resuming the run");
        if let (Some(earlier), Some(latest)) = (&started.endpoint, &mut replay.latest) {
            latest.rebase(earlier, self.client.endpoint().as_str());
        }
        let run = Run {
            from: started.from.as_deref().map(RunFolder::open).transpose()?,
            models: started.models,
            folder,
            checkpoint,
            stamp: started.started_at,
            selection: started.selection,
            shard_run: None,
            incremental: self.incremental()?,
            resuming: true,
            served_by: started.served_by,
        };
        self.run_unless_unreachable(run, replay, observer).await
    }

    /// [`Self::run_in`], stopped as soon as the client gives up on the Hub because its endpoint
    /// refused every connection from the first request on ([`hf_client::Error::Unreachable`]):
    /// the run then fails within seconds with [`Error::Unreachable`] (its journal kept, so it
    /// can be resumed) instead of noting every model as failed. Refusals after the Hub
    /// answered are retried by the client as any transport error.
    async fn run_unless_unreachable(
        &self,
        run: Run,
        replay: Replay,
        observer: &dyn RunObserver,
    ) -> Result<RunOutcome> {
        let folder = run.folder.path().to_owned();
        let endpoint = self.client.endpoint();
        tokio::select! {
            biased;
            source = self.client.unreachable(endpoint) => Err(Error::Unreachable {
                endpoint: endpoint.to_string(),
                folder,
                source: Box::new(source),
            }),
            outcome = self.run_in(run, replay, observer) => outcome,
        }
    }

    /// The incremental settings: `since` (given, or the earlier run's watermark) and the
    /// earlier run's cards.
    fn incremental(&self) -> Result<Incremental> {
        let earlier = self
            .config
            .since_run
            .as_deref()
            .map(EarlierRun::open)
            .transpose()?;
        Ok(Incremental::new(
            self.config.since.or(earlier.as_ref().map(|e| e.watermark)),
            earlier,
        ))
    }

    async fn run_in(
        &self,
        run: Run,
        mut replay: Replay,
        observer: &dyn RunObserver,
    ) -> Result<RunOutcome> {
        let resumed = run.resuming.then(|| ResumeReport {
            pages: replay.latest.as_ref().map_or(0, |l| l.pages),
            models: replay.latest.as_ref().map_or(0, |l| l.models.len() as u64)
                + replay.file.as_ref().map_or(0, |f| f.models.len() as u64),
            failures: replay.file.as_ref().map_or(0, |f| f.failures.len() as u64),
            assets: Vec::new(),
        });
        let Run {
            folder,
            checkpoint,
            stamp,
            selection,
            from,
            models,
            shard_run,
            incremental,
            served_by,
            ..
        } = run;
        // Where each asset not selected can be loaded from: its file.
        let source_of = |asset: Asset| -> Option<PathBuf> {
            if let (Asset::RawModels, Some(models)) = (asset, &models) {
                return Some(models.clone());
            }
            let file = asset.file()?;
            let folder = match &shard_run {
                Some(s) => s.source_of(asset)?,
                None => from.clone()?,
            };
            Some(folder.path().join(file)).filter(|path| path.is_file())
        };
        let available: BTreeSet<Asset> = graph()
            .into_iter()
            .filter(|a| !selection.contains(a) && source_of(*a).is_some())
            .collect();
        let plan = assets::plan(&selection, &available);
        let planned = |asset: Asset| plan.contains(&asset);
        if planned(Asset::ReadmeLanguages) {
            checkpoint.detect_languages_ahead();
        }
        let sharedby =
            planned(Asset::Identified(Kind::SharedBy)) || planned(Asset::Enriched(Kind::SharedBy));
        let citation = planned(Asset::ChunkCitation);
        if sharedby || citation {
            checkpoint.derive_ahead(sharedby, citation);
        }
        if plan.iter().any(|a| RECORD_ASSETS.contains(a)) {
            checkpoint.keep_records(&stamp)?;
        }
        let datasets_early_for = plan
            .iter()
            .skip_while(|a| **a != Asset::AncestorModels)
            .find(|a| {
                matches!(
                    a,
                    Asset::Identified(Kind::Datasets) | Asset::Enriched(Kind::Datasets)
                )
            })
            .copied();
        let lookahead = RunLookahead::plan(
            &self.client,
            LookaheadInputs {
                plan: &plan,
                threads: self.config.threads,
                base_model_iterations: self.config.base_model_iterations,
                filter_low_info: self.config.filter_low_info,
                shard_or_resumed: shard_run.is_some() || resumed.is_some(),
            },
        );
        let lookahead = lookahead.as_ref();
        tracing::info!(folder = %folder.path().display(), assets = plan.len(), "run started");
        // The client may have served earlier runs: the manifest counts this one's requests.
        let stats_at_start = self.client.stats();
        let mut state = State {
            latest_replay: replay.latest.take(),
            file_replay: replay.file.take(),
            resumed,
            shard: shard_run.as_ref().map(|s| s.shard),
            datasets_early_for,
            ahead: lookahead.map(RunLookahead::fetched),
            ..State::default()
        };
        let mut reports = Vec::new();
        let mut reporting = InOrderReports::default();

        // Upstream assets the plan needs but does not compute come from the earlier run.
        {
            let full = graph();
            let needed: Vec<Asset> = full
                .iter()
                .copied()
                .filter(|a| available.contains(a))
                .filter(|a| {
                    full.iter()
                        .any(|p| plan.contains(p) && p.deps().contains(a))
                })
                .collect();
            for asset in needed {
                let Some(path) = source_of(asset) else {
                    continue;
                };
                let t = Instant::now();
                let count = load(&path, asset, &checkpoint, &mut state)?;
                // Where it came from: the earlier run folder, or the models file given.
                let earlier = match asset {
                    Asset::RawModels if models.is_some() => path.as_path(),
                    _ => path.parent().unwrap_or(&path),
                };
                let report = AssetReport {
                    file: asset.file().map(str::to_owned),
                    name: asset.name().to_owned(),
                    count,
                    loaded_from: Some(earlier.display().to_string()),
                    duration_ms: elapsed_ms(t),
                    ..AssetReport::default()
                };
                observer.asset_done(&report, None);
                reports.push(report);
            }
        }

        // The two model sources run at the same time; each counts its own requests.
        let both = [Asset::RawModelsLatest, Asset::RawModelsFromFile];
        if both.iter().all(|a| plan.contains(a)) {
            for asset in both {
                observer.asset_started(asset.name());
            }
            let (latest_client, latest_requests) = self.client.counted();
            let (file_client, file_requests) = self.client.counted();
            let t = Instant::now();
            let num_models = self.config.num_models as u64;
            let on_latest =
                |done: usize| observer.progress(both[0].name(), done as u64, Some(num_models));
            let latest_replay = state.latest_replay.take();
            let latest = async {
                let outcome = self
                    .latest_source(
                        &latest_client,
                        (&checkpoint, &incremental, lookahead),
                        latest_replay,
                        &on_latest,
                    )
                    .await;
                (outcome, elapsed_ms(t))
            };
            let file = async {
                let outcome = self
                    .models_from_file(
                        &file_client,
                        (&checkpoint, &incremental, lookahead),
                        &mut state,
                        observer,
                    )
                    .await;
                (outcome, elapsed_ms(t))
            };
            let ((latest, latest_ms), (file, file_ms)) = tokio::join!(latest, file);
            let (latest, file) = (latest?, file?);
            state
                .prefetched
                .insert(both[0], (latest, latest_requests.get(), latest_ms));
            state
                .prefetched
                .insert(both[1], (file, file_requests.get(), file_ms));
        }

        for &asset in &plan {
            if let Some(report) = restore(asset, &folder, &checkpoint, &mut replay, &mut state)? {
                let path = report.file.as_ref().map(|f| folder.path().join(f));
                reporting.push(report, Vec::new(), Restored(path));
                reporting.report(&checkpoint, observer, &mut reports, false)?;
                continue;
            }
            if FETCHED_SIDE_BY_SIDE.contains(&asset) && !state.enriched_side_by_side {
                // The entity kinds that fetch run side by side: this one and the ones planned
                // after it (except those an interrupted run already wrote).
                let kinds: Vec<Asset> = plan
                    .iter()
                    .copied()
                    .filter(|a| FETCHED_SIDE_BY_SIDE.contains(a))
                    .filter(|a| !replay.assets.contains_key(a))
                    .collect();
                let run = (&checkpoint, lookahead);
                self.enrich_side_by_side(&kinds, run, &stamp, &mut state, observer)
                    .await?;
            }
            if WRITTEN_SIDE_BY_SIDE.contains(&asset) && !state.identified_side_by_side {
                // This identified map and the ones planned after it.
                let kinds: Vec<Asset> = plan
                    .iter()
                    .copied()
                    .skip_while(|a| *a != asset)
                    .filter(|a| WRITTEN_SIDE_BY_SIDE.contains(a))
                    .collect();
                write_identified_side_by_side(&kinds, &folder, &checkpoint, &mut state, observer)?;
            }
            if !state.prefetched.contains_key(&asset)
                && !state.enriched_ahead.contains_key(&asset)
                && !state.identified_ahead.contains_key(&asset)
            {
                observer.asset_started(asset.name());
            }
            let failures_before = state.failures.len();
            let t = Instant::now();
            let before = self.own_requests(lookahead);
            let prefetched = state
                .prefetched
                .get(&asset)
                .map(|(_, requests, ms)| (*requests, *ms))
                .or_else(|| {
                    state
                        .enriched_ahead
                        .get(&asset)
                        .map(|(_, requests, ms)| (*requests, *ms))
                })
                .or_else(|| state.identified_ahead.get(&asset).map(|(_, ms)| (0, *ms)));
            let ctx = Ctx {
                folder: &folder,
                checkpoint: &checkpoint,
                incremental: &incremental,
                stamp: &stamp,
                lookahead,
            };
            let (count, failures, output) = self.compute(asset, ctx, &mut state, observer).await?;
            let (requests, duration_ms) = prefetched
                .unwrap_or_else(|| (self.own_requests(lookahead) - before, elapsed_ms(t)));
            // Requests made here for a later asset count as that asset's; so do those made
            // ahead for this one.
            let lent = std::mem::take(&mut state.requests_for_later);
            let mut owed = state.requests_ahead.remove(&asset).unwrap_or(0);
            if let Some(lookahead) = lookahead {
                owed += lookahead.requests_of(asset).await;
            }
            let requests = requests.saturating_sub(lent) + owed;
            let mut report = AssetReport {
                name: asset.name().to_owned(),
                file: asset.file().map(str::to_owned),
                count,
                failures,
                requests,
                duration_ms,
                ..AssetReport::default()
            };
            let written = match (&report.file, output) {
                (Some(file), Output::Value(value)) => Behind(
                    folder.write_json_behind(file, value, count)?,
                    Instant::now(),
                ),
                (_, Output::Written(written)) => {
                    report.sha256 = Some(written.sha256);
                    Ready(Some(written.path))
                }
                (_, Output::Writing(writing)) => Behind(writing, Instant::now()),
                // The folder is the asset: observers hear where it is.
                (None, Output::None) if asset == Asset::RunFolder => {
                    Ready(Some(folder.path().to_owned()))
                }
                _ => Ready(None),
            };
            let failures = state.failures[failures_before..].to_vec();
            reporting.push(report, failures, written);
            reporting.report(&checkpoint, observer, &mut reports, false)?;
        }
        reporting.report(&checkpoint, observer, &mut reports, true)?;

        if let Some(lookahead) = lookahead {
            lookahead.finish().await;
        }
        let models = state.run_models;
        let models_report = ModelsReport::new(&reports, models as u64, state.id_file.ids as u64);
        let mut failures = state.failures;
        failures.sort();
        let manifest = RunManifest {
            tool: "hf-extractor".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            run_folder: folder.name().to_owned(),
            started_at: stamp,
            finished_at: jiff::Timestamp::now().to_string(),
            config: ManifestConfig {
                served_by,
                ..ManifestConfig::new(&self.config, self.client.config())
            },
            selection: selection.iter().map(|a| a.name().to_owned()).collect(),
            from_run: from
                .map(|f| f.path().display().to_string())
                .or(shard_run.map(|s| s.run_folder.path().display().to_string())),
            assets: reports,
            filtered: state.filtered,
            model_id_file: state.id_file,
            http: HttpReport::new(&self.client.stats().since(&stats_at_start), models),
            models: models_report,
            failures,
            watermark: state
                .watermark
                .or_else(|| incremental.since.map(|t| t.to_string())),
            incremental: incremental.report(),
            resumed: state.resumed,
        };
        folder.write_json(MANIFEST_FILE, &manifest)?;
        tracing::info!(folder = %folder.path().display(), "run finished");
        Ok(RunOutcome { folder, manifest })
    }

    /// Compute one asset: (records, failures, what to write).
    async fn compute(
        &self,
        asset: Asset,
        run: Ctx<'_>,
        state: &mut State,
        observer: &dyn RunObserver,
    ) -> Result<(u64, u64, Output)> {
        let Ctx {
            folder,
            checkpoint,
            incremental,
            stamp,
            lookahead,
        } = run;
        let name = asset.name();
        let file = asset.file().unwrap_or_default();
        match asset {
            Asset::RunFolder => Ok((0, 0, Output::None)),
            Asset::RawModelsLatest => {
                let models = match state.prefetched.remove(&asset) {
                    Some((models, ..)) => models,
                    None => {
                        let total = self.config.num_models as u64;
                        let on_model =
                            |done: usize| observer.progress(name, done as u64, Some(total));
                        let replay = state.latest_replay.take();
                        let sources = (checkpoint, incremental, lookahead);
                        self.latest_source(&self.client, sources, replay, &on_model)
                            .await?
                    }
                };
                let result = source_result(name, folder, checkpoint, file, &models, stamp, state);
                state.latest = Some(models);
                result
            }
            Asset::RawModelsFromFile => {
                let models = match state.prefetched.remove(&asset) {
                    Some((models, ..)) => models,
                    None => {
                        let client = self.client.clone();
                        let sources = (checkpoint, incremental, lookahead);
                        self.models_from_file(&client, sources, state, observer)
                            .await?
                    }
                };
                let result = source_result(name, folder, checkpoint, file, &models, stamp, state);
                state.from_file = Some(models);
                result
            }
            Asset::AncestorModels => {
                // The run's models move on into the list with their ancestors; a shard's other
                // models stay beside, known but followed by their own shard.
                let (raw, beside): (Vec<Entry>, Vec<Entry>) = match state.shard {
                    Some(shard) => state
                        .raw
                        .take()
                        .unwrap_or_default()
                        .into_iter()
                        .partition(|e| shard.contains(&e.key.id)),
                    None => (state.raw.take().unwrap_or_default(), Vec::new()),
                };
                if state.shard.is_some() {
                    state.run_models = raw.len();
                }
                // Identified with the listing; a shard identifies its own models only.
                let mut run_identified = match (state.shard, state.identified.take()) {
                    (None, Some(identified)) => identified,
                    _ => identify_entries(checkpoint, &raw)?,
                };
                let keys: Vec<ModelKey> = raw.iter().map(|e| e.key.clone()).collect();
                let beside: Vec<ModelKey> = beside.into_iter().map(|e| e.key).collect();
                let (enrichment, events) =
                    self.reporting_enrichment(self.client.clone(), stamp, state.ahead.as_ref());
                // The enrichment moves into the work, so its progress sender is dropped (and the
                // forwarding ends) when the work is done. The lineage reads the base models
                // only; they come back canonicalised, with the parents' references, which join
                // the packed run.
                let (keys, beside) = (&keys, &beside);
                let refs = RunIdentified {
                    base_models: run_identified.take_base_models(),
                    ..RunIdentified::default()
                };
                let work = async move {
                    enrichment
                        .ancestors_of_identified(keys, beside, refs, |found| found)
                        .await
                };
                // While the lineage is followed, the run's own legacy dataset ids are resolved
                // (the parents' few are asked later, by the dataset stage), each through a
                // client counting its requests for that stage.
                let early = state.datasets_early_for.is_some() && state.datasets.is_none();
                let early_ids = early.then(|| run_identified.for_enrichment(EntityKind::Datasets));
                let (early_client, early_requests) = self.client.counted();
                let early_enrichment =
                    self.enrichment_on(early_client, stamp, state.ahead.as_ref());
                let resolve = async {
                    match &early_ids {
                        Some(ids) => Some(early_enrichment.resolve_datasets(ids).await),
                        None => None,
                    }
                };
                let ((mut lineage, found), (), early_resolved) =
                    tokio::join!(work, forward_progress(events, name, observer), resolve);
                if let (Some(resolved), Some(owner)) = (early_resolved, &state.datasets_early_for) {
                    let n = early_requests.get();
                    state.requests_for_later += n;
                    *state.requests_ahead.entry(*owner).or_default() += n;
                    state.datasets_early = Some(resolved);
                }
                let mut identified = run_identified;
                identified.add_lineage(found.refs);
                for stub in &lineage.stubs {
                    state.failures.push(FailureReport {
                        asset: name.to_owned(),
                        id: stub.id.clone(),
                        line: None,
                        status: stub.status,
                        error: stub.reason.clone(),
                    });
                }
                let mut all = raw;
                // The parents go to the journal too: later stages read the stubs of the
                // lineage, not its models.
                for (position, parent) in std::mem::take(&mut lineage.models).iter().enumerate() {
                    let at = checkpoint.append_model(ModelSource::Lineage, position, parent)?;
                    all.push(Entry {
                        key: ModelKey::of(parent),
                        at,
                    });
                }
                checkpoint.append(&Event::Lineage {
                    stubs: lineage.stubs.clone(),
                    renamed: lineage.renamed.clone(),
                })?;
                all.sort_by(|a, b| a.key.id.cmp(&b.key.id));
                let count = all.len() as u64;
                let models = all
                    .iter()
                    .map(|e| (e.at, base_model_refs(&identified, &e.key.id)));
                let writing = write_records_behind(folder, checkpoint, file, models, stamp)?;
                let failures = lineage.stubs.len() as u64;
                state.with_ancestors = Some(all);
                state.lineage = Some(lineage);
                state.identified = Some(identified);
                Ok((count, failures, Output::Writing(writing)))
            }
            Asset::ReadmeLanguages => downstream(
                DownstreamAsset::ReadmeLanguages,
                (folder, file),
                stamp,
                state,
                checkpoint,
            ),
            Asset::ChunkCitation => downstream(
                DownstreamAsset::ChunkCitation,
                (folder, file),
                stamp,
                state,
                checkpoint,
            ),
            Asset::ModelcardChunks => downstream(
                DownstreamAsset::ModelcardChunks,
                (folder, file),
                stamp,
                state,
                checkpoint,
            ),
            Asset::CatalogSources => downstream(
                DownstreamAsset::CatalogSources,
                (folder, file),
                stamp,
                state,
                checkpoint,
            ),
            Asset::Enriched(Kind::Languages) => {
                let identified = take_identified(checkpoint, state)?;
                let readme = state.readme.as_ref();
                let codes = readme
                    .into_iter()
                    .flat_map(|m| m.values().flatten())
                    .map(|l| l.code.as_str());
                let languages = identified.for_enrichment(EntityKind::Languages);
                let entities = self.enrichment(stamp).languages_with(&languages, codes);
                state.identified = Some(identified);
                Ok((entities.len() as u64, 0, Output::Value(to_json(&entities)?)))
            }
            Asset::Identified(kind) => {
                let Some(kind) = kind.entity() else {
                    // Who shares each model: derived from its id, not identified.
                    let which = DownstreamAsset::SharerMap;
                    return downstream(which, (folder, file), stamp, state, checkpoint);
                };
                if let Some((written, _)) = state.identified_ahead.remove(&asset) {
                    let written = written?;
                    return Ok((written.count, 0, Output::Written(written)));
                }
                let mut identified = take_identified(checkpoint, state)?;
                if kind == EntityKind::Datasets {
                    self.legacy_datasets(stamp, &mut identified, state).await;
                }
                let written = write_identified_map(folder, file, &identified, kind);
                state.identified = Some(identified);
                let written = written?;
                Ok((written.count, 0, Output::Written(written)))
            }
            Asset::Enriched(kind) => {
                let Some(kind) = kind.entity() else {
                    let which = DownstreamAsset::Sharers;
                    return downstream(which, (folder, file), stamp, state, checkpoint);
                };
                let mut identified = take_identified(checkpoint, state)?;
                if kind == EntityKind::Datasets {
                    self.legacy_datasets(stamp, &mut identified, state).await;
                }
                let result = self
                    .enriched(asset, kind, &identified, stamp, state, observer)
                    .await;
                state.identified = Some(identified);
                result
            }
            Asset::RawModels => {
                let (entries, identified, merged) = merge_sources(
                    checkpoint,
                    [
                        state.latest.take().unwrap_or_default(),
                        state.from_file.take().unwrap_or_default(),
                    ],
                )?;
                for (rule, n) in &merged.filtered {
                    *state.filtered.entry(to_key(rule)).or_default() += n;
                }
                state.watermark = merged.newest_last_modified.clone();
                let count = entries.len() as u64;
                let models = entries
                    .iter()
                    .map(|e| (e.at, base_model_refs(&identified, &e.key.id)));
                let writing = write_records_behind(folder, checkpoint, file, models, stamp)?;
                state.run_models = entries.len();
                state.raw = Some(entries);
                state.identified = Some(identified);
                Ok((count, 0, Output::Writing(writing)))
            }
        }
    }

    /// Requests sent so far, less those made ahead (each counted as its own asset's).
    fn own_requests(&self, lookahead: Option<&RunLookahead>) -> u64 {
        let ahead = lookahead.map_or(0, RunLookahead::total_requests);
        self.client.stats().total_requests() - ahead
    }

    pub(crate) fn enrichment(&self, stamp: &str) -> HfEnrichment<Prefetched<HttpSource>> {
        self.enrichment_on(self.client.clone(), stamp, None)
    }

    /// An enrichment through `client`, taking what was fetched `ahead`.
    fn enrichment_on(
        &self,
        client: HfClient,
        stamp: &str,
        ahead: Option<&Arc<FetchedAhead>>,
    ) -> HfEnrichment<Prefetched<HttpSource>> {
        let ahead = ahead.cloned().unwrap_or_default();
        HfEnrichment::new(
            Prefetched::new(HttpSource::new(client), ahead),
            EnrichmentOptions {
                threads: self.config.enrichment_threads,
                base_model_iterations: self.config.base_model_iterations,
            },
        )
        .with_extraction_time(stamp)
    }

    /// Legacy dataset ids resolved once per run (the first of the dataset stages asks), and
    /// the run's dataset references rewritten to the canonical ids
    /// ([`hf_enrich::legacy_datasets`]).
    async fn legacy_datasets(&self, stamp: &str, identified: &mut PackedRun, state: &mut State) {
        if state.datasets.is_some() {
            // Resolved by the other dataset stage, which rewrote this very run.
            return;
        }
        let datasets = identified.for_enrichment(EntityKind::Datasets);
        let known = state.datasets_early.take().unwrap_or_default();
        let resolved = self
            .enrichment_on(self.client.clone(), stamp, state.ahead.as_ref())
            .resolve_datasets_beyond(&datasets, known)
            .await;
        if !resolved.is_empty() {
            identified.rewrite(EntityKind::Datasets, |refs| resolved.canonicalise(refs));
        }
        state.datasets = Some(resolved);
    }

    /// One `hf_enriched_<kind>` asset.
    async fn enriched(
        &self,
        asset: Asset,
        kind: EntityKind,
        identified: &PackedRun,
        stamp: &str,
        state: &mut State,
        observer: &dyn RunObserver,
    ) -> Result<(u64, u64, Output)> {
        let name = asset.name();
        if kind == EntityKind::BaseModels {
            let models = state.with_ancestors.as_deref().or(state.raw.as_deref());
            let keys: Vec<ModelKey> = models
                .unwrap_or_default()
                .iter()
                .map(|e| e.key.clone())
                .collect();
            let ids = identified.ids(EntityKind::BaseModels);
            let entities = base_model_entities(&ids, &keys, state.lineage.as_ref(), stamp);
            let unread = entities.iter().filter(|e| !e.enriched).count();
            return Ok((
                entities.len() as u64,
                unread as u64,
                Output::Value(to_json(&entities)?),
            ));
        }
        let fetched = match state.enriched_ahead.remove(&asset) {
            Some((fetched, ..)) => fetched,
            None => {
                let (enrichment, events) =
                    self.reporting_enrichment(self.client.clone(), stamp, state.ahead.as_ref());
                // What this kind's enrichment reads, decoded: its ids (and the articles'
                // kinds, the licenses' names).
                let identified = &identified.for_enrichment(kind);
                let resolved = state.datasets.as_ref();
                let work = async move { fetch_kind(&enrichment, kind, identified, resolved).await };
                let (fetched, ()) = tokio::join!(work, forward_progress(events, name, observer));
                fetched
            }
        };
        let (count, value, failed) = fetched?;
        let failures = failed.len() as u64;
        for (id, status, error) in failed {
            state.failures.push(FailureReport {
                asset: name.to_owned(),
                id,
                line: None,
                status,
                error,
            });
        }
        Ok((count as u64, failures, Output::Value(value)))
    }

    /// An enrichment through `client` whose progress events come out of the returned receiver.
    fn reporting_enrichment(
        &self,
        client: HfClient,
        stamp: &str,
        ahead: Option<&Arc<FetchedAhead>>,
    ) -> (
        HfEnrichment<Prefetched<HttpSource>>,
        tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let enrichment = self
            .enrichment_on(client, stamp, ahead)
            .with_progress(move |event| {
                let _ = tx.send(event);
            });
        (enrichment, rx)
    }

    /// Fetch the entity kinds of `assets` (`hf_enriched_<kind>`) side by side, each through a
    /// client counting its own requests, into [`State::enriched_ahead`]: each kind is a few
    /// requests that wait on one another (the tag vocabulary, the task catalog, the arXiv
    /// batch, the datasets), so one after the other they cost a round trip each. The client's
    /// in-flight limit still holds for all of them together. Each asset is reported started
    /// now, and written (in plan order) with what its kind fetched.
    async fn enrich_side_by_side(
        &self,
        assets: &[Asset],
        (checkpoint, lookahead): (&Checkpoint, Option<&RunLookahead>),
        stamp: &str,
        state: &mut State,
        observer: &dyn RunObserver,
    ) -> Result<()> {
        state.enriched_side_by_side = true;
        if assets.len() < 2 {
            return Ok(());
        }
        let mut identified = take_identified(checkpoint, state)?;
        let datasets = Asset::Enriched(Kind::Datasets);
        if assets.contains(&datasets) {
            // Asked before the asset's own count starts: counted as its requests.
            let before = self.own_requests(lookahead);
            self.legacy_datasets(stamp, &mut identified, state).await;
            let asked = self.own_requests(lookahead) - before;
            *state.requests_ahead.entry(datasets).or_default() += asked;
        }
        // Each fetching kind's asset with what its enrichment reads.
        let inputs: Vec<(Asset, EntityKind, IdentifiedRun)> = assets
            .iter()
            .filter_map(|asset| {
                match *asset {
                    Asset::Enriched(kind) => kind.entity(),
                    _ => None,
                }
                .map(|kind| (*asset, kind, identified.for_enrichment(kind)))
            })
            .collect();
        state.identified = Some(identified);
        let resolved = state.datasets.as_ref();
        let ahead = state.ahead.as_ref();
        let fetches = inputs.iter().map(|(asset, kind, reads)| async move {
            let name = asset.name();
            observer.asset_started(name);
            let (client, requests) = self.client.counted();
            let (enrichment, events) = self.reporting_enrichment(client, stamp, ahead);
            let t = Instant::now();
            let work = async move { fetch_kind(&enrichment, *kind, reads, resolved).await };
            let (fetched, ()) = tokio::join!(work, forward_progress(events, name, observer));
            (*asset, fetched, requests.get(), elapsed_ms(t))
        });
        let fetched = futures::future::join_all(fetches).await;
        for (asset, fetched, requests, ms) in fetched {
            state.enriched_ahead.insert(asset, (fetched, requests, ms));
        }
        Ok(())
    }
}

/// Hand progress events to the observer until the enrichment that sends them is dropped.
async fn forward_progress(
    mut events: tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>,
    name: &str,
    observer: &dyn RunObserver,
) {
    while let Some(event) = events.recv().await {
        observer.progress(name, event.done as u64, Some(event.total as u64));
    }
}

/// Fetch one kind: (records, the file's value, the failures as (id, status, reason)).
type Fetched = (usize, serde_json::Value, Vec<(String, Option<u16>, String)>);

async fn fetch_kind(
    enrichment: &HfEnrichment<Prefetched<HttpSource>>,
    kind: EntityKind,
    identified: &IdentifiedRun,
    resolved: Option<&ResolvedDatasets>,
) -> Result<Fetched> {
    let mut failed: Vec<(String, Option<u16>, String)> = Vec::new();
    let mut note = |id: &str, error: &Option<SourceError>| {
        if let Some(e) = error {
            failed.push((id.to_owned(), e.status, e.message.clone()));
        }
    };
    let (count, value) = match kind {
        EntityKind::Datasets => {
            let entities = match resolved {
                Some(resolved) => enrichment.datasets_resolved(identified, resolved).await,
                None => enrichment.datasets(identified).await,
            };
            entities.iter().for_each(|e| note(&e.id, &e.error));
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Articles => {
            let entities = enrichment.articles(identified).await;
            entities.iter().for_each(|e| note(&e.id, &e.error));
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Keywords => {
            let entities = enrichment.keywords(identified).await;
            entities.iter().for_each(|e| note(&e.id, &e.error));
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Licenses => {
            let entities = enrichment.licenses(identified).await;
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Languages => {
            let entities = enrichment.languages(identified);
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Tasks => {
            let entities = enrichment.tasks(identified).await;
            if let Some(reason) = &entities.fallback_reason {
                tracing::warn!(%reason, "task catalog: using the embedded pipeline types");
            }
            (entities.tasks.len(), to_json(&entities.tasks)?)
        }
        // Their records are made from the lineage ([`base_model_entities`]), not fetched.
        EntityKind::BaseModels => {
            return Err(Error::Config {
                variable: "asset".into(),
                value: Asset::Enriched(Kind::BaseModels).name().into(),
                reason: "base models are read by the lineage, not fetched by kind".into(),
            });
        }
    };
    Ok((count, value, failed))
}

impl HfExtractor {
    fn latest_options(&self) -> LatestOptions {
        LatestOptions {
            num_models: self.config.num_models,
            update_recent: self.config.update_recent,
            threads: self.config.threads,
            filter_low_info: self.config.filter_low_info,
        }
    }

    /// The latest-N source, each model journaled as its card arrives.
    async fn latest_source(
        &self,
        client: &HfClient,
        (checkpoint, incremental, lookahead): Sources<'_>,
        mut replay: Option<LatestReplay>,
        on_model: &(dyn Fn(usize) + Sync),
    ) -> Result<SourceModels> {
        let collector = Collector::new(checkpoint.clone(), ModelSource::Latest)
            .with_lookahead(lookahead.map(|l| Arc::clone(l.lookahead())));
        let collector = Arc::new(collector);
        let resume = replay.as_mut().and_then(LatestReplay::listing);
        if let Some(replay) = replay {
            collector.seed(replay.models);
        }
        // Identifying, journaling and rendering happen on threads of their own, so the card
        // loop only hands the models over.
        let journal = JournalThreads::start(&collector);
        let handed = AtomicUsize::new(collector.len());
        let sink = |position: usize, model: FetchedModel| {
            journal.send(&collector, position, model);
            on_model(handed.fetch_add(1, Ordering::Relaxed) + 1);
        };
        let on_page = |page: &ListedPage| {
            if let Some(lookahead) = lookahead {
                let ids = page.items.iter().map(|info| info.id.as_str());
                lookahead.lookahead().listed(ids);
            }
            collector.note(checkpoint.append_page(page));
        };
        let on_listed = || {
            if let Some(lookahead) = lookahead {
                lookahead.source_listed();
            }
        };
        let plan = ListingPlan {
            since: incremental.since,
            resume,
            cards: incremental.cards(),
            on_page: Some(&on_page),
            on_listed: Some(&on_listed),
            slots: lookahead.map(RunLookahead::slots),
        };
        let streamed = latest_models_streaming(client, self.latest_options(), &plan, &sink).await;
        journal.finish();
        if let Some(lookahead) = lookahead {
            lookahead.source_finished();
        }
        let models = keep_positions(collector.finish()?, &streamed.kept);
        Ok(SourceModels {
            outcome: streamed.outcome,
            models,
        })
    }

    async fn models_from_file(
        &self,
        client: &HfClient,
        (checkpoint, incremental, lookahead): Sources<'_>,
        state: &mut State,
        observer: &dyn RunObserver,
    ) -> Result<SourceModels> {
        let path = &self.config.models_file_path;
        state.id_file.path = path.display().to_string();
        // The file's ids are every model this source gives (as asked).
        let listed = |ids: &[ModelIdEntry]| {
            if let Some(lookahead) = lookahead {
                lookahead
                    .lookahead()
                    .listed(ids.iter().map(|e| e.id.as_str()));
                lookahead.source_listed();
            }
        };
        let finished = || {
            if let Some(lookahead) = lookahead {
                lookahead.source_finished();
            }
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(path = %path.display(), "no model-id file; skipped");
                listed(&[]);
                finished();
                return Ok(SourceModels::default());
            }
            Err(e) => {
                listed(&[]);
                finished();
                state.failures.push(FailureReport {
                    asset: Asset::RawModelsFromFile.name().into(),
                    id: path.display().to_string(),
                    line: None,
                    status: None,
                    error: e.to_string(),
                });
                return Ok(SourceModels::default());
            }
        };
        let list = ModelIdList::parse(&text);
        listed(&list.entries);
        state.id_file.found = true;
        state.id_file.ids = list.entries.len();
        state.id_file.errors = list.errors.len();
        state.id_file.duplicates = list.duplicates.len();
        for error in &list.errors {
            tracing::warn!(path = %path.display(), line = error.line, reason = %error.reason, "model-id file: line skipped");
            state.failures.push(FailureReport {
                asset: Asset::RawModelsFromFile.name().into(),
                id: error.text.clone(),
                line: Some(error.line),
                status: None,
                error: error.reason.clone(),
            });
        }
        let total = list.entries.len() as u64;
        let collector = Collector::new(checkpoint.clone(), ModelSource::File)
            .with_lookahead(lookahead.map(|l| Arc::clone(l.lookahead())));
        let mut outcome = SourceOutcome::default();
        let replay = state.file_replay.take().unwrap_or_default();
        for (_, entry, _) in &replay.models {
            if let Ok(model) = checkpoint.model(entry.at) {
                note_watermark(&mut outcome, &model.info);
            }
        }
        collector.seed(replay.models);
        outcome.failures = replay.failures;
        let outcome = std::sync::Mutex::new(outcome);
        let sink = |index: usize, result: std::result::Result<FetchedModel, ModelFailure>| {
            let mut outcome = outcome.lock().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(model) => {
                    note_watermark(&mut outcome, &model.info);
                    collector.add(index, &model);
                }
                Err(failure) => {
                    collector.note(checkpoint.append(&Event::Failed {
                        position: index,
                        failure: failure.clone(),
                    }));
                    outcome.add(Err(failure));
                }
            }
            observer.progress(
                Asset::RawModelsFromFile.name(),
                index as u64 + 1,
                Some(total),
            );
        };
        let plan = IdsPlan {
            threads: self.config.threads,
            skip: replay.done,
            cards: incremental.cards(),
        };
        models_from_ids_streaming(client, &list, &plan, &sink).await;
        finished();
        Ok(SourceModels {
            outcome: outcome.into_inner().unwrap_or_else(|e| e.into_inner()),
            models: collector
                .finish()?
                .into_iter()
                .map(|(_, entry, found)| (entry, found))
                .collect(),
        })
    }
}

/// The identified run, taken out of the state (put it back when done): computed with the
/// models, read back kind by kind, or identified now from the models loaded from an earlier
/// run (pure and quick).
fn take_identified(checkpoint: &Checkpoint, state: &mut State) -> Result<PackedRun> {
    match state.identified.take() {
        Some(identified) => Ok(identified),
        None => {
            let models = state.with_ancestors.as_deref().or(state.raw.as_deref());
            let models = models.unwrap_or_default();
            let mut identified = identify_entries(checkpoint, models)?;
            let renamed = state
                .lineage
                .as_ref()
                .map(Lineage::renamed_keys)
                .unwrap_or_default();
            identified.canonicalise_base_models(models.iter().map(|e| &e.key).chain(&renamed));
            Ok(identified)
        }
    }
}

/// Write the identified maps of `assets` side by side, one per core at a time, for each asset
/// to take when it is due (`State::identified_ahead`); each is reported started now. They read
/// the packed references only, and writing one is CPU work (its references decoded and
/// rendered), so one after the other they used one core.
fn write_identified_side_by_side(
    assets: &[Asset],
    folder: &RunFolder,
    checkpoint: &Checkpoint,
    state: &mut State,
    observer: &dyn RunObserver,
) -> Result<()> {
    state.identified_side_by_side = true;
    if assets.len() < 2 {
        return Ok(());
    }
    let identified = take_identified(checkpoint, state)?;
    // Each map's kind (only the identified kinds are written side by side).
    let maps: Vec<(Asset, EntityKind)> = assets
        .iter()
        .filter_map(|asset| match *asset {
            Asset::Identified(kind) => kind.entity().map(|kind| (*asset, kind)),
            _ => None,
        })
        .collect();
    for (asset, _) in &maps {
        observer.asset_started(asset.name());
    }
    // Each asset's own outcome is kept for its turn: one failed map does not stop the others.
    let write = |(asset, kind): &(Asset, EntityKind)| {
        let t = Instant::now();
        let file = asset.file().unwrap_or_default();
        let result = write_identified_map(folder, file, &identified, *kind);
        Ok((*asset, result, elapsed_ms(t)))
    };
    let kept = crate::in_order::for_each_large_in_order(&maps, write, |(asset, result, ms)| {
        state.identified_ahead.insert(asset, (result, ms));
        Ok(())
    });
    state.identified = Some(identified);
    kept
}

/// Load one asset's value from its file `path` (in an earlier run folder); returns its record
/// count. Models go to this run's journal one by one, identified on the way.
fn load(path: &Path, asset: Asset, checkpoint: &Checkpoint, state: &mut State) -> Result<u64> {
    let models = |source: ModelSource| -> Result<Vec<(Entry, PackedRefs)>> {
        let mut models = Vec::new();
        for_each_element(path, |record: ModelRecord| {
            let model = record.to_fetched_model();
            let at = checkpoint.append_model(source, models.len(), &model)?;
            let found = PackedRefs::of(&model);
            models.push((
                Entry {
                    key: ModelKey::of(&model),
                    at,
                },
                found,
            ));
            Ok(())
        })?;
        Ok(models)
    };
    let into_run = |models: Vec<(Entry, PackedRefs)>| {
        let mut refs = PackedRun::default();
        let entries = models
            .into_iter()
            .map(|(entry, found)| {
                refs.insert(&entry.key.id, found);
                entry
            })
            .collect::<Vec<_>>();
        (entries, refs)
    };
    let count = match asset {
        Asset::RawModelsLatest | Asset::RawModelsFromFile => {
            let latest = asset == Asset::RawModelsLatest;
            let source = if latest {
                ModelSource::Latest
            } else {
                ModelSource::File
            };
            let models = models(source)?;
            let count = models.len();
            let slot = if latest {
                &mut state.latest
            } else {
                &mut state.from_file
            };
            *slot = Some(SourceModels {
                models,
                ..SourceModels::default()
            });
            count
        }
        Asset::RawModels | Asset::AncestorModels => {
            let (entries, identified) = into_run(models(ModelSource::File)?);
            let count = entries.len();
            if asset == Asset::RawModels {
                state.run_models = count;
                state.raw = Some(entries);
            } else {
                state.with_ancestors = Some(entries);
            }
            state.identified = Some(identified);
            count
        }
        Asset::Identified(Kind::SharedBy) => {
            let map: BTreeMap<String, Vec<SharedByRef>> = read_json(path)?;
            let count = map.len();
            state.sharedby = Some(map);
            count
        }
        Asset::ReadmeLanguages => {
            let map: BTreeMap<String, Vec<ReadmeLanguage>> = read_json(path)?;
            let count = map.len();
            state.readme = Some(map);
            count
        }
        Asset::Identified(kind) => {
            let mut refs = RunIdentified::default();
            match kind.entity() {
                Some(kind) => {
                    let count = load_identified_map(&mut refs, kind, path)?;
                    let mut identified = state.identified.take().unwrap_or_default();
                    identified.replace_kind(kind, refs);
                    state.identified = Some(identified);
                    count
                }
                None => 0,
            }
        }
        // Nothing of these is kept for the assets after them (they are read by no later
        // asset, or are entity records and the run folder).
        Asset::ChunkCitation
        | Asset::ModelcardChunks
        | Asset::RunFolder
        | Asset::Enriched(_)
        | Asset::CatalogSources => 0,
    };
    Ok(count as u64)
}

impl State {
    /// What the downstream's extra assets read and fill.
    fn downstream<'s>(
        &'s mut self,
        checkpoint: &'s Checkpoint,
    ) -> crate::downstream_assets::DownstreamState<'s> {
        crate::downstream_assets::DownstreamState {
            models: crate::downstream_assets::RunModels {
                checkpoint,
                entries: self
                    .with_ancestors
                    .as_deref()
                    .or(self.raw.as_deref())
                    .unwrap_or_default(),
            },
            sharedby: &mut self.sharedby,
            readme: &mut self.readme,
        }
    }
}

/// One of the downstream's assets ([`crate::downstream_assets`]), computed from the run's
/// models.
fn downstream(
    which: DownstreamAsset,
    to: (&RunFolder, &str),
    stamp: &str,
    state: &mut State,
    checkpoint: &Checkpoint,
) -> Result<(u64, u64, Output)> {
    let mut downstream = state.downstream(checkpoint);
    crate::downstream_assets::compute(which, stamp, to, &mut downstream)
}

/// What a run writes for an asset.
pub(crate) enum Output {
    /// Nothing (no file).
    None,
    /// This value, written whole.
    Value(serde_json::Value),
    /// A file already written, element by element.
    Written(WrittenArray),
    /// A file being written on a thread of its own.
    Writing(FileWriting),
}

/// The identified base models of one model.
fn base_model_refs<'a>(identified: &'a PackedRun, id: &str) -> Option<&'a [BaseModelRef]> {
    identified.base_models(id)
}

/// One kind's `{model_id: [references]}` map, written model by model.
fn write_identified_map(
    folder: &RunFolder,
    file: &str,
    identified: &PackedRun,
    kind: EntityKind,
) -> Result<WrittenArray> {
    let path = folder.path().join(file);
    folder.write_json_object(file, |object| identified.write_kind(kind, object, &path))
}

/// Read one kind's map back into `refs`; returns how many models it holds.
pub(crate) fn load_identified_map(
    refs: &mut RunIdentified,
    kind: EntityKind,
    path: &Path,
) -> Result<usize> {
    fn fill<R: DeserializeOwned>(
        slot: &mut BTreeMap<String, Vec<R>>,
        path: &Path,
    ) -> Result<usize> {
        *slot = read_json(path)?;
        Ok(slot.len())
    }
    match kind {
        EntityKind::Datasets => fill(&mut refs.datasets, path),
        EntityKind::Articles => fill(&mut refs.articles, path),
        EntityKind::BaseModels => fill(&mut refs.base_models, path),
        EntityKind::Keywords => fill(&mut refs.keywords, path),
        EntityKind::Licenses => fill(&mut refs.licenses, path),
        EntityKind::Languages => fill(&mut refs.languages, path),
        EntityKind::Tasks => fill(&mut refs.tasks, path),
    }
}

/// The records of `hf_base_models.json`: every identified base model, read or not.
pub(crate) fn base_model_entities(
    base_model_ids: &[String],
    models: &[ModelKey],
    lineage: Option<&Lineage>,
    stamp: &str,
) -> Vec<BaseModelEntity> {
    let mut read: BTreeMap<String, &ModelKey> = BTreeMap::new();
    for m in models {
        read.insert(m.id.to_ascii_lowercase(), m);
        for alias in &m.aliases {
            read.insert(alias.to_ascii_lowercase(), m);
        }
    }
    let stubs: BTreeMap<String, _> = lineage
        .map(|l| {
            l.stubs
                .iter()
                .map(|s| (s.id.to_ascii_lowercase(), s))
                .collect()
        })
        .unwrap_or_default();
    base_model_ids
        .iter()
        .map(|id| {
            let key = id.to_ascii_lowercase();
            let (enriched, canonical_id, reason, status) = match (read.get(&key), stubs.get(&key)) {
                (Some(m), _) => (true, (m.id != *id).then(|| m.id.clone()), None, None),
                (None, Some(stub)) => (false, None, Some(stub.reason.clone()), stub.status),
                (None, None) => (
                    false,
                    None,
                    Some("not followed: named only in the card text, or beyond the lineage iterations".into()),
                    None,
                ),
            };
            BaseModelEntity {
                id: id.clone(),
                mlentory_id: hf_enrich::mlentory::mlentory_id("Model", id),
                enriched,
                canonical_id,
                extraction_metadata: ExtractionMetadata {
                    extraction_method: "hf_api".into(),
                    confidence: 1.0,
                    extraction_time: stamp.to_owned(),
                    error: reason.clone(),
                },
                reason,
                status,
            }
        })
        .collect()
}

/// A source's file: its models in source order, each with its own base models.
fn source_result(
    asset: &str,
    folder: &RunFolder,
    checkpoint: &Checkpoint,
    file: &str,
    models: &SourceModels,
    stamp: &str,
    state: &mut State,
) -> Result<(u64, u64, Output)> {
    let outcome = &models.outcome;
    for failure in &outcome.failures {
        state.failures.push(failure_report(asset, failure));
    }
    let refs = models
        .models
        .iter()
        .map(|(entry, found)| (entry.at, found.base_models()));
    let writing = write_records_behind(folder, checkpoint, file, refs, stamp)?;
    Ok((
        models.models.len() as u64,
        outcome.failures.len() as u64,
        Output::Writing(writing),
    ))
}

fn failure_report(asset: &str, failure: &ModelFailure) -> FailureReport {
    FailureReport {
        asset: asset.to_owned(),
        id: failure.id.clone(),
        line: failure.line,
        status: failure.status,
        error: failure.error.clone(),
    }
}

fn to_key(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn to_json(value: &impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|source| Error::Json {
        path: PathBuf::new(),
        source,
    })
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn elapsed_ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}
