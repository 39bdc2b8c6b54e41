//! The whole pipeline, end to end, on the bundled offline Hub: every file of the run folder, the
//! manifest's figures, the request economy, lineage edge cases, --from, and a faulty Hub that
//! must not change the outputs.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hf_extractor::assets::{Asset, graph};
use hf_extractor::manifest::RunManifest;
use hf_extractor::mlentory::mlentory_id;
use hf_extractor::pipeline::Silent;
use hf_extractor::{HfExtractor, MaterializeOptions, RunOutcome};
use hf_offline_hub::{FaultPlan, FaultyProxy, OfflineHub, Snapshot};
use serde_json::Value;

mod contract;

fn extractor(hub: &OfflineHub, out: &Path, num_models: usize) -> HfExtractor {
    extractor_at(&hub.uri(), out, num_models)
}

mod common;
use common::extractor_at;

fn read(outcome: &RunOutcome, file: &str) -> Value {
    let text = std::fs::read_to_string(outcome.folder.path().join(file)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every file of a run folder with the run's timestamps and the Hub's address blanked out.
fn files_without_times(outcome: &RunOutcome) -> BTreeMap<String, String> {
    let endpoint = outcome.manifest.config.endpoint.trim_end_matches('/');
    common::outputs_without_times(outcome.folder.path(), &outcome.manifest.started_at)
        .into_iter()
        .map(|(file, text)| (file, text.replace(endpoint, "<hub>")))
        .collect()
}

fn ids_of(records: &Value, key: &str) -> Vec<String> {
    records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_whole_run_writes_every_file_with_the_manifest_s_figures() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let snapshot = Snapshot::bundled().unwrap();
    let listed = snapshot.models.len();
    let outcome = extractor(&hub, out.path(), listed).run().await.unwrap();
    let manifest = &outcome.manifest;

    // Every asset's file is there and is JSON; run.json too.
    for asset in graph() {
        if let Some(file) = asset.file() {
            read(&outcome, file);
        }
    }
    let written: RunManifest = serde_json::from_value(read(&outcome, "run.json")).unwrap();
    assert_eq!(&written, manifest);
    assert_eq!(manifest.assets.len(), graph().len());

    // Request economy: one listing page plus one card request per model; at most two per id
    // from the file (info + card).
    assert_eq!(manifest.models.latest, listed as u64);
    assert!(
        manifest.models.latest_requests_per_model <= 1.01,
        "{:?}",
        manifest.models
    );
    assert!(
        manifest.models.from_file_requests_per_model <= 2.0,
        "{:?}",
        manifest.models
    );

    // The model-id file: every bad line named, the duplicate reported, the rest extracted.
    let id_file = &manifest.model_id_file;
    assert!(id_file.found);
    assert_eq!((id_file.errors, id_file.duplicates), (1, 1));
    let lines: BTreeSet<(usize, &str)> = manifest
        .failures
        .iter()
        .filter(|f| f.asset == "hf_raw_models_from_file")
        .filter_map(|f| f.line.map(|l| (l, f.id.as_str())))
        .collect();
    assert!(lines.contains(&(10, "gen/does-not-exist")), "{lines:?}");
    assert!(lines.contains(&(11, "gen/gated-base")), "{lines:?}");
    assert!(
        lines.iter().any(|(l, _)| *l == 13),
        "the dataset URL: {lines:?}"
    );

    // Models: merged by canonical id, sorted, with their sources; renamed repos by their new id.
    let models = read(&outcome, "hf_models.json");
    let model_ids = ids_of(&models, "modelId");
    let mut sorted = model_ids.clone();
    sorted.sort();
    assert_eq!(model_ids, sorted);
    assert_eq!(model_ids.len() as u64, manifest.models.merged);
    assert!(!model_ids.contains(&"gen/old-name".to_string()));
    let new_name = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["modelId"] == "gen/new-name")
        .unwrap();
    assert!(
        new_name["aliases"]
            .as_array()
            .unwrap()
            .contains(&Value::from("gen/old-name"))
    );
    let bert = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["modelId"] == "google-bert/bert-base-uncased")
        .unwrap();
    assert_eq!(bert["sources"], serde_json::json!(["latest", "file"]));
    assert_eq!(
        bert["mlentory_id"],
        mlentory_id("Model", "google-bert/bert-base-uncased")
    );
    assert!(bert["card"].as_str().unwrap().contains("BERT"));

    // Lineage: stubs for the missing and the gated parent, only in hf_base_models.json.
    let with_ancestors = ids_of(&read(&outcome, "hf_models_with_ancestors.json"), "modelId");
    assert!(!with_ancestors.contains(&"gen/does-not-exist".to_string()));
    assert!(!with_ancestors.contains(&"gen/gated-base".to_string()));
    let base_models = read(&outcome, "hf_base_models.json");
    let base: BTreeMap<String, &Value> = base_models
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap().to_owned(), b))
        .collect();
    assert_eq!(base["gen/does-not-exist"]["enriched"], false);
    assert_eq!(base["gen/does-not-exist"]["status"], 404);
    assert_eq!(base["gen/gated-base"]["enriched"], false);
    assert_eq!(base["gen/c"]["enriched"], true);
    assert!(
        !base.contains_key("./output"),
        "a local path is no base model"
    );
    assert!(!base.contains_key("gen/self") || base["gen/self"]["enriched"] == true);
    // A parent named by its old id is linked by its canonical one, the text kept in `raw`.
    let renamed = &read(&outcome, "hf_identified_base_models.json")["gen/renamed-child"][0];
    assert_eq!(renamed["id"], "gen/new-name");
    assert_eq!(renamed["raw"], "gen/old-name");
    // A legacy id in the Trainer's sentence ("fine-tuned version of [t5-small](…)") names the
    // parent the API declares: one reference, by its canonical id, asked once for all 28 models
    // that write it. `bert-base-uncased` (gen/bert-squad) was learnt from the model-id file: no
    // request beyond that file's.
    let identified_base = read(&outcome, "hf_identified_base_models.json");
    for (model, canonical) in [
        ("gen/t5-summarizer-0", "google-t5/t5-small"),
        ("gen/bert-squad", "google-bert/bert-base-uncased"),
    ] {
        let refs = identified_base[model].as_array().unwrap();
        assert_eq!(refs.len(), 1, "{model}: {refs:?}");
        assert_eq!(refs[0]["id"], canonical);
        assert_eq!(refs[0]["confidence"], "high");
        assert_eq!(
            refs[0]["provenance"],
            serde_json::json!(["api", "tag", "card_data", "card_text"])
        );
    }
    assert!(!base.contains_key("t5-small") && !base.contains_key("bert-base-uncased"));
    let served = hub.received_requests().unwrap();
    let asked = |path: &str| served.iter().filter(|r| r.url.path() == path).count();
    assert_eq!(asked("/api/models/t5-small"), 1);
    assert_eq!(
        asked("/api/models/bert-base-uncased"),
        1,
        "the model-id file's"
    );
    let chain = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["modelId"] == "gen/b")
        .unwrap();
    // gen/a ← gen/b ← gen/c ← gen/d: each names its parent, with the relation.
    assert_eq!(chain["base_models"][0]["id"], "gen/a");
    assert_eq!(chain["base_models"][0]["relation"], "finetune");

    // The downstream's contract: its keys with their types, the identity rule for every link of
    // every kind, maps that reduce to plain strings (tests/contract).
    let seen = contract::assert_conforms(outcome.folder.path());
    println!("contract: {seen:?}");
    for kind in [
        "datasets",
        "articles",
        "base_models",
        "licenses",
        "sharedby",
    ] {
        assert!(seen.links[kind] > 0, "{kind}: links checked");
    }
    assert!(
        seen.links["readme_languages"] > 0,
        "README languages detected"
    );
    assert!(seen.records["chunks_citation.json"] > 0, "citations found");
    assert!(
        seen.records["hf_modelcard_chunks.json"] > 0,
        "cards chunked"
    );

    // Entities that could not be fetched are records with enriched=false, and failures.
    let datasets = read(&outcome, "hf_datasets_specific.json");
    let missing = datasets
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "gen/missing-dataset")
        .unwrap();
    assert_eq!(missing["enriched"], false);
    let squad = datasets
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "rajpurkar/squad")
        .unwrap();
    assert_eq!(squad["enriched"], true);
    assert!(squad["croissant_metadata"]["recordSet"].is_array());
    // A dataset named by a legacy id (a 307 to the canonical id) and by its canonical id has
    // one record, under the canonical id, listing the legacy one: `c4` (google-t5/t5-small)
    // and `allenai/c4` (gen/ models); `mnist` and `ylecun/mnist` (both in gen/mnist-cnn).
    let one_record = |canonical: &str, legacy: &str| {
        let found: Vec<&Value> = datasets
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["id"] == legacy || d["canonical_id"] == canonical)
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0]["datasetId"], canonical);
        assert_eq!(found[0]["aliases"], serde_json::json!([legacy]));
        assert_eq!(found[0]["mlentory_id"], mlentory_id("Dataset", canonical));
    };
    one_record("allenai/c4", "c4");
    one_record("ylecun/mnist", "mnist");
    // Every link names the canonical id; the text as written stays in `raw`.
    let identified = read(&outcome, "hf_identified_datasets.json");
    let t5 = &identified["google-t5/t5-small"][0];
    assert_eq!(
        (&t5["id"], &t5["raw"]),
        (&"allenai/c4".into(), &"dataset:c4".into())
    );
    let links = contract::plain_map(&identified, "hf_identified_datasets.json");
    assert_eq!(links["gen/a"], ["allenai/c4"]);
    assert_eq!(
        links["gen/mnist-cnn"],
        ["ylecun/mnist"],
        "one link for both spellings"
    );
    assert!(
        manifest
            .failures
            .iter()
            .any(|f| f.asset == "hf_enriched_datasets" && f.id == "gen/missing-dataset")
    );
    let articles = read(&outcome, "arxiv_articles.json");
    let paper = articles
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "1707.08567")
        .unwrap();
    assert_eq!(paper["enriched"], true);
    assert!(paper["paper"]["title"].as_str().unwrap().len() > 10);
    assert_eq!(paper["title"], paper["paper"]["title"]);
    let licenses = read(&outcome, "licenses.json");
    let llama = licenses
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "llama3.1")
        .unwrap();
    assert_eq!(llama["record"]["kind"], "hub_specific");

    // The token is never written, the manifest says which hosts were asked.
    assert!(manifest.config.token.is_none());
    assert!(manifest.http.requests > 0);
    assert_eq!(
        manifest.http.requests_per_host.len(),
        1,
        "only the offline Hub"
    );
    assert_eq!(manifest.watermark.as_deref().map(str::len), Some(24));
}

#[tokio::test]
async fn a_faulty_rate_limited_hub_changes_nothing_but_the_timings() {
    // The same run as the whole-run test: every listed model and the model-id file.
    const ALL: usize = 201;
    let out = tempfile::tempdir().unwrap();
    let clean_hub = OfflineHub::start().await.unwrap();
    let clean = extractor(&clean_hub, out.path(), ALL).run().await.unwrap();
    // Every 10th answer is a 503, every 10th connection is reset or has its body cut short, and
    // each bucket allows 25 requests a second.
    let plan = FaultPlan::every(10).with_quota(25, std::time::Duration::from_secs(1));
    let faulty_hub = OfflineHub::serve_with_faults(Snapshot::bundled().unwrap(), Some(plan))
        .await
        .unwrap();
    let proxy = FaultyProxy::start(&faulty_hub.uri(), 10).await.unwrap();
    let faulty = extractor_at(&proxy.uri(), out.path(), ALL)
        .run()
        .await
        .unwrap();
    assert!(
        proxy.faults() >= 10,
        "{} connections broken",
        proxy.faults()
    );
    let http = &faulty.manifest.http;
    println!(
        "faulty run: {} connections, {} broken; {http:?}",
        proxy.connections(),
        proxy.faults()
    );
    assert!(http.retries > 0, "the faults were retried: {http:?}");
    assert!(
        http.rate_limit_pauses > 0,
        "the quota ran out and was waited for: {http:?}"
    );
    assert_eq!(clean.manifest.http.retries, 0);
    assert_eq!(
        clean.manifest.failures, faulty.manifest.failures,
        "the same failures, none added by the faults"
    );
    let (a, b) = (files_without_times(&clean), files_without_times(&faulty));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (file, text) in &a {
        assert!(
            text == &b[file],
            "{file} differs between the clean and the faulty run"
        );
    }
    // Two runs over the same Hub state are byte-identical but for the timestamps.
    let again = extractor(&clean_hub, out.path(), ALL).run().await.unwrap();
    assert_eq!(files_without_times(&again), a);
}

#[tokio::test]
async fn from_an_earlier_run_only_the_selection_runs() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = extractor(&hub, out.path(), 20);
    let first = extractor.run().await.unwrap();
    // (selection, the assets loaded from the first run, the files that must be the same).
    type Case<'a> = (&'a [&'a str], &'a [&'a str], &'a [&'a str]);
    let cases: [Case; 2] = [
        (
            &["hf_enriched_licenses"],
            &["hf_identified_licenses"],
            &["licenses.json"],
        ),
        // The downstream's assets; the languages read the README languages too.
        (
            &["hf_enriched_languages", "hf_enriched_sharedby"],
            &[
                "hf_identified_languages",
                "hf_identified_sharedby",
                "hf_detected_readme_languages",
            ],
            &["languages.json", "sharedby.json"],
        ),
    ];
    for (selection, loaded, files) in cases {
        let before = hub.request_count();
        let options = MaterializeOptions {
            selection: selection.iter().map(|s| s.parse().unwrap()).collect(),
            from: Some(first.folder.path().to_owned()),
            ..MaterializeOptions::default()
        };
        let second = extractor.materialize(&options, &Silent).await.unwrap();
        let names = |from_earlier: bool| -> BTreeSet<&str> {
            second
                .manifest
                .assets
                .iter()
                .filter(|a| a.loaded_from.is_some() == from_earlier)
                .map(|a| a.name.as_str())
                .collect()
        };
        assert_eq!(names(false), selection.iter().copied().collect());
        assert_eq!(names(true), loaded.iter().copied().collect());
        assert_eq!(
            hub.request_count(),
            before,
            "{selection:?} resolve offline: no request"
        );
        let (a, b) = (files_without_times(&first), files_without_times(&second));
        for file in files {
            assert_eq!(a[*file], b[*file], "{file}");
        }
    }
}

#[tokio::test]
async fn every_request_counts_for_exactly_one_asset() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = extractor(&hub, out.path(), 40);
    let asked = |manifest: &hf_extractor::manifest::RunManifest| -> u64 {
        manifest.assets.iter().map(|a| a.requests).sum()
    };
    // A whole run: the lineage resolves the run's legacy dataset ids for the dataset stage,
    // and the entity kinds fetch side by side.
    let before = hub.request_count();
    let first = extractor.run().await.unwrap();
    let made = (hub.request_count() - before) as u64;
    assert_eq!(first.manifest.http.requests, made);
    assert_eq!(asked(&first.manifest), made);
    let of = |manifest: &hf_extractor::manifest::RunManifest, name: &str| {
        manifest
            .assets
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .requests
    };
    assert!(of(&first.manifest, "hf_identified_datasets") > 0);

    // The entity kinds alone, on the first run's references: the namespace-less ids left
    // (those the Hub does not know) are asked again before the kinds' own counts start.
    let before = hub.request_count();
    let options = MaterializeOptions {
        selection: ["hf_enriched_datasets", "hf_enriched_articles"]
            .map(|s| s.parse().unwrap())
            .to_vec(),
        from: Some(first.folder.path().to_owned()),
        ..MaterializeOptions::default()
    };
    let second = extractor.materialize(&options, &Silent).await.unwrap();
    let made = (hub.request_count() - before) as u64;
    assert!(made > 0);
    assert_eq!(second.manifest.http.requests, made);
    assert_eq!(asked(&second.manifest), made);
    let (a, b) = (files_without_times(&first), files_without_times(&second));
    assert_eq!(a["arxiv_articles.json"], b["arxiv_articles.json"]);
}

#[tokio::test]
async fn enrichment_reads_a_run_folder_s_models_file() {
    use hf_enrich::{EnrichmentOptions, HfEnrichment, HttpSource};

    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = extractor(&hub, out.path(), 15);
    let run = extractor.run().await.unwrap();
    let enrichment = HfEnrichment::new(
        HttpSource::new(extractor.client().clone()),
        EnrichmentOptions {
            threads: 4,
            base_model_iterations: 1,
        },
    );
    let outcome = enrichment
        .enrich_from_models_json(run.folder.path().join("hf_models.json"))
        .await
        .unwrap();
    let models = ids_of(&read(&run, "hf_models.json"), "modelId");
    let identified: Vec<&str> = outcome
        .identified
        .refs
        .licenses
        .keys()
        .map(String::as_str)
        .collect();
    for id in &models {
        assert!(identified.contains(&id.as_str()), "{id} identified");
    }
    let written = ids_of(&read(&run, "licenses.json"), "id");
    let again: Vec<String> = outcome.licenses.iter().map(|l| l.id.clone()).collect();
    assert_eq!(again, written, "the same licenses as the run found");
}

/// The content of every file of a small run, as reviewed snapshots (`tests/snapshots/`), with
/// the run's timestamps redacted. A change in any output shows up as a snapshot diff.
#[tokio::test]
async fn the_files_of_a_small_run_match_their_snapshots() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = extractor(&hub, out.path(), 6).run().await.unwrap();
    let stamp = run.manifest.started_at.clone();
    for asset in graph() {
        let Some(file) = asset.file() else { continue };
        let text = std::fs::read_to_string(run.folder.path().join(file))
            .unwrap()
            .replace(stamp.as_str(), "[run start]")
            .replace(&hub.uri(), "[offline hub]");
        let value: Value = serde_json::from_str(&text).unwrap();
        insta::assert_json_snapshot!(file.trim_end_matches(".json"), value);
    }
    // The manifest, without what changes from run to run.
    let mut manifest = serde_json::to_value(&run.manifest).unwrap();
    insta::assert_json_snapshot!("run", manifest.take(), {
        ".run_folder" => "[folder]",
        ".started_at" => "[time]",
        ".finished_at" => "[time]",
        ".config.endpoint" => "[offline hub]",
        ".config.arxiv_endpoint" => "[offline hub]",
        ".config.models_file_path" => "[path]",
        ".model_id_file.path" => "[path]",
        ".assets[].duration_ms" => "[ms]",
        ".assets[].sha256" => "[sha256]",
        ".http.requests_per_host" => "[hosts]",
    });
}

/// An observer that writes down what it is told.
#[derive(Default)]
struct Recorder {
    started: std::sync::Mutex<Vec<String>>,
    done: std::sync::Mutex<Vec<String>>,
    progress: std::sync::Mutex<BTreeMap<String, (u64, Option<u64>)>>,
}

impl hf_extractor::RunObserver for Recorder {
    fn asset_started(&self, asset: Asset) {
        self.started.lock().unwrap().push(asset.name().to_owned());
    }

    fn progress(&self, asset: Asset, done: u64, total: Option<u64>) {
        self.progress
            .lock()
            .unwrap()
            .insert(asset.name().to_owned(), (done, total));
    }

    fn asset_done(
        &self,
        asset: Asset,
        report: &hf_extractor::manifest::AssetReport,
        _path: Option<&Path>,
    ) {
        assert_eq!(report.name, asset.name());
        self.done.lock().unwrap().push(report.name.clone());
    }
}

#[tokio::test]
async fn the_observer_hears_progress_and_each_asset_once_started_after_its_inputs_done_in_plan_order()
 {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    extractor(&hub, out.path(), 12)
        .materialize(&MaterializeOptions::default(), &recorder)
        .await
        .unwrap();
    let started = recorder.started.lock().unwrap().clone();
    let at = |name: &str| started.iter().position(|s| s == name).unwrap();
    // The catalog source reads nothing but the run folder: it runs beside the listing, not
    // after the plan's other assets (hf_raw_models waits for both sources' cards).
    assert!(
        at("hf_raw_catalog_sources") < at("hf_raw_models"),
        "{started:?}"
    );
    // The lineage waits for the run's models, each map for the lineage, each kind for its map.
    assert!(at("hf_raw_models") < at("hf_add_ancestor_models"));
    for kind in ["datasets", "articles", "keywords", "licenses", "tasks"] {
        let (map, kind) = (
            format!("hf_identified_{kind}"),
            format!("hf_enriched_{kind}"),
        );
        assert!(at("hf_add_ancestor_models") < at(&map), "{map}");
        assert!(at(&map) < at(&kind), "{kind}");
    }
    // Whatever order they ran in, they are reported in the plan's.
    let done = recorder.done.lock().unwrap().clone();
    let order: Vec<String> = graph().into_iter().map(|a| a.name().to_owned()).collect();
    assert_eq!(done, order);
    assert_ne!(
        started, order,
        "every asset started in plan order: nothing ran beside"
    );
}
