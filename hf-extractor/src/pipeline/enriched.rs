//! The entity records of each kind: fetched through the enrichment, and the base models'
//! records made from the lineage; the legacy dataset ids resolved.

use hf_enrich::enrich::{ArticleEntity, DatasetEntity};

use super::*;
use crate::store::blob_spool::BlobSpool;
use crate::store::spooled_records::SpooledRecords;

impl HfExtractor {
    pub(crate) fn enrichment(&self, stamp: &str) -> HfEnrichment<Prefetched<HttpSource>> {
        self.enrichment_on(self.client.clone(), stamp, None)
    }

    /// An enrichment through `client`, taking what was fetched `ahead`.
    pub(super) fn enrichment_on(
        &self,
        client: HfClient,
        stamp: &str,
        ahead: Option<Arc<FetchedAhead>>,
    ) -> HfEnrichment<Prefetched<HttpSource>> {
        HfEnrichment::new(
            Prefetched::new(HttpSource::new(client), ahead.unwrap_or_default()),
            EnrichmentOptions {
                threads: self.config.enrichment_threads,
                base_model_iterations: self.config.base_model_iterations,
            },
        )
        .with_extraction_time(stamp)
    }

    /// An enrichment through `client` whose progress events come out of the returned receiver.
    pub(super) fn reporting_enrichment(
        &self,
        client: HfClient,
        stamp: &str,
        ahead: Option<Arc<FetchedAhead>>,
    ) -> (
        HfEnrichment<Prefetched<HttpSource>>,
        tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let enrichment = self
            .enrichment_on(client, stamp, ahead)
            .with_progress(move |event| {
                let _ = tx.send(event);
            });
        (enrichment, rx)
    }

    /// The namespace-less dataset ids of `refs` not answered in `known`, asked through `client`
    /// ([`hf_enrich::legacy_datasets`]): every answer, by which the references are named by
    /// their canonical ids where they are read.
    pub(super) async fn legacy_datasets(
        &self,
        client: HfClient,
        ctx: Ctx<'_>,
        refs: &PackedRun,
        known: ResolvedDatasets,
    ) -> Result<Arc<ResolvedDatasets>> {
        let datasets = refs.for_enrichment(EntityKind::Datasets)?;
        let resolved = self
            .enrichment_on(client, ctx.stamp, ctx.ahead())
            .resolve_datasets_beyond(&datasets, known)
            .await;
        Ok(Arc::new(resolved))
    }

    /// One `hf_enriched_<kind>` asset, from its kind's references: the base models' records
    /// made from the lineage, every other kind fetched.
    pub(super) async fn enriched(
        &self,
        asset: Asset,
        kind: EntityKind,
        refs: Refs,
        ctx: Ctx<'_>,
    ) -> Result<Done> {
        if kind == EntityKind::BaseModels {
            let models = refs.models.as_deref();
            let keys = models
                .into_iter()
                .flat_map(|m| m.entries.iter().map(|e| &e.key));
            let ids = refs.refs.ids(EntityKind::BaseModels);
            let lineage = models.and_then(|m| m.lineage.as_deref());
            let records = BaseModelRecords::new(ids, keys, lineage, ctx.stamp);
            let unread = records.unread();
            let mut done = Done::written(records.len() as u64, Output::Records(Box::new(records)));
            done.failures = unread as u64;
            return Ok(done);
        }
        let client = ctx.requests.client_for(asset);
        let mut resolved = refs.resolved;
        if kind == EntityKind::Datasets && resolved.is_none() {
            // Read back from an earlier run: its legacy ids are resolved here.
            let known = ResolvedDatasets::default();
            let answers = self
                .legacy_datasets(client.clone(), ctx, &refs.refs, known)
                .await?;
            resolved = Some(answers);
        }
        let (enrichment, events) = self.reporting_enrichment(client, ctx.stamp, ctx.ahead());
        // What this kind's enrichment reads, decoded: its ids (and the articles' kinds, the
        // licenses' names); the datasets' by their canonical ids.
        let mut reads = refs.refs.for_enrichment(kind)?;
        if let Some(resolved) = &resolved {
            reads.ids.datasets = canonical_ids(&reads.ids.datasets, resolved);
        }
        let reads = &reads;
        let resolved = resolved.as_deref();
        // The enrichment moves into the work, so its progress sender is dropped (and the
        // forwarding ends) when the work is done.
        // The datasets' and articles' records are kept in a spool of their own in the run folder
        // until their file is written.
        let spooled = SpooledRecords::new(
            BlobSpool::in_folder(ctx.location),
            ctx.files.locate(asset.file().unwrap_or_default()),
        );
        let work = async move { fetch_kind(&enrichment, kind, reads, resolved, spooled).await };
        let (fetched, ()) = tokio::join!(work, forward_progress(events, asset, ctx.observer));
        let (count, value, failed) = fetched?;
        let failed = failed
            .into_iter()
            .map(|(id, status, error)| FailureReport {
                asset: asset.name().to_owned(),
                id,
                line: None,
                status,
                error,
            })
            .collect();
        Ok(Done::written(count as u64, Output::Records(value)).failing(failed))
    }
}

/// The distinct dataset `ids` named by their canonical ids, sorted: those of the references
/// canonicalised with `resolved`.
fn canonical_ids(ids: &[String], resolved: &ResolvedDatasets) -> Vec<String> {
    let canonical: BTreeSet<&str> = ids
        .iter()
        .map(|id| resolved.canonical(id).unwrap_or(id))
        .collect();
    canonical.into_iter().map(str::to_owned).collect()
}

/// Hand progress events to the observer until the enrichment that sends them is dropped.
pub(super) async fn forward_progress(
    mut events: tokio::sync::mpsc::UnboundedReceiver<ProgressEvent>,
    asset: Asset,
    observer: &dyn RunObserver,
) {
    while let Some(event) = events.recv().await {
        observer.progress(asset, event.done as u64, Some(event.total as u64));
    }
}

/// An entity record an enrichment hands over one at a time: its id, and why it was not
/// fetched, if it was not.
trait EntityRecord: Serialize {
    fn id(&self) -> &str;
    fn error(&self) -> &Option<SourceError>;
}

impl EntityRecord for DatasetEntity {
    fn id(&self) -> &str {
        &self.id
    }
    fn error(&self) -> &Option<SourceError> {
        &self.error
    }
}

impl EntityRecord for ArticleEntity {
    fn id(&self) -> &str {
        &self.id
    }
    fn error(&self) -> &Option<SourceError> {
        &self.error
    }
}

/// What is done with each record an enrichment hands over: `note` is told of its failure and it
/// is spooled; after the first spooling error (kept in `kept`), no more are.
fn spooling<'a, R: EntityRecord>(
    spooled: &'a mut SpooledRecords,
    kept: &'a mut Result<()>,
    note: &'a mut impl FnMut(&str, &Option<SourceError>),
) -> impl FnMut(R) + 'a {
    move |record| {
        note(record.id(), record.error());
        if kept.is_ok() {
            *kept = spooled.push(record.id(), &record);
        }
    }
}

/// Fetch one kind: (records, the file's value, the failures as (id, status, reason)).
pub(super) type Fetched = (usize, Box<dyn Records>, Vec<(String, Option<u16>, String)>);

pub(super) async fn fetch_kind(
    enrichment: &HfEnrichment<Prefetched<HttpSource>>,
    kind: EntityKind,
    identified: &IdentifiedRun,
    resolved: Option<&ResolvedDatasets>,
    mut spooled: SpooledRecords,
) -> Result<Fetched> {
    let mut failed: Vec<(String, Option<u16>, String)> = Vec::new();
    let mut note = |id: &str, error: &Option<SourceError>| {
        if let Some(e) = error {
            failed.push((id.to_owned(), e.status, e.message.clone()));
        }
    };
    let (count, value): (usize, Box<dyn Records>) = match kind {
        EntityKind::Datasets => {
            let none = ResolvedDatasets::default();
            let mut kept = Ok(());
            let each = spooling(&mut spooled, &mut kept, &mut note);
            enrichment
                .each_dataset(identified, resolved.unwrap_or(&none), each)
                .await;
            kept?;
            (spooled.len(), Box::new(spooled.sorted()))
        }
        EntityKind::Articles => {
            let mut kept = Ok(());
            let each = spooling(&mut spooled, &mut kept, &mut note);
            enrichment.each_article(identified, each).await;
            kept?;
            (spooled.len(), Box::new(spooled.sorted()))
        }
        EntityKind::Keywords => {
            let entities = enrichment.keywords(identified).await;
            entities.iter().for_each(|e| note(&e.id, &e.error));
            (entities.len(), Box::new(entities))
        }
        EntityKind::Licenses => {
            let entities = enrichment.licenses(identified).await;
            (entities.len(), Box::new(entities))
        }
        EntityKind::Languages => {
            let entities = enrichment.languages(identified);
            (entities.len(), Box::new(entities))
        }
        EntityKind::Tasks => {
            let entities = enrichment.tasks(identified).await;
            if let Some(reason) = &entities.fallback_reason {
                tracing::warn!(%reason, "task catalog: using the embedded pipeline types");
            }
            (entities.tasks.len(), Box::new(entities.tasks))
        }
        // Their records are made from the lineage ([`BaseModelRecords`]), not fetched.
        EntityKind::BaseModels => {
            return Err(Error::Config {
                variable: "asset".into(),
                value: Asset::Enriched(Kind::BaseModels).name().into(),
                reason: "base models are read by the lineage, not fetched by kind".into(),
            });
        }
    };
    Ok((count, value, failed))
}
