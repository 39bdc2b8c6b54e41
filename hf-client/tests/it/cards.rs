//! Model cards: one request with the sha, the `/resolve/` fallback, no README, missing repos.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, sample};

const SHA: &str = "86b5e0934494bd15c9632b12f734a8a67f723594";
const ID: &str = "google-bert/bert-base-uncased";

fn card_response() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("etag", "\"8c8a1f3\"")
        .set_body_raw(
            sample("cards/google-bert__bert-base-uncased.README.md"),
            "text/plain; charset=utf-8",
        )
}

async fn mount_resolve_redirect(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/{ID}/resolve/main/README.md")))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("/api/resolve-cache/models/{ID}/{SHA}/README.md?%2F{ID}%2Fresolve%2Fmain%2FREADME.md=&etag=%2254e2e1%22").as_str()),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn with_the_sha_a_card_costs_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/resolve-cache/models/{ID}/{SHA}/README.md"
        )))
        .respond_with(card_response())
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let card = client
        .models()
        .card(ID)
        .sha(SHA)
        .send()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.stats().total_requests(), 1);
    assert_eq!(card.etag.as_deref(), Some("\"8c8a1f3\""));
    assert!(card.card.body.contains("BERT base model (uncased)"));
    let data = card.card.card_data.unwrap();
    assert_eq!(
        data.license.unwrap().first().map(String::as_str),
        Some("apache-2.0")
    );
}

#[tokio::test]
async fn without_the_sha_the_resolve_redirect_is_followed() {
    let server = MockServer::start().await;
    mount_resolve_redirect(&server).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/resolve-cache/models/{ID}/{SHA}/README.md"
        )))
        .respond_with(card_response())
        .mount(&server)
        .await;
    let client = client(&server);
    let card = client.models().card(ID).send().await.unwrap().unwrap();
    assert!(card.url.path().starts_with("/api/resolve-cache/"));
    assert_eq!(client.stats().total_requests(), 2);
    let stats = client.stats();
    assert_eq!(
        stats.requests_per_bucket[&hf_client::rate_limit::Bucket::Resolvers],
        2
    );
}

#[tokio::test]
async fn a_failing_resolve_cache_falls_back_to_resolve() {
    let server = MockServer::start().await;
    let stale = "0000000000000000000000000000000000000000";
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/resolve-cache/models/{ID}/{stale}/README.md"
        )))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    mount_resolve_redirect(&server).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/resolve-cache/models/{ID}/{SHA}/README.md"
        )))
        .respond_with(card_response())
        .mount(&server)
        .await;
    let card = client(&server)
        .models()
        .card(ID)
        .sha(stale)
        .send()
        .await
        .unwrap();
    assert!(card.unwrap().text.starts_with("---"));
}

#[tokio::test]
async fn a_model_without_a_readme_is_none_and_a_missing_model_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/a/no-readme/resolve/main/README.md"))
        .respond_with(ResponseTemplate::new(404).insert_header("x-error-code", "EntryNotFound"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/a/missing/resolve/main/README.md"))
        .respond_with(ResponseTemplate::new(404).insert_header("x-error-code", "RepoNotFound"))
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(
        client
            .models()
            .card("a/no-readme")
            .send()
            .await
            .unwrap()
            .is_none()
    );
    let err = client.models().card("a/missing").send().await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("a/missing"), "{err}");
}

#[tokio::test]
async fn a_card_with_broken_yaml_keeps_its_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/a/broken/resolve/main/README.md"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(sample("cards/hfhub-fixture__sample_invalid_card_data.md")),
        )
        .mount(&server)
        .await;
    let card = client(&server)
        .models()
        .card("a/broken")
        .send()
        .await
        .unwrap()
        .unwrap();
    assert!(card.card.yaml_error.is_some());
    assert!(card.card.card_data.is_none());
    assert!(!card.card.body.is_empty());
}

#[tokio::test]
async fn an_unchanged_card_asked_with_its_etag_is_a_304_without_body() {
    use hf_client::models::CardAnswer;
    use wiremock::matchers::header;

    let server = MockServer::start().await;
    let card_path = format!("/api/resolve-cache/models/{ID}/{SHA}/README.md");
    Mock::given(method("GET"))
        .and(path(card_path.clone()))
        .and(header("if-none-match", "\"8c8a1f3\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"8c8a1f3\""))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(card_path))
        .respond_with(card_response())
        .mount(&server)
        .await;
    let client = client(&server);
    let unchanged = client
        .models()
        .card(ID)
        .sha(SHA)
        .if_none_match("\"8c8a1f3\"")
        .send_conditional()
        .await
        .unwrap();
    assert_eq!(unchanged, CardAnswer::NotModified);
    let changed = client
        .models()
        .card(ID)
        .sha(SHA)
        .if_none_match("\"0ld\"")
        .send_conditional()
        .await
        .unwrap();
    let CardAnswer::Card(changed) = changed else {
        panic!("a card: {changed:?}")
    };
    assert!(changed.text.contains("BERT"));
    // The text alone, as served: the same text, ETag and URL; parsed, the same card.
    let text = client
        .models()
        .card(ID)
        .sha(SHA)
        .if_none_match("\"0ld\"")
        .send_conditional_text()
        .await
        .unwrap();
    let CardAnswer::Card(text) = text else {
        panic!("a card's text: {text:?}")
    };
    assert_eq!(text.text, changed.text);
    assert_eq!(text.etag, changed.etag);
    assert_eq!(text.url, changed.url);
    assert_eq!(text.parse(), *changed);
    let unchanged_text = client
        .models()
        .card(ID)
        .sha(SHA)
        .if_none_match("\"8c8a1f3\"")
        .send_conditional_text()
        .await
        .unwrap();
    assert_eq!(unchanged_text, CardAnswer::NotModified);
    // `send` never asks conditionally: it always has the card.
    let card = client
        .models()
        .card(ID)
        .sha(SHA)
        .if_none_match("\"8c8a1f3\"")
        .send()
        .await
        .unwrap();
    assert!(card.is_some());
    assert_eq!(client.stats().total_requests(), 5);
    let sent = server.received_requests().await.unwrap();
    assert!(sent[4].headers.get("if-none-match").is_none());
}
