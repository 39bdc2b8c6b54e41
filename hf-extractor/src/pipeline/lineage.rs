//! `hf_add_ancestor_models`: the run's models with the parents their lineage reads, followed
//! through the enrichment (or taken over from an interrupted run's journal), journaled and
//! written.

use super::*;
use hf_enrich::lineage::LineageEdges;

impl HfExtractor {
    /// Follow the lineage of the run's models `raw` (handed over: this stage is their last
    /// reader) and write them with their parents.
    pub(super) async fn lineage(&self, asset: Asset, raw: Models, ctx: Ctx<'_>) -> Result<Done> {
        let entries = Arc::unwrap_or_clone(raw.entries);
        // The run's models move on into the list with their ancestors; a shard's other models
        // stay beside, known but followed by their own shard.
        let (entries, beside): (Vec<Entry>, Vec<Entry>) = match ctx.shard {
            Some(shard) => entries.into_iter().partition(|e| shard.contains(&e.key.id)),
            None => (entries, Vec::new()),
        };
        // Identified with the listing; a shard identifies its own models only.
        let mut identified = match ctx.shard {
            None => Arc::unwrap_or_clone(raw.refs),
            Some(_) => identify_entries(ctx.arrivals, &entries)?,
        };
        let client = ctx.requests.client_for(asset);
        let (enrichment, events) = self.reporting_enrichment(client, ctx.stamp, ctx.ahead());
        // The links are written from the models' references: the lineage keeps only those
        // to its stubs, for their `referenced_by`.
        let enrichment = enrichment.with_lineage_edges(LineageEdges::ToStubs);
        // While the lineage is followed, the run's own legacy dataset ids are resolved (the
        // parents' few are asked later, by the dataset asset), their requests counted as that
        // asset's.
        let early = match ctx.datasets_early_for {
            Some(owner) => Some((owner, identified.for_enrichment(EntityKind::Datasets)?)),
            None => None,
        };
        // The enrichment moves into the work, so its progress sender is dropped (and the
        // forwarding ends) when the work is done. The lineage reads the base models where they
        // are and names them by their canonical ids there; the parents' references join them.
        let (run_keys, beside, refs) = (&entries, &beside, &mut identified);
        let work = async move {
            enrichment
                .ancestors_of_identified(run_keys, beside, refs)
                .await
        };
        let resolve = async {
            match &early {
                Some((owner, ids)) => {
                    let client = ctx.requests.client_for(*owner);
                    let enrichment = self.enrichment_on(client, ctx.stamp, ctx.ahead());
                    Some(enrichment.resolve_datasets(ids).await)
                }
                None => None,
            }
        };
        let (lineage, (), datasets_early) =
            tokio::join!(work, forward_progress(events, asset, ctx.observer), resolve);
        let mut lineage = lineage?;
        let failed: Vec<FailureReport> = lineage
            .stubs
            .iter()
            .map(|stub| FailureReport {
                asset: asset.name().to_owned(),
                id: stub.id.clone(),
                line: None,
                status: stub.status,
                error: stub.reason.clone(),
            })
            .collect();
        let run_models = entries.len();
        // The run's models, with their parents added.
        let mut all = entries;
        all.reserve_exact(lineage.models.len());
        // The parents go to the journal too: later stages read the stubs of the lineage, not
        // its models.
        for (position, parent) in std::mem::take(&mut lineage.models).iter().enumerate() {
            let at = ctx
                .checkpoint
                .append_model(ModelSource::Lineage, position, parent)?;
            ctx.arrivals.arrived(at, parent);
            all.push(Entry {
                key: ModelKey::of(parent),
                at,
            });
        }
        ctx.checkpoint.append(&Event::Lineage {
            stubs: lineage.stubs.clone(),
            renamed: lineage.renamed.clone(),
        })?;
        all.sort_by(|a, b| a.key.id.cmp(&b.key.id));
        let count = all.len() as u64;
        let ((all, identified), writing) = write_model_records(
            ctx.records(),
            asset,
            ctx.stamp,
            (all, identified),
            records_of_run,
        )
        .await?;
        let models = Models {
            entries: Arc::new(all),
            refs: Arc::new(identified),
            lineage: Some(Arc::new(lineage)),
            datasets_early: datasets_early.map(Arc::new),
        };
        let mut done = Done::written(count, Output::Writing(writing))
            .failing(failed)
            .giving(Value::Models(Arc::new(models)));
        if ctx.shard.is_some() {
            done.facts.run_models = Some(run_models);
        }
        Ok(done)
    }
}

/// The lineage as an interrupted run's journal holds it: the parents read by the last lineage
/// that finished (with what was identified in them), its stubs and renamed ids.
pub(super) struct JournaledLineage {
    pub(super) parents: Vec<(Entry, PackedRefs)>,
    pub(super) stubs: Vec<hf_enrich::lineage::BaseModelStub>,
    pub(super) renamed: BTreeMap<String, String>,
}

/// `hf_add_ancestor_models` taken over from the interrupted run being resumed: the run's
/// models `raw` with the parents its journal holds.
pub(super) fn restore_lineage(raw: Models, journaled: JournaledLineage) -> Result<Models> {
    let JournaledLineage {
        parents,
        stubs,
        renamed,
    } = journaled;
    let mut refs = Arc::unwrap_or_clone(raw.refs);
    let mut all = Arc::unwrap_or_clone(raw.entries);
    for (entry, found) in parents {
        refs.insert(&entry.key.id, found)?;
        all.push(entry);
    }
    all.sort_by(|a, b| a.key.id.cmp(&b.key.id));
    let lineage = Lineage {
        stubs,
        renamed,
        ..Lineage::default()
    };
    // As the lineage left them: named by the canonical ids of the models read and of the
    // legacy ids resolved.
    let renamed = lineage.renamed_keys();
    refs.canonicalise_base_models(all.iter().map(|e| &e.key).chain(&renamed));
    Ok(Models {
        entries: Arc::new(all),
        refs: Arc::new(refs),
        lineage: Some(Arc::new(lineage)),
        datasets_early: None,
    })
}
