//! A run from start to manifest: its plan, its CPU pool, what is done with each model as it
//! arrives and what is fetched ahead; the assets loaded from an earlier run or taken over from
//! an interrupted one; the plan handed to the scheduler; the manifest at the end.

use super::*;

/// What an interrupted run's journal holds of `asset`, when the asset can be taken over: the
/// lineage (its parents and stubs are in the journal) and the entities, once their file was
/// written.
fn restorable(asset: Asset, files: &RunFiles, replay: &mut Replay) -> Option<Restorable> {
    if !matches!(asset, Asset::AncestorModels | Asset::Enriched(_)) {
        return None;
    }
    let (report, failures) = replay.assets.remove(&asset)?;
    if !report.file.as_ref().is_some_and(|f| files.exists(f)) {
        return None;
    }
    let lineage = match asset {
        Asset::AncestorModels => Some(JournaledLineage {
            stubs: replay.stubs.take()?,
            parents: std::mem::take(&mut replay.parents),
            renamed: std::mem::take(&mut replay.renamed),
        }),
        _ => None,
    };
    Some(Restorable {
        report,
        failures,
        lineage,
    })
}

impl HfExtractor {
    pub(super) async fn run_in(
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
            format,
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
            folder.records_file(file)
        };
        let available: BTreeSet<Asset> = graph()
            .into_iter()
            .filter(|a| !selection.contains(a) && source_of(*a).is_some())
            .collect();
        let plan = assets::plan(&selection, &available);
        let planned = |asset: Asset| plan.contains(&asset);
        // The run's CPU work, all of it on one pool; dropping this future stops it.
        let cpu = CpuPool::new(self.config.cpu_threads)?;
        let stop_on_drop = cpu.cancel_on_drop();
        let cpu = &cpu;
        // What is done with each model as it arrives: what the plan needs of it.
        let arrivals = Arrivals::new(&checkpoint);
        let arrivals = &arrivals;
        if planned(Asset::ReadmeLanguages) {
            arrivals.detect_languages(cpu);
        }
        let sharedby =
            planned(Asset::Identified(Kind::SharedBy)) || planned(Asset::Enriched(Kind::SharedBy));
        let citation = planned(Asset::ChunkCitation);
        if sharedby || citation {
            arrivals.derive(sharedby, citation);
        }
        if plan.iter().any(|a| a.holds_model_records()) {
            arrivals.keep_records(&stamp)?;
        }
        if let Some(sink) = observer.model_sink() {
            arrivals.announce_to(sink, &stamp);
        }
        // The legacy dataset ids of the run's own models are resolved while the lineage is
        // followed, for the identified datasets to complete.
        let datasets_early_for = [Asset::AncestorModels, Asset::Identified(Kind::Datasets)]
            .iter()
            .all(|a| planned(*a))
            .then_some(Asset::Identified(Kind::Datasets));
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
        let requests = Requests::new(&self.client);
        let replayed = Replayed::new(replay.latest.take(), replay.file.take());
        // The run's files: each record handed to the caller's sink as it is written, and
        // written into the run's folder unless the caller takes them all.
        let mut files = RunFiles::new(folder.clone())
            .laid_out(format)
            .handing_to(observer.record_sink());
        if !observer.keeps_record_files() {
            files = files.without_records();
        }
        let ctx = Ctx {
            files: &files,
            location: folder.path(),
            checkpoint: &checkpoint,
            incremental: &incremental,
            stamp: &stamp,
            lookahead,
            cpu,
            arrivals,
            requests: &requests,
            observer,
            shard: shard_run.as_ref().map(|s| s.shard),
            datasets_early_for,
            replayed: &replayed,
        };
        let mut reports = Vec::new();

        // Upstream assets the plan needs but does not compute come from the earlier run.
        let mut values: BTreeMap<Asset, Value> = BTreeMap::new();
        let mut loaded_models = None;
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
                let with_ancestors = values.get(&Asset::AncestorModels).and_then(|v| match v {
                    Value::Models(models) => Some(Arc::clone(models)),
                    _ => None,
                });
                let (from, into) = (path.clone(), arrivals.clone());
                let (count, value) = cpu
                    .blocking(move || load(&from, asset, &into, with_ancestors))
                    .await?;
                if asset == Asset::RawModels {
                    loaded_models = Some(count as usize);
                }
                values.insert(asset, value);
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
                observer.asset_done(asset, &report, None);
                reports.push(report);
            }
        }

        // What an interrupted run already wrote is taken over, the rest computed.
        let steps: BTreeMap<Asset, Step> = plan
            .iter()
            .filter_map(|&asset| {
                restorable(asset, &files, &mut replay).map(|r| (asset, Step::Restore(Box::new(r))))
            })
            .collect();
        let scheduled = self
            .schedule(&plan, steps, values, ctx, &mut reports)
            .await?;
        let Scheduled {
            mut failures,
            facts,
            restored,
        } = scheduled;
        let resumed = resumed.map(|r| ResumeReport {
            assets: restored,
            ..r
        });

        if let Some(lookahead) = lookahead {
            lookahead.finish().await;
        }
        let models = facts.run_models.or(loaded_models).unwrap_or(0);
        let id_file = facts.id_file.unwrap_or_default();
        let models_report = ModelsReport::new(&reports, models as u64, id_file.ids as u64);
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
            filtered: facts.filtered,
            model_id_file: id_file,
            http: HttpReport::new(&self.client.stats().since(&stats_at_start), models),
            models: models_report,
            failures,
            watermark: facts
                .watermark
                .or_else(|| incremental.since.map(|t| t.to_string())),
            incremental: incremental.report(),
            resumed,
        };
        files.write_json(MANIFEST_FILE, &manifest)?;
        stop_on_drop.disarm();
        tracing::info!(folder = %folder.path().display(), "run finished");
        Ok(RunOutcome { folder, manifest })
    }
}
