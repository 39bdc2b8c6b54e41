//! An asset's value read back from an earlier run folder (or a models file) into the state.

use super::*;

/// Load one asset's value from its file `path` (in an earlier run folder); returns its record
/// count. Models go to this run's journal one by one, identified on the way.
pub(super) fn load(
    path: &Path,
    asset: Asset,
    arrivals: &Arrivals,
    state: &mut State,
) -> Result<u64> {
    let checkpoint = arrivals.checkpoint();
    let models = |source: ModelSource| -> Result<Vec<(Entry, PackedRefs)>> {
        let mut models = Vec::new();
        for_each_element(path, |record: ModelRecord| {
            let model = record.to_fetched_model();
            let at = checkpoint.append_model(source, models.len(), &model)?;
            arrivals.arrived(at, &model);
            let found = PackedRefs::of(&model);
            models.push((
                Entry {
                    key: ModelKey::of(&model),
                    at,
                },
                found,
            ));
            Ok(())
        })?;
        Ok(models)
    };
    let into_run = |models: Vec<(Entry, PackedRefs)>| {
        let mut refs = PackedRun::default();
        let entries = models
            .into_iter()
            .map(|(entry, found)| {
                refs.insert(&entry.key.id, found);
                entry
            })
            .collect::<Vec<_>>();
        (entries, refs)
    };
    let count = match asset {
        Asset::RawModelsLatest | Asset::RawModelsFromFile => {
            let latest = asset == Asset::RawModelsLatest;
            let source = if latest {
                ModelSource::Latest
            } else {
                ModelSource::File
            };
            let models = models(source)?;
            let count = models.len();
            let slot = if latest {
                &mut state.latest
            } else {
                &mut state.from_file
            };
            *slot = Some(SourceModels {
                models,
                ..SourceModels::default()
            });
            count
        }
        Asset::RawModels | Asset::AncestorModels => {
            let (entries, identified) = into_run(models(ModelSource::File)?);
            let count = entries.len();
            if asset == Asset::RawModels {
                state.run_models = count;
                state.raw = Some(Arc::new(entries));
            } else {
                state.with_ancestors = Some(Arc::new(entries));
            }
            state.identified = Some(identified);
            count
        }
        Asset::Identified(Kind::SharedBy) => {
            let map: BTreeMap<String, Vec<SharedByRef>> = read_json(path)?;
            let count = map.len();
            state.sharedby = Some(map);
            count
        }
        Asset::ReadmeLanguages => {
            let map: BTreeMap<String, Vec<ReadmeLanguage>> = read_json(path)?;
            let count = map.len();
            state.readme = Some(map);
            count
        }
        Asset::Identified(kind) => {
            let mut refs = RunIdentified::default();
            match kind.entity() {
                Some(kind) => {
                    let count = load_identified_map(&mut refs, kind, path)?;
                    let mut identified = state.identified.take().unwrap_or_default();
                    identified.replace_kind(kind, refs);
                    state.identified = Some(identified);
                    count
                }
                None => 0,
            }
        }
        // Nothing of these is kept for the assets after them (they are read by no later
        // asset, or are entity records and the run folder).
        Asset::ChunkCitation
        | Asset::ModelcardChunks
        | Asset::RunFolder
        | Asset::Enriched(_)
        | Asset::CatalogSources => 0,
    };
    Ok(count as u64)
}
