//! The run's scheduler: every asset of the plan starts as soon as the assets it reads are
//! done, so assets that do not read each other run at the same time — both model sources, the
//! catalog source beside them, the identified maps, the downstream's assets and the entity
//! kinds — without any list saying so.
//!
//! The scheduler owns the values the assets hand on ([`Value`]): an asset starts with its
//! inputs' values ([`Inputs`]), and the last asset to read a value takes it over. Each asset
//! finishes into its report: records, failures, its requests (counted in one place,
//! [`Requests`]) and its time. Reports go out in plan order ([`InOrderReports`]), once the
//! asset's file is written, so the journal, the observers and `run.json` read as if the
//! assets had run one after the other, and `--resume` keeps its meaning.

use futures::stream::{FuturesUnordered, StreamExt};

use super::*;

/// How an asset of the plan is made.
pub(super) enum Step {
    /// Computed by its stage ([`HfExtractor::compute`]).
    Compute,
    /// Taken over from the interrupted run being resumed: its file was written, its report
    /// journaled.
    Restore(Box<Restorable>),
}

/// What an interrupted run's journal holds of an asset whose file it wrote.
pub(super) struct Restorable {
    pub(super) report: AssetReport,
    pub(super) failures: Vec<FailureReport>,
    /// The lineage, for `hf_add_ancestor_models`.
    pub(super) lineage: Option<JournaledLineage>,
}

/// An asset finished: what the scheduler keeps of it.
struct Finished {
    place: usize,
    asset: Asset,
    report: AssetReport,
    /// The failures it journals with its report.
    journaled: Vec<FailureReport>,
    written: Written,
    done: Done,
}

/// What the scheduled assets leave for the manifest.
#[derive(Default)]
pub(super) struct Scheduled {
    pub(super) failures: Vec<FailureReport>,
    pub(super) facts: RunFacts,
    /// The names of the assets taken over from an interrupted run, in plan order.
    pub(super) restored: Vec<String>,
}

impl HfExtractor {
    /// Run the `plan`: each asset by its step (computed unless `steps` says otherwise), from
    /// the `values` loaded before, each report added to `reports` in plan order.
    pub(super) async fn schedule(
        &self,
        plan: &[Asset],
        mut steps: BTreeMap<Asset, Step>,
        mut values: BTreeMap<Asset, Value>,
        ctx: Ctx<'_>,
        reports: &mut Vec<AssetReport>,
    ) -> Result<Scheduled> {
        // How many assets of the plan, not started yet, read each asset's value.
        let mut readers: BTreeMap<Asset, usize> = BTreeMap::new();
        for dep in plan.iter().flat_map(|a| a.deps()) {
            *readers.entry(dep).or_default() += 1;
        }
        let mut waiting: Vec<(usize, Asset)> = plan.iter().copied().enumerate().collect();
        let mut finished: BTreeSet<Asset> = BTreeSet::new();
        let mut running = FuturesUnordered::new();
        let mut reporting = InOrderReports::default();
        let mut scheduled = Scheduled::default();
        let mut restored = Vec::new();
        loop {
            // Start every asset whose inputs are done (in plan order, so the plan's first
            // assets take the pool and the in-flight budget first).
            let ready = |asset: &Asset| {
                asset
                    .deps()
                    .iter()
                    .all(|d| !plan.contains(d) || finished.contains(d))
            };
            let (start, wait): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|(_, a)| ready(a));
            waiting = wait;
            for (place, asset) in start {
                let mut inputs = Inputs::default();
                for dep in asset.deps() {
                    let left = readers.entry(dep).or_default();
                    *left = left.saturating_sub(1);
                    let value = if *left == 0 {
                        values.remove(&dep)
                    } else {
                        values.get(&dep).cloned()
                    };
                    if let Some(value) = value {
                        inputs.insert(dep, value);
                    }
                }
                let step = steps.remove(&asset).unwrap_or(Step::Compute);
                running.push(self.step(place, asset, step, inputs, ctx));
            }
            let Some(one) = running.next().await else {
                break;
            };
            let Finished {
                place,
                asset,
                report,
                journaled,
                written,
                done,
            } = one?;
            finished.insert(asset);
            if readers.get(&asset).is_some_and(|n| *n > 0) {
                values.insert(asset, done.value);
            }
            if matches!(written, Written::Restored(_)) {
                restored.push((place, asset.name().to_owned()));
            }
            scheduled.failures.extend(done.failed);
            scheduled.facts.add(done.facts);
            reporting.push(place, asset, report, journaled, written);
            reporting
                .report(ctx.checkpoint, ctx.observer, reports, false)
                .await?;
        }
        if let Some((_, asset)) = waiting.first() {
            // Only a graph whose assets read each other in a circle leaves assets waiting.
            return Err(Error::Config {
                variable: "asset".into(),
                value: asset.name().into(),
                reason: "its inputs never finished: the asset graph has a cycle".into(),
            });
        }
        reporting
            .report(ctx.checkpoint, ctx.observer, reports, true)
            .await?;
        restored.sort();
        scheduled.restored = restored.into_iter().map(|(_, name)| name).collect();
        Ok(scheduled)
    }

    /// One asset made by its step, boxed so that the scheduler holds assets of every kind side
    /// by side.
    fn step<'a>(
        &'a self,
        place: usize,
        asset: Asset,
        step: Step,
        inputs: Inputs,
        ctx: Ctx<'a>,
    ) -> futures::future::BoxFuture<'a, Result<Finished>> {
        Box::pin(async move {
            match step {
                Step::Restore(restorable) => restore(place, asset, *restorable, inputs, ctx).await,
                Step::Compute => self.computed(place, asset, inputs, ctx).await,
            }
        })
    }

    /// One asset computed, and its report.
    async fn computed(
        &self,
        place: usize,
        asset: Asset,
        inputs: Inputs,
        ctx: Ctx<'_>,
    ) -> Result<Finished> {
        ctx.observer.asset_started(asset);
        let t = Instant::now();
        let mut done = self.compute(asset, inputs, ctx).await?;
        let duration_ms = elapsed_ms(t);
        let mut report = AssetReport {
            name: asset.name().to_owned(),
            file: asset.file().map(|f| ctx.files.name_of(f)),
            count: done.count,
            failures: done.failures,
            requests: ctx.requests.of(asset, ctx.lookahead).await,
            duration_ms,
            ..AssetReport::default()
        };
        let output = std::mem::replace(&mut done.output, Output::None);
        let written = match (&report.file, output) {
            (Some(_), Output::Records(records)) => Written::Behind(
                ctx.files.write_records_behind(asset, records),
                Instant::now(),
            ),
            (_, Output::Written(written)) => {
                report.sha256 = Some(written.sha256);
                Written::Ready(written.path)
            }
            (_, Output::Writing(writing)) => Written::Behind(writing, Instant::now()),
            // The folder is the asset: observers hear where it is, once it holds a file.
            (None, Output::None) if asset == Asset::RunFolder => {
                Written::WithNext(ctx.location.to_owned())
            }
            _ => Written::Ready(None),
        };
        Ok(Finished {
            place,
            asset,
            report,
            journaled: done.failed.clone(),
            written,
            done,
        })
    }
}

/// An asset taken over from the interrupted run being resumed: its report as journaled, and
/// its value (the lineage: the run's models with the parents the journal holds). Its file's
/// records go to the caller's sink as those of a file written by this run do.
async fn restore(
    place: usize,
    asset: Asset,
    restorable: Restorable,
    mut inputs: Inputs,
    ctx: Ctx<'_>,
) -> Result<Finished> {
    let Restorable {
        report,
        failures,
        lineage,
    } = restorable;
    let value = match lineage {
        Some(journaled) => {
            let raw = inputs.take_models(Asset::RawModels);
            Value::Models(Arc::new(restore_lineage(raw, journaled)?))
        }
        None => Value::Nothing,
    };
    tracing::info!(%asset, "taken over from the interrupted run");
    let path = report.file.as_ref().map(|f| ctx.files.locate(f));
    if let Some(path) = &path {
        let (files, path) = (ctx.files.clone(), path.clone());
        ctx.cpu
            .blocking(move || files.hand_over(asset, &path))
            .await?;
    }
    let mut done = Done::written(report.count, Output::None).giving(value);
    done.failed = failures;
    Ok(Finished {
        place,
        asset,
        report,
        journaled: Vec::new(),
        written: Written::Restored(path),
        done,
    })
}
