//! One asset computed: the exhaustive dispatch on [`Asset`], each arm calling its stage.

use super::*;

impl HfExtractor {
    /// Compute one asset: (records, failures, what to write).
    pub(super) async fn compute(
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
            cpu,
            arrivals,
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
                            |done: usize| observer.progress(asset, done as u64, Some(total));
                        let replay = state.latest_replay.take();
                        let sources = (arrivals, incremental, lookahead, cpu);
                        self.latest_source(&self.client, sources, replay, &on_model)
                            .await?
                    }
                };
                let run = (cpu, folder, arrivals);
                let (models, result) = source_result(name, run, file, models, stamp, state).await?;
                state.latest = Some(models);
                Ok(result)
            }
            Asset::RawModelsFromFile => {
                let models = match state.prefetched.remove(&asset) {
                    Some((models, ..)) => models,
                    None => {
                        let client = self.client.clone();
                        let sources = (arrivals, incremental, lookahead, cpu);
                        self.models_from_file(&client, sources, state, observer)
                            .await?
                    }
                };
                let run = (cpu, folder, arrivals);
                let (models, result) = source_result(name, run, file, models, stamp, state).await?;
                state.from_file = Some(models);
                Ok(result)
            }
            Asset::AncestorModels => {
                // The run's models move on into the list with their ancestors; a shard's other
                // models stay beside, known but followed by their own shard.
                let raw = state.raw.take().map(Arc::unwrap_or_clone);
                let (raw, beside): (Vec<Entry>, Vec<Entry>) = match state.shard {
                    Some(shard) => raw
                        .unwrap_or_default()
                        .into_iter()
                        .partition(|e| shard.contains(&e.key.id)),
                    None => (raw.unwrap_or_default(), Vec::new()),
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
                    tokio::join!(work, forward_progress(events, asset, observer), resolve);
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
                    arrivals.arrived(at, parent);
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
                let run = (cpu, folder, arrivals);
                let ((all, identified), writing) =
                    write_model_records(run, file, stamp, (all, identified), records_of_run)
                        .await?;
                let failures = lineage.stubs.len() as u64;
                state.with_ancestors = Some(Arc::new(all));
                state.lineage = Some(lineage);
                state.identified = Some(identified);
                Ok((count, failures, Output::Writing(writing)))
            }
            Asset::ReadmeLanguages => {
                downstream(
                    DownstreamAsset::ReadmeLanguages,
                    (folder, file),
                    stamp,
                    state,
                    (arrivals, cpu),
                )
                .await
            }
            Asset::ChunkCitation => {
                downstream(
                    DownstreamAsset::ChunkCitation,
                    (folder, file),
                    stamp,
                    state,
                    (arrivals, cpu),
                )
                .await
            }
            Asset::ModelcardChunks => {
                downstream(
                    DownstreamAsset::ModelcardChunks,
                    (folder, file),
                    stamp,
                    state,
                    (arrivals, cpu),
                )
                .await
            }
            Asset::CatalogSources => {
                downstream(
                    DownstreamAsset::CatalogSources,
                    (folder, file),
                    stamp,
                    state,
                    (arrivals, cpu),
                )
                .await
            }
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
                    return downstream(which, (folder, file), stamp, state, (arrivals, cpu)).await;
                };
                if let Some((written, _)) = state.identified_ahead.remove(&asset) {
                    let written = written?;
                    return Ok((written.count, 0, Output::Written(written)));
                }
                let mut identified = take_identified(checkpoint, state)?;
                if kind == EntityKind::Datasets {
                    self.legacy_datasets(stamp, &mut identified, state).await;
                }
                let (to, file) = (folder.clone(), file.to_owned());
                let (identified, written) = cpu
                    .blocking(move || {
                        let written = write_identified_map(&to, &file, &identified, kind);
                        Ok((identified, written))
                    })
                    .await?;
                state.identified = Some(identified);
                let written = written?;
                Ok((written.count, 0, Output::Written(written)))
            }
            Asset::Enriched(kind) => {
                let Some(kind) = kind.entity() else {
                    let which = DownstreamAsset::Sharers;
                    return downstream(which, (folder, file), stamp, state, (arrivals, cpu)).await;
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
                let sources = [
                    state.latest.take().unwrap_or_default(),
                    state.from_file.take().unwrap_or_default(),
                ];
                let journal = checkpoint.clone();
                let (entries, identified, merged) = cpu
                    .blocking(move || merge_sources(&journal, sources))
                    .await?;
                for (rule, n) in &merged.filtered {
                    *state.filtered.entry(to_key(rule)).or_default() += n;
                }
                state.watermark = merged.newest_last_modified.clone();
                let count = entries.len() as u64;
                let run = (cpu, folder, arrivals);
                let ((entries, identified), writing) =
                    write_model_records(run, file, stamp, (entries, identified), records_of_run)
                        .await?;
                state.run_models = entries.len();
                state.raw = Some(Arc::new(entries));
                state.identified = Some(identified);
                Ok((count, 0, Output::Writing(writing)))
            }
        }
    }
}

/// Each model's place and identified base models, in the list's order.
fn records_of_run((models, identified): &(Vec<Entry>, PackedRun)) -> Vec<RecordOf<'_>> {
    models
        .iter()
        .map(|e| (e.at, base_model_refs(identified, &e.key.id)))
        .collect()
}

/// One of the downstream's assets ([`crate::pipeline::downstream_assets`]), computed from the run's
/// models on a blocking thread (its per-model work on the pool).
pub(super) async fn downstream(
    which: DownstreamAsset,
    (folder, file): (&RunFolder, &str),
    stamp: &str,
    state: &mut State,
    (arrivals, cpu): (&Arrivals, &CpuPool),
) -> Result<(u64, u64, Output)> {
    let mut downstream = crate::pipeline::downstream_assets::DownstreamState {
        models: crate::pipeline::downstream_assets::RunModels {
            arrivals: arrivals.clone(),
            entries: state.models(),
            pool: cpu.clone(),
        },
        sharedby: state.sharedby.take(),
        readme: state.readme.take(),
    };
    let (folder, file, stamp) = (folder.clone(), file.to_owned(), stamp.to_owned());
    let (downstream, computed) = cpu
        .blocking(move || {
            let to = (&folder, file.as_str());
            let computed =
                crate::pipeline::downstream_assets::compute(which, &stamp, to, &mut downstream);
            Ok((downstream, computed))
        })
        .await?;
    state.sharedby = downstream.sharedby;
    state.readme = downstream.readme;
    computed
}
