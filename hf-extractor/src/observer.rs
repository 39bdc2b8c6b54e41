//! What a caller sees of a run as it goes: each asset started, its progress, and its report
//! once its file is written — for progress bars, Dagster Pipes, or an embedder's own logs; and,
//! when it asks for them, each model as it arrives ([`RunObserver::model_sink`]) and each record
//! of each file as it is written ([`RunObserver::record_sink`]).

use std::path::Path;
use std::sync::Arc;

use hf_enrich::records::ModelRecord;

use crate::assets::Asset;
use crate::manifest::{AssetReport, FailureReport};
use crate::record::RecordSink;

/// What a caller sees of a run as it goes. Every method has a default that does nothing.
///
/// ```
/// use hf_extractor::assets::Asset;
/// use hf_extractor::manifest::AssetReport;
/// use hf_extractor::pipeline::RunObserver;
///
/// struct Log;
///
/// impl RunObserver for Log {
///     fn asset_done(&self, asset: Asset, report: &AssetReport, _path: Option<&std::path::Path>) {
///         println!("{asset}: {} records, {} requests", report.count, report.requests);
///     }
/// }
/// ```
pub trait RunObserver: Send + Sync {
    /// An asset starts.
    fn asset_started(&self, _asset: Asset) {}
    /// Progress inside an asset (`done` of `total`, when known).
    fn progress(&self, _asset: Asset, _done: u64, _total: Option<u64>) {}
    /// An asset's file is written (or it was loaded from an earlier run), at `path`. Assets are
    /// reported in the run's order; a file written on a thread of its own may let the next
    /// asset start before it is reported.
    fn asset_done(&self, _asset: Asset, _report: &AssetReport, _path: Option<&Path>) {}
    /// One failure of an asset computed by this run (a model not fetched, a line of the
    /// model-id file, an entity not enriched, a parent not read), told just before the asset's
    /// [`asset_done`](Self::asset_done). Those of an asset taken over from an interrupted run
    /// were told by that run; every failure is in the manifest.
    fn failed(&self, _asset: Asset, _failure: &FailureReport) {}
    /// Where the run hands each model it fetches as it arrives, if anywhere (default: nowhere,
    /// and no record is made for it). Asked once, when the run starts.
    fn model_sink(&self) -> Option<ModelSink> {
        None
    }
    /// Where the run hands each record of each file it writes, as it writes it, if anywhere
    /// (default: nowhere). Asked once, when the run starts. The run folder's files are written
    /// from the same records: a caller writing them into a store of its own takes them here.
    fn record_sink(&self) -> Option<RecordSink> {
        None
    }
    /// Whether the run writes its files of records into its folder (default: yes). A caller
    /// that takes every record through its [`record_sink`](Self::record_sink) may say no: the
    /// folder then holds the run's journal and `run.json` only, whose reports still count and
    /// hash each file as it would have been written. Asked once, when the run starts.
    fn keeps_record_files(&self) -> bool {
        true
    }
}

/// Takes each model a run fetches as it arrives ([`RunObserver::model_sink`]): the asset of the
/// source it came from (`hf_raw_models_latest` or `hf_raw_models_from_file`) and its record, as
/// the source's file will hold it. Called on the run's CPU threads, once per model journaled by
/// this run (not for models an earlier run fetched, read back by `--resume` or `--from`), in
/// the order they arrive rather than the file's; keep it short.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use hf_extractor::pipeline::ModelSink;
///
/// let arrived = Arc::new(AtomicU64::new(0));
/// let counted = Arc::clone(&arrived);
/// let sink = ModelSink::new(move |_source, _record| {
///     counted.fetch_add(1, Ordering::Relaxed);
/// });
/// # let _ = sink;
/// ```
#[derive(Clone)]
pub struct ModelSink(Arc<dyn Fn(Asset, Box<ModelRecord>) + Send + Sync>);

impl ModelSink {
    /// A sink calling `take` with each model's source and record.
    pub fn new(take: impl Fn(Asset, Box<ModelRecord>) + Send + Sync + 'static) -> Self {
        Self(Arc::new(take))
    }

    /// Hand over one model.
    pub(crate) fn take(&self, source: Asset, record: Box<ModelRecord>) {
        (self.0)(source, record);
    }
}

impl std::fmt::Debug for ModelSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ModelSink")
    }
}

/// An observer that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl RunObserver for Silent {}
