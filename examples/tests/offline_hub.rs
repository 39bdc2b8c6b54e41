//! The bundled offline Hub answers like the Hub: listing, pagination, model info, cards.
#![allow(clippy::unwrap_used, missing_docs)]

use futures::TryStreamExt;
use hf_client::HfClientBuilder;
use hf_client::models::{ModelProperty, Sort};
use hf_extractor_examples::offline_hub::{OfflineHub, Snapshot};

#[tokio::test]
async fn the_offline_hub_serves_the_bundled_snapshot() {
    let snapshot = Snapshot::bundled().unwrap();
    assert_eq!(snapshot.models.len(), 101);
    assert!(snapshot.cards.contains_key("google-bert/bert-base-uncased"));

    let hub = OfflineHub::start().await.unwrap();
    let client = HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .build()
        .unwrap();

    // The whole listing, newest first, over several pages of 10.
    let models: Vec<_> = client
        .models()
        .list()
        .sort(Sort::LastModified)
        .page_size(10)
        .expand([ModelProperty::Sha, ModelProperty::LastModified])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 101);
    assert_eq!(hub.request_count().await, 11, "101 models in pages of 10");
    let dates: Vec<_> = models
        .iter()
        .map(|m| m.last_modified.as_ref().unwrap().as_str().to_owned())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
    assert!(
        models.iter().all(|m| m.sha.is_some() && m.tags.is_empty()),
        "only the expanded fields"
    );

    // Model info and cards, through the Hub's redirect or in one request with the sha.
    let bert = client
        .models()
        .info("google-bert/bert-base-uncased")
        .send()
        .await
        .unwrap();
    let card = client
        .models()
        .card(&bert.id)
        .send()
        .await
        .unwrap()
        .unwrap();
    assert!(
        card.url
            .path()
            .starts_with("/api/resolve-cache/models/google-bert/bert-base-uncased/")
    );
    let sha = bert.info.sha.unwrap();
    let again = client
        .models()
        .card(&bert.id)
        .sha(sha)
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.text, card.text);
    assert!(client.models().card("gpt2").send().await.unwrap().is_none());
    assert!(
        client
            .models()
            .info("nobody/nothing")
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
}
