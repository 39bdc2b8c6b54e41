//! The models stage of the pipeline against the offline Hub: latest N, ids from a file, merge.
#![allow(clippy::unwrap_used, missing_docs)]

use hf_client::{HfClient, HfClientBuilder, RetryConfig};
use hf_enrich::model_ids::ModelIdList;
use hf_enrich::models::{LatestOptions, ModelSource, latest_models, merge, models_from_ids};
use hf_enrich::quality::LowInfo;
use hf_offline_hub::{Answer, OfflineHub, Snapshot};
use serde_json::json;

/// The bundled snapshot plus `extra` generated models (half of them without a pipeline tag),
/// each with a card.
fn snapshot(extra: usize) -> Snapshot {
    let mut snapshot = Snapshot::bundled().unwrap();
    for i in 0..extra {
        let id = format!("gen/model-{i:04}");
        let mut body = json!({
            "_id": format!("{i:024x}"),
            "id": id,
            "author": "gen",
            "sha": format!("{i:040x}"),
            "lastModified": format!("2026-01-01T00:{:02}:{:02}.000Z", i / 60 % 60, i % 60),
            "createdAt": "2025-01-01T00:00:00.000Z",
            "tags": ["transformers", "license:mit"],
            "downloads": i,
            "likes": 0,
            "private": false,
        });
        if i % 2 == 0 {
            body["pipeline_tag"] = json!("text-classification");
        }
        snapshot
            .models
            .insert(id.clone(), body.as_object().unwrap().clone());
        snapshot.cards.insert(
            id,
            format!(
                "---\nlicense: mit\n---\n# Model {i}\n\n{}\n",
                "Words. ".repeat(40)
            ),
        );
    }
    snapshot
}

fn client(hub: &OfflineHub) -> HfClient {
    HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .with_retry(RetryConfig {
            max_retries: 2,
            initial_backoff: std::time::Duration::from_millis(10),
            ..RetryConfig::default()
        })
        .build()
        .unwrap()
}

fn options(num_models: usize) -> LatestOptions {
    LatestOptions {
        num_models,
        update_recent: true,
        threads: 4,
        filter_low_info: false,
    }
}

#[tokio::test]
async fn latest_n_costs_one_listing_request_plus_one_card_request_per_model() {
    let hub = OfflineHub::serve(snapshot(100)).await.unwrap();
    let client = client(&hub);
    let outcome = latest_models(&client, options(60)).await;
    assert_eq!(outcome.models.len(), 60);
    assert!(outcome.failures.is_empty());
    // Newest first: the generated models (2026) come before the recorded ones (2025).
    assert_eq!(outcome.models[0].id, "gen/model-0099");
    assert!(
        outcome
            .models
            .iter()
            .all(|m| m.card.is_some() && m.sources.contains(&ModelSource::Latest))
    );
    assert_eq!(
        outcome.newest_last_modified.as_deref(),
        Some("2026-01-01T00:01:39.000Z")
    );
    // One listing page (limit=60) and one resolve-cache request per card.
    assert_eq!(client.stats().total_requests(), 61);
    let requests = hub.received_requests().expect("a snapshot Hub");
    let listing = requests
        .iter()
        .find(|r| r.url.path() == "/api/models")
        .unwrap();
    let query = listing.url.query().unwrap();
    for property in [
        "sha",
        "cardData",
        "baseModels",
        "downloadsAllTime",
        "safetensors",
    ] {
        assert!(
            query.contains(&format!("expand%5B%5D={property}")),
            "{query}"
        );
    }
    assert!(
        requests
            .iter()
            .all(|r| !r.url.path().starts_with("/api/models/")),
        "no per-model info call"
    );
}

#[tokio::test]
async fn the_filter_keeps_listing_until_n_models_pass() {
    let hub = OfflineHub::serve(snapshot(100)).await.unwrap();
    let client = client(&hub);
    let outcome = latest_models(
        &client,
        LatestOptions {
            filter_low_info: true,
            ..options(30)
        },
    )
    .await;
    assert_eq!(outcome.models.len(), 30);
    assert!(outcome.models.iter().all(|m| m.info.pipeline_tag.is_some()));
    // The 30 passing models are the newest 30 with a pipeline tag: even-numbered, 98 down to 40.
    assert_eq!(outcome.models[0].id, "gen/model-0098");
    assert_eq!(outcome.models[29].id, "gen/model-0040");
    assert!(outcome.filtered[&LowInfo::NoPipelineTag] >= 29);
}

#[tokio::test]
async fn a_card_that_fails_keeps_its_model() {
    let hub = OfflineHub::serve(snapshot(5)).await.unwrap();
    hub.answer_over(
        |r| {
            r.method == "GET"
                && r.url
                    .path()
                    .starts_with("/api/resolve-cache/models/gen/model-0003/")
        },
        Answer::new(500),
    );
    hub.answer_over(
        |r| r.method == "GET" && r.url.path().starts_with("/gen/model-0003/resolve/"),
        Answer::new(500),
    );
    let outcome = latest_models(&client(&hub), options(5)).await;
    assert_eq!(outcome.models.len(), 5);
    let broken = outcome
        .models
        .iter()
        .find(|m| m.id == "gen/model-0003")
        .unwrap();
    assert!(broken.card.is_none());
    assert!(
        broken.card_error.as_deref().unwrap().contains("500"),
        "{:?}",
        broken.card_error
    );
}

#[tokio::test]
async fn ids_from_a_file_merge_with_the_listing_by_canonical_id() {
    let hub = OfflineHub::serve(snapshot(10)).await.unwrap();
    // A renamed repo: the legacy id answers 307 to the canonical one, as the Hub does.
    hub.answer_over(
        |r| r.method == "GET" && r.url.path() == "/api/models/legacy-name",
        Answer::new(307).insert_header("location", "/api/models/gen/model-0009"),
    );
    let client = client(&hub);
    let ids = ModelIdList::parse(
        "google-bert/bert-base-uncased\nhttps://huggingface.co/nobody/missing\nlegacy-name\nnot a valid id\ngoogle-bert/bert-base-uncased\n",
    );
    assert_eq!(ids.entries.len(), 3);
    assert_eq!((ids.errors.len(), ids.duplicates.len()), (1, 1));
    let from_file = models_from_ids(&client, &ids, 4).await;
    assert_eq!(from_file.models.len(), 2);
    assert_eq!(from_file.failures.len(), 1);
    assert_eq!(from_file.failures[0].line, Some(2));
    assert_eq!(from_file.failures[0].status, Some(404));
    let renamed = from_file
        .models
        .iter()
        .find(|m| m.id == "gen/model-0009")
        .unwrap();
    assert!(renamed.aliases.contains("legacy-name"));

    let latest = latest_models(&client, options(3)).await;
    let merged = merge([latest, from_file]);
    let ids: Vec<&str> = merged.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "gen/model-0007",
            "gen/model-0008",
            "gen/model-0009",
            "google-bert/bert-base-uncased"
        ]
    );
    let both = &merged.models[2];
    assert_eq!(
        both.sources.iter().copied().collect::<Vec<_>>(),
        [ModelSource::Latest, ModelSource::File]
    );
    assert_eq!(merged.failures.len(), 1);
}

#[tokio::test]
async fn a_legacy_id_answered_as_itself_is_one_model_with_its_canonical_id() {
    // The Hub answers `/api/models/gpt2` with 200, `"id": "gpt2"` and `"author":
    // "openai-community"` (the recorded sample): the same repository as openai-community/gpt2.
    let hub = OfflineHub::serve(snapshot(0)).await.unwrap();
    let client = client(&hub);
    let ids = ModelIdList::parse("gpt2\nhttps://huggingface.co/openai-community/gpt2\n");
    let from_file = models_from_ids(&client, &ids, 2).await;
    assert!(from_file.failures.is_empty(), "{:?}", from_file.failures);
    let got: Vec<(&str, Vec<&str>)> = from_file
        .models
        .iter()
        .map(|m| {
            (
                m.id.as_str(),
                m.aliases.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert!(
        got.contains(&("openai-community/gpt2", vec!["gpt2"])),
        "{got:?}"
    );
    let merged = merge([from_file]);
    let ids: Vec<&str> = merged.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["openai-community/gpt2"]);
    assert_eq!(
        merged.models[0].aliases.iter().collect::<Vec<_>>(),
        ["gpt2"]
    );
}

/// What a streamed listing told, in order: each page noted, each model handed over.
#[derive(Debug, Clone, PartialEq)]
enum Told {
    Page { first: usize, len: usize },
    Model(usize),
}

/// Cards of an "earlier run" for the generated models, at their listed `sha`: reused, not asked.
struct EarlierCards;

impl hf_enrich::models::CardCache for EarlierCards {
    fn get(&self, id: &str) -> Option<hf_enrich::models::CachedCard> {
        let i: usize = id.strip_prefix("gen/model-")?.parse().ok()?;
        Some(hf_enrich::models::CachedCard {
            sha: Some(format!("{i:040x}")),
            etag: None,
            text: Some(format!("# Model {i}\n")),
        })
    }
}

async fn told_by_a_streamed_listing(cards: Option<&dyn hf_enrich::models::CardCache>) -> Vec<Told> {
    use hf_enrich::models::{ListedPage, ListingPlan, latest_models_streaming};
    use std::sync::Mutex;
    let hub = OfflineHub::serve(snapshot(100)).await.unwrap();
    let client = client(&hub);
    let told = Mutex::new(Vec::new());
    let on_page = |page: &ListedPage| {
        told.lock().unwrap().push(Told::Page {
            first: page.first_position,
            len: page.items.len(),
        });
    };
    let sink = |position: usize, _model: hf_enrich::models::FetchedModel| {
        told.lock().unwrap().push(Told::Model(position));
    };
    let plan = ListingPlan {
        cards,
        on_page: Some(&on_page),
        ..ListingPlan::default()
    };
    let streamed = latest_models_streaming(&client, options(60), &plan, &sink).await;
    assert_eq!(streamed.kept, (0..60).collect::<Vec<_>>());
    told.into_inner().unwrap()
}

/// The first cards of a page are asked before the page is noted (for a resumed run to know
/// it), but no model is handed over before its page is: the journal never holds a model of a
/// page it does not hold.
#[tokio::test]
async fn a_page_is_noted_before_any_of_its_models_is_handed_over() {
    for cards in [
        None,
        Some(&EarlierCards as &dyn hf_enrich::models::CardCache),
    ] {
        let told = told_by_a_streamed_listing(cards).await;
        assert_eq!(told[0], Told::Page { first: 0, len: 60 }, "{told:?}");
        let mut models: Vec<usize> = told[1..]
            .iter()
            .map(|t| match t {
                Told::Model(position) => *position,
                other => panic!("a second page: {other:?}"),
            })
            .collect();
        models.sort_unstable();
        assert_eq!(models, (0..60).collect::<Vec<_>>());
    }
}
