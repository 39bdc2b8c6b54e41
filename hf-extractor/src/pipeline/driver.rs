//! The loop over a run's plan: each asset loaded from an earlier run, taken over from an
//! interrupted one, or computed, then reported in plan order; the manifest at the end.

use super::*;

/// Take an asset over from the interrupted run being resumed, when its file was written: the
/// lineage (its parents and stubs are in the journal) and the entities. Returns its report.
pub(super) fn restore(
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
        let mut all = state
            .raw
            .take()
            .map(Arc::unwrap_or_clone)
            .unwrap_or_default();
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
        state.with_ancestors = Some(Arc::new(all));
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
        if plan.iter().any(|a| RECORD_ASSETS.contains(a)) {
            arrivals.keep_records(&stamp)?;
        }
        if let Some(sink) = observer.model_sink() {
            arrivals.announce_to(sink, &stamp);
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
                let count = load(&path, asset, arrivals, &mut state)?;
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

        // The two model sources run at the same time; each counts its own requests.
        let both = [Asset::RawModelsLatest, Asset::RawModelsFromFile];
        if both.iter().all(|a| plan.contains(a)) {
            for asset in both {
                observer.asset_started(asset);
            }
            let (latest_client, latest_requests) = self.client.counted();
            let (file_client, file_requests) = self.client.counted();
            let t = Instant::now();
            let num_models = self.config.num_models as u64;
            let on_latest = |done: usize| observer.progress(both[0], done as u64, Some(num_models));
            let latest_replay = state.latest_replay.take();
            let latest = async {
                let outcome = self
                    .latest_source(
                        &latest_client,
                        (arrivals, &incremental, lookahead, cpu),
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
                        (arrivals, &incremental, lookahead, cpu),
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
                reporting.push(asset, report, Vec::new(), Restored(path));
                reporting
                    .report(&checkpoint, observer, &mut reports, false)
                    .await?;
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
                write_identified_side_by_side(
                    &kinds,
                    (&folder, &checkpoint, cpu),
                    &mut state,
                    observer,
                )
                .await?;
            }
            if !state.prefetched.contains_key(&asset)
                && !state.enriched_ahead.contains_key(&asset)
                && !state.identified_ahead.contains_key(&asset)
            {
                observer.asset_started(asset);
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
                cpu,
                arrivals,
            };
            let (count, failures, output) = self.compute(asset, ctx, &mut state, observer).await?;
            let (requests, duration_ms) = prefetched.unwrap_or_else(|| {
                let requests = requests_since(self.own_requests(lookahead), before);
                (requests, elapsed_ms(t))
            });
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
                (Some(file), Output::Value(value)) => {
                    Behind(folder.write_json_behind(file, value, count), Instant::now())
                }
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
            reporting.push(asset, report, failures, written);
            reporting
                .report(&checkpoint, observer, &mut reports, false)
                .await?;
        }
        reporting
            .report(&checkpoint, observer, &mut reports, true)
            .await?;

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
        stop_on_drop.disarm();
        tracing::info!(folder = %folder.path().display(), "run finished");
        Ok(RunOutcome { folder, manifest })
    }
}
