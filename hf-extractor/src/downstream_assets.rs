//! The assets that exist for the Python extractor's downstream (see [`crate::downstream`]):
//! `hf_identified_sharedby`, `hf_enriched_sharedby`, `readme_languages`, `chunks_citation` and
//! `sources`. All are computed from the models already read: no request.

use std::collections::BTreeMap;

use hf_enrich::citation::citation_chunks;
use hf_enrich::readme_languages::{ReadmeLanguage, readme_languages_with};
use hf_enrich::sharedby::{SharedByRef, identify_sharedby, sharedby_entities};

use crate::downstream::SourceRecord;
use crate::error::{Error, Result};
use crate::pipeline::{RunModels, to_json};

/// What these assets read (the models with their ancestors) and fill (the maps later assets
/// read).
pub(crate) struct DownstreamState<'s> {
    pub(crate) models: RunModels<'s>,
    pub(crate) sharedby: &'s mut Option<BTreeMap<String, Vec<SharedByRef>>>,
    pub(crate) readme: &'s mut Option<BTreeMap<String, Vec<ReadmeLanguage>>>,
}

/// Compute one of these assets: (records, failures, the value to write).
pub(crate) fn compute(
    name: &str,
    endpoint: &str,
    stamp: &str,
    state: &mut DownstreamState<'_>,
) -> Result<(u64, u64, Option<serde_json::Value>)> {
    let (count, value) = match name {
        "hf_identified_sharedby" => {
            let map = state.models.map(identify_sharedby)?;
            let value = to_json(&map)?;
            let count = map.len();
            *state.sharedby = Some(map);
            (count, value)
        }
        "hf_enriched_sharedby" => {
            let map = match state.sharedby.take() {
                Some(map) => map,
                None => state.models.map(identify_sharedby)?,
            };
            let records = sharedby_entities(&map, stamp);
            *state.sharedby = Some(map);
            (records.len(), to_json(&records)?)
        }
        "readme_languages" => {
            let known = state.models.known_languages();
            let map = state
                .models
                .map(|models| readme_languages_with(models, |card| known.of(card)))?;
            let value = to_json(&map)?;
            let count = map.len();
            *state.readme = Some(map);
            (count, value)
        }
        "chunks_citation" => {
            let map = state.models.map(citation_chunks)?;
            (map.len(), to_json(&map)?)
        }
        "sources" => (1, to_json(&[SourceRecord::new(endpoint, stamp)])?),
        other => {
            return Err(Error::Config {
                variable: "--select".into(),
                value: other.into(),
                reason: "not an asset of the downstream".into(),
            });
        }
    };
    Ok((count as u64, 0, Some(value)))
}
