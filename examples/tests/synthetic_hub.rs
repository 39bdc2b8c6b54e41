//! The synthetic benchmark Hub: N models made on the fly, paginated like the Hub, with cards of
//! the asked size, injected latency and request counts by route.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt, TryStreamExt};
use hf_client::HfClientBuilder;
use hf_client::models::{ModelProperty, Sort};
use hf_client::rate_limit::Bucket;
use hf_extractor::assets::{Asset, Kind};
use hf_offline_hub::{OfflineHub, Snapshot, SyntheticHub};

mod common;

/// The synthetic Hub over the bundled snapshot, and a client of it.
async fn serve(synthetic: SyntheticHub) -> (OfflineHub, hf_client::HfClient) {
    let hub = OfflineHub::serve_synthetic(Snapshot::bundled().unwrap(), synthetic)
        .await
        .unwrap();
    let client = HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .build()
        .unwrap();
    (hub, client)
}

#[tokio::test]
async fn lists_serves_cards_and_counts_requests_by_route() {
    let (hub, client) = serve(SyntheticHub::new(2500).card_bytes(4096)).await;

    // The whole listing in pages of 1,000: three pages, newest first, only what was expanded.
    let models: Vec<_> = client
        .models()
        .list()
        .sort(Sort::LastModified)
        .expand([ModelProperty::Sha, ModelProperty::LastModified])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 2500);
    assert_eq!(models[0].id, "syn/bert-sst2-0");
    assert_eq!(models[2499].id, SyntheticHub::model_id(2499));
    assert!(
        models
            .windows(2)
            .all(|w| w[0].last_modified.as_ref().unwrap().as_str()
                > w[1].last_modified.as_ref().unwrap().as_str()),
        "newest first"
    );
    assert!(models.iter().all(|m| m.sha.is_some() && m.tags.is_empty()));

    // A card in one request with the listing's sha, 4 KB, with an ETag.
    let first = &models[0];
    let card = client
        .models()
        .card(&first.id)
        .sha(first.sha.clone().unwrap())
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(card.text.len(), 4096);
    assert!(card.etag.is_some());
    // Model info of a synthetic model, and of a snapshot model; a number beyond N is unknown.
    let info = client.models().info(&first.id).send().await.unwrap();
    assert_eq!(info.info.sha, first.sha);
    client
        .models()
        .info("google-bert/bert-base-uncased")
        .send()
        .await
        .unwrap();
    let beyond = client
        .models()
        .info(SyntheticHub::model_id(2500))
        .send()
        .await;
    assert!(beyond.is_err());

    let routes = hub.requests_by_route();
    assert_eq!(routes.get("GET list"), Some(&3));
    assert_eq!(routes.get("GET resolve-cache"), Some(&1));
    assert_eq!(routes.get("GET info"), Some(&3));
    assert_eq!(hub.request_count(), 7);
    // The same counts as JSON for scripts, not counting themselves.
    let url = url::Url::parse(&format!("{}/_mock/requests", hub.uri())).unwrap();
    let answer: serde_json::Value = client.get(url).await.unwrap().json().unwrap();
    assert_eq!(answer["total"], 7);
    assert_eq!(answer["by_route"]["GET list"], 3);
    assert_eq!(hub.request_count(), 7);
}

#[tokio::test]
async fn full_listing_latency_and_the_resolve_redirect() {
    let latency = Duration::from_millis(50);
    let (hub, client) = serve(SyntheticHub::new(30).latency(latency).card_bytes(1000)).await;
    let url = url::Url::parse(&format!("{}/api/models?full=true&limit=20", hub.uri())).unwrap();
    let started = Instant::now();
    let page = client.get(url).await.unwrap();
    assert!(started.elapsed() >= latency, "every answer waits");
    assert!(page.header("link").unwrap().contains("cursor=20"));
    let items: Vec<serde_json::Value> = page.json().unwrap();
    assert_eq!(items.len(), 20);
    assert!(items[0]["siblings"].is_array(), "full=true lists the files");
    assert!(items[0].get("cardData").is_none(), "but not the card data");

    // Without the sha: the Hub's redirect, which already names the commit and the ETag.
    let card = client
        .models()
        .card("syn/t5-summarizer-1")
        .send()
        .await
        .unwrap()
        .unwrap();
    assert!(card.text.len() >= 1000);
    let routes = hub.requests_by_route();
    assert_eq!(routes.get("GET resolve"), Some(&1));
    assert_eq!(routes.get("GET resolve-cache"), Some(&1));
}

/// A job that needs three times a bucket's quota, in two buckets at once, 16 requests in flight:
/// the client paces itself by the announced quota — it waits for the resets instead of running
/// into 429 — and loses nothing.
#[tokio::test]
async fn a_job_of_three_quotas_waits_for_the_resets_instead_of_meeting_429() {
    const QUOTA: usize = 60;
    const MODELS: usize = 3 * QUOTA;
    let window = Duration::from_secs(2);
    let hub = OfflineHub::serve_synthetic(
        Snapshot::bundled().unwrap(),
        SyntheticHub::new(MODELS)
            .card_bytes(500)
            .quota(QUOTA, window),
    )
    .await
    .unwrap();
    let client = HfClientBuilder::new()
        .with_endpoint(hub.uri())
        .with_max_in_flight(16)
        .build()
        .unwrap();
    let started = Instant::now();
    // The api bucket: model info; the resolvers bucket: cards by sha. All at once.
    let synthetic = SyntheticHub::new(MODELS);
    let infos = (0..MODELS).map(|n| {
        let client = client.clone();
        async move {
            let info = client.models().info(SyntheticHub::model_id(n)).send().await;
            info.is_ok_and(|i| i.id == SyntheticHub::model_id(n))
        }
        .boxed()
    });
    let cards = (0..MODELS).map(|n| {
        let client = client.clone();
        let sha = synthetic.body(n)["sha"].as_str().unwrap().to_owned();
        async move {
            let card = client
                .models()
                .card(SyntheticHub::model_id(n))
                .sha(sha)
                .send()
                .await;
            card.is_ok_and(|c| c.is_some_and(|c| c.text.len() >= 500))
        }
        .boxed()
    });
    let done: Vec<bool> = futures::stream::iter(infos.zip(cards).flat_map(|(i, c)| [i, c]))
        .buffer_unordered(32)
        .collect()
        .await;
    let elapsed = started.elapsed();

    let stats = client.stats();
    println!("{elapsed:?} {stats:?}");
    assert_eq!(done.len(), 2 * MODELS);
    assert!(done.iter().all(|ok| *ok), "nothing lost");
    let requests = stats.total_requests();
    assert!(
        stats.rate_limited * 100 <= requests,
        "{} of {requests} requests answered 429",
        stats.rate_limited
    );
    for bucket in [Bucket::Api, Bucket::Resolvers] {
        let status = &stats.buckets[&bucket];
        assert_eq!(
            status.quota,
            Some(QUOTA as u64),
            "{bucket}: the policy's quota"
        );
        assert!(
            status.pauses >= 2,
            "{bucket}: waited for two resets: {status:?}"
        );
        assert!(
            status.held > 0,
            "{bucket}: requests were held back: {status:?}"
        );
        assert_eq!(
            stats.requests_per_bucket[&bucket],
            MODELS as u64 + status.rate_limited,
            "{bucket}: one request per model, and one more per 429"
        );
    }
    assert!(
        elapsed >= 2 * window,
        "three quotas need two resets: {elapsed:?}"
    );
}

/// A run over the varied Hub: every model draws its own lists, and the Hub serves every
/// dataset and paper they cite — so the run enriches each distinct entity cited, and none fails.
#[tokio::test]
async fn a_run_over_the_varied_hub_enriches_every_distinct_entity_cited() {
    const MODELS: usize = 400;
    let (hub, synthetic) = common::serve_varied(MODELS, 700).await;
    let out = tempfile::tempdir().unwrap();
    let extractor = common::synthetic_extractor(&hub, MODELS, out.path());
    let outcome = extractor.run().await.unwrap();
    // What the models cite, by their Hub tags.
    let mut datasets = BTreeSet::new();
    let mut papers = BTreeSet::new();
    let mut keywords = BTreeSet::new();
    for n in 0..MODELS {
        for tag in synthetic.body(n)["tags"].as_array().unwrap() {
            let tag = tag.as_str().unwrap();
            if let Some(d) = tag.strip_prefix("dataset:") {
                datasets.insert(d.to_owned());
            } else if let Some(a) = tag.strip_prefix("arxiv:") {
                papers.insert(a.to_owned());
            } else if tag.starts_with("topic-") {
                keywords.insert(tag.to_owned());
            }
        }
    }
    assert!(datasets.len() > 200 && papers.len() > 150 && keywords.len() > 700);
    let ids_in = |asset: Asset, key: &str| -> BTreeSet<String> {
        let file = outcome.folder.path().join(asset.file().unwrap());
        let records: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        records
            .iter()
            .filter_map(|r| r[key].as_str().map(str::to_owned))
            .collect()
    };
    let enriched = ids_in(Asset::Enriched(Kind::Datasets), "datasetId");
    assert!(datasets.is_subset(&enriched), "every dataset cited");
    let enriched = ids_in(Asset::Enriched(Kind::Articles), "arxiv_id");
    assert!(papers.is_subset(&enriched), "every paper cited");
    let enriched = ids_in(Asset::Enriched(Kind::Keywords), "keyword");
    assert!(keywords.is_subset(&enriched), "every keyword");
    for kind in [Kind::Datasets, Kind::Articles] {
        let failed: Vec<_> = outcome
            .manifest
            .failures
            .iter()
            .filter(|f| f.asset == Asset::Enriched(kind).name())
            .collect();
        assert!(failed.is_empty(), "{kind:?}: {failed:?}");
    }
    assert_eq!(outcome.manifest.models.merged, MODELS as u64);
}
