//! What a caller sees of a run as it goes: each asset started, its progress, and its report
//! once its file is written — for progress bars, Dagster Pipes, or an embedder's own logs.

use std::path::Path;

use crate::assets::Asset;
use crate::manifest::AssetReport;

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
}

/// An observer that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl RunObserver for Silent {}
