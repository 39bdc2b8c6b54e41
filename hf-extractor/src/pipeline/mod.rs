//! [`HfExtractor`]: materialise a selection of assets into a run folder.
//!
//! | module | what it owns |
//! |---|---|
//! | this one | the public face: [`HfExtractor`] (building, `materialize`, `resume`), [`RunObserver`], [`MaterializeOptions`], [`RunOutcome`] |
//! | `driver` | a run from start to manifest: the plan, the CPU pool, the lookahead, the assets loaded from an earlier run or taken over from an interrupted one |
//! | `scheduler` | the plan run: each asset started once its inputs are done, their values owned and handed on, reports in plan order |
//! | `state` | what the scheduler holds: the assets' typed values (`Value`, `Inputs`), what a stage gives back (`Done`), what every stage reads (`Ctx`) |
//! | `requests` | whose requests are whose: the one place they are attributed to assets |
//! | `compute` | one asset computed: the dispatch on [`Asset`], each arm calling its stage |
//! | `sources` | the two model sources (the latest listing and the model-id file) and their files |
//! | `lineage` | the run's models with their ancestors, followed or taken over from the journal |
//! | `identified` | the identified maps: written from the packed references, read back |
//! | `enriched` | the entity records of each kind, fetched, and the base models' records; the legacy dataset ids resolved |
//! | `base_model_records` | the records of `hf_base_models.json`, each made as the file is written |
//! | `load` | an asset's value read back from an earlier run folder |
//! | `run_models` | the run's models between stages: places in the journal with their ids and references; the hand-off of arriving models to the CPU pool; the files of model records |
//! | `arrivals` | what is done with each model as it arrives (languages, derived values, rendered records) |
//! | `packed_refs` | what was identified in each model, packed |
//! | `run_lookahead` | what is fetched ahead while the cards come in, and whose requests those are |
//! | `reports_in_order` | assets reported in plan order once their files are written |
//! | `resume` | what an interrupted run's journal says, for `--resume` |
//! | [`incremental`] | incremental runs: an earlier run's watermark and cards |
//! | `languages_ahead`, `derived_ahead` | the README languages and the sharer and citation values found as models arrive |
//! | `downstream_assets` | the assets of the replaced system's downstream, computed from the run's models |
//!
//! The stages write through `store` and hand CPU work to the run's pool
//! (`cpu`); nothing under `store` or `cpu` calls back into the pipeline.
//!
//! A stage reads the values of its inputs and returns its own; only the scheduler keeps
//! values between stages, and only it reports.

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
use hf_enrich::sharedby::{SharedByRef, SharerTally};
use hf_enrich::source::{HttpSource, SourceError};
use hf_identifiers::{BaseModelRef, EntityKind, RunIdentified};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::assets::{self, Asset, Kind, graph};
use crate::config::ExtractorConfig;
use crate::cpu::CpuPool;
use crate::error::{Error, Result};
use crate::manifest::{
    AssetReport, FailureReport, HttpReport, MANIFEST_FILE, ManifestConfig, ModelIdFileReport,
    ModelsReport, ResumeReport, RunManifest,
};
use crate::pipeline::arrivals::Arrivals;
use crate::pipeline::downstream_assets::{DownstreamAsset, Made};
use crate::pipeline::incremental::{EarlierRun, Incremental};
use crate::pipeline::packed_refs::{PackedRefs, PackedRun, SpooledRefs};
use crate::pipeline::reports_in_order::{InOrderReports, Written};
use crate::pipeline::requests::Requests;
use crate::pipeline::resume::{FileReplay, LatestReplay, Replay};
use crate::pipeline::run_lookahead::{LookaheadInputs, RunLookahead};
use crate::pipeline::run_models::{
    Collector, Entry, Handoff, RecordOf, SourceModels, identify_entries, keep_positions,
    merge_sources, write_model_records,
};
use crate::shard::{PreparedShard, Shard, ShardRun};
use crate::store::checkpoint::{Checkpoint, Event};
use crate::store::files::{Records, RunFiles, WrittenArray};
use crate::store::json_read::{for_each_element, for_each_entry};
use crate::store::json_stream::OutputFormat;
use crate::store::run_folder::RunFolder;
use hf_enrich::records::ModelRecord;

pub(crate) mod arrivals;
mod base_model_records;
mod compute;
pub(crate) mod derived_ahead;
pub(crate) mod downstream_assets;
mod driver;
mod enriched;
mod identified;
pub mod incremental;
pub(crate) mod languages_ahead;
mod lineage;
mod load;
pub(crate) mod packed_refs;
pub(crate) mod reports_in_order;
pub(crate) mod requests;
pub(crate) mod resume;
pub(crate) mod run_lookahead;
pub(crate) mod run_models;
mod scheduler;
mod sources;
mod state;

pub(crate) use self::base_model_records::BaseModelRecords;
use self::compute::*;
use self::enriched::*;
pub(crate) use self::identified::load_identified_map;
use self::identified::*;
use self::lineage::*;
use self::load::*;
use self::scheduler::*;
use self::sources::*;
use self::state::*;

pub use crate::observer::{ModelSink, RunObserver, Silent};
pub use crate::record::RecordSink;

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
    /// Journaled with the run's start ([`RunStart::served_by`](crate::store::checkpoint::RunStart::served_by)) and written to `run.json`'s
    /// config, so that whoever resumes the run can serve it the same way. Never a secret.
    pub served_by: Option<String>,
    /// How the files of records are laid out: JSON arrays (the default, what the
    /// downstream's contract reads) or JSON Lines (`hf_models.jsonl`, …: one record per line).
    /// Journaled with the run's start: a resumed run keeps its format.
    pub format: OutputFormat,
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

    /// This extractor with `config` in place of its own (the same client settings, other
    /// counts), sharing its client — its pacing by the Hub's rate limits and its counters — when
    /// that client allows as many requests in flight; else with a client of its own.
    pub(crate) fn with_config(&self, config: ExtractorConfig) -> Result<Self> {
        if config.threads.max(config.enrichment_threads) <= self.client.config().max_in_flight {
            Ok(Self {
                config,
                client: self.client.clone(),
            })
        } else {
            Self::new(config)
        }
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
        self.materialize_noting(options, observer, |_| {}).await
    }

    /// [`materialize`](Self::materialize), telling `created` the run folder this run creates
    /// (not a shard's, which an earlier run created), as soon as it exists.
    pub(crate) async fn materialize_noting(
        &self,
        options: &MaterializeOptions,
        observer: &dyn RunObserver,
        created: impl FnOnce(&Path),
    ) -> Result<RunOutcome> {
        if options.shard.is_some() && options.format != OutputFormat::Json {
            return Err(Error::Config {
                variable: "--format".into(),
                value: options.format.to_string(),
                reason: "the shards of a run are merged from JSON arrays: shard a run with --format json".into(),
            });
        }
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
            None => {
                let folder = RunFolder::create(&self.config.output_dir, started)?;
                created(folder.path());
                folder
            }
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
            format: (options.format != OutputFormat::Json).then_some(options.format),
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
            format: options.format,
        };
        self.run_unless_unreachable(run, Replay::new(self.config.filter_low_info), observer)
            .await
    }

    /// Continue the interrupted run in `folder` (killed at any point) from its journal
    /// (`checkpoint.jsonl.zst`): the listing goes on from its next page, models already fetched and
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
            reason: "its journal does not say how the run started".into(),
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
            format: started.format.unwrap_or_default(),
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
}

use crate::store::files::Output;
use crate::store::json_read::read_json;

pub(crate) fn elapsed_ms(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}
