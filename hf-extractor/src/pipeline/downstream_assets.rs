//! The assets that exist for the Python extractor's downstream (see [`crate::downstream`]):
//! `hf_identified_sharedby`, `hf_enriched_sharedby`, `hf_detected_readme_languages`,
//! `hf_identified_chunk_citation`, `hf_identified_modelcard_chunks` and `hf_raw_catalog_sources`.
//! All are computed from the models already read: no request. [`RunModels`] reads those models
//! back from the journal, one at a time per thread of the run's CPU pool.

use std::collections::BTreeSet;
use std::sync::Arc;

use hf_client::card::ModelCard;
use hf_enrich::card_chunks::card_chunks;
use hf_enrich::citation::citation_chunk;
use hf_enrich::models::FetchedModel;
use hf_enrich::readme_languages::card_languages;
use hf_enrich::sharedby::{SharedByRef, SharerTally, shared_by};

use serde::Serialize;

use crate::assets::Asset;
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

/// What one of these assets hands to the assets after it: what they read of its map, tallied
/// as the map was written (no map of every model is kept).
pub(crate) enum Made {
    /// Nothing.
    Nothing,
    /// The sharers of `{model_id: [sharer]}`, for `hf_enriched_sharedby`.
    Sharers(SharerTally),
    /// The language codes of `{model_id: [README language]}`, for `hf_enriched_languages`.
    Readme(BTreeSet<String>),
}

/// Who shares each model, as derived when it was journaled (`None`: not derived).
fn known_sharers(models: &RunModels) -> impl Fn(Stored) -> Option<Vec<SharedByRef>> + Sync + '_ {
    let derived = models.derived();
    move |at| derived?.sharedby(at)
}

/// Who shares a model read back.
fn sharers_of(model: &FetchedModel) -> Vec<SharedByRef> {
    shared_by(model).into_iter().collect()
}

/// Compute one of these assets into `file` of `folder` from the run's `models` (and, for
/// `hf_enriched_sharedby`, the `sharers` of `hf_identified_sharedby` when the run has them):
/// (records, what was written, what it hands on). On a blocking thread: the per-model work
/// goes to the pool.
pub(crate) fn compute(
    asset: DownstreamAsset,
    stamp: &str,
    (folder, file): (&RunFiles, Asset),
    models: &RunModels,
    sharers: Option<&SharerTally>,
) -> Result<(u64, Output, Made)> {
    let (count, output, made) = match asset {
        DownstreamAsset::SharerMap => {
            let mut tally = SharerTally::default();
            let known = known_sharers(models);
            let (count, written) =
                models.write_each(folder, file, known, sharers_of, |refs| tally.add(refs))?;
            (count, Output::Written(written), Made::Sharers(tally))
        }
        DownstreamAsset::Sharers => {
            let records = match sharers {
                Some(tally) => tally.entities(stamp),
                None => {
                    let mut tally = SharerTally::default();
                    let known = known_sharers(models);
                    models.each_known(known, sharers_of, |refs| tally.add(&refs))?;
                    tally.entities(stamp)
                }
            };
            (
                records.len(),
                Output::Records(Box::new(records)),
                Made::Nothing,
            )
        }
        DownstreamAsset::ReadmeLanguages => {
            let known = models.known_languages();
            let mut codes = BTreeSet::new();
            let (count, written) = models.write_each(
                folder,
                file,
                |at| known.of(at),
                |model| {
                    model
                        .card
                        .as_deref()
                        .map(card_languages)
                        .unwrap_or_default()
                },
                |languages| {
                    for language in languages {
                        if !codes.contains(&language.code) {
                            codes.insert(language.code.clone());
                        }
                    }
                },
            )?;
            (count, Output::Written(written), Made::Readme(codes))
        }
        DownstreamAsset::ChunkCitation => {
            // No later asset reads it.
            let derived = models.derived();
            let (count, written) = models.write_each(
                folder,
                file,
                |at| derived?.citation(at),
                |model| {
                    let card = model.card.as_deref()?;
                    citation_chunk(ModelCard::body_of(card))
                },
                |_| {},
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
                |_| {},
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
    /// Each model's value handed to `each`, in the models' order: as `known` by its place in
    /// the journal (derived as it was journaled), or else computed by `f` over the model read
    /// back — one model at a time per thread of the pool (so no card is held longer than its
    /// own turn).
    pub(crate) fn each_known<T: Send>(
        &self,
        known: impl Fn(Stored) -> Option<T> + Sync,
        f: impl Fn(&FetchedModel) -> T + Sync,
        mut each: impl FnMut(T),
    ) -> Result<()> {
        let of_model = |entry: &Entry| match known(entry.at) {
            Some(value) => Ok(value),
            None => Ok(f(&self.arrivals.checkpoint().model(entry.at)?)),
        };
        self.pool
            .for_each_in_order(&self.entries, of_model, |value| {
                each(value);
                Ok(())
            })
    }

    /// A per-model map written to `file` entry by entry in id order as it is computed (no map
    /// of every model is held; a card's chunks are about as large as the card): a model's value
    /// as `known` by its place in the journal, or else computed by `f` over the model read back
    /// (one model at a time per thread), each value shown to `seen` as it is written. Returns
    /// (entries, what was written).
    pub(crate) fn write_each<T: Serialize + Send>(
        &self,
        folder: &RunFiles,
        file: Asset,
        known: impl Fn(Stored) -> Option<T> + Sync,
        f: impl Fn(&FetchedModel) -> T + Sync,
        mut seen: impl FnMut(&T),
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
                    seen(&value);
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
