//! The assets that exist for the Python extractor's downstream (see [`crate::downstream`]):
//! `hf_identified_sharedby`, `hf_enriched_sharedby`, `hf_detected_readme_languages`,
//! `hf_identified_chunk_citation`, `hf_identified_modelcard_chunks` and `hf_raw_catalog_sources`.
//! All are computed from the models already read: no request.

use std::collections::BTreeMap;

use hf_client::card::ModelCard;
use hf_enrich::card_chunks::card_chunks;
use hf_enrich::citation::citation_chunks;
use hf_enrich::readme_languages::{ReadmeLanguage, card_languages, readme_languages_with};
use hf_enrich::sharedby::{SharedByRef, identify_sharedby, sharedby_entities};

use serde::Serialize;

use crate::downstream::SourceRecord;
use crate::error::{Error, Result};
use crate::pipeline::{Output, RunModels, to_json};
use crate::run_folder::RunFolder;

/// What these assets read (the models with their ancestors) and fill (the maps later assets
/// read).
pub(crate) struct DownstreamState<'s> {
    pub(crate) models: RunModels<'s>,
    pub(crate) sharedby: &'s mut Option<BTreeMap<String, Vec<SharedByRef>>>,
    pub(crate) readme: &'s mut Option<BTreeMap<String, Vec<ReadmeLanguage>>>,
}

/// Write a `{model_id: …}` map to `file` entry by entry (the bytes of the whole map written).
fn write_map<T: Serialize>(
    folder: &RunFolder,
    file: &str,
    map: &BTreeMap<String, T>,
) -> Result<Output> {
    let written = folder.write_json_object(file, |object| {
        map.iter().try_for_each(|(model, v)| object.entry(model, v))
    })?;
    Ok(Output::Written(written))
}

/// Who shares each model: as derived when it was journaled, or read back.
fn sharedby_map(models: &RunModels<'_>) -> Result<BTreeMap<String, Vec<SharedByRef>>> {
    let derived = models.derived();
    models.map_known(|at| derived?.sharedby(at), identify_sharedby)
}

/// Compute one of these assets into `file` of `folder`: (records, failures, what was written).
pub(crate) fn compute(
    name: &str,
    stamp: &str,
    (folder, file): (&RunFolder, &str),
    state: &mut DownstreamState<'_>,
) -> Result<(u64, u64, Output)> {
    let (count, value) = match name {
        "hf_identified_sharedby" => {
            let map = sharedby_map(&state.models)?;
            let written = write_map(folder, file, &map)?;
            let count = map.len();
            *state.sharedby = Some(map);
            (count, written)
        }
        "hf_enriched_sharedby" => {
            let map = match state.sharedby.take() {
                Some(map) => map,
                None => sharedby_map(&state.models)?,
            };
            let records = sharedby_entities(&map, stamp);
            *state.sharedby = Some(map);
            (records.len(), Output::Value(to_json(&records)?))
        }
        "hf_detected_readme_languages" => {
            let known = state.models.known_languages();
            let map = state.models.map_known(
                |at| known.of(at),
                |models| readme_languages_with(models, card_languages),
            )?;
            let written = write_map(folder, file, &map)?;
            let count = map.len();
            *state.readme = Some(map);
            (count, written)
        }
        "hf_identified_chunk_citation" => {
            let derived = state.models.derived();
            let map = state
                .models
                .map_known(|at| derived?.citation(at), citation_chunks)?;
            (map.len(), write_map(folder, file, &map)?)
        }
        "hf_identified_modelcard_chunks" => {
            let (count, written) = state.models.write_each(folder, file, |model| {
                model
                    .card
                    .as_deref()
                    .map(|card| card_chunks(ModelCard::body_of(card)))
                    .unwrap_or_default()
            })?;
            (count, Output::Written(written))
        }
        "hf_raw_catalog_sources" => (1, Output::Value(to_json(&[SourceRecord::new(stamp)])?)),
        other => {
            return Err(Error::Config {
                variable: "--select".into(),
                value: other.into(),
                reason: "not an asset of the downstream".into(),
            });
        }
    };
    Ok((count as u64, 0, value))
}
