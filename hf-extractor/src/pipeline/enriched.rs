//! The entity records of each kind: fetched through the enrichment (several kinds side by
//! side), and the base models' records made from the lineage.

use super::*;

impl HfExtractor {
    /// Requests sent so far, less those made ahead (each counted as its own asset's).
    ///
    /// Two counters read one after the other: a request made ahead is counted by the client
    /// before the lookahead's counter has it, so a later reading can be lower than an earlier
    /// one by the fetches ahead under way. Take differences with [`requests_since`].
    pub(super) fn own_requests(&self, lookahead: Option<&RunLookahead>) -> u64 {
        let ahead = lookahead.map_or(0, RunLookahead::total_requests);
        self.client.stats().total_requests() - ahead
    }

    pub(crate) fn enrichment(&self, stamp: &str) -> HfEnrichment<Prefetched<HttpSource>> {
        self.enrichment_on(self.client.clone(), stamp, None)
    }

    /// An enrichment through `client`, taking what was fetched `ahead`.
    pub(super) fn enrichment_on(
        &self,
        client: HfClient,
        stamp: &str,
        ahead: Option<&Arc<FetchedAhead>>,
    ) -> HfEnrichment<Prefetched<HttpSource>> {
        let ahead = ahead.cloned().unwrap_or_default();
        HfEnrichment::new(
            Prefetched::new(HttpSource::new(client), ahead),
            EnrichmentOptions {
                threads: self.config.enrichment_threads,
                base_model_iterations: self.config.base_model_iterations,
            },
        )
        .with_extraction_time(stamp)
    }

    /// Legacy dataset ids resolved once per run (the first of the dataset stages asks), and
    /// the run's dataset references rewritten to the canonical ids
    /// ([`hf_enrich::legacy_datasets`]).
    pub(super) async fn legacy_datasets(
        &self,
        stamp: &str,
        identified: &mut PackedRun,
        state: &mut State,
    ) {
        if state.datasets.is_some() {
            // Resolved by the other dataset stage, which rewrote this very run.
            return;
        }
        let datasets = identified.for_enrichment(EntityKind::Datasets);
        let known = state.datasets_early.take().unwrap_or_default();
        let resolved = self
            .enrichment_on(self.client.clone(), stamp, state.ahead.as_ref())
            .resolve_datasets_beyond(&datasets, known)
            .await;
        if !resolved.is_empty() {
            identified.rewrite(EntityKind::Datasets, |refs| resolved.canonicalise(refs));
        }
        state.datasets = Some(resolved);
    }

    /// One `hf_enriched_<kind>` asset.
    pub(super) async fn enriched(
        &self,
        asset: Asset,
        kind: EntityKind,
        identified: &PackedRun,
        stamp: &str,
        state: &mut State,
        observer: &dyn RunObserver,
    ) -> Result<(u64, u64, Output)> {
        let name = asset.name();
        if kind == EntityKind::BaseModels {
            let keys: Vec<ModelKey> = state.models().iter().map(|e| e.key.clone()).collect();
            let ids = identified.ids(EntityKind::BaseModels);
            let entities = base_model_entities(&ids, &keys, state.lineage.as_ref(), stamp);
            let unread = entities.iter().filter(|e| !e.enriched).count();
            return Ok((
                entities.len() as u64,
                unread as u64,
                Output::Value(to_json(&entities)?),
            ));
        }
        let fetched = match state.enriched_ahead.remove(&asset) {
            Some((fetched, ..)) => fetched,
            None => {
                let (enrichment, events) =
                    self.reporting_enrichment(self.client.clone(), stamp, state.ahead.as_ref());
                // What this kind's enrichment reads, decoded: its ids (and the articles'
                // kinds, the licenses' names).
                let identified = &identified.for_enrichment(kind);
                let resolved = state.datasets.as_ref();
                let work = async move { fetch_kind(&enrichment, kind, identified, resolved).await };
                let (fetched, ()) = tokio::join!(work, forward_progress(events, asset, observer));
                fetched
            }
        };
        let (count, value, failed) = fetched?;
        let failures = failed.len() as u64;
        for (id, status, error) in failed {
            state.failures.push(FailureReport {
                asset: name.to_owned(),
                id,
                line: None,
                status,
                error,
            });
        }
        Ok((count as u64, failures, Output::Value(value)))
    }

    /// An enrichment through `client` whose progress events come out of the returned receiver.
    pub(super) fn reporting_enrichment(
        &self,
        client: HfClient,
        stamp: &str,
        ahead: Option<&Arc<FetchedAhead>>,
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

    /// Fetch the entity kinds of `assets` (`hf_enriched_<kind>`) side by side, each through a
    /// client counting its own requests, into [`State::enriched_ahead`]: each kind is a few
    /// requests that wait on one another (the tag vocabulary, the task catalog, the arXiv
    /// batch, the datasets), so one after the other they cost a round trip each. The client's
    /// in-flight limit still holds for all of them together. Each asset is reported started
    /// now, and written (in plan order) with what its kind fetched.
    pub(super) async fn enrich_side_by_side(
        &self,
        assets: &[Asset],
        (checkpoint, lookahead): (&Checkpoint, Option<&RunLookahead>),
        stamp: &str,
        state: &mut State,
        observer: &dyn RunObserver,
    ) -> Result<()> {
        state.enriched_side_by_side = true;
        if assets.len() < 2 {
            return Ok(());
        }
        let mut identified = take_identified(checkpoint, state)?;
        let datasets = Asset::Enriched(Kind::Datasets);
        if assets.contains(&datasets) {
            // Asked before the asset's own count starts: counted as its requests.
            let before = self.own_requests(lookahead);
            self.legacy_datasets(stamp, &mut identified, state).await;
            let asked = requests_since(self.own_requests(lookahead), before);
            *state.requests_ahead.entry(datasets).or_default() += asked;
        }
        // Each fetching kind's asset with what its enrichment reads.
        let inputs: Vec<(Asset, EntityKind, IdentifiedRun)> = assets
            .iter()
            .filter_map(|asset| {
                match *asset {
                    Asset::Enriched(kind) => kind.entity(),
                    _ => None,
                }
                .map(|kind| (*asset, kind, identified.for_enrichment(kind)))
            })
            .collect();
        state.identified = Some(identified);
        let resolved = state.datasets.as_ref();
        let ahead = state.ahead.as_ref();
        // A loop over a named future, not a closure returning an async block: the run's future
        // stays provably `Send`.
        let mut fetches = Vec::with_capacity(inputs.len());
        for (asset, kind, reads) in &inputs {
            let started = (*asset, *kind, reads);
            fetches.push(self.fetch_one(started, (stamp, ahead, resolved), observer));
        }
        let fetched = futures::future::join_all(fetches).await;
        for (asset, fetched, requests, ms) in fetched {
            state.enriched_ahead.insert(asset, (fetched, requests, ms));
        }
        Ok(())
    }
}

impl HfExtractor {
    /// Fetch one kind of [`enrich_side_by_side`](Self::enrich_side_by_side) through a client
    /// counting its requests: (its asset, what was fetched, the requests, the milliseconds).
    async fn fetch_one(
        &self,
        (asset, kind, reads): (Asset, EntityKind, &IdentifiedRun),
        (stamp, ahead, resolved): (&str, Option<&Arc<FetchedAhead>>, Option<&ResolvedDatasets>),
        observer: &dyn RunObserver,
    ) -> (Asset, Result<Fetched>, u64, u64) {
        observer.asset_started(asset);
        let (client, requests) = self.client.counted();
        let (enrichment, events) = self.reporting_enrichment(client, stamp, ahead);
        let t = Instant::now();
        // The enrichment moves into the work, so its progress sender is dropped (and the
        // forwarding ends) when the work is done.
        let work = async move { fetch_kind(&enrichment, kind, reads, resolved).await };
        let (fetched, ()) = tokio::join!(work, forward_progress(events, asset, observer));
        (asset, fetched, requests.get(), elapsed_ms(t))
    }
}

/// The requests between two readings of [`HfExtractor::own_requests`]: none when the later
/// reading is the lower (fetches ahead counted by the client, not yet by the lookahead).
pub(super) fn requests_since(now: u64, before: u64) -> u64 {
    now.saturating_sub(before)
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

/// Fetch one kind: (records, the file's value, the failures as (id, status, reason)).
pub(super) type Fetched = (usize, serde_json::Value, Vec<(String, Option<u16>, String)>);

pub(super) async fn fetch_kind(
    enrichment: &HfEnrichment<Prefetched<HttpSource>>,
    kind: EntityKind,
    identified: &IdentifiedRun,
    resolved: Option<&ResolvedDatasets>,
) -> Result<Fetched> {
    let mut failed: Vec<(String, Option<u16>, String)> = Vec::new();
    let mut note = |id: &str, error: &Option<SourceError>| {
        if let Some(e) = error {
            failed.push((id.to_owned(), e.status, e.message.clone()));
        }
    };
    let (count, value) = match kind {
        EntityKind::Datasets => {
            let entities = match resolved {
                Some(resolved) => enrichment.datasets_resolved(identified, resolved).await,
                None => enrichment.datasets(identified).await,
            };
            entities.iter().for_each(|e| note(&e.id, &e.error));
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Articles => {
            let entities = enrichment.articles(identified).await;
            entities.iter().for_each(|e| note(&e.id, &e.error));
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Keywords => {
            let entities = enrichment.keywords(identified).await;
            entities.iter().for_each(|e| note(&e.id, &e.error));
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Licenses => {
            let entities = enrichment.licenses(identified).await;
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Languages => {
            let entities = enrichment.languages(identified);
            (entities.len(), to_json(&entities)?)
        }
        EntityKind::Tasks => {
            let entities = enrichment.tasks(identified).await;
            if let Some(reason) = &entities.fallback_reason {
                tracing::warn!(%reason, "task catalog: using the embedded pipeline types");
            }
            (entities.tasks.len(), to_json(&entities.tasks)?)
        }
        // Their records are made from the lineage ([`base_model_entities`]), not fetched.
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

/// The records of `hf_base_models.json`: every identified base model, read or not.
pub(crate) fn base_model_entities(
    base_model_ids: &[String],
    models: &[ModelKey],
    lineage: Option<&Lineage>,
    stamp: &str,
) -> Vec<BaseModelEntity> {
    let mut read: BTreeMap<String, &ModelKey> = BTreeMap::new();
    for m in models {
        read.insert(m.id.to_ascii_lowercase(), m);
        for alias in &m.aliases {
            read.insert(alias.to_ascii_lowercase(), m);
        }
    }
    let stubs: BTreeMap<String, _> = lineage
        .map(|l| {
            l.stubs
                .iter()
                .map(|s| (s.id.to_ascii_lowercase(), s))
                .collect()
        })
        .unwrap_or_default();
    base_model_ids
        .iter()
        .map(|id| {
            let key = id.to_ascii_lowercase();
            let (enriched, canonical_id, reason, status) = match (read.get(&key), stubs.get(&key)) {
                (Some(m), _) => (true, (m.id != *id).then(|| m.id.clone()), None, None),
                (None, Some(stub)) => (false, None, Some(stub.reason.clone()), stub.status),
                (None, None) => (
                    false,
                    None,
                    Some("not followed: named only in the card text, or beyond the lineage iterations".into()),
                    None,
                ),
            };
            BaseModelEntity {
                id: id.clone(),
                mlentory_id: hf_enrich::mlentory::mlentory_id("Model", id),
                enriched,
                canonical_id,
                extraction_metadata: ExtractionMetadata {
                    extraction_method: "hf_api".into(),
                    confidence: 1.0,
                    extraction_time: stamp.to_owned(),
                    error: reason.clone(),
                },
                reason,
                status,
            }
        })
        .collect()
}
