//! Enrichment over HTTP: `HttpSource` against the offline Hub, with dataset, Croissant, arXiv
//! and tag-vocabulary answers mounted over it (real recorded bodies where the samples have them).
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use hf_client::{HfClient, HfClientBuilder, RetryConfig};
use hf_extractor::client::tasks::TaskSource;
use hf_extractor::enrich::enrich::EnrichmentOutcome;
use hf_extractor::enrich::models::{FetchedModel, ModelSource};
use hf_extractor::enrich::source::SourceErrorKind;
use hf_extractor::enrich::{EnrichmentOptions, HfEnrichment, HttpSource};
use hf_extractor::identifiers::EntityKind;
use hf_extractor_examples::offline_hub::OfflineHub;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/hub-samples");

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

async fn mount(hub: &OfflineHub, route: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .with_priority(1)
        .mount(hub.server().expect("a snapshot Hub"))
        .await;
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
        ResponseTemplate::new(307)
            .insert_header("location", "/api/models/google-bert/bert-base-uncased")
            .set_body_string("Temporary Redirect."),
    )
    .await;
    mount(
        &hub,
        "/api/models/test/gated-parent",
        ResponseTemplate::new(403)
            .insert_header("x-error-code", "GatedRepo")
            .insert_header(
                "x-error-message",
                "Access to model test/gated-parent is restricted.",
            )
            .set_body_json(json!({"error": "Access to model test/gated-parent is restricted."})),
    )
    .await;
    mount(
        &hub,
        "/api/datasets/test/with-croissant",
        ResponseTemplate::new(200).set_body_json(json!({
            "_id": "0123456789abcdef01234567", "id": "test/with-croissant",
            "author": "test", "tags": ["license:cc-by-4.0"], "downloads": 3, "likes": 1,
        })),
    )
    .await;
    mount(
        &hub,
        "/api/datasets/test/with-croissant/croissant",
        ResponseTemplate::new(200).set_body_raw(
            sample("croissant/mlcommons-v1.1__huggingface-squad_v2.metadata.json"),
            "application/json",
        ),
    )
    .await;
    mount(
        &hub,
        "/api/datasets/test/plain",
        ResponseTemplate::new(200).set_body_json(json!({"id": "test/plain"})),
    )
    .await;
    // arXiv answers with the one paper it knows; the other id is silently dropped.
    mount(
        &hub,
        "/arxiv/api/query",
        ResponseTemplate::new(200).set_body_raw(
            sample("arxiv/id_1605.08386_s0_m100_199195aa31ad.xml"),
            "application/atom+xml",
        ),
    )
    .await;
    mount(
        &hub,
        "/api/models-tags-by-type",
        ResponseTemplate::new(200).set_body_json(json!({
            "region": [{"id": "region:us", "label": "🇺🇸 Region: US", "type": "region"}],
        })),
    )
    .await;
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
            ResponseTemplate::new(200).set_body_json(body(id)),
        )
        .await;
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
