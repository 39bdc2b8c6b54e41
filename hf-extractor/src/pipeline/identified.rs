//! The identified maps: written from the packed references of the run's models, and read back.

use super::*;

impl HfExtractor {
    /// One `hf_identified_<kind>` map, from the run's models with their ancestors: written as
    /// one job of the CPU pool (its references decoded and rendered model by model). The
    /// datasets' legacy ids are resolved first, through a client counted for `asset`, and the
    /// map names the canonical ids; the answers go on with the references.
    pub(super) async fn identified_map(
        &self,
        asset: Asset,
        kind: EntityKind,
        models: Arc<Models>,
        ctx: Ctx<'_>,
    ) -> Result<Done> {
        let refs = Arc::clone(&models.refs);
        let mut resolved = None;
        if kind == EntityKind::Datasets {
            // Those of the run's own models were resolved while the lineage was followed.
            let known = models
                .datasets_early
                .as_deref()
                .cloned()
                .unwrap_or_default();
            let client = ctx.requests.client_for(asset);
            resolved = Some(self.legacy_datasets(client, ctx, &refs, known).await?);
        }
        let (files, map, canonical) = (ctx.files.clone(), Arc::clone(&refs), resolved.clone());
        let written = ctx
            .cpu
            .job(move || {
                let canonical = canonical.as_deref();
                write_identified_map(&files, asset, &map, kind, canonical)
            })
            .await?;
        let refs = Refs {
            refs,
            models: Some(models),
            resolved,
        };
        Ok(Done::written(written.count, Output::Written(written)).giving(Value::Refs(refs)))
    }
}

/// The identified base models of one model.
pub(super) fn base_model_refs<'a>(
    identified: &'a PackedRun,
    id: &str,
) -> Option<&'a [BaseModelRef]> {
    identified.base_models(id)
}

/// One kind's `{model_id: [references]}` map, `asset`'s file, written model by model.
pub(super) fn write_identified_map(
    files: &RunFiles,
    asset: Asset,
    identified: &PackedRun,
    kind: EntityKind,
    canonical: Option<&ResolvedDatasets>,
) -> Result<WrittenArray> {
    let path = files.locate(asset.file().unwrap_or_default());
    files.write_json_object(asset, |object| match canonical {
        // Datasets named by their canonical ids.
        Some(resolved) if kind == EntityKind::Datasets && !resolved.is_empty() => {
            identified.write_kind_rewritten(kind, object, &path, |refs| resolved.canonicalise(refs))
        }
        _ => identified.write_kind(kind, object, &path),
    })
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
