//! `GET /api/models`: pages followed by `Link`, each model once, resumable.

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt};
use hf_client::models::{ModelProperty, Sort};
use serde_json::Value;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, list_item};

/// Serve `total` models in pages of `page` behind cursors `c1`, `c2`, … .
async fn mount_listing(server: &MockServer, total: usize, page: usize) {
    let ids: Vec<String> = (0..total)
        .map(|i| format!("org{}/model-{i:05}", i % 7))
        .collect();
    let pages: Vec<&[String]> = ids.chunks(page).collect();
    for (n, chunk) in pages.iter().enumerate() {
        let items: Vec<Value> = chunk.iter().map(|id| list_item(id)).collect();
        let mut response = ResponseTemplate::new(200).set_body_json(&items);
        if n + 1 < pages.len() {
            // Absolute next URL with every parameter, as the Hub sends it.
            let next = format!(
                "{}/api/models?sort=lastModified&limit={page}&expand%5B%5D=sha&cursor=c{}",
                server.uri(),
                n + 1
            );
            response = response.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
        }
        let mock = Mock::given(method("GET")).and(path("/api/models"));
        let mock = if n == 0 {
            mock.and(query_param_is_missing("cursor"))
        } else {
            mock.and(query_param("cursor", format!("c{n}").as_str()))
        };
        mock.respond_with(response).mount(server).await;
    }
}

#[tokio::test]
async fn a_listing_of_2500_models_over_3_pages_yields_each_model_once() {
    let server = MockServer::start().await;
    mount_listing(&server, 2500, 1000).await;
    let client = client(&server);
    let models: Vec<_> = client
        .models()
        .list()
        .sort(Sort::LastModified)
        .expand([ModelProperty::Sha])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 2500);
    let unique: HashSet<_> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(unique.len(), 2500);
    assert_eq!(models[0].id, "org0/model-00000");
    assert_eq!(models[2499].id, "org0/model-02499");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3, "one request per page");
    // The first page asks what the builder said; later pages are the Link URLs verbatim.
    let first = requests[0].url.query().unwrap();
    assert!(first.contains("sort=lastModified"), "{first}");
    assert!(first.contains("limit=1000"), "{first}");
    assert!(first.contains("expand%5B%5D=sha"), "{first}");
    assert_eq!(
        requests[2].url.query(),
        Some("sort=lastModified&limit=1000&expand%5B%5D=sha&cursor=c2")
    );
    assert_eq!(client.stats().total_requests(), 3);
}

#[tokio::test]
async fn limit_stops_paging_and_caps_the_page_size() {
    let server = MockServer::start().await;
    mount_listing(&server, 2500, 1000).await;
    let big = client(&server);
    let models: Vec<_> = big
        .models()
        .list()
        .limit(1500)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 1500);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "the third page is never asked"
    );

    let server = MockServer::start().await;
    mount_listing(&server, 50, 50).await;
    let small = client(&server);
    let models: Vec<_> = small
        .models()
        .list()
        .limit(20)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(models.len(), 20);
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].url.query().unwrap().contains("limit=20"));
}

#[tokio::test]
async fn pages_can_be_checkpointed_and_resumed() {
    let server = MockServer::start().await;
    mount_listing(&server, 2500, 1000).await;
    let client = client(&server);
    let list = client
        .models()
        .list()
        .sort(Sort::LastModified)
        .expand([ModelProperty::Sha]);
    let first = list.first_page().await.unwrap();
    assert_eq!(first.items.len(), 1000);
    let checkpoint = first.next.clone().unwrap();
    assert!(checkpoint.as_str().ends_with("cursor=c1"));

    // Later, maybe in another process: resume from the checkpoint.
    let rest: Vec<_> = client
        .models()
        .list()
        .stream_from(checkpoint)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest.len(), 1500);
    assert_eq!(rest[0].id, "org6/model-01000");

    let pages: Vec<_> = client.models().list().limit(2100).pages().collect().await;
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p.as_ref().unwrap().items.len())
        .collect();
    assert_eq!(sizes, [1000, 1000, 100]);
}

#[tokio::test]
async fn expand_cannot_be_combined_with_full() {
    let server = MockServer::start().await;
    let client = client(&server);
    let err = client
        .models()
        .list()
        .full(true)
        .expand([ModelProperty::Tags])
        .first_page()
        .await
        .unwrap_err();
    assert!(matches!(err, hf_client::Error::Config(_)), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_page_that_is_not_a_list_is_a_decode_error_with_its_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!([{"id": "a/b"}, {"id": 5}])),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .models()
        .list()
        .first_page()
        .await
        .unwrap_err();
    match &err {
        hf_client::Error::Decode { path, .. } => assert!(path.starts_with("[1]"), "{path}"),
        other => panic!("{other}"),
    }
}
