//! Enrichment over HTTP: `HttpSource` against the offline Hub, with dataset, Croissant, arXiv
//! and tag-vocabulary answers mounted over it (real recorded bodies where the samples have them).
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use hf_client::tasks::TaskSource;
use hf_client::{HfClient, HfClientBuilder, RetryConfig};
use hf_enrich::enrich::EnrichmentOutcome;
use hf_enrich::identify::identify_model;
use hf_enrich::lookahead::{AheadKind, Lookahead, LookaheadPlan};
use hf_enrich::models::{FetchedModel, ModelSource};
use hf_enrich::source::MetadataSource;
use hf_enrich::source::SourceErrorKind;
use hf_enrich::{EnrichmentOptions, HfEnrichment, HttpSource, Prefetched};
use hf_identifiers::EntityKind;
use hf_offline_hub::{Answer, OfflineHub};
use serde_json::json;
use tokio::sync::Semaphore;

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/hub-samples");

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{SAMPLES}/{name}")).unwrap()
}

fn client(hub: &OfflineHub) -> HfClient {
    HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .with_arxiv_endpoint(format!("{}/arxiv/", hub.uri()))
        .with_arxiv_delay(Duration::ZERO)
        .with_retry(RetryConfig {
            max_retries: 1,
            initial_backoff: Duration::from_millis(5),
            ..RetryConfig::default()
        })
        .build()
        .unwrap()
}

fn mount(hub: &OfflineHub, route: &str, answer: Answer) {
    let route = route.to_owned();
    hub.answer_over(move |r| r.method == "GET" && r.url.path() == route, answer);
}

/// A model of the run (not fetched: built here, as the models stage would have).
fn child() -> FetchedModel {
    let info = serde_json::from_value(json!({
        "id": "test/child",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "pipeline_tag": "text-classification",
        "tags": [
            "dataset:test/with-croissant", "dataset:test/plain", "dataset:test/missing",
            "arxiv:1605.08386", "arxiv:2106.09685", "license:mit", "en", "region:us",
        ],
        "cardData": {
            "base_model": ["bert-base-uncased", "test/no-such-parent", "test/gated-parent"],
            "base_model_relation": "finetune",
            "language": ["en", "fr"],
        },
    }))
    .unwrap();
    FetchedModel::new(info, None, ModelSource::File)
}

async fn hub() -> OfflineHub {
    let hub = OfflineHub::start().await.unwrap();
    // A legacy id answered through a redirect, as the Hub does.
    mount(
        &hub,
        "/api/models/bert-base-uncased",
        Answer::new(307)
            .insert_header("location", "/api/models/google-bert/bert-base-uncased")
            .set_body_string("Temporary Redirect."),
    );
    mount(
        &hub,
        "/api/models/test/gated-parent",
        Answer::new(403)
            .insert_header("x-error-code", "GatedRepo")
            .insert_header(
                "x-error-message",
                "Access to model test/gated-parent is restricted.",
            )
            .set_body_json(json!({"error": "Access to model test/gated-parent is restricted."})),
    );
    mount(
        &hub,
        "/api/datasets/test/with-croissant",
        Answer::new(200).set_body_json(json!({
            "_id": "0123456789abcdef01234567", "id": "test/with-croissant",
            "author": "test", "tags": ["license:cc-by-4.0"], "downloads": 3, "likes": 1,
        })),
    );
    mount(
        &hub,
        "/api/datasets/test/with-croissant/croissant",
        Answer::new(200).set_body_raw(
            sample("croissant/mlcommons-v1.1__huggingface-squad_v2.metadata.json"),
            "application/json",
        ),
    );
    mount(
        &hub,
        "/api/datasets/test/plain",
        Answer::new(200).set_body_json(json!({"id": "test/plain"})),
    );
    // arXiv answers with the one paper it knows; the other id is silently dropped.
    mount(
        &hub,
        "/arxiv/api/query",
        Answer::new(200).set_body_raw(
            sample("arxiv/id_1605.08386_s0_m100_199195aa31ad.xml"),
            "application/atom+xml",
        ),
    );
    mount(
        &hub,
        "/api/models-tags-by-type",
        Answer::new(200).set_body_json(json!({
            "region": [{"id": "region:us", "label": "🇺🇸 Region: US", "type": "region"}],
        })),
    );
    hub
}

async fn enrich(hub: &OfflineHub) -> EnrichmentOutcome {
    let enrichment = HfEnrichment::new(
        HttpSource::new(client(hub)),
        EnrichmentOptions {
            threads: 4,
            base_model_iterations: 2,
        },
    )
    // One time for every run, so two runs compare equal.
    .with_extraction_time("2026-11-27T12:00:00Z");
    enrichment.enrich(&[child()]).await
}

#[tokio::test]
async fn http_source_end_to_end() {
    let hub = hub().await;
    let out = enrich(&hub).await;

    // Lineage: the legacy id led to the canonical parent, known by both ids; the missing one
    // is a stub.
    assert_eq!(out.lineage.models.len(), 1);
    let parent = &out.lineage.models[0];
    assert_eq!(parent.id, "google-bert/bert-base-uncased");
    assert!(parent.aliases.contains("bert-base-uncased"));
    // Its card came along (by sha, through the resolve-cache URL).
    assert!(parent.card.as_deref().unwrap().contains("BERT"));
    assert_eq!(parent.sources, [ModelSource::Lineage].into());
    let stubs: Vec<(&str, SourceErrorKind, Option<u16>, bool)> = out
        .lineage
        .stubs
        .iter()
        .map(|s| (s.id.as_str(), s.error.kind, s.status, s.enriched))
        .collect();
    assert_eq!(
        stubs,
        [
            (
                "test/gated-parent",
                SourceErrorKind::Gated,
                Some(403),
                false
            ),
            (
                "test/no-such-parent",
                SourceErrorKind::NotFound,
                Some(404),
                false
            ),
        ]
    );
    assert_eq!(out.lineage.stubs[0].referenced_by[0].child, "test/child");
    // The edge to the renamed parent names it by its canonical id.
    assert!(
        out.lineage
            .edges
            .iter()
            .any(|e| e.child == "test/child" && e.parent == "google-bert/bert-base-uncased")
    );
    // The parent was identified too: its datasets and paper are entities of the run.
    assert!(
        out.identified
            .ids
            .datasets
            .contains(&"bookcorpus".to_owned())
    );
    assert!(
        out.identified
            .ids
            .articles
            .contains(&"1810.04805".to_owned())
    );

    // Datasets: info + Croissant, info without Croissant, and a missing one.
    let ds = |id: &str| out.datasets.iter().find(|d| d.id == id).unwrap();
    let with = ds("test/with-croissant");
    assert!(with.enriched);
    assert_eq!(with.canonical_id.as_deref(), Some("test/with-croissant"));
    assert_eq!(with.croissant.as_ref().unwrap().name(), Some("squad_v2"));
    let plain = ds("test/plain");
    assert!(plain.enriched && plain.croissant.is_none() && plain.croissant_error.is_some());
    let missing = ds("test/missing");
    assert!(!missing.enriched);
    assert_eq!(
        missing.error.as_ref().unwrap().kind,
        SourceErrorKind::NotFound
    );

    // Articles: one paper found, one arXiv does not know.
    let article = |id: &str| out.articles.iter().find(|a| a.id == id).unwrap();
    let found = article("1605.08386");
    assert!(found.enriched);
    assert!(!found.paper.as_ref().unwrap().title.is_empty());
    assert_eq!(
        article("2106.09685").error.as_ref().unwrap().kind,
        SourceErrorKind::NotFound
    );

    // Offline resolutions and vocabularies.
    assert!(out.licenses.iter().any(|l| l.id == "mit" && l.enriched));
    assert!(
        out.licenses
            .iter()
            .any(|l| l.id == "apache-2.0" && l.enriched)
    );
    assert!(out.languages.iter().any(|l| l.id == "fr" && l.enriched));
    // The offline Hub serves /api/tasks (the recorded TASKS_DATA).
    assert_eq!(out.task_source, TaskSource::Hub);
    assert!(out.task_fallback_reason.is_none());
    assert!(
        out.tasks
            .iter()
            .any(|t| t.id == "text-classification" && t.enriched)
    );
    assert!(
        out.keywords
            .iter()
            .any(|k| k.id == "region:us" && k.enriched)
    );

    // Every failure is listed, and counted.
    let failed: Vec<(EntityKind, &str)> = out
        .failures
        .iter()
        .map(|f| (f.kind, f.id.as_str()))
        .collect();
    for expected in [
        (EntityKind::Datasets, "test/missing"),
        (EntityKind::Articles, "2106.09685"),
        (EntityKind::BaseModels, "test/no-such-parent"),
    ] {
        assert!(failed.contains(&expected), "{expected:?} in {failed:?}");
    }
    let total: usize = out.counts.values().map(|c| c.failed).sum();
    assert_eq!(total, out.failures.len());
}

#[tokio::test]
async fn http_runs_are_deterministic() {
    let hub = hub().await;
    let a = serde_json::to_value(enrich(&hub).await).unwrap();
    let b = serde_json::to_value(enrich(&hub).await).unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_legacy_dataset_answered_as_itself_is_one_record_under_author_slash_id() {
    // As `GET /api/models/gpt2` does for models (200, the legacy id, `author` the new owner):
    // `legacy-set` is `org/legacy-set`, and a model naming both has one link, to one record.
    let hub = OfflineHub::start().await.unwrap();
    let body = |id: &str| json!({"_id": "0123456789abcdef0123abcd", "id": id, "author": "org", "downloads": 1});
    for id in ["legacy-set", "org/legacy-set"] {
        mount(
            &hub,
            &format!("/api/datasets/{id}"),
            Answer::new(200).set_body_json(body(id)),
        );
    }
    let info = serde_json::from_value(json!({
        "id": "test/both-spellings",
        "tags": ["dataset:legacy-set", "dataset:org/legacy-set"],
    }))
    .unwrap();
    let enrichment = HfEnrichment::new(
        HttpSource::new(client(&hub)),
        EnrichmentOptions {
            threads: 2,
            base_model_iterations: 0,
        },
    );
    let out = enrichment
        .enrich(&[FetchedModel::new(info, None, ModelSource::File)])
        .await;
    let links: Vec<&str> = out.identified.refs.datasets["test/both-spellings"]
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(links, ["org/legacy-set"]);
    let records: Vec<(&str, &[String])> = out
        .datasets
        .iter()
        .map(|d| (d.id.as_str(), d.aliases.as_slice()))
        .collect();
    assert_eq!(
        records,
        [("org/legacy-set", &["legacy-set".to_owned()][..])]
    );
}

/// The requests the offline Hub answered so far.
fn requests_served(hub: &OfflineHub) -> usize {
    hub.received_requests().expect("a snapshot Hub").len()
}

/// What [`enrich`] reads of the lineage and the datasets: two lineage iterations, the
/// datasets' records.
const LINEAGE_AND_DATASETS: LookaheadPlan = LookaheadPlan {
    base_model_iterations: 2,
    legacy_datasets: true,
    datasets: true,
    keywords: false,
    tasks: false,
    articles: false,
};

/// A lookahead over `client` for `plan`, its fetches each holding one of four slots.
fn lookahead(client: &HfClient, plan: LookaheadPlan) -> Arc<Lookahead> {
    Lookahead::new(client, Arc::new(Semaphore::new(4)), plan)
}

/// [`enrich`] through a source taking what `lookahead` fetched.
async fn enrich_after(hub: &OfflineHub, lookahead: &Lookahead) -> EnrichmentOutcome {
    let source = Prefetched::new(HttpSource::new(client(hub)), lookahead.fetched());
    let options = EnrichmentOptions {
        threads: 4,
        base_model_iterations: 2,
    };
    HfEnrichment::new(source, options)
        .with_extraction_time("2026-11-27T12:00:00Z")
        .enrich(&[child()])
        .await
}

#[tokio::test]
async fn what_was_fetched_ahead_is_what_the_stages_read_and_nothing_is_asked_twice() {
    let plain_hub = hub().await;
    let plain = enrich(&plain_hub).await;
    let plain_requests = requests_served(&plain_hub);

    let hub = hub().await;
    let client = client(&hub);
    let ahead = lookahead(&client, LINEAGE_AND_DATASETS);
    let model = child();
    let found = identify_model(&model);
    ahead.run_model(&model.id, &model.aliases, &found);
    // Nothing yet: the parents wait until every model of the run is known, the `owner/name`
    // datasets until the run is complete (a legacy id may be answered as one of them).
    ahead.finish().await;
    assert_eq!(ahead.total_requests(), 0);
    ahead.run_listed();
    ahead.finish().await;
    // The parent read (google-bert/bert-base-uncased) names datasets of its own, legacy ids,
    // asked at once.
    assert!(ahead.requests(AheadKind::BaseModels) >= 3);
    assert!(ahead.requests(AheadKind::LegacyDatasets) > 0);
    assert_eq!(ahead.requests(AheadKind::Datasets), 0);
    ahead.run_complete();
    ahead.finish().await;
    assert!(ahead.requests(AheadKind::Datasets) > 0);
    let made_ahead = requests_served(&hub);
    assert_eq!(made_ahead as u64, ahead.total_requests());

    let out = enrich_after(&hub, &ahead).await;
    // The same entities, links and failures, byte for byte.
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        serde_json::to_value(&plain).unwrap()
    );
    // Every answer fetched ahead was taken, and none was asked again: the run made no more
    // requests than without the lookahead (only arXiv and the tag vocabulary were left).
    assert_eq!(ahead.fetched().waiting(), (0, 0, 0));
    assert_eq!(requests_served(&hub), plain_requests);
    let served = hub.received_requests().unwrap();
    let mut after: Vec<&str> = served[made_ahead..].iter().map(|r| r.url.path()).collect();
    after.sort_unstable();
    assert_eq!(
        after,
        ["/api/models-tags-by-type", "/api/tasks", "/arxiv/api/query"]
    );
}

#[tokio::test]
async fn a_parent_of_the_run_is_not_fetched_and_a_stage_asking_first_fetches_once() {
    let hub = hub().await;
    let client = client(&hub);
    // No slot free: nothing fetched ahead starts.
    let slots = Arc::new(Semaphore::new(0));
    let plan = LookaheadPlan {
        base_model_iterations: 1,
        ..LookaheadPlan::default()
    };
    let ahead = Lookahead::new(&client, Arc::clone(&slots), plan);
    // `test/gated-parent` is a model of the run (listed, its card not read yet).
    ahead.listed(["test/Gated-Parent"]);
    let model = child();
    ahead.run_model(&model.id, &model.aliases, &identify_model(&model));
    ahead.run_listed();

    // The lineage asks before any fetch ahead could start: it fetches the parents itself.
    let source = Prefetched::new(HttpSource::new(client.clone()), ahead.fetched());
    let parent = source.model("bert-base-uncased").await.unwrap();
    assert_eq!(parent.id, "google-bert/bert-base-uncased");
    let asked = requests_served(&hub);
    // The fetches ahead start, find their answers taken or given, and ask nothing.
    slots.add_permits(2);
    ahead.finish().await;
    let missing = source.model("test/no-such-parent").await.unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(
        ahead.total_requests(),
        1,
        "only test/no-such-parent, asked ahead"
    );
    assert_eq!(requests_served(&hub), asked + 1);
    // The parent of the run was never asked.
    let served = hub.received_requests().unwrap();
    assert!(
        served
            .iter()
            .all(|r| !r.url.path().to_ascii_lowercase().contains("gated-parent"))
    );
    // Every slot is free again.
    assert_eq!(slots.available_permits(), 2);
}

#[tokio::test]
async fn with_the_vocabularies_and_papers_ahead_the_stages_ask_nothing() {
    let plain_hub = hub().await;
    let plain = enrich(&plain_hub).await;
    let plain_requests = requests_served(&plain_hub);

    let hub = hub().await;
    let everything = LookaheadPlan {
        keywords: true,
        tasks: true,
        articles: true,
        ..LINEAGE_AND_DATASETS
    };
    let ahead = lookahead(&client(&hub), everything);
    let model = child();
    ahead.run_model(&model.id, &model.aliases, &identify_model(&model));
    ahead.run_listed();
    // arXiv is asked once the parents are read: their papers are the run's too.
    ahead.run_complete();
    ahead.finish().await;
    for kind in [AheadKind::Keywords, AheadKind::Tasks, AheadKind::Articles] {
        assert_eq!(ahead.requests(kind), 1, "{kind:?}");
    }
    assert_eq!(requests_served(&hub), plain_requests);

    let out = enrich_after(&hub, &ahead).await;
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        serde_json::to_value(&plain).unwrap()
    );
    let served = hub.received_requests().unwrap();
    let again: Vec<String> = served[plain_requests..]
        .iter()
        .map(|r| r.url.to_string())
        .collect();
    assert_eq!(ahead.fetched().waiting(), (0, 0, 0));
    assert!(again.is_empty(), "asked again: {again:?}");
}

/// The dataset requests the offline Hub answered so far.
fn dataset_requests(hub: &OfflineHub) -> Vec<String> {
    let served = hub.received_requests().unwrap();
    let mut paths: Vec<String> = served
        .iter()
        .map(|r| r.url.path().to_owned())
        .filter(|p| p.starts_with("/api/datasets/"))
        .collect();
    paths.sort();
    paths
}

#[tokio::test]
async fn a_dataset_named_both_ways_is_fetched_once_ahead() {
    let named = |id: &str, dataset: &str| {
        let info =
            serde_json::from_value(json!({"id": id, "tags": [format!("dataset:{dataset}")]}));
        FetchedModel::new(info.unwrap(), None, ModelSource::Latest)
    };
    // The canonical spelling told first, the legacy one (answered as it) after.
    let models = [
        named("run/canonical", "allenai/c4"),
        named("run/legacy", "c4"),
    ];
    let options = EnrichmentOptions {
        threads: 4,
        base_model_iterations: 0,
    };
    let plain_hub = OfflineHub::start().await.unwrap();
    let plain = HfEnrichment::new(HttpSource::new(client(&plain_hub)), options)
        .with_extraction_time("2026-11-27T12:00:00Z")
        .enrich(&models)
        .await;
    let plain_requests = dataset_requests(&plain_hub);
    assert_eq!(plain.datasets.len(), 1, "{:?}", plain.datasets);

    let hub = OfflineHub::start().await.unwrap();
    let client = client(&hub);
    let ahead = lookahead(&client, LINEAGE_AND_DATASETS);
    for model in &models {
        ahead.run_model(&model.id, &model.aliases, &identify_model(model));
    }
    ahead.run_listed();
    ahead.run_complete();
    ahead.finish().await;
    // `c4` was asked (and answered as `allenai/c4`); `allenai/c4` was not asked itself.
    assert_eq!(dataset_requests(&hub), plain_requests);
    let source = Prefetched::new(HttpSource::new(client), ahead.fetched());
    let out = HfEnrichment::new(source, options)
        .with_extraction_time("2026-11-27T12:00:00Z")
        .enrich(&models)
        .await;
    assert_eq!(
        serde_json::to_value(&out).unwrap(),
        serde_json::to_value(&plain).unwrap()
    );
    assert_eq!(
        dataset_requests(&hub),
        plain_requests,
        "nothing asked again"
    );
}

#[tokio::test]
async fn an_aborted_lookahead_asks_nothing_more() {
    let hub = hub().await;
    let client = client(&hub);
    // No slot free: the fetches started wait for one.
    let slots = Arc::new(Semaphore::new(0));
    let ahead = Lookahead::new(&client, Arc::clone(&slots), LINEAGE_AND_DATASETS);
    let model = child();
    ahead.run_model(&model.id, &model.aliases, &identify_model(&model));
    ahead.run_listed();
    ahead.abort();
    // Slots free now, models told now: no fetch runs or starts.
    slots.add_permits(4);
    ahead.run_complete();
    ahead.run_model(&model.id, &model.aliases, &identify_model(&model));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    ahead.finish().await;
    assert_eq!(requests_served(&hub), 0);
    assert_eq!(ahead.total_requests(), 0);
}
