//! Shards on the bundled offline Hub: N shard runs of a listing's run folder, merged, equal an
//! unsharded run byte for byte; a shard recomputes one asset from its earlier files; the merge
//! refuses an incomplete set of shards.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;

use hf_extractor::assets::graph;
use hf_extractor::pipeline::Silent;
use hf_extractor::shard::{Shard, ShardRun, is_sharded};
use hf_extractor::{HfExtractor, MaterializeOptions};
use hf_offline_hub::{OfflineHub, Snapshot};

mod common;

fn extractor(hub: &OfflineHub, out: &Path, num_models: usize) -> HfExtractor {
    common::extractor_at(&hub.uri(), out, num_models)
}

/// Every asset file of a run folder (not `run.json`, not the shards).
fn files(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().unwrap() != "run.json")
        // The journal: the order in which answers came.
        .filter(|p| p.file_name().unwrap() != hf_extractor::checkpoint::CHECKPOINT_FILE)
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn started() -> jiff::Timestamp {
    "2026-11-27T12:00:00.123456Z".parse().unwrap()
}

/// The listing of a run: `*hf_raw_models`, into a new run folder.
async fn listing(extractor: &HfExtractor) -> std::path::PathBuf {
    let options = MaterializeOptions {
        selection: hf_extractor::assets::select("*hf_raw_models").unwrap(),
        started_at: Some(started()),
        ..MaterializeOptions::default()
    };
    let outcome = extractor.materialize(&options, &Silent).await.unwrap();
    outcome.folder.path().to_owned()
}

async fn shard(extractor: &HfExtractor, run: &Path, shard: Shard, selection: &[&str]) {
    let options = MaterializeOptions {
        selection: selection.iter().map(|s| s.parse().unwrap()).collect(),
        shard: Some(ShardRun::new(run, shard)),
        ..MaterializeOptions::default()
    };
    extractor.materialize(&options, &Silent).await.unwrap();
}

#[tokio::test]
async fn merged_shards_equal_the_unsharded_run_byte_for_byte() {
    let hub = OfflineHub::start().await.unwrap();
    let listed = Snapshot::bundled().unwrap().models.len();
    let out = tempfile::tempdir().unwrap();
    let extractor = extractor(&hub, out.path(), listed);

    let whole = extractor
        .materialize(
            &MaterializeOptions {
                started_at: Some(started()),
                ..MaterializeOptions::default()
            },
            &Silent,
        )
        .await
        .unwrap();
    let expected = files(whole.folder.path());
    assert_eq!(expected.len(), 24, "{:?}", expected.keys());

    let run = listing(&extractor).await;
    for s in Shard::all(3) {
        shard(&extractor, &run, s, &[]).await;
    }
    // Each shard has its own models, every one of the run in exactly one.
    let mut in_shards = 0;
    for s in Shard::all(3) {
        let dir = ShardRun::new(&run, s).folder();
        let models: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("hf_identified_licenses.json")).unwrap(),
        )
        .unwrap();
        assert!(!models.as_object().unwrap().is_empty(), "{s} has models");
        // Beside its journal (checkpoint.jsonl.zst), as every run folder has.
        in_shards += std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref().unwrap().file_name() != hf_extractor::checkpoint::CHECKPOINT_FILE
            })
            .count();
    }
    assert_eq!(
        in_shards,
        3 * (21 + 1),
        "21 per-model files and run.json per shard"
    );

    let merged = extractor.merge_shards(&run).await.unwrap();
    let got = files(&run);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &expected {
        assert!(
            got[name] == *bytes,
            "{name} differs from the unsharded run's"
        );
    }
    // The merged manifest has the unsharded run's counts, failures and checksums.
    let figures = |m: &hf_extractor::manifest::RunManifest| -> Vec<_> {
        m.assets
            .iter()
            .map(|a| (a.name.clone(), a.count, a.failures, a.sha256.clone()))
            .collect()
    };
    assert_eq!(figures(&merged.manifest), figures(&whole.manifest));
    assert_eq!(merged.manifest.failures, whole.manifest.failures);
    assert_eq!(merged.manifest.started_at, whole.manifest.started_at);
}

#[tokio::test]
async fn a_shard_recomputes_one_asset_from_its_earlier_files() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = extractor(&hub, out.path(), 40);
    let run = listing(&extractor).await;
    let s: Shard = "01-of-02".parse().unwrap();
    shard(&extractor, &run, s, &[]).await;
    let dir = ShardRun::new(&run, s).folder();
    let before = files(&dir);
    std::fs::remove_file(dir.join("licenses.json")).unwrap();

    shard(&extractor, &run, s, &["hf_enriched_licenses"]).await;
    assert_eq!(
        files(&dir),
        before,
        "the same file again, nothing else touched"
    );
    let manifest: hf_extractor::manifest::RunManifest =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    let computed: Vec<_> = manifest
        .assets
        .iter()
        .filter(|a| a.loaded_from.is_none())
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(computed, ["hf_enriched_licenses"]);
    let loaded = manifest
        .assets
        .iter()
        .find(|a| a.name == "hf_identified_licenses")
        .unwrap();
    assert_eq!(loaded.loaded_from.as_deref(), Some(dir.to_str().unwrap()));
}

#[tokio::test]
async fn shards_refuse_the_listing_and_the_merge_wants_every_shard() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = extractor(&hub, out.path(), 10);
    let run = listing(&extractor).await;

    let listing_in_a_shard = MaterializeOptions {
        selection: vec!["hf_raw_models".parse().unwrap()],
        shard: Some(ShardRun::new(&run, Shard::new(0, 2).unwrap())),
        ..MaterializeOptions::default()
    };
    let err = extractor
        .materialize(&listing_in_a_shard, &Silent)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("hf_raw_models is not sharded"), "{err}");

    let no_listing = tempfile::tempdir().unwrap();
    let options = MaterializeOptions {
        shard: Some(ShardRun::new(no_listing.path(), Shard::new(0, 2).unwrap())),
        ..MaterializeOptions::default()
    };
    let err = extractor.materialize(&options, &Silent).await.unwrap_err();
    assert!(err.to_string().contains("run.json"), "{err}");

    shard(&extractor, &run, Shard::new(0, 2).unwrap(), &[]).await;
    let err = extractor.merge_shards(&run).await.unwrap_err().to_string();
    assert!(
        err.contains("01-of-02") && err.contains("shard missing"),
        "{err}"
    );
    // The per-model stages of the graph are exactly the sharded ones.
    let sharded: Vec<_> = graph().into_iter().filter(|a| is_sharded(*a)).collect();
    assert_eq!(sharded.len(), 21);
}

/// `dagster/definitions.py` reads the graph from `dagster/assets.json`: regenerate it with
/// `hf-extract list-assets --json > dagster/assets.json` when the graph changes.
#[test]
fn the_dagster_definitions_read_the_current_asset_graph() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dagster/assets.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        committed,
        hf_extractor::shard::graph_json(),
        "{} is stale: run `hf-extract list-assets --json > dagster/assets.json`",
        path.display()
    );
}
