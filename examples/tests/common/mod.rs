//! What the end-to-end tests share: an extractor for a Hub on loopback, a run folder's outputs.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hf_extractor::HfExtractor;
use hf_extractor::config::ExtractorConfig;
use hf_extractor::manifest::RunManifest;
use hf_offline_hub::{OfflineHub, Snapshot, SyntheticHub, Variety, snapshot_dir};

/// An extractor for the Hub at `uri` (the offline Hub, or a proxy in front of it).
pub fn extractor_at(uri: &str, out: &Path, num_models: usize) -> HfExtractor {
    let uri = uri.to_owned();
    let ids = snapshot_dir().join("model_ids.txt").display().to_string();
    let out = out.display().to_string();
    let config = ExtractorConfig::from_env_with(move |k| match k {
        "HF_ENDPOINT" | "HF_ARXIV_ENDPOINT" => Some(uri.clone()),
        "HF_ARXIV_DELAY_MS" => Some("0".into()),
        "HF_NUM_MODELS" => Some(num_models.to_string()),
        "HF_MODELS_FILE_PATH" => Some(ids.clone()),
        "HF_OUTPUT_DIR" => Some(out.clone()),
        "HF_BASE_MODEL_ITERATIONS" => Some("3".into()),
        _ => None,
    })
    .unwrap();
    HfExtractor::new(config).unwrap()
}

/// Every output file of a run folder with the run's start (`stamp`) blanked out: not the
/// manifest (the run's figures) nor the journal (the order in which answers came).
pub fn outputs_without_times(folder: &Path, stamp: &str) -> BTreeMap<String, String> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap();
            name != "run.json" && name != hf_extractor::checkpoint::CHECKPOINT_FILE
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .unwrap()
                .replace(stamp, "<time>");
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect()
}

/// The run folder inside `out` (there is one).
pub fn run_folder(out: &Path) -> PathBuf {
    let folders: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    folders[0].clone()
}

/// The `run.json` of a run folder.
pub fn manifest(folder: &Path) -> RunManifest {
    serde_json::from_str(&std::fs::read_to_string(folder.join("run.json")).unwrap()).unwrap()
}

/// The synthetic Hub of `models` varied models (each its own keywords, datasets, papers,
/// parents) with cards of `card_bytes`, over the bundled snapshot; and what it serves.
pub async fn serve_varied(models: usize, card_bytes: usize) -> (OfflineHub, SyntheticHub) {
    let synthetic = SyntheticHub::new(models)
        .variety(Variety::Varied)
        .card_bytes(card_bytes);
    let hub = OfflineHub::serve_synthetic(Snapshot::bundled().unwrap(), synthetic)
        .await
        .unwrap();
    (hub, synthetic)
}

/// An extractor of the `models` latest models of the synthetic Hub `hub` (no model-id file,
/// no pause between arXiv batches), writing into `out`.
pub fn synthetic_extractor(hub: &OfflineHub, models: usize, out: &Path) -> HfExtractor {
    HfExtractor::builder()
        .endpoint(hub.uri())
        .arxiv_endpoint(hub.uri())
        .arxiv_delay(std::time::Duration::ZERO)
        .num_models(models)
        .models_file(out.join("no-ids.txt"))
        .output_dir(out)
        .build()
        .unwrap()
}
