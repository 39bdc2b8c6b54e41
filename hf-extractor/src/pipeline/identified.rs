//! The identified maps: the packed references they come from, taken from the state or
//! identified again, written (several side by side) and read back.

use super::*;

/// The identified run, taken out of the state (put it back when done): computed with the
/// models, read back kind by kind, or identified now from the models loaded from an earlier
/// run (pure and quick).
pub(super) fn take_identified(checkpoint: &Checkpoint, state: &mut State) -> Result<PackedRun> {
    match state.identified.take() {
        Some(identified) => Ok(identified),
        None => {
            let models = state.models();
            let mut identified = identify_entries(checkpoint, &models)?;
            let renamed = state
                .lineage
                .as_ref()
                .map(Lineage::renamed_keys)
                .unwrap_or_default();
            identified.canonicalise_base_models(models.iter().map(|e| &e.key).chain(&renamed));
            Ok(identified)
        }
    }
}

/// Write the identified maps of `assets` side by side, each map a job of the CPU pool, for
/// each asset to take when it is due (`State::identified_ahead`); each is reported started
/// now. They read the packed references only, and writing one is CPU work (its references
/// decoded and rendered), so one after the other they used one core.
pub(super) async fn write_identified_side_by_side(
    assets: &[Asset],
    (folder, checkpoint, cpu): (&RunFolder, &Checkpoint, &CpuPool),
    state: &mut State,
    observer: &dyn RunObserver,
) -> Result<()> {
    state.identified_side_by_side = true;
    if assets.len() < 2 {
        return Ok(());
    }
    let identified = take_identified(checkpoint, state)?;
    // Each map's kind (only the identified kinds are written side by side).
    let maps: Vec<(Asset, EntityKind)> = assets
        .iter()
        .filter_map(|asset| match *asset {
            Asset::Identified(kind) => kind.entity().map(|kind| (*asset, kind)),
            _ => None,
        })
        .collect();
    for (asset, _) in &maps {
        observer.asset_started(*asset);
    }
    let (pool, folder) = (cpu.clone(), folder.clone());
    let (identified, written) = cpu
        .blocking(move || {
            // Each asset's own outcome is kept for its turn: one failed map does not stop the
            // others.
            let write = |(asset, kind): &(Asset, EntityKind)| {
                let t = Instant::now();
                let file = asset.file().unwrap_or_default();
                let result = write_identified_map(&folder, file, &identified, *kind);
                Ok((*asset, result, elapsed_ms(t)))
            };
            let mut written = Vec::with_capacity(maps.len());
            let kept = pool.for_each_large_in_order(&maps, write, |one| {
                written.push(one);
                Ok(())
            });
            Ok((identified, kept.map(|()| written)))
        })
        .await?;
    state.identified = Some(identified);
    for (asset, result, ms) in written? {
        state.identified_ahead.insert(asset, (result, ms));
    }
    Ok(())
}

/// The identified base models of one model.
pub(super) fn base_model_refs<'a>(
    identified: &'a PackedRun,
    id: &str,
) -> Option<&'a [BaseModelRef]> {
    identified.base_models(id)
}

/// One kind's `{model_id: [references]}` map, written model by model.
pub(super) fn write_identified_map(
    folder: &RunFolder,
    file: &str,
    identified: &PackedRun,
    kind: EntityKind,
) -> Result<WrittenArray> {
    let path = folder.path().join(file);
    folder.write_json_object(file, |object| identified.write_kind(kind, object, &path))
}

/// Read one kind's map back into `refs`; returns how many models it holds.
pub(crate) fn load_identified_map(
    refs: &mut RunIdentified,
    kind: EntityKind,
    path: &Path,
) -> Result<usize> {
    fn fill<R: DeserializeOwned>(
        slot: &mut BTreeMap<String, Vec<R>>,
        path: &Path,
    ) -> Result<usize> {
        *slot = read_json(path)?;
        Ok(slot.len())
    }
    match kind {
        EntityKind::Datasets => fill(&mut refs.datasets, path),
        EntityKind::Articles => fill(&mut refs.articles, path),
        EntityKind::BaseModels => fill(&mut refs.base_models, path),
        EntityKind::Keywords => fill(&mut refs.keywords, path),
        EntityKind::Licenses => fill(&mut refs.licenses, path),
        EntityKind::Languages => fill(&mut refs.languages, path),
        EntityKind::Tasks => fill(&mut refs.tasks, path),
    }
}
