//! One conformance suite for every [`MetadataSource`]: what the enrichment relies on, whichever
//! source answers.
//!
//! [`conformance`] runs each check over one source. It is run over an [`InMemorySource`] filled
//! with fixtures, an [`HttpSource`] over a mock Hub serving the recorded answers of
//! `testdata/hub-samples/`, and both wrapped in [`Prefetched`] — with nothing fetched ahead, and
//! after a [`Lookahead`] fetched ahead part of what the checks ask (then the wrapper must answer
//! the same, and the inner source must not be asked again what was fetched ahead).
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use hf_client::arxiv::parse_feed;
use hf_client::datasets::DatasetInfo;
use hf_client::tags::{TagInfo, TagVocabulary};
use hf_client::wire::ModelInfo;
use hf_client::{HfClient, HfClientBuilder};
use hf_enrich::identify::identify_model;
use hf_enrich::lookahead::{AheadKind, FetchedAhead, Lookahead, LookaheadPlan};
use hf_enrich::models::{FetchedModel, ModelSource};
use hf_enrich::source::{FetchedDataset, HttpSource, InMemorySource, MetadataSource};
use hf_enrich::{Prefetched, SourceError, SourceErrorKind};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A model asked by its canonical id.
const MODEL: &str = "google-bert/bert-base-uncased";
/// Its legacy id, which the Hub redirects (307) to [`MODEL`].
const LEGACY_MODEL: &str = "bert-base-uncased";
/// A legacy id the Hub answers as itself (200, `"id": "gpt2"`), owned by `openai-community`.
const AS_ITSELF: &str = "gpt2";
const AS_ITSELF_CANONICAL: &str = "openai-community/gpt2";
const MISSING_MODEL: &str = "test/no-such-model";
/// A dataset with Croissant metadata, and its legacy id (redirected to it).
const DATASET: &str = "rajpurkar/squad";
const LEGACY_DATASET: &str = "squad";
const MISSING_DATASET: &str = "test/no-such-dataset";
/// The paper arXiv knows; [`PAPERS`] asks it with two it does not.
const PAPER: &str = "1605.08386";
/// Sorted and distinct, as the articles' stage asks: what a lookahead over the run of
/// [`run_model`] asks too (`1810.04805` is named by its parent's tags, the others by itself).
const PAPERS: [&str; 3] = [PAPER, "1810.04805", "2312.99999"];
const TASK: &str = "text-classification";
const TAG: &str = "region:us";

// ---------------------------------------------------------------------------------------------
// The suite.

/// Every check, over `source`.
async fn conformance<S: MetadataSource + ?Sized>(source: &S) {
    model_by_id(source).await;
    model_by_legacy_id(source).await;
    model_id_is_canonical(source).await;
    dataset_by_id(source).await;
    dataset_by_legacy_id(source).await;
    missing_entities_are_not_found(source).await;
    papers_keyed_as_asked(source).await;
    vocabularies_answer(source).await;
}

/// A model asked by its canonical id: that id, no alias, read for the lineage, with its info
/// and card.
async fn model_by_id<S: MetadataSource + ?Sized>(source: &S) {
    let model = source.model(MODEL).await.unwrap();
    assert_eq!(model.id, MODEL);
    assert!(model.aliases.is_empty(), "{:?}", model.aliases);
    assert_eq!(model.sources, BTreeSet::from([ModelSource::Lineage]));
    assert_eq!(model.info.author.as_deref(), Some("google-bert"));
    assert_eq!(
        model.info.sha.as_deref(),
        Some("86b5e0934494bd15c9632b12f734a8a67f723594")
    );
    assert!(model.card.unwrap().contains("BERT base model (uncased)"));
}

/// A legacy id is answered under the canonical id, the asked id an alias: redirected (307) or
/// answered as itself with its author (200).
async fn model_by_legacy_id<S: MetadataSource + ?Sized>(source: &S) {
    for (asked, canonical) in [(LEGACY_MODEL, MODEL), (AS_ITSELF, AS_ITSELF_CANONICAL)] {
        let model = source.model(asked).await.unwrap();
        assert_eq!(model.id, canonical, "asked {asked}");
        assert_eq!(model.aliases, BTreeSet::from([asked.to_owned()]));
        assert_eq!(model.sources, BTreeSet::from([ModelSource::Lineage]));
    }
}

/// `model_id` answers the canonical id only, whichever id was asked.
async fn model_id_is_canonical<S: MetadataSource + ?Sized>(source: &S) {
    for (asked, canonical) in [
        (MODEL, MODEL),
        (LEGACY_MODEL, MODEL),
        (AS_ITSELF, AS_ITSELF_CANONICAL),
    ] {
        assert_eq!(source.model_id(asked).await.unwrap(), canonical);
    }
    let missing = source.model_id(MISSING_MODEL).await.unwrap_err();
    assert_eq!(missing.kind, SourceErrorKind::NotFound, "{missing}");
}

/// A dataset asked by its id: that id, asked as such, with its Croissant metadata.
async fn dataset_by_id<S: MetadataSource + ?Sized>(source: &S) {
    let dataset = source.dataset(DATASET).await.unwrap();
    assert_eq!(
        (dataset.id.as_str(), dataset.requested_id.as_str()),
        (DATASET, DATASET)
    );
    assert_eq!(dataset.info.id, DATASET);
    assert!(dataset.croissant.is_some(), "{:?}", dataset.croissant_error);
}

/// A legacy dataset id is answered under the canonical id, the asked id kept.
async fn dataset_by_legacy_id<S: MetadataSource + ?Sized>(source: &S) {
    let dataset = source.dataset(LEGACY_DATASET).await.unwrap();
    assert_eq!(dataset.id, DATASET);
    assert_eq!(dataset.requested_id, LEGACY_DATASET);
}

/// A model or dataset that does not exist is a not-found error naming it.
async fn missing_entities_are_not_found<S: MetadataSource + ?Sized>(source: &S) {
    let model = source.model(MISSING_MODEL).await.unwrap_err();
    let dataset = source.dataset(MISSING_DATASET).await.unwrap_err();
    for (error, id) in [(model, MISSING_MODEL), (dataset, MISSING_DATASET)] {
        assert_eq!(error.kind, SourceErrorKind::NotFound, "{error}");
        assert!(error.is_not_found());
        assert!(error.message.contains(id), "{error} does not name {id}");
    }
}

/// One answer per asked id, keyed as asked: the paper, or an error for an id arXiv does not
/// know. Nothing asked, nothing answered.
async fn papers_keyed_as_asked<S: MetadataSource + ?Sized>(source: &S) {
    let asked: Vec<String> = PAPERS.map(str::to_owned).into();
    let papers = source.papers(&asked).await;
    assert_eq!(
        papers.keys().collect::<Vec<_>>(),
        asked.iter().collect::<Vec<_>>()
    );
    assert_eq!(papers[PAPER].as_ref().unwrap().id, PAPER);
    for unknown in &PAPERS[1..] {
        let error = papers[*unknown].as_ref().unwrap_err();
        assert_eq!(error.kind, SourceErrorKind::NotFound, "{unknown}: {error}");
    }
    assert!(source.papers(&[]).await.is_empty());
}

/// The task catalog and the tag vocabulary answer.
async fn vocabularies_answer<S: MetadataSource + ?Sized>(source: &S) {
    assert!(source.tasks().await.get(TASK).is_some());
    let tags = source.tag_vocabulary().await.unwrap();
    assert_eq!(tags.get(TAG).unwrap().label, "🇺🇸 Region: US");
}

// ---------------------------------------------------------------------------------------------
// The fixtures: the same recorded answers, in memory and over HTTP.

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/hub-samples");

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{SAMPLES}/{name}")).unwrap()
}

fn model_info(file: &str) -> ModelInfo {
    serde_json::from_str(&sample(&format!("model-info/{file}"))).unwrap()
}

fn card() -> String {
    sample("cards/google-bert__bert-base-uncased.README.md")
}

/// The info the mock Hub answers for [`DATASET`] (no recorded dataset info exists).
fn dataset_info() -> Value {
    json!({"_id": "621ffdd236468d709f181d58", "id": DATASET, "author": "rajpurkar",
           "tags": ["license:cc-by-sa-4.0"], "downloads": 3, "likes": 1})
}

fn croissant() -> String {
    sample("croissant/mlcommons-v1.0__huggingface-squad.metadata.json")
}

fn tags_by_type() -> Value {
    json!({"region": [{"id": TAG, "label": "🇺🇸 Region: US", "type": "region"}]})
}

fn arxiv_feed() -> String {
    sample(&format!("arxiv/id_{PAPER}_s0_m100_199195aa31ad.xml"))
}

/// The recorded answers, in memory.
fn in_memory() -> InMemorySource {
    let mut bert = FetchedModel::new(
        model_info("google-bert__bert-base-uncased.json"),
        Some(card()),
        ModelSource::Lineage,
    );
    bert.aliases.insert(LEGACY_MODEL.to_owned());
    let mut gpt2 = FetchedModel::new(model_info("gpt2.json"), None, ModelSource::Lineage);
    gpt2.id = AS_ITSELF_CANONICAL.to_owned();
    gpt2.aliases.insert(AS_ITSELF.to_owned());
    let info: DatasetInfo = serde_json::from_value(dataset_info()).unwrap();
    let squad = FetchedDataset {
        croissant: Some(serde_json::from_str(&croissant()).unwrap()),
        ..FetchedDataset::new(info)
    };
    let legacy_squad = FetchedDataset {
        requested_id: LEGACY_DATASET.to_owned(),
        ..squad.clone()
    };
    let tags: BTreeMap<String, Vec<TagInfo>> = serde_json::from_value(tags_by_type()).unwrap();
    let papers = parse_feed(&arxiv_feed()).unwrap().papers;
    papers
        .into_iter()
        .fold(InMemorySource::new(), InMemorySource::with_paper)
        .with_model(bert)
        .with_model(gpt2)
        .with_dataset(squad)
        .with_dataset(legacy_squad)
        .with_tag_vocabulary(TagVocabulary::from(tags))
}

/// A mock Hub (and arXiv, under `/arxiv/`) serving the recorded answers; anything else is 404.
async fn mock_hub() -> MockServer {
    let server = MockServer::start().await;
    let exchanges: Vec<Value> =
        serde_json::from_str(&sample("model-info/_exchanges.json")).unwrap();
    // A model's info as recorded (`uri` is `/api/models/{id}` on the Hub).
    let recorded = |id: &str| {
        let uri = format!("https://huggingface.co/api/models/{id}");
        let exchange = exchanges.iter().find(|e| e["uri"] == uri.as_str()).unwrap();
        let status = exchange["status"].as_u64().unwrap() as u16;
        let response = ResponseTemplate::new(status);
        let answer = match exchange["headers"]["Location"].as_str() {
            Some(location) => response
                .insert_header("location", location)
                .set_body_string(exchange["body_text"].as_str().unwrap()),
            None => {
                let body = sample(exchange["saved_as"].as_str().unwrap());
                response.set_body_raw(body, "application/json")
            }
        };
        (format!("/api/models/{id}"), answer)
    };
    let routes = [
        recorded(LEGACY_MODEL),
        recorded(MODEL),
        recorded(AS_ITSELF),
        (
            format!("/api/datasets/{LEGACY_DATASET}"),
            ResponseTemplate::new(307)
                .insert_header("location", format!("/api/datasets/{DATASET}"))
                .set_body_string(format!(
                    "Temporary Redirect. Redirecting to /api/datasets/{DATASET}"
                )),
        ),
        (
            format!("/api/datasets/{DATASET}"),
            ResponseTemplate::new(200).set_body_json(dataset_info()),
        ),
        (
            format!("/api/datasets/{DATASET}/croissant"),
            ResponseTemplate::new(200).set_body_raw(croissant(), "application/json"),
        ),
        (
            "/api/tasks".to_owned(),
            ResponseTemplate::new(200)
                .set_body_raw(sample("tasks/TASKS_DATA.json"), "application/json"),
        ),
        (
            "/api/models-tags-by-type".to_owned(),
            ResponseTemplate::new(200).set_body_json(tags_by_type()),
        ),
        (
            "/arxiv/api/query".to_owned(),
            ResponseTemplate::new(200).set_body_raw(arxiv_feed(), "application/atom+xml"),
        ),
    ];
    for (route, response) in routes {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    // The card, wherever the client asks it (the resolve cache at the model's sha, or /resolve/).
    Mock::given(method("GET"))
        .and(path_regex(format!("/{MODEL}/.*README\\.md$")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(card(), "text/plain"))
        .mount(&server)
        .await;
    server
}

/// A client of the mock Hub, arXiv under `/arxiv/`, not spacing its arXiv requests. (Nothing
/// the mock answers is retried.)
fn client(server: &MockServer) -> HfClient {
    HfClientBuilder::new()
        .with_endpoint(server.uri())
        .with_arxiv_endpoint(format!("{}/arxiv/", server.uri()))
        .with_arxiv_delay(Duration::ZERO)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Fetched ahead: a run whose lookahead asks part of what the suite asks.

/// Everything a lookahead can fetch ahead.
const EVERYTHING: LookaheadPlan = LookaheadPlan {
    base_model_iterations: 1,
    legacy_datasets: true,
    datasets: true,
    keywords: true,
    tasks: true,
    articles: true,
};

/// The one model of the run: its parents, datasets, papers and keywords are what the suite asks
/// (but by other ids: [`MODEL`], [`DATASET`]).
fn run_model() -> FetchedModel {
    let info = serde_json::from_value(json!({
        "id": "test/run-model",
        "tags": [
            format!("dataset:{LEGACY_DATASET}"), format!("dataset:{MISSING_DATASET}"),
            format!("arxiv:{PAPER}"), "arxiv:2312.99999", "pytorch", "license:mit",
        ],
        "pipeline_tag": TASK,
        "cardData": {"base_model": [LEGACY_MODEL, AS_ITSELF, MISSING_MODEL]},
    }));
    FetchedModel::new(info.unwrap(), None, ModelSource::File)
}

/// What the suite asks that `lookahead` fetched ahead: a source's requests for them (in
/// [`InMemorySource::requests`]' words).
const ASKED_AHEAD: [&str; 8] = [
    "model:bert-base-uncased",
    "model:gpt2",
    "model:test/no-such-model",
    "dataset:squad",
    "dataset:test/no-such-dataset",
    "tasks",
    "tags",
    "papers:1605.08386,1810.04805,2312.99999",
];

/// Tell `lookahead` of the run of [`run_model`], and wait for everything it fetches.
async fn fetch_ahead(lookahead: &Arc<Lookahead>) -> Arc<FetchedAhead> {
    let model = run_model();
    lookahead.run_model(&model.id, &model.aliases, &identify_model(&model));
    lookahead.run_listed();
    lookahead.run_complete();
    lookahead.finish().await;
    lookahead.fetched()
}

/// An in-memory source for each kind of fetch ahead, counted by its log.
fn in_memory_lookahead() -> Arc<Lookahead> {
    let source_for = |_| {
        let source = Arc::new(in_memory());
        (Arc::clone(&source), move || source.requests().len() as u64)
    };
    Lookahead::with_sources(source_for, Arc::new(Semaphore::new(2)), EVERYTHING)
}

/// The requests `served` made for what [`ASKED_AHEAD`] names (a model's info asked with its
/// properties: `model_id` asks it without).
fn asked_ahead_over_http(served: &[wiremock::Request]) -> Vec<String> {
    let models =
        ["bert-base-uncased", "gpt2", "test/no-such-model"].map(|m| format!("/api/models/{m}"));
    let others = [
        format!("/api/datasets/{LEGACY_DATASET}"),
        format!("/api/datasets/{MISSING_DATASET}"),
        "/api/tasks".to_owned(),
        "/api/models-tags-by-type".to_owned(),
        "/arxiv/api/query".to_owned(),
    ];
    served
        .iter()
        .filter(|r| {
            let path = r.url.path().to_owned();
            let expanded = r.url.query().is_some_and(|q| q.contains("expand"));
            (models.contains(&path) && expanded) || others.contains(&path)
        })
        .map(|r| r.url.to_string())
        .collect()
}

async fn served(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// The sources.

#[tokio::test]
async fn in_memory_source_conforms() {
    conformance(&in_memory()).await;
}

#[tokio::test]
async fn http_source_conforms() {
    let server = mock_hub().await;
    conformance(&HttpSource::new(client(&server))).await;
}

/// arXiv's answer to an id asked in two forms (as cards cite it) goes to both.
#[tokio::test]
async fn http_source_answers_every_form_an_id_is_asked_in() {
    let server = mock_hub().await;
    let asked = [format!("arXiv:{PAPER}"), PAPER.to_owned()];
    let papers = HttpSource::new(client(&server)).papers(&asked).await;
    assert_eq!(papers.len(), 2);
    for id in &asked {
        assert_eq!(papers[id].as_ref().unwrap().id, PAPER, "{id}");
    }
}

#[tokio::test]
async fn prefetched_in_memory_source_with_nothing_ahead_conforms_and_asks_as_its_source() {
    let plain = in_memory();
    conformance(&plain).await;
    let source = Prefetched::new(in_memory(), Arc::default());
    conformance(&source).await;
    assert_eq!(source.inner().requests(), plain.requests());
}

#[tokio::test]
async fn prefetched_http_source_with_nothing_ahead_conforms_and_asks_as_its_source() {
    let plain_hub = mock_hub().await;
    conformance(&HttpSource::new(client(&plain_hub))).await;
    let server = mock_hub().await;
    let source = Prefetched::new(HttpSource::new(client(&server)), Arc::default());
    conformance(&source).await;
    let urls = |served: Vec<wiremock::Request>| -> Vec<String> {
        let mut urls: Vec<String> = served.iter().map(|r| r.url.path().to_owned()).collect();
        urls.sort();
        urls
    };
    assert_eq!(urls(served(&server).await), urls(served(&plain_hub).await));
    // Asked by the stage itself, what a lookahead fetches is among them.
    assert_eq!(
        asked_ahead_over_http(&served(&server).await).len(),
        ASKED_AHEAD.len()
    );
}

#[tokio::test]
async fn prefetched_in_memory_source_with_answers_ahead_conforms_and_asks_nothing_twice() {
    let lookahead = in_memory_lookahead();
    let source = Prefetched::new(in_memory(), fetch_ahead(&lookahead).await);
    // Each kind counted through its own source: the parents (three), the legacy dataset ids
    // (the run's `squad`; `bookcorpus` and `wikipedia`, named by the parent read), the other
    // dataset, the vocabularies and arXiv (one each).
    let counted = AheadKind::ALL.map(|kind| lookahead.requests(kind));
    assert_eq!(counted, [3, 3, 1, 1, 1, 1]);
    conformance(&source).await;

    // The inner source was asked what the suite asks, less what was fetched ahead (each once:
    // `model_id` asks the whole model of an in-memory source, and is not fetched ahead).
    let plain = in_memory();
    conformance(&plain).await;
    let mut expected = plain.requests();
    for ahead in ASKED_AHEAD {
        let at = expected.iter().position(|r| r == ahead).unwrap();
        expected.remove(at);
    }
    let mut asked = source.inner().requests();
    asked.sort();
    expected.sort();
    assert_eq!(asked, expected);
    // The parent's datasets, fetched ahead for a stage the suite is not, wait to be taken.
    assert_eq!(source.ahead().waiting(), (0, 2, 0));
}

#[tokio::test]
async fn prefetched_http_source_with_answers_ahead_conforms_and_asks_nothing_twice() {
    let server = mock_hub().await;
    let client = client(&server);
    let lookahead = Lookahead::new(&client, Arc::new(Semaphore::new(2)), EVERYTHING);
    let source = Prefetched::new(HttpSource::new(client), fetch_ahead(&lookahead).await);
    let ahead = served(&server).await.len();
    assert_eq!(lookahead.total_requests(), ahead as u64);
    for kind in [AheadKind::Keywords, AheadKind::Tasks, AheadKind::Articles] {
        assert_eq!(lookahead.requests(kind), 1, "{kind:?}");
    }
    assert_eq!(
        asked_ahead_over_http(&served(&server).await).len(),
        ASKED_AHEAD.len()
    );
    conformance(&source).await;

    let again = asked_ahead_over_http(&served(&server).await[ahead..]);
    assert!(again.is_empty(), "asked again: {again:?}");
    assert_eq!(source.ahead().waiting(), (0, 2, 0));
}

/// An answer is taken once: asked again, it is the inner source's.
#[tokio::test]
async fn an_answer_fetched_ahead_is_taken_once() {
    let lookahead = in_memory_lookahead();
    let source = Prefetched::new(in_memory(), fetch_ahead(&lookahead).await);
    let first = source.model(LEGACY_MODEL).await.unwrap();
    assert!(source.inner().requests().is_empty());
    let second = source.model(LEGACY_MODEL).await.unwrap();
    assert_eq!(source.inner().requests(), ["model:bert-base-uncased"]);
    assert_eq!(first, second);
    let error: SourceError = source.dataset(MISSING_DATASET).await.unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(source.inner().requests().len(), 1);
}
