//! A run as a stream of typed results: [`HfExtractor::stream`].
//!
//! The stream yields what a [`RunObserver`] hears, as values: each asset started, progress
//! inside it, each model fetched as it arrives, each record of each file as the run writes it
//! ([`AssetRecord`], typed by its asset when asked: [`Record`]), each asset's failures, each
//! asset done with its report, and at the end the run's outcome. An asset's records all come
//! before it is done; the records of files written at once come interleaved. Assets are done in
//! the run's order.
//!
//! The run folder's files are written from the same records: the stream and the folder are two
//! consumers of them. A program that keeps its records in a store of its own asks for a run
//! [without a run folder](RunStream::without_run_folder): no file of records is written, and
//! the folder the run still needs (its journal, and the spool that keeps a million models'
//! records out of memory) is scratch space, removed once the stream is dropped. The run waits
//! for a stream that is not polled: a thousand records at most are held between them. Dropping
//! the stream drops the run (its requests and CPU work stop, see
//! [`HfExtractor::materialize`]).
//!
//! ```no_run
//! use futures::StreamExt;
//! use hf_extractor::assets::{Asset, Kind};
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
//!         RunEvent::Record(record) if record.asset() == Asset::Enriched(Kind::Datasets) => {
//!             if let Record::Dataset(dataset) = record.decode()? {
//!                 println!("{}", dataset.id);
//!             }
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
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::{FutureExt, Stream};
use hf_enrich::records::ModelRecord;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::assets::Asset;
use crate::error::Result;
use crate::manifest::{AssetReport, FailureReport};
use crate::observer::{ModelSink, RunObserver};
use crate::pipeline::{HfExtractor, MaterializeOptions, RunOutcome};
use crate::record::RecordSink;
pub use crate::record::{AssetRecord, Record};

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
    /// One record of an asset's file, as the run writes it (before the asset is done; see
    /// [`RecordSink`]).
    Record(AssetRecord),
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

/// An asset done: its report, and where its file is.
#[derive(Debug)]
#[non_exhaustive]
pub struct AssetDone {
    /// The asset.
    pub asset: Asset,
    /// Its report, as in `run.json`.
    pub report: AssetReport,
    /// Its file in the run folder (the folder itself for `hf_run_folder`); `None` for an asset
    /// with no file, loaded from an earlier run, or in a run
    /// [without a run folder](RunStream::without_run_folder).
    pub path: Option<PathBuf>,
}

/// A run as a stream of [`RunEvent`]s ([`HfExtractor::stream`]). The run goes on while the
/// stream is polled; dropping the stream drops the run. Like the future of
/// [`HfExtractor::materialize`], it is `Send`: a task of its own may poll it.
#[must_use = "a stream does nothing unless polled"]
pub struct RunStream<'e> {
    // Declared before `folder`: the run stops before its scratch folder is removed.
    run: Option<BoxFuture<'e, Result<RunOutcome>>>,
    events: UnboundedReceiver<RunEvent>,
    backlog: Arc<Backlog>,
    outcome: Option<Result<RunOutcome>>,
    folder: Arc<Scratch>,
}

impl Drop for RunStream<'_> {
    fn drop(&mut self) {
        // A file's writer waiting for room goes on, its records unread, and stops with the run.
        self.backlog.close();
    }
}

/// How many records the run hands over before the stream yields them: a writer waits while
/// this many are held.
const RECORDS_AHEAD: usize = 1024;

/// The records handed over and not yet yielded.
#[derive(Debug, Default)]
struct Backlog {
    held: Mutex<usize>,
    room: Condvar,
    closed: AtomicBool,
}

impl Backlog {
    /// Wait (on the writer's thread) until a record may be held; `false` once the stream is
    /// gone.
    fn admit(&self) -> bool {
        let Ok(mut held) = self.held.lock() else {
            return false;
        };
        while *held >= RECORDS_AHEAD && !self.closed.load(Ordering::Acquire) {
            held = match self.room.wait(held) {
                Ok(held) => held,
                Err(_) => return false,
            };
        }
        *held += 1;
        !self.closed.load(Ordering::Acquire)
    }

    /// A record was yielded.
    fn yielded(&self) {
        if let Ok(mut held) = self.held.lock() {
            *held = held.saturating_sub(1);
        }
        self.room.notify_one();
    }

    /// The stream is gone: no writer waits any more.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        // Taken so that a writer between its check and its wait is woken too.
        drop(self.held.lock());
        self.room.notify_all();
    }
}

impl RunStream<'_> {
    /// Run without keeping a run folder, for a program whose own store (a database, an index)
    /// is where the records go: the records are this stream's only, no file of records is
    /// written, and the folder the run creates (its journal, its spools) is scratch space,
    /// removed once this stream is dropped — whether the run finished, failed or was dropped (a
    /// run dropped midway may take a moment to stop writing: the folder goes once it has).
    /// The [`RunOutcome`] of [`RunEvent::Finished`] names it until then; its manifest counts
    /// and hashes each file as it would have been written. A shard's folder, made by an
    /// earlier run, is always kept.
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
                if matches!(event, RunEvent::Record(_)) {
                    this.backlog.yielded();
                }
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
struct Forward {
    send: UnboundedSender<RunEvent>,
    backlog: Arc<Backlog>,
    folder: Arc<Scratch>,
}

impl RunObserver for Forward {
    fn asset_started(&self, asset: Asset) {
        let _ = self.send.send(RunEvent::Started(asset));
    }

    fn progress(&self, asset: Asset, done: u64, total: Option<u64>) {
        let _ = self.send.send(RunEvent::Progress { asset, done, total });
    }

    fn model_sink(&self) -> Option<ModelSink> {
        let send = self.send.clone();
        Some(ModelSink::new(move |source, record| {
            let _ = send.send(RunEvent::Model { source, record });
        }))
    }

    fn record_sink(&self) -> Option<RecordSink> {
        let (send, backlog) = (self.send.clone(), Arc::clone(&self.backlog));
        Some(RecordSink::new(move |record| {
            if backlog.admit() {
                let _ = send.send(RunEvent::Record(record));
            }
        }))
    }

    fn keeps_record_files(&self) -> bool {
        !self.folder.remove.load(Ordering::Relaxed)
    }

    fn failed(&self, asset: Asset, failure: &FailureReport) {
        let failure = Box::new(failure.clone());
        let _ = self.send.send(RunEvent::Failed { asset, failure });
    }

    fn asset_done(&self, asset: Asset, report: &AssetReport, path: Option<&Path>) {
        let _ = self.send.send(RunEvent::Done(AssetDone {
            asset,
            report: report.clone(),
            path: path.map(Path::to_owned),
        }));
    }
}

impl HfExtractor {
    /// Materialise `options` as [`materialize`](Self::materialize) does, as a stream of typed
    /// results: each asset started, progress, each model as it arrives, each record of each
    /// file as it is written, each asset done, then the outcome (see the
    /// [module](crate::stream)). An error of the run is the stream's last item.
    pub fn stream(&self, options: MaterializeOptions) -> RunStream<'_> {
        let (send, events) = unbounded_channel();
        let folder = Arc::new(Scratch::default());
        let backlog = Arc::new(Backlog::default());
        let created = Arc::clone(&folder);
        let forward = Forward {
            send,
            backlog: Arc::clone(&backlog),
            folder: Arc::clone(&folder),
        };
        let run = async move {
            self.materialize_noting(&options, &forward, |path| created.created(path))
                .await
        }
        .boxed();
        RunStream {
            run: Some(run),
            events,
            backlog,
            outcome: None,
            folder,
        }
    }
}
