//! An asset's value read back from an earlier run folder (or a models file).

use super::*;

/// Load one asset's value from its file `path` (in an earlier run folder): (its record count,
/// its value). Models go to this run's journal one by one, identified on the way. An identified
/// map comes with the run's models when `with_ancestors` (loaded before it) has them. On a
/// blocking thread.
pub(super) fn load(
    path: &Path,
    asset: Asset,
    arrivals: &Arrivals,
    with_ancestors: Option<Arc<Models>>,
) -> Result<(u64, Value)> {
    let checkpoint = arrivals.checkpoint();
    let models = |source: ModelSource| -> Result<Vec<(Entry, SpooledRefs)>> {
        let mut models = Vec::new();
        for_each_element(path, |record: ModelRecord| {
            let model = record.to_fetched_model();
            let at = checkpoint.append_model(source, models.len(), &model)?;
            arrivals.arrived(at, &model);
            let found = PackedRefs::of(&model).spool(arrivals.refs_spool())?;
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
    let into_run = |models: Vec<(Entry, SpooledRefs)>| -> Result<(Vec<Entry>, PackedRun)> {
        let mut refs = PackedRun::new(arrivals.refs_spool());
        let mut entries = Vec::with_capacity(models.len());
        for (entry, found) in models {
            refs.insert_spooled(&entry.key.id, found)?;
            entries.push(entry);
        }
        Ok((entries, refs))
    };
    let (count, value) = match asset {
        Asset::RawModelsLatest | Asset::RawModelsFromFile => {
            let source = if asset == Asset::RawModelsLatest {
                ModelSource::Latest
            } else {
                ModelSource::File
            };
            let models = models(source)?;
            let count = models.len();
            let models = SourceModels {
                models,
                ..SourceModels::default()
            };
            (count, Value::Source(Arc::new(models)))
        }
        Asset::RawModels | Asset::AncestorModels => {
            let (entries, identified) = into_run(models(ModelSource::File)?)?;
            let count = entries.len();
            let models = Models {
                entries: Arc::new(entries),
                refs: Arc::new(identified),
                ..Models::default()
            };
            (count, Value::Models(Arc::new(models)))
        }
        Asset::Identified(Kind::SharedBy) => {
            let mut tally = SharerTally::default();
            let count = for_each_entry(path, |_, refs: Vec<SharedByRef>| {
                tally.add(&refs);
                Ok(())
            })?;
            (count as usize, Value::Sharers(Arc::new(tally)))
        }
        Asset::ReadmeLanguages => {
            let mut codes = BTreeSet::new();
            let count = for_each_entry(path, |_, languages: Vec<ReadmeLanguage>| {
                codes.extend(languages.into_iter().map(|l| l.code));
                Ok(())
            })?;
            (count as usize, Value::Readme(Arc::new(codes)))
        }
        Asset::Identified(kind) => match kind.entity() {
            Some(kind) => {
                let mut refs = RunIdentified::default();
                let count = load_identified_map(&mut refs, kind, path)?;
                let mut packed = PackedRun::new(arrivals.refs_spool());
                packed.replace_kind(kind, refs)?;
                let refs = Refs {
                    refs: Arc::new(packed),
                    models: with_ancestors,
                    resolved: None,
                };
                (count, Value::Refs(refs))
            }
            None => (0, Value::Nothing),
        },
        // Nothing of these is read by a later asset (or they are entity records and the run
        // folder).
        Asset::ChunkCitation
        | Asset::ModelcardChunks
        | Asset::RunFolder
        | Asset::Enriched(_)
        | Asset::CatalogSources => (0, Value::Nothing),
    };
    Ok((count as u64, value))
}
