//! The assets that exist for the Python extractor's downstream (see [`crate::downstream`]):
//! `hf_identified_sharedby`, `hf_enriched_sharedby`, `hf_detected_readme_languages`,
//! `hf_identified_chunk_citation`, `hf_identified_modelcard_chunks` and `hf_raw_catalog_sources`.
//! All are computed from the models already read: no request. [`RunModels`] reads those models
//! back from the journal, one at a time per thread of the run's CPU pool.

use std::collections::BTreeMap;
use std::sync::Arc;

use hf_client::card::ModelCard;
use hf_enrich::card_chunks::card_chunks;
use hf_enrich::citation::citation_chunk;
use hf_enrich::models::FetchedModel;
use hf_enrich::readme_languages::{ReadmeLanguage, card_languages, readme_languages_with};
use hf_enrich::sharedby::{SharedByRef, identify_sharedby, sharedby_entities};

use serde::Serialize;

use crate::cpu::CpuPool;
use crate::downstream::SourceRecord;
use crate::error::Result;
use crate::pipeline::arrivals::Arrivals;
use crate::pipeline::run_models::Entry;
use crate::store::checkpoint::Stored;
use crate::store::files::{Output, RunFiles, WrittenArray};

/// One of these assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DownstreamAsset {
    /// `hf_identified_sharedby`: `{model_id: [sharer]}`.
    SharerMap,
    /// `hf_enriched_sharedby`: one record per sharer.
    Sharers,
    /// `hf_detected_readme_languages`.
    ReadmeLanguages,
    /// `hf_identified_chunk_citation`.
    ChunkCitation,
    /// `hf_identified_modelcard_chunks`.
    ModelcardChunks,
    /// `hf_raw_catalog_sources`.
    CatalogSources,
}

/// What one of these assets hands to the assets after it: the maps they read.
pub(crate) enum Made {
    /// Nothing.
    Nothing,
    /// `{model_id: [sharer]}`, for `hf_enriched_sharedby`.
    Sharers(BTreeMap<String, Vec<SharedByRef>>),
    /// `{model_id: [README language]}`, for `hf_enriched_languages`.
    Readme(BTreeMap<String, Vec<ReadmeLanguage>>),
}

/// Write a `{model_id: …}` map to `file` entry by entry (the bytes of the whole map written).
fn write_map<T: Serialize>(
    folder: &RunFiles,
    file: &str,
    map: &BTreeMap<String, T>,
) -> Result<Output> {
    let written = folder.write_json_object(file, |object| {
        map.iter().try_for_each(|(model, v)| object.entry(model, v))
    })?;
    Ok(Output::Written(written))
}

/// Who shares each model: as derived when it was journaled, or read back.
fn sharedby_map(models: &RunModels) -> Result<BTreeMap<String, Vec<SharedByRef>>> {
    let derived = models.derived();
    models.map_known(|at| derived?.sharedby(at), identify_sharedby)
}

/// Compute one of these assets into `file` of `folder` from the run's `models` (and, for
/// `hf_enriched_sharedby`, the `sharers` of `hf_identified_sharedby` when the run has them):
/// (records, what was written, what it hands on). On a blocking thread: the per-model work
/// goes to the pool.
pub(crate) fn compute(
    asset: DownstreamAsset,
    stamp: &str,
    (folder, file): (&RunFiles, &str),
    models: &RunModels,
    sharers: Option<&BTreeMap<String, Vec<SharedByRef>>>,
) -> Result<(u64, Output, Made)> {
    let (count, output, made) = match asset {
        DownstreamAsset::SharerMap => {
            let map = sharedby_map(models)?;
            let written = write_map(folder, file, &map)?;
            (map.len(), written, Made::Sharers(map))
        }
        DownstreamAsset::Sharers => {
            let records = match sharers {
                Some(map) => sharedby_entities(map, stamp),
                None => sharedby_entities(&sharedby_map(models)?, stamp),
            };
            (
                records.len(),
                Output::Records(Box::new(records)),
                Made::Nothing,
            )
        }
        DownstreamAsset::ReadmeLanguages => {
            let known = models.known_languages();
            let map = models.map_known(
                |at| known.of(at),
                |models| readme_languages_with(models, card_languages),
            )?;
            let written = write_map(folder, file, &map)?;
            (map.len(), written, Made::Readme(map))
        }
        DownstreamAsset::ChunkCitation => {
            // Written as it is computed: no later asset reads it.
            let derived = models.derived();
            let (count, written) = models.write_each(
                folder,
                file,
                |at| derived?.citation(at),
                |model| {
                    let card = model.card.as_deref()?;
                    citation_chunk(ModelCard::body_of(card))
                },
            )?;
            (count, Output::Written(written), Made::Nothing)
        }
        DownstreamAsset::ModelcardChunks => {
            let (count, written) = models.write_each(
                folder,
                file,
                |_| None,
                |model| {
                    model
                        .card
                        .as_deref()
                        .map(|card| card_chunks(ModelCard::body_of(card)))
                        .unwrap_or_default()
                },
            )?;
            (count, Output::Written(written), Made::Nothing)
        }
        DownstreamAsset::CatalogSources => (
            1,
            Output::Records(Box::new(vec![SourceRecord::new(stamp)])),
            Made::Nothing,
        ),
    };
    Ok((count as u64, output, made))
}

/// The run's models as the downstream's assets read them: one at a time, from the journal, on
/// the run's CPU pool.
pub(crate) struct RunModels {
    pub(crate) arrivals: Arrivals,
    pub(crate) entries: Arc<Vec<Entry>>,
    pub(crate) pool: CpuPool,
}

impl RunModels {
    /// A per-model map: a model's value as `known` by its place in the journal (derived as it
    /// was journaled), or else computed by `f` over the model read back — one model at a time
    /// per thread of the pool (so no card is held longer than its own turn), merged in the models' order.
    pub(crate) fn map_known<T: Send>(
        &self,
        known: impl Fn(Stored) -> Option<T> + Sync,
        f: impl Fn(&[FetchedModel]) -> BTreeMap<String, T> + Sync,
    ) -> Result<BTreeMap<String, T>> {
        let mut map = BTreeMap::new();
        let of_model = |entry: &Entry| {
            if let Some(value) = known(entry.at) {
                return Ok(BTreeMap::from([(entry.key.id.clone(), value)]));
            }
            let model = self.arrivals.checkpoint().model(entry.at)?;
            Ok(f(std::slice::from_ref(&model)))
        };
        self.pool
            .for_each_in_order(&self.entries, of_model, |one| {
                map.extend(one);
                Ok(())
            })?;
        Ok(map)
    }

    /// A per-model map written to `file` entry by entry in id order as it is computed, for
    /// values no later asset reads (a card's chunks are about as large as the card): a model's
    /// value as `known` by its place in the journal, or else computed by `f` over the model read
    /// back (one model at a time per thread). Returns (entries, what was written).
    pub(crate) fn write_each<T: Serialize + Send>(
        &self,
        folder: &RunFiles,
        file: &str,
        known: impl Fn(Stored) -> Option<T> + Sync,
        f: impl Fn(&FetchedModel) -> T + Sync,
    ) -> Result<(usize, WrittenArray)> {
        let mut order: Vec<&Entry> = self.entries.iter().collect();
        order.sort_by(|a, b| a.key.id.cmp(&b.key.id));
        let mut count = 0;
        let written = folder.write_json_object(file, |object| {
            self.pool.for_each_in_order(
                &order,
                |entry| {
                    let value = match known(entry.at) {
                        Some(value) => value,
                        None => f(&self.arrivals.checkpoint().model(entry.at)?),
                    };
                    Ok((entry.key.id.clone(), value))
                },
                |(id, value)| {
                    count += 1;
                    object.entry(&id, &value)
                },
            )
        })?;
        Ok((count, written))
    }

    /// The README languages of the cards journaled, detected while the models arrived.
    pub(crate) fn known_languages(&self) -> crate::pipeline::languages_ahead::KnownLanguages {
        self.arrivals.known_languages()
    }

    /// The values derived as the models were journaled, if the run derives any.
    pub(crate) fn derived(&self) -> Option<&crate::pipeline::derived_ahead::DerivedAhead> {
        self.arrivals.derived()
    }
}
