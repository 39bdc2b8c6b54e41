//! One asset computed: the exhaustive dispatch on [`Asset`], each arm calling its stage with
//! the values of its inputs and giving back what it made ([`Done`]).

use super::*;

impl HfExtractor {
    /// Compute one asset from its inputs' values.
    pub(super) async fn compute(
        &self,
        asset: Asset,
        mut inputs: Inputs,
        ctx: Ctx<'_>,
    ) -> Result<Done> {
        match asset {
            Asset::RunFolder => Ok(Done::written(0, Output::None)),
            Asset::RawModelsLatest => {
                let total = self.config.num_models as u64;
                let on_model = |done: usize| ctx.observer.progress(asset, done as u64, Some(total));
                let replay = ctx.replayed.latest();
                let client = ctx.requests.client_for(asset);
                let models = self
                    .latest_source(&client, ctx.sources(), replay, &on_model)
                    .await?;
                source_done(asset, ctx, models, Vec::new()).await
            }
            Asset::RawModelsFromFile => {
                let replay = ctx.replayed.file();
                let client = ctx.requests.client_for(asset);
                let (models, id_file, failed) = self.models_from_file(&client, ctx, replay).await?;
                let mut done = source_done(asset, ctx, models, failed).await?;
                done.facts.id_file = Some(id_file);
                Ok(done)
            }
            Asset::RawModels => {
                let sources = [
                    inputs.source(Asset::RawModelsLatest),
                    inputs.source(Asset::RawModelsFromFile),
                ];
                let arrivals = ctx.arrivals.clone();
                let (entries, identified, merged) = ctx
                    .cpu
                    .blocking(move || merge_sources(&arrivals, sources))
                    .await?;
                let mut facts = RunFacts {
                    run_models: Some(entries.len()),
                    watermark: merged.newest_last_modified.clone(),
                    ..RunFacts::default()
                };
                for (rule, n) in &merged.filtered {
                    *facts.filtered.entry(to_key(rule)).or_default() += n;
                }
                let count = entries.len() as u64;
                let ((entries, identified), writing) = write_model_records(
                    ctx.records(),
                    asset,
                    ctx.stamp,
                    (entries, identified),
                    records_of_run,
                )
                .await?;
                let models = Models {
                    entries: Arc::new(entries),
                    refs: Arc::new(identified),
                    ..Models::default()
                };
                let mut done = Done::written(count, Output::Writing(writing))
                    .giving(Value::Models(Arc::new(models)));
                done.facts = facts;
                Ok(done)
            }
            Asset::AncestorModels => {
                let raw = inputs.take_models(Asset::RawModels);
                self.lineage(asset, raw, ctx).await
            }
            Asset::Identified(kind) => match kind.entity() {
                Some(kind) => {
                    let models = inputs.models(Asset::AncestorModels).unwrap_or_default();
                    self.identified_map(asset, kind, models, ctx).await
                }
                // Who shares each model: derived from its id, not identified.
                None => downstream(DownstreamAsset::SharerMap, asset, &inputs, ctx).await,
            },
            Asset::ReadmeLanguages => {
                downstream(DownstreamAsset::ReadmeLanguages, asset, &inputs, ctx).await
            }
            Asset::ChunkCitation => {
                downstream(DownstreamAsset::ChunkCitation, asset, &inputs, ctx).await
            }
            Asset::ModelcardChunks => {
                downstream(DownstreamAsset::ModelcardChunks, asset, &inputs, ctx).await
            }
            Asset::CatalogSources => {
                downstream(DownstreamAsset::CatalogSources, asset, &inputs, ctx).await
            }
            Asset::Enriched(Kind::Languages) => {
                let refs = refs_of(&inputs, Asset::Identified(Kind::Languages));
                let readme = inputs.readme();
                let codes = readme
                    .iter()
                    .flat_map(|codes| codes.iter())
                    .map(String::as_str);
                let languages = refs.refs.for_enrichment(EntityKind::Languages)?;
                let entities = self.enrichment(ctx.stamp).languages_with(&languages, codes);
                let count = entities.len() as u64;
                Ok(Done::written(count, Output::Records(Box::new(entities))))
            }
            Asset::Enriched(kind) => match kind.entity() {
                Some(entity) => {
                    let refs = refs_of(&inputs, Asset::Identified(kind));
                    self.enriched(asset, entity, refs, ctx).await
                }
                None => downstream(DownstreamAsset::Sharers, asset, &inputs, ctx).await,
            },
        }
    }
}

/// One kind's references as the entity records read them: the identified map computed or
/// loaded, or none.
fn refs_of(inputs: &Inputs, identified: Asset) -> Refs {
    inputs.refs(identified).cloned().unwrap_or_else(|| Refs {
        refs: Arc::default(),
        models: None,
        resolved: None,
    })
}

/// Each model's place and identified base models, in the list's order.
pub(super) fn records_of_run((models, identified): &(Vec<Entry>, PackedRun)) -> Vec<RecordOf<'_>> {
    models
        .iter()
        .map(|e| (e.at, base_model_refs(identified, &e.key.id)))
        .collect()
}

/// One of the downstream's assets ([`crate::pipeline::downstream_assets`]), computed from the
/// run's models (with their ancestors) on a blocking thread, its per-model work on the pool.
pub(super) async fn downstream(
    which: DownstreamAsset,
    asset: Asset,
    inputs: &Inputs,
    ctx: Ctx<'_>,
) -> Result<Done> {
    let models = crate::pipeline::downstream_assets::RunModels {
        arrivals: ctx.arrivals.clone(),
        entries: inputs
            .models(Asset::AncestorModels)
            .map(|m| Arc::clone(&m.entries))
            .unwrap_or_default(),
        pool: ctx.cpu.clone(),
    };
    let sharers = inputs.sharers();
    let (folder, stamp) = (ctx.files.clone(), ctx.stamp.to_owned());
    let (count, output, made) = ctx
        .cpu
        .blocking(move || {
            let to = (&folder, asset);
            crate::pipeline::downstream_assets::compute(
                which,
                &stamp,
                to,
                &models,
                sharers.as_deref(),
            )
        })
        .await?;
    let value = match made {
        Made::Nothing => Value::Nothing,
        Made::Sharers(tally) => Value::Sharers(Arc::new(tally)),
        Made::Readme(codes) => Value::Readme(Arc::new(codes)),
    };
    Ok(Done::written(count, output).giving(value))
}
