//! `GET /api/models/{id}` against the recorded answers, redirects and errors included.

use hf_client::Error;
use hf_client::models::ModelProperty;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, mount_recorded_model_info, sample};

#[tokio::test]
async fn a_legacy_id_redirected_by_307_keeps_both_ids() {
    let server = MockServer::start().await;
    mount_recorded_model_info(&server).await;
    let client = client(&server);
    let bert = client
        .models()
        .info("bert-base-uncased")
        .send()
        .await
        .unwrap();
    assert_eq!(bert.requested_id, "bert-base-uncased");
    assert_eq!(bert.id, "google-bert/bert-base-uncased");
    assert_eq!(bert.info.id, "google-bert/bert-base-uncased");
    assert_eq!(
        bert.info.sha.as_deref(),
        Some("86b5e0934494bd15c9632b12f734a8a67f723594")
    );
    assert!(bert.etag.is_some());

    let t5 = client.models().info("t5-small").send().await.unwrap();
    assert_eq!(
        (t5.requested_id.as_str(), t5.id.as_str()),
        ("t5-small", "google-t5/t5-small")
    );
    assert_eq!(client.stats().redirects, 2);
    assert_eq!(client.stats().total_requests(), 4);
}

#[tokio::test]
async fn an_alias_answered_200_keeps_the_id_the_hub_gave() {
    let server = MockServer::start().await;
    mount_recorded_model_info(&server).await;
    let gpt2 = client(&server).models().info("gpt2").send().await.unwrap();
    assert_eq!(gpt2.requested_id, "gpt2");
    assert_eq!(gpt2.id, "gpt2");
}

#[tokio::test]
async fn a_permanent_404_fails_at_once_with_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models/nobody/nothing"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-error-code", "RepoNotFound")
                .insert_header("x-error-message", "Repository not found")
                .insert_header("x-request-id", "Root=1-abc")
                .set_body_json(serde_json::json!({"error": "Repository not found"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client
        .models()
        .info("nobody/nothing")
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::NotFound { id, info, .. } => {
            assert_eq!(id, "nobody/nothing");
            assert_eq!(info.error_code.as_deref(), Some("RepoNotFound"));
            assert_eq!(info.request_id.as_deref(), Some("Root=1-abc"));
            assert!(info.body_excerpt.contains("Repository not found"));
        }
        other => panic!("expected NotFound, got {other}"),
    }
    assert!(err.to_string().contains("nobody/nothing"));
    assert!(!err.is_retryable());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no retry of a 404"
    );
}

#[tokio::test]
async fn gated_unauthorized_and_disabled_are_told_apart() {
    let server = MockServer::start().await;
    let cases = [
        (
            "a/gated",
            ResponseTemplate::new(403).insert_header("x-error-code", "GatedRepo"),
        ),
        (
            "a/private",
            ResponseTemplate::new(401).insert_header(
                "x-error-message",
                "Invalid credentials in Authorization header",
            ),
        ),
        (
            "a/disabled",
            ResponseTemplate::new(403)
                .insert_header("x-error-message", "Access to this resource is disabled."),
        ),
        (
            "a/teapot",
            ResponseTemplate::new(418).set_body_string("short and stout"),
        ),
    ];
    for (id, response) in cases {
        Mock::given(method("GET"))
            .and(path(format!("/api/models/{id}")))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let info = |id: &'static str| {
        let client = client.clone();
        async move { client.models().info(id).send().await.unwrap_err() }
    };
    assert!(matches!(info("a/gated").await, Error::Gated { .. }));
    assert!(matches!(
        info("a/private").await,
        Error::Unauthorized { .. }
    ));
    assert!(matches!(info("a/disabled").await, Error::Disabled { .. }));
    match info("a/teapot").await {
        Error::Http { status, info, url } => {
            assert_eq!(status.as_u16(), 418);
            assert_eq!(info.body_excerpt, "short and stout");
            assert!(url.path().ends_with("/a/teapot"));
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn expand_and_revision_build_the_hub_urls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/models/ByteDance/SDXL-Lightning/revision/refs%2Fpr%2F1",
        ))
        .and(query_param("expand[]", "inferenceProviderMapping"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            sample("model-info/ByteDance__SDXL-Lightning.expand-inferenceProviderMapping.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let resp = client(&server)
        .models()
        .info("ByteDance/SDXL-Lightning")
        .revision("refs/pr/1")
        .expand([ModelProperty::InferenceProviderMapping])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.id, "ByteDance/SDXL-Lightning");
    assert_eq!(resp.requested_id, "ByteDance/SDXL-Lightning");
}
