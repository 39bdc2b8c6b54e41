//! Assets reported in the run's order while they finish in any order, and while their files
//! may still be written.
//!
//! The scheduler runs an asset as soon as its inputs are ready, so assets finish out of plan
//! order; an asset's file can also be written on a thread of its own while the run goes on
//! ([`crate::pipeline::run_models::write_model_records`], [`crate::store::files::FileWriting`]).
//! An asset counts as done — its `AssetDone` journaled, so a resumed run takes it over, and
//! observers told — only once its file is written and every asset before it in the plan is
//! reported, so the manifest and the journal read as if every asset had run in turn.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::assets::Asset;
use crate::error::Result;
use crate::manifest::{AssetReport, FailureReport};
use crate::observer::RunObserver;
use crate::store::checkpoint::{Checkpoint, Event};
use crate::store::files::FileWriting;
use Written::{Behind, Ready, Restored, WithNext};

/// The assets finished and not reported yet, by their place in the plan: an asset is reported
/// (its `AssetDone` journaled, observers told) once its file is written and every asset before
/// it is reported, so a file written behind holds back the reports after it, not the run.
#[derive(Default)]
pub(crate) struct InOrderReports {
    finished: BTreeMap<usize, Due>,
    /// The place of the next asset to report.
    next: usize,
}

/// An asset finished: its report, the failures it added, and its file.
struct Due {
    asset: Asset,
    report: AssetReport,
    failures: Vec<FailureReport>,
    written: Written,
}

/// Where an asset's file stands.
pub(crate) enum Written {
    /// Restored from an interrupted run's journal (already journaled as done), at this path.
    Restored(Option<PathBuf>),
    /// Written (or no file), at this path.
    Ready(Option<PathBuf>),
    /// A place rather than a file (the run folder), at this path: done once the asset after it
    /// is, so that a run stopped before it wrote anything reports nothing.
    WithNext(PathBuf),
    /// Being written on a thread since this time.
    Behind(FileWriting, Instant),
}

impl InOrderReports {
    /// The asset at `place` in the plan finished.
    pub(crate) fn push(
        &mut self,
        place: usize,
        asset: Asset,
        report: AssetReport,
        failures: Vec<FailureReport>,
        written: Written,
    ) {
        self.finished.insert(
            place,
            Due {
                asset,
                report,
                failures,
                written,
            },
        );
    }

    /// Report the assets next in the plan that finished and whose files are written (with
    /// `wait`, waiting for their files without blocking).
    pub(crate) async fn report(
        &mut self,
        checkpoint: &Checkpoint,
        observer: &dyn RunObserver,
        reports: &mut Vec<AssetReport>,
        wait: bool,
    ) -> Result<()> {
        while self.finished.contains_key(&self.next) {
            if !wait && !self.reportable(self.next) {
                break;
            }
            let Some(Due {
                asset,
                mut report,
                failures,
                written,
            }) = self.finished.remove(&self.next)
            else {
                break;
            };
            self.next += 1;
            let restored = matches!(written, Restored(_));
            let path = match written {
                Restored(path) | Ready(path) => path,
                WithNext(path) => Some(path),
                Behind(writing, started) => {
                    let (written, done) = writing.wait().await?;
                    report.sha256 = Some(written.sha256);
                    // The asset took its computing and its writing.
                    let writing_ms = done.saturating_duration_since(started).as_millis();
                    report.duration_ms += writing_ms as u64;
                    written.path
                }
            };
            if !restored {
                for failure in &failures {
                    observer.failed(asset, failure);
                }
                tracing::info!(
                    asset = %report.name,
                    count = report.count,
                    failures = report.failures,
                    "asset materialised"
                );
                checkpoint.append(&Event::AssetDone {
                    report: report.clone(),
                    failures,
                })?;
            }
            observer.asset_done(asset, &report, path.as_deref());
            reports.push(report);
        }
        Ok(())
    }

    /// Whether the asset at `place` can be reported without waiting: it finished, its file is
    /// written, and for a place rather than a file, the asset after it can be reported too.
    fn reportable(&self, place: usize) -> bool {
        match self.finished.get(&place).map(|due| &due.written) {
            None => false,
            Some(Behind(writing, _)) => writing.is_finished(),
            Some(WithNext(_)) => self.reportable(place + 1),
            Some(Restored(_) | Ready(_)) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use super::*;
    use crate::store::files::WrittenArray;

    /// The names of the assets reported, in order.
    #[derive(Default)]
    struct Heard(Mutex<Vec<String>>);

    impl RunObserver for Heard {
        fn asset_done(&self, _: Asset, report: &AssetReport, _path: Option<&std::path::Path>) {
            self.0.lock().unwrap().push(report.name.clone());
        }
    }

    fn report(name: &str) -> AssetReport {
        AssetReport {
            name: name.into(),
            ..AssetReport::default()
        }
    }

    /// The assets the journal holds as done, in order.
    fn journaled(folder: &std::path::Path) -> Vec<String> {
        let mut done = Vec::new();
        Checkpoint::read_only(folder, |_, event| {
            if let Event::AssetDone { report, .. } = event {
                done.push(report.name);
            }
            Ok(())
        })
        .unwrap();
        done
    }

    #[tokio::test]
    async fn assets_finished_out_of_order_or_written_behind_are_reported_in_plan_order() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::create(dir.path()).unwrap();
        let heard = Heard::default();
        let mut reports = Vec::new();
        let mut queue = InOrderReports::default();
        let (write, written) = std::sync::mpsc::channel::<()>();
        let file = dir.path().join("records.json");
        let behind = FileWriting::spawn(move || {
            written.recv().unwrap();
            Ok(WrittenArray {
                path: Some(file),
                count: 2,
                sha256: "ab".into(),
            })
        });

        let folder = dir.path().to_owned();
        queue.push(
            0,
            Asset::RunFolder,
            report("first"),
            Vec::new(),
            WithNext(folder),
        );
        queue
            .report(&checkpoint, &heard, &mut reports, false)
            .await
            .unwrap();
        // The folder alone, nothing written in it yet: not reported.
        assert!(heard.0.lock().unwrap().is_empty());
        queue.push(
            3,
            Asset::CatalogSources,
            report("last"),
            Vec::new(),
            Ready(None),
        );
        queue.push(
            2,
            Asset::AncestorModels,
            report("restored"),
            Vec::new(),
            Restored(None),
        );
        queue
            .report(&checkpoint, &heard, &mut reports, false)
            .await
            .unwrap();
        // Finished out of order: nothing after the gap is reported, nor the folder before it.
        assert!(heard.0.lock().unwrap().is_empty());
        queue.push(
            1,
            Asset::RawModels,
            report("records"),
            Vec::new(),
            Behind(behind, Instant::now()),
        );
        queue
            .report(&checkpoint, &heard, &mut reports, false)
            .await
            .unwrap();
        // Still nothing: the file after the folder is being written.
        assert!(heard.0.lock().unwrap().is_empty());
        assert!(journaled(dir.path()).is_empty());

        write.send(()).unwrap();
        queue
            .report(&checkpoint, &heard, &mut reports, true)
            .await
            .unwrap();
        let names: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["first", "records", "restored", "last"]);
        assert_eq!(*heard.0.lock().unwrap(), names);
        assert_eq!(reports[1].sha256.as_deref(), Some("ab"));
        // An asset taken over from an interrupted run is in its journal already.
        assert_eq!(journaled(dir.path()), ["first", "records", "last"]);
    }

    #[tokio::test]
    async fn a_failed_write_fails_the_run_when_its_turn_comes() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = Checkpoint::create(dir.path()).unwrap();
        let failed = crate::Error::io(dir.path(), std::io::Error::other("disk full"));
        let mut queue = InOrderReports::default();
        queue.push(
            0,
            Asset::RawModels,
            report("records"),
            Vec::new(),
            Behind(FileWriting::spawn(move || Err(failed)), Instant::now()),
        );
        let mut reports = Vec::new();
        let err = queue
            .report(&checkpoint, &Heard::default(), &mut reports, true)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert!(reports.is_empty());
        assert!(journaled(dir.path()).is_empty());
    }
}
