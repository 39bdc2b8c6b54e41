//! The replaced system's standalone calls through the facade, end to end on the bundled offline
//! Hub: `extract_models` writes the latest models and returns them with the file, and
//! `enrich_from_models_json` enriches that file's models, kind by kind, without listing again.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};

use hf_extractor::assets::{Asset, Kind};
use hf_extractor::{HfExtractor, HfExtractorBuilder};
use hf_offline_hub::OfflineHub;
use serde_json::Value;

fn builder(hub: &OfflineHub, out: &std::path::Path) -> HfExtractorBuilder {
    HfExtractor::builder()
        .endpoint(hub.uri())
        .arxiv_endpoint(hub.uri())
        .arxiv_delay(std::time::Duration::ZERO)
        .models_file(out.join("no-such-file.txt"))
        .output_dir(out)
}

fn extractor(hub: &OfflineHub, out: &std::path::Path) -> HfExtractor {
    builder(hub, out).build().unwrap()
}

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn extract_models_then_enrich_from_its_file() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = extractor(&hub, out.path());

    let extracted = extractor.extract_models(12, true, 3).await.unwrap();
    assert_eq!(extracted.models.len(), 12);
    assert_eq!(
        extracted.path,
        extracted
            .run
            .folder
            .path()
            .join("hf_raw_models_latest.json")
    );
    // The models returned are the file's records, newest first, with their cards.
    let file = read(&extracted.path);
    let ids: Vec<&str> = file
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["modelId"].as_str().unwrap())
        .collect();
    let returned: Vec<&str> = extracted
        .models
        .iter()
        .map(|m| m.model_id.as_str())
        .collect();
    assert_eq!(ids, returned);
    assert_eq!(ids[0], "gen/a");
    assert!(
        extracted
            .models
            .iter()
            .filter(|m| !m.card.is_empty())
            .count()
            >= 10
    );
    let listing = extracted
        .run
        .manifest
        .asset(Asset::RawModelsLatest)
        .unwrap();
    assert_eq!(listing.count, 12);
    assert!(extracted.run.manifest.asset(Asset::RawModels).is_none());

    let before = hub.request_count();
    let enriched = extractor
        .enrich_from_models_json(&extracted.path, &[Kind::Datasets, Kind::Articles], 2)
        .await
        .unwrap();
    let kinds: Vec<Kind> = enriched.files.keys().copied().collect();
    assert_eq!(kinds, [Kind::Datasets, Kind::Articles]);
    let manifest = &enriched.run.manifest;
    assert_eq!(manifest.config.enrichment_threads, 2);
    // The models came from the file: loaded, not listed again.
    let models = manifest.asset(Asset::RawModels).unwrap();
    assert_eq!(models.count, 12);
    assert_eq!(
        models.loaded_from.as_deref(),
        Some(extracted.path.display().to_string().as_str())
    );
    let served = hub.received_requests().unwrap();
    let asked: Vec<&str> = served[before..].iter().map(|r| r.url.path()).collect();
    assert!(
        !asked.contains(&"/api/models"),
        "no listing page: {asked:?}"
    );
    // The one exception: gen/renamed-child's parent is named by its old id, which the lineage
    // asks and the Hub redirects to gen/new-name, a model of the file.
    assert!(asked.contains(&"/api/models/gen/old-name"));
    for id in returned.iter().filter(|id| **id != "gen/new-name") {
        assert!(
            !asked
                .iter()
                .any(|p| p.ends_with(&format!("/{id}")) || p.contains(&format!("/{id}/"))),
            "{id} asked again: {asked:?}"
        );
    }
    assert!(!asked.is_empty(), "the lineage and the entities were asked");
    // Each file holds one record per id of its identified map, and only the kinds asked
    // for were enriched.
    for (kind, path, key) in [
        (
            Kind::Datasets,
            &enriched.files[&Kind::Datasets],
            "datasetId",
        ),
        (Kind::Articles, &enriched.files[&Kind::Articles], "id"),
    ] {
        let records = read(path);
        let ids: BTreeSet<&str> = records
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[key].as_str().unwrap())
            .collect();
        let map = read(
            &enriched
                .run
                .folder
                .path()
                .join(Asset::Identified(kind).file().unwrap()),
        );
        let linked: BTreeSet<&str> = map
            .as_object()
            .unwrap()
            .values()
            .flat_map(|refs| refs.as_array().unwrap())
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, linked, "{kind}");
        assert!(!ids.is_empty(), "{kind}");
    }
    assert!(manifest.asset(Asset::Enriched(Kind::Keywords)).is_none());
    assert!(
        !enriched
            .run
            .folder
            .path()
            .join(Kind::Keywords.enriched_file())
            .exists()
    );
}

#[tokio::test]
async fn a_models_file_that_is_not_json_is_an_error_naming_it() {
    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let bad = out.path().join("models.json");
    std::fs::write(&bad, "[{\"modelId\": ").unwrap();
    let err = extractor(&hub, out.path())
        .enrich_from_models_json(&bad, &[Kind::Licenses], 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("models.json"), "{err}");
}

/// The records of a file of the run folder, in its order: each element of an array (no key),
/// or each entry of an object, as compact JSON.
fn records_in(path: &std::path::Path) -> Vec<(Option<String>, String)> {
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let json = |v: &serde_json::Value| serde_json::to_string(v).unwrap();
    match file {
        serde_json::Value::Array(elements) => elements.iter().map(|e| (None, json(e))).collect(),
        serde_json::Value::Object(entries) => entries
            .iter()
            .map(|(k, v)| (Some(k.clone()), json(v)))
            .collect(),
        other => panic!("{}: {other}", path.display()),
    }
}

/// The whole graph as a stream: each asset started before it is done, done once, in the
/// manifest's order, after the typed records its report counts and its file holds; the outcome
/// last.
#[tokio::test]
async fn a_run_streams_each_asset_s_typed_records_as_it_is_done() {
    use futures::StreamExt;
    use hf_extractor::MaterializeOptions;
    use hf_extractor::stream::{Record, RunEvent};

    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = builder(&hub, out.path()).num_models(40).build().unwrap();
    let mut stream = extractor.stream(MaterializeOptions::default());
    let mut started = BTreeSet::new();
    let mut done = Vec::new();
    let mut progress = 0;
    let mut failed = Vec::new();
    let mut outcome = None;
    // The records of each asset as they came, and whether each was of the asset's type.
    let mut records: BTreeMap<Asset, Vec<(Option<String>, String)>> = BTreeMap::new();
    let mut typed = true;
    // The models as they arrived, by id, and the latest listing's records as streamed.
    let mut arrived = BTreeMap::new();
    let mut latest_file = BTreeMap::new();
    while let Some(event) = stream.next().await {
        assert!(outcome.is_none(), "nothing after the outcome");
        match event.unwrap() {
            RunEvent::Started(asset) => assert!(started.insert(asset), "{asset} started twice"),
            RunEvent::Progress { .. } => progress += 1,
            RunEvent::Model { source, record } => {
                assert_eq!(source, Asset::RawModelsLatest, "no model-id file");
                assert!(
                    !done.iter().any(|(a, _)| *a == source),
                    "{} arrived after its source was done",
                    record.model_id
                );
                let id = record.model_id.clone();
                assert!(arrived.insert(id.clone(), record).is_none(), "{id} twice");
            }
            RunEvent::Record(record) => {
                let asset = record.asset();
                assert!(
                    started.contains(&asset),
                    "a record of {asset} before it started"
                );
                assert!(
                    !done.iter().any(|(a, _)| *a == asset),
                    "a record of {asset} after it was done"
                );
                records.entry(asset).or_default().push((
                    record.model_id().map(str::to_owned),
                    record.json().to_owned(),
                ));
                let decoded = record.decode().unwrap();
                if let (Asset::RawModelsLatest, Record::Model(model)) = (asset, &decoded) {
                    latest_file.insert(model.model_id.clone(), model.clone());
                }
                typed &= match (asset, &decoded) {
                    (Asset::RawModels | Asset::RawModelsLatest, Record::Model(_)) => true,
                    (Asset::Enriched(Kind::Datasets), Record::Dataset(_)) => true,
                    (Asset::Enriched(Kind::Licenses), Record::License(_)) => true,
                    (Asset::Enriched(Kind::BaseModels), Record::BaseModel(_)) => true,
                    (Asset::Identified(_), Record::ModelEntry { model_id, .. }) => {
                        Some(model_id.as_str()) == record.model_id()
                    }
                    (
                        Asset::RawModels
                        | Asset::RawModelsLatest
                        | Asset::Enriched(Kind::Datasets | Kind::Licenses | Kind::BaseModels)
                        | Asset::Identified(_),
                        _,
                    ) => false,
                    _ => true,
                };
            }
            RunEvent::Done(asset_done) => {
                let asset = asset_done.asset;
                assert!(started.contains(&asset), "{asset} done before it started");
                let streamed = records.remove(&asset).unwrap_or_default();
                assert_eq!(
                    streamed.len() as u64,
                    asset_done.report.count,
                    "{asset}'s records"
                );
                if asset.file().is_some() {
                    // The file holds the records streamed, in the order they came.
                    let path = asset_done.path.as_deref().unwrap();
                    assert_eq!(records_in(path), streamed, "{asset}'s file");
                }
                done.push((asset, asset_done.report));
            }
            RunEvent::Failed { asset, failure } => {
                assert!(
                    !done.iter().any(|(a, _)| *a == asset),
                    "{asset} failed after done"
                );
                assert_eq!(failure.asset, asset.name());
                failed.push(*failure);
            }
            RunEvent::Finished(run) => outcome = Some(run),
            other => panic!("an event of no kind known to this test: {other:?}"),
        }
    }
    assert!(typed, "records of another type than their asset's");
    let outcome = outcome.expect("the outcome comes last");
    assert!(progress > 0);
    assert_eq!(arrived.len(), 40, "each model of the listing arrived once");
    assert_eq!(
        arrived, latest_file,
        "as they arrived, as the file holds them"
    );
    let reports: Vec<_> = done.iter().map(|(_, r)| r.clone()).collect();
    assert_eq!(
        reports, outcome.manifest.assets,
        "done in the manifest's order"
    );
    let assets: Vec<Asset> = done.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        assets,
        hf_extractor::assets::graph(),
        "every asset of the graph, once"
    );
    let models = outcome.manifest.asset(Asset::RawModels).unwrap().count;
    assert_eq!(models, 40);
    // Each failure streamed once, before its asset was done: those of the manifest.
    assert!(
        !failed.is_empty(),
        "the offline Hub has models and entities that fail"
    );
    failed.sort();
    assert_eq!(failed, outcome.manifest.failures);
}

/// A stream without a run folder: the records come as with one, counted and hashed in the
/// manifest as with one, but no file of records is written; the scratch folder goes with the
/// stream.
#[tokio::test]
async fn a_run_without_a_run_folder_writes_no_file_of_records() {
    use futures::StreamExt;
    use hf_extractor::MaterializeOptions;
    use hf_extractor::stream::RunEvent;

    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = builder(&hub, out.path()).num_models(20).build().unwrap();
    // The same run with a run folder, for its manifest.
    let kept = whole_run(&extractor).await;
    let mut stream = extractor
        .stream(MaterializeOptions::default())
        .without_run_folder();
    let (mut records, mut folder, mut outcome) = (BTreeMap::<Asset, u64>::new(), None, None);
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            RunEvent::Record(record) => *records.entry(record.asset()).or_default() += 1,
            RunEvent::Done(done) if done.asset == Asset::RunFolder => folder = done.path,
            RunEvent::Done(done) => assert_eq!(done.path, None, "{}", done.asset),
            RunEvent::Finished(run) => outcome = Some(run),
            _ => {}
        }
    }
    let outcome = outcome.unwrap();
    let folder = folder.unwrap();
    assert_eq!(outcome.folder.path(), folder);
    let mut left: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert!(
        left.iter().all(|f| !f.starts_with("hf_")),
        "no file of records: {left:?}"
    );
    assert!(left.contains(&"run.json".to_owned()), "{left:?}");
    for (report, kept) in outcome.manifest.assets.iter().zip(&kept.manifest.assets) {
        assert_eq!(report.name, kept.name);
        assert_eq!(report.count, kept.count, "{}", report.name);
        // Hashed as its file would be (the records hold the run's time: the hashes differ).
        assert_eq!(
            report.sha256.is_some(),
            kept.sha256.is_some(),
            "{}",
            report.name
        );
        if let Some(asset) = hf_extractor::assets::graph()
            .into_iter()
            .find(|a| a.name() == report.name && a.file().is_some())
        {
            assert_eq!(
                records.get(&asset).copied().unwrap_or_default(),
                report.count
            );
        }
    }
    drop(stream);
    assert!(!folder.exists(), "the scratch folder goes with the stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_and_its_stream_are_tasks_of_their_own() {
    use futures::StreamExt;
    use hf_extractor::MaterializeOptions;
    use hf_extractor::pipeline::Silent;
    use hf_extractor::stream::RunEvent;

    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = builder(&hub, out.path()).num_models(30).build().unwrap();
    let extractor = std::sync::Arc::new(extractor);
    // The run's future, spawned (it must be `Send` to compile) and awaited from here.
    let run = tokio::spawn({
        let extractor = std::sync::Arc::clone(&extractor);
        async move {
            extractor
                .materialize(&MaterializeOptions::default(), &Silent)
                .await
        }
    });
    let outcome = run.await.unwrap().unwrap();
    let models = outcome.manifest.asset(Asset::RawModels).unwrap().count;
    assert_eq!(models, 30);
    // The stream, polled by a task of its own that counts the models arriving.
    let streamed = tokio::spawn(async move {
        let mut stream = extractor.stream(MaterializeOptions::default());
        let (mut arrived, mut finished) = (0u64, None);
        while let Some(event) = stream.next().await {
            match event.unwrap() {
                RunEvent::Model { .. } => arrived += 1,
                RunEvent::Finished(outcome) => finished = Some(outcome),
                _ => {}
            }
        }
        (arrived, finished.unwrap())
    });
    let (arrived, second) = streamed.await.unwrap();
    assert_eq!(arrived, 30);
    assert_eq!(
        second.manifest.asset(Asset::RawModels).unwrap().count,
        models
    );
    assert_ne!(
        second.folder.path(),
        outcome.folder.path(),
        "a run folder each"
    );
}

/// A whole run of `extractor`, its run folder kept.
async fn whole_run(extractor: &HfExtractor) -> hf_extractor::RunOutcome {
    extractor
        .materialize(
            &hf_extractor::MaterializeOptions::default(),
            &hf_extractor::pipeline::Silent,
        )
        .await
        .unwrap()
}

/// Takes the records a run hands over, by asset.
#[derive(Default)]
struct Taken(std::sync::Arc<std::sync::Mutex<BTreeMap<Asset, u64>>>);

impl hf_extractor::RunObserver for Taken {
    fn record_sink(&self) -> Option<hf_extractor::pipeline::RecordSink> {
        let taken = std::sync::Arc::clone(&self.0);
        Some(hf_extractor::pipeline::RecordSink::new(move |record| {
            *taken.lock().unwrap().entry(record.asset()).or_default() += 1;
        }))
    }
}

/// A resumed run hands over the records of the assets it takes over from the interrupted run
/// (read from their files) as it does those of the assets it computes.
#[tokio::test]
async fn a_resumed_run_hands_over_the_records_of_the_assets_it_takes_over() {
    use hf_extractor::checkpoint::JournalText;

    let hub = OfflineHub::start().await.unwrap();
    let out = tempfile::tempdir().unwrap();
    let extractor = builder(&hub, out.path()).num_models(20).build().unwrap();
    let whole = whole_run(&extractor).await;
    // Cut after the enriched licenses were journaled done: every file written, the journal cut.
    let text = JournalText::read_all(whole.folder.path()).unwrap();
    let mut kept = String::new();
    for line in text.split_inclusive('\n') {
        kept.push_str(line);
        if line.starts_with(r#"{"event":"asset_done""#) && line.contains("hf_enriched_licenses") {
            break;
        }
    }
    assert!(
        kept.len() < text.len(),
        "the journal goes on after the licenses"
    );
    JournalText::write_all(whole.folder.path(), &kept).unwrap();
    let taken = Taken::default();
    let resumed = extractor.resume(whole.folder.path(), &taken).await.unwrap();
    let restored = &resumed.manifest.resumed.as_ref().unwrap().assets;
    assert!(
        restored.iter().any(|a| a == "hf_enriched_licenses"),
        "{restored:?}"
    );
    let taken = taken.0.lock().unwrap();
    for asset in hf_extractor::assets::graph() {
        if asset.file().is_none() {
            continue;
        }
        let report = resumed.manifest.asset(asset).unwrap();
        assert_eq!(
            taken.get(&asset).copied().unwrap_or_default(),
            report.count,
            "{asset}"
        );
    }
}
