//! What the end-to-end tests share: an extractor for a Hub on loopback.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;

use hf_extractor::HfExtractor;
use hf_extractor::config::ExtractorConfig;
use hf_extractor_examples::offline_hub::snapshot_dir;

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
