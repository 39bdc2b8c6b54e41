//! Tag vocabulary: `GET /api/models-tags-by-type`, fetched once and shared.
//!
//! No recorded answer exists; the body is built from real data in the documented shape
//! (HUB-API.md §10): pipeline tags from `PIPELINE_DATA`, libraries from
//! `MODEL_LIBRARIES_UI_ELEMENTS`, licenses from the Hub's license ids.

use std::time::Duration;

use futures::future::join_all;
use hf_client::tags::{TagRepoKind, TagVocabularyCache};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, sample};

fn tags_by_type() -> Value {
    let pipeline: Value = serde_json::from_str(&sample("tasks/PIPELINE_DATA.json")).unwrap();
    let pipeline_tags: Vec<Value> = pipeline
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, p)| json!({"id": id, "label": p["name"], "type": "pipeline_tag", "subType": p["modality"]}))
        .collect();
    let libraries: Value =
        serde_json::from_str(&sample("tasks/MODEL_LIBRARIES_UI_ELEMENTS.json")).unwrap();
    let libraries: Vec<Value> = libraries
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, l)| json!({"id": id, "label": l["prettyLabel"], "type": "library"}))
        .collect();
    let licenses: Vec<Value> = sample("spdx/hf-hub-license-ids.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(|id| json!({"id": format!("license:{id}"), "label": id, "type": "license"}))
        .collect();
    json!({
        "pipeline_tag": pipeline_tags,
        "library": libraries,
        "license": licenses,
        "language": [{"id": "en", "label": "English", "type": "language"}],
        "region": [{"id": "region:us", "label": "🇺🇸 Region: US", "type": "region"}],
    })
}

#[tokio::test]
async fn fifty_concurrent_lookups_cost_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models-tags-by-type"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(tags_by_type())
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let cache = TagVocabularyCache::for_models();
    assert!(cache.cached().is_none());

    let keywords = [
        "text-classification",
        "transformers",
        "license:apache-2.0",
        "license:llama3.1",
        "en",
        "region:us",
        "not-a-tag",
    ];
    let lookups = (0..50).map(|i| {
        let cache = cache.clone();
        let client = client.clone();
        let tag = keywords[i % keywords.len()];
        tokio::spawn(async move { (tag, cache.lookup(&client, tag).await.unwrap()) })
    });
    for result in join_all(lookups).await {
        let (tag, info) = result.unwrap();
        match tag {
            "not-a-tag" => assert!(info.is_none()),
            _ => assert!(info.is_some(), "{tag}"),
        }
    }
    assert_eq!(client.stats().total_requests(), 1);

    let vocabulary = cache.cached().unwrap();
    let tc = vocabulary.get("text-classification").unwrap();
    assert_eq!(tc.label, "Text Classification");
    assert_eq!(tc.tag_type, "pipeline_tag");
    assert_eq!(tc.sub_type.as_deref(), Some("nlp"));
    assert_eq!(vocabulary.label("transformers"), Some("Transformers"));
    assert_eq!(vocabulary.of_type("pipeline_tag").len(), 57);
    assert_eq!(vocabulary.of_type("license").len(), 83);
    assert_eq!(vocabulary.of_type("library").len(), 257);
    // The bare form of a prefixed id answers too.
    assert_eq!(
        vocabulary.get("apache-2.0").unwrap().id,
        "license:apache-2.0"
    );

    // Later lookups are served from the cache.
    assert!(cache.lookup(&client, "mit").await.unwrap().is_some());
    assert_eq!(client.stats().total_requests(), 1);
}

#[tokio::test]
async fn a_failed_fetch_is_not_cached() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models-tags-by-type"))
        .respond_with(ResponseTemplate::new(404))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/models-tags-by-type"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tags_by_type()))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let cache = TagVocabularyCache::for_models();
    let err = cache.get(&client).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(cache.cached().is_none());
    assert!(cache.get(&client).await.unwrap().get("gemma").is_some());
    assert!(cache.get(&client).await.is_ok());
}

#[tokio::test]
async fn dataset_tags_have_their_own_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/datasets-tags-by-type"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "task_categories": [{"id": "task_categories:question-answering", "label": "Question Answering", "type": "task_categories"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(
        client
            .tags()
            .datasets_by_type()
            .url()
            .path()
            .ends_with("/api/datasets-tags-by-type")
    );
    let cache = TagVocabularyCache::new(TagRepoKind::Datasets);
    let v = cache.get(&client).await.unwrap();
    assert_eq!(v.label("question-answering"), Some("Question Answering"));
    assert!(cache.get(&client).await.is_ok());
}
