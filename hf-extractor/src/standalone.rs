//! The replaced system's standalone calls, as its guide documents them, over the same engine as
//! a whole run: [`HfExtractor::extract_models`] lists the latest models with their cards and
//! writes them to a run folder; [`HfExtractor::enrich_from_models_json`] reads such a file and
//! writes the entity files of the kinds asked for. Each is one [`materialize`] of a selection,
//! so its run folder has a `run.json` and a journal like any other (and can be resumed).
//!
//! [`materialize`]: HfExtractor::materialize

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hf_enrich::records::ModelRecord;

use crate::assets::{Asset, Kind};
use crate::error::Result;
use crate::pipeline::{HfExtractor, MaterializeOptions, RunOutcome, Silent};
use crate::store::json_read::read_json;

/// What [`HfExtractor::extract_models`] extracted.
#[derive(Debug, Clone)]
pub struct ExtractedModels {
    /// The models, newest first, as written.
    pub models: Vec<ModelRecord>,
    /// The file they were written to (`hf_raw_models_latest.json` of the run folder).
    pub path: PathBuf,
    /// The run: its folder and manifest.
    pub run: RunOutcome,
}

/// What [`HfExtractor::enrich_from_models_json`] wrote.
#[derive(Debug, Clone)]
pub struct EnrichedFiles {
    /// The entity file of each kind asked for.
    pub files: BTreeMap<Kind, PathBuf>,
    /// The run: its folder and manifest (the identified maps and the models with their
    /// ancestors are in the folder too).
    pub run: RunOutcome,
}

impl HfExtractor {
    /// The latest `num_models` models with their cards, sorted by last update
    /// (`update_recent`) or creation, `threads` cards at once: the replaced system's
    /// `extract_models`. Writes them to a new run folder and returns them with the file's path.
    ///
    /// ```no_run
    /// # async fn run() -> hf_extractor::Result<()> {
    /// let extractor = hf_extractor::HfExtractor::builder().output_dir("/tmp/runs").build()?;
    /// let extracted = extractor.extract_models(100, true, 8).await?;
    /// println!("{} models in {}", extracted.models.len(), extracted.path.display());
    /// # Ok(()) }
    /// ```
    pub async fn extract_models(
        &self,
        num_models: usize,
        update_recent: bool,
        threads: usize,
    ) -> Result<ExtractedModels> {
        let mut config = self.config().clone();
        config.num_models = num_models;
        config.update_recent = update_recent;
        config.threads = threads.max(1);
        let options = MaterializeOptions {
            selection: vec![Asset::RawModelsLatest],
            ..MaterializeOptions::default()
        };
        let run = self
            .with_config(config)?
            .materialize(&options, &Silent)
            .await?;
        let path = file_of(&run, Asset::RawModelsLatest);
        let models = read_json(&path)?;
        Ok(ExtractedModels { models, path, run })
    }

    /// The entity files of `kinds` (all of them when empty) for the models of `models_json` (a
    /// run folder's `hf_models.json` or `hf_raw_models_latest.json`, or any JSON array of model
    /// records), `threads` entities fetched at once: the replaced system's
    /// `enrich_from_models_json`. The lineage is followed as configured; the files go to a new
    /// run folder.
    ///
    /// ```no_run
    /// use hf_extractor::assets::Kind;
    ///
    /// # async fn run() -> hf_extractor::Result<()> {
    /// let extractor = hf_extractor::HfExtractor::builder().output_dir("/tmp/runs").build()?;
    /// let extracted = extractor.extract_models(100, true, 8).await?;
    /// let enriched = extractor
    ///     .enrich_from_models_json(&extracted.path, &[Kind::Datasets, Kind::Articles], 8)
    ///     .await?;
    /// for (kind, path) in &enriched.files {
    ///     println!("{kind}: {}", path.display());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn enrich_from_models_json(
        &self,
        models_json: impl AsRef<Path>,
        kinds: &[Kind],
        threads: usize,
    ) -> Result<EnrichedFiles> {
        let kinds = if kinds.is_empty() {
            Kind::ALL.to_vec()
        } else {
            kinds.to_vec()
        };
        let mut config = self.config().clone();
        config.enrichment_threads = threads.max(1);
        let options = MaterializeOptions {
            selection: kinds.iter().map(|k| Asset::Enriched(*k)).collect(),
            models: Some(models_json.as_ref().to_owned()),
            ..MaterializeOptions::default()
        };
        let run = self
            .with_config(config)?
            .materialize(&options, &Silent)
            .await?;
        let files = kinds
            .iter()
            .map(|k| (*k, file_of(&run, Asset::Enriched(*k))))
            .collect();
        Ok(EnrichedFiles { files, run })
    }
}

/// Where `asset`'s file is in the run's folder.
fn file_of(run: &RunOutcome, asset: Asset) -> PathBuf {
    run.folder.path().join(asset.file().unwrap_or_default())
}
