//! A run as a stream of typed results: [`HfExtractor::stream`].
//!
//! The stream yields what a [`RunObserver`] hears, as values: each asset started, progress
//! inside it, each model fetched as it arrives, each asset's failures, each asset done with its
//! report and its records, and at the end the run's outcome. An asset's records ([`AssetRecords`]) are read
//! back from the file the run wrote, one at a time and typed by the asset ([`Record`]): a
//! program writes them into a store of its own (a database, a queue, an index) without holding
//! a whole file. Assets are done in the run's order, each once its file is written.
//!
//! The records pass through the run's store: its run folder, which holds the journal that makes
//! the run resumable, the spool records are rendered into as models arrive, and one file per
//! asset. The stream reads them back from there, so that a run of a million models holds none
//! of their records in memory. A program that keeps its records in a store of its own asks for
//! a run [without a run folder](RunStream::without_run_folder): the folder is then scratch
//! space, removed once the stream and the records it yielded are dropped. Dropping the stream
//! drops the run (its requests and CPU work stop, see [`HfExtractor::materialize`]).
//!
//! ```no_run
//! use futures::StreamExt;
//! use hf_extractor::stream::{Record, RunEvent};
//! use hf_extractor::{HfExtractor, MaterializeOptions};
//!
//! # async fn run() -> hf_extractor::Result<()> {
//! let extractor = HfExtractor::builder().output_dir("/tmp/runs").build()?;
//! let mut run = extractor
//!     .stream(MaterializeOptions::default())
//!     .without_run_folder();
//! while let Some(event) = run.next().await {
//!     match event? {
//!         RunEvent::Done(done) => {
//!             let Some(records) = done.records else { continue };
//!             records.for_each(|record| {
//!                 if let Record::Dataset(dataset) = record {
//!                     println!("{}", dataset.id);
//!                 }
//!                 Ok(())
//!             })?;
//!         }
//!         RunEvent::Finished(outcome) => println!("{} models", outcome.manifest.models.merged),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::{FutureExt, Stream};
use hf_enrich::entities::{
    ArticleEntity, DatasetEntity, KeywordEntity, LanguageEntity, LicenseEntity, TaskEntity,
};
use hf_enrich::records::{BaseModelEntity, ModelRecord};
use hf_enrich::sharedby::SharedByEntity;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::assets::{Asset, Kind};
use crate::error::Result;
use crate::manifest::{AssetReport, FailureReport};
use crate::observer::{ModelSink, RunObserver};
use crate::pipeline::{HfExtractor, MaterializeOptions, RunOutcome};
use crate::store::json_stream::{for_each_element, for_each_entry};

/// What a run yields as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunEvent {
    /// An asset starts.
    Started(Asset),
    /// Progress inside an asset: `done` of `total` (when known).
    Progress {
        /// The asset.
        asset: Asset,
        /// Done so far.
        done: u64,
        /// Of this many, when known.
        total: Option<u64>,
    },
    /// A model fetched by the run, as it arrives (before its source's asset is done, in the
    /// order the models arrive): the source's asset and the model's record (see
    /// [`ModelSink`]).
    Model {
        /// `hf_raw_models_latest` or `hf_raw_models_from_file`.
        source: Asset,
        /// Its record.
        record: Box<ModelRecord>,
    },
    /// One failure of an asset (a model not fetched, an entity not enriched …), just before
    /// the asset is done (see [`RunObserver::failed`]).
    Failed {
        /// The asset.
        asset: Asset,
        /// What failed, as in `run.json`.
        failure: Box<FailureReport>,
    },
    /// An asset is done (its file written, or loaded from an earlier run).
    Done(AssetDone),
    /// The run is over: its folder and manifest. The last event.
    Finished(Box<RunOutcome>),
}

/// An asset done: its report and its records.
#[derive(Debug)]
pub struct AssetDone {
    /// The asset.
    pub asset: Asset,
    /// Its report, as in `run.json`.
    pub report: AssetReport,
    /// Its records, when it has a file.
    pub records: Option<AssetRecords>,
}

/// The records of an asset done, read from its file when asked, one at a time.
#[derive(Debug, Clone)]
pub struct AssetRecords {
    asset: Asset,
    path: PathBuf,
    /// Keeps the file while these records are held, when the run folder is scratch.
    _folder: Arc<Scratch>,
}

/// One record of an asset, typed by the asset.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A model (`hf_raw_models_latest`, `hf_raw_models_from_file`, `hf_raw_models`,
    /// `hf_add_ancestor_models`).
    Model(Box<ModelRecord>),
    /// A dataset (`hf_enriched_datasets`).
    Dataset(Box<DatasetEntity>),
    /// An article (`hf_enriched_articles`).
    Article(Box<ArticleEntity>),
    /// A base model (`hf_enriched_base_models`).
    BaseModel(Box<BaseModelEntity>),
    /// A keyword (`hf_enriched_keywords`).
    Keyword(Box<KeywordEntity>),
    /// A license (`hf_enriched_licenses`).
    License(Box<LicenseEntity>),
    /// A language (`hf_enriched_languages`).
    Language(Box<LanguageEntity>),
    /// A task (`hf_enriched_tasks`).
    Task(Box<TaskEntity>),
    /// Who shares models (`hf_enriched_sharedby`).
    Sharer(Box<SharedByEntity>),
    /// One model's entry of a `{model_id: value}` file: the identified maps, the README
    /// languages, the citation and card chunks.
    ModelEntry {
        /// The model.
        model_id: String,
        /// Its value, as in the file.
        value: serde_json::Value,
    },
    /// A record of `sources.json` (`hf_raw_catalog_sources`).
    Source(serde_json::Value),
}

impl AssetRecords {
    /// The asset.
    pub fn asset(&self) -> Asset {
        self.asset
    }

    /// Its file (kept while these records are held, also in a run
    /// [without a run folder](RunStream::without_run_folder)).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hand each record to `each`, one at a time, in the file's order; returns how many there
    /// were. The first error of `each` stops the reading and is returned; a file that does not
    /// hold the asset's records is an error naming it.
    pub fn for_each(&self, mut each: impl FnMut(Record) -> Result<()>) -> Result<u64> {
        let path = &self.path;
        match self.asset {
            Asset::RunFolder => Ok(0),
            Asset::RawModelsLatest
            | Asset::RawModelsFromFile
            | Asset::RawModels
            | Asset::AncestorModels => elements(path, Record::Model, each),
            Asset::Enriched(kind) => match kind {
                Kind::Datasets => elements(path, Record::Dataset, each),
                Kind::Articles => elements(path, Record::Article, each),
                Kind::BaseModels => elements(path, Record::BaseModel, each),
                Kind::Keywords => elements(path, Record::Keyword, each),
                Kind::Licenses => elements(path, Record::License, each),
                Kind::Languages => elements(path, Record::Language, each),
                Kind::Tasks => elements(path, Record::Task, each),
                Kind::SharedBy => elements(path, Record::Sharer, each),
            },
            Asset::Identified(_)
            | Asset::ReadmeLanguages
            | Asset::ChunkCitation
            | Asset::ModelcardChunks => for_each_entry(path, |model_id, value| {
                each(Record::ModelEntry { model_id, value })
            }),
            Asset::CatalogSources => for_each_element(path, |v| each(Record::Source(v))),
        }
    }
}

/// The elements of the array in `path`, each made a record by `record`.
fn elements<T: DeserializeOwned>(
    path: &Path,
    record: impl Fn(Box<T>) -> Record,
    mut each: impl FnMut(Record) -> Result<()>,
) -> Result<u64> {
    for_each_element(path, |value: T| each(record(Box::new(value))))
}

/// A run as a stream of [`RunEvent`]s ([`HfExtractor::stream`]). The run goes on while the
/// stream is polled; dropping the stream drops the run. Like the future of
/// [`HfExtractor::materialize`], it is `Send`: a task of its own may poll it.
#[must_use = "a stream does nothing unless polled"]
pub struct RunStream<'e> {
    // Declared before `folder`: the run stops before its scratch folder is removed.
    run: Option<BoxFuture<'e, Result<RunOutcome>>>,
    events: UnboundedReceiver<RunEvent>,
    outcome: Option<Result<RunOutcome>>,
    folder: Arc<Scratch>,
}

impl RunStream<'_> {
    /// Run without keeping a run folder: the folder the run creates is scratch space, removed
    /// (with its journal, so the run cannot be resumed) once this stream and every
    /// [`AssetRecords`] it yielded are dropped — whether the run finished, failed or was
    /// dropped (a run dropped midway may take a moment to stop writing: the folder goes once
    /// it has). The [`RunOutcome`] of [`RunEvent::Finished`] names it until then. For a program
    /// whose own store (a database, an index) is where the records go; a shard's folder, made by
    /// an earlier run, is always kept.
    ///
    /// ```no_run
    /// # use hf_extractor::{HfExtractor, MaterializeOptions};
    /// # fn f(extractor: &HfExtractor) {
    /// let run = extractor.stream(MaterializeOptions::default()).without_run_folder();
    /// # let _ = run; }
    /// ```
    pub fn without_run_folder(self) -> Self {
        self.folder.remove.store(true, Ordering::Relaxed);
        self
    }
}

/// The folder a streamed run creates, removed when the last holder drops it if the run is
/// [without a run folder](RunStream::without_run_folder).
#[derive(Debug, Default)]
struct Scratch {
    remove: AtomicBool,
    path: Mutex<Option<PathBuf>>,
}

impl Scratch {
    fn created(&self, path: &Path) {
        if let Ok(mut slot) = self.path.lock() {
            *slot = Some(path.to_owned());
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.remove.load(Ordering::Relaxed) {
            return;
        }
        let Some(path) = self.path.get_mut().ok().and_then(Option::take) else {
            return;
        };
        if std::fs::remove_dir_all(&path).is_ok() {
            return;
        }
        // A run dropped midway may still be finishing a file in the folder (its CPU work stops
        // at the next model, not at once): tried again off the caller's thread until it is gone.
        let removal = std::thread::Builder::new()
            .name("hf-scratch-removal".into())
            .spawn(move || {
                let mut outcome = Ok(());
                for _ in 0..250 {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    outcome = std::fs::remove_dir_all(&path);
                    if outcome.is_ok() {
                        return;
                    }
                }
                if let Err(e) = outcome {
                    tracing::warn!(folder = %path.display(), error = %e, "the run's scratch folder could not be removed");
                }
            });
        if let Err(e) = removal {
            tracing::warn!(error = %e, "the run's scratch folder is left: no thread to remove it");
        }
    }
}

impl std::fmt::Debug for RunStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunStream")
            .field("running", &self.run.is_some())
            .finish_non_exhaustive()
    }
}

impl Stream for RunStream<'_> {
    type Item = Result<RunEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Poll::Ready(Some(event)) = this.events.poll_recv(cx) {
                return Poll::Ready(Some(Ok(event)));
            }
            let Some(run) = &mut this.run else {
                // The run is over and every event it sent was yielded (its sender went with it).
                let outcome = this.outcome.take();
                return Poll::Ready(outcome.map(|o| o.map(|o| RunEvent::Finished(Box::new(o)))));
            };
            match run.poll_unpin(cx) {
                Poll::Ready(outcome) => {
                    this.run = None;
                    this.outcome = Some(outcome);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Forwards what a run tells its observer into the stream.
struct Forward(UnboundedSender<RunEvent>, Arc<Scratch>);

impl RunObserver for Forward {
    fn asset_started(&self, asset: Asset) {
        let _ = self.0.send(RunEvent::Started(asset));
    }

    fn progress(&self, asset: Asset, done: u64, total: Option<u64>) {
        let _ = self.0.send(RunEvent::Progress { asset, done, total });
    }

    fn model_sink(&self) -> Option<ModelSink> {
        let send = self.0.clone();
        Some(ModelSink::new(move |source, record| {
            let _ = send.send(RunEvent::Model { source, record });
        }))
    }

    fn failed(&self, asset: Asset, failure: &FailureReport) {
        let failure = Box::new(failure.clone());
        let _ = self.0.send(RunEvent::Failed { asset, failure });
    }

    fn asset_done(&self, asset: Asset, report: &AssetReport, path: Option<&Path>) {
        // The run folder's path is the folder, not a file of records.
        let records = asset.file().and(path).map(|path| AssetRecords {
            asset,
            path: path.to_owned(),
            _folder: Arc::clone(&self.1),
        });
        let _ = self.0.send(RunEvent::Done(AssetDone {
            asset,
            report: report.clone(),
            records,
        }));
    }
}

impl HfExtractor {
    /// Materialise `options` as [`materialize`](Self::materialize) does, as a stream of typed
    /// results: each asset started, progress, each model as it arrives, each asset done with its
    /// records, then the outcome (see the [module](crate::stream)). An error of the run is the
    /// stream's last item.
    pub fn stream(&self, options: MaterializeOptions) -> RunStream<'_> {
        let (send, events) = unbounded_channel();
        let folder = Arc::new(Scratch::default());
        let created = Arc::clone(&folder);
        let run = async move {
            let forward = Forward(send, Arc::clone(&created));
            self.materialize_noting(&options, &forward, |path| created.created(path))
                .await
        }
        .boxed();
        RunStream {
            run: Some(run),
            events,
            outcome: None,
            folder,
        }
    }
}
