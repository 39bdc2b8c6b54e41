//! Tasks: `GET /api/tasks` served with the real `TASKS_DATA` of `@huggingface/tasks`, and the
//! fallback to the embedded pipeline types.

use hf_client::tasks::{Modality, TaskSource, pipeline_types};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, sample};

async fn serve_tasks(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/api/tasks"))
        .respond_with(template)
        .mount(server)
        .await;
}

fn tasks_data() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(sample("tasks/TASKS_DATA.json"), "application/json")
}

#[tokio::test]
async fn the_task_taxonomy_decodes_with_modality_and_recommendations() {
    let server = MockServer::start().await;
    serve_tasks(&server, tasks_data()).await;
    let client = client(&server);
    let tasks = client.tasks().list().send().await.unwrap();
    assert_eq!(tasks.len(), 47);

    let tc = &tasks["text-classification"];
    assert_eq!(tc.id, "text-classification");
    assert_eq!(tc.label, "Text Classification");
    assert!(
        tc.summary
            .as_deref()
            .unwrap()
            .starts_with("Text Classification is the task")
    );
    assert_eq!(tc.modality, Some(Modality::Nlp));
    assert!(
        tc.subtasks
            .iter()
            .any(|s| s.id == "sentiment-classification")
    );
    assert_eq!(tc.datasets[0].id, "nyu-mll/glue");
    assert!(tc.models.iter().any(|m| m.id == "ProsusAI/finbert"));
    assert_eq!(
        tc.metrics.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["accuracy", "recall", "precision", "f1"]
    );
    assert!(tc.libraries.contains(&"transformers".to_owned()));
    assert_eq!(tc.youtube_id.as_deref(), Some("leNG9fN9FQU"));
    assert!(tc.demo.is_some());

    assert_eq!(
        tasks["summarization"].canonical_id.as_deref(),
        Some("text-generation")
    );
    assert_eq!(tasks["image-classification"].modality, Some(Modality::Cv));
    assert_eq!(
        tasks["automatic-speech-recognition"].modality,
        Some(Modality::Audio)
    );
    // Every task of TASKS_DATA is a pipeline type, so every one got its modality.
    for (id, task) in &tasks {
        assert_eq!(&task.id, id);
        assert!(task.modality.is_some(), "{id}");
        assert!(!task.label.is_empty(), "{id}");
    }

    // As written to a run folder and read back.
    let json = serde_json::to_string(&tasks).unwrap();
    let back: std::collections::BTreeMap<String, hf_client::tasks::TaskInfo> =
        serde_json::from_str(&json).unwrap();
    assert_eq!(back, tasks);
}

#[tokio::test]
async fn list_or_embedded_says_where_the_tasks_come_from() {
    let server = MockServer::start().await;
    serve_tasks(&server, tasks_data()).await;
    let catalog = client(&server).tasks().list_or_embedded().await;
    assert_eq!(catalog.source, TaskSource::Hub);
    assert_eq!(catalog.tasks.len(), 47);
    assert_eq!(catalog.fallback_reason, None);
}

#[tokio::test]
async fn an_unreachable_endpoint_falls_back_to_the_embedded_pipeline_types() {
    // 503 on every attempt: retried, then given up.
    let server = MockServer::start().await;
    serve_tasks(&server, ResponseTemplate::new(503)).await;
    let catalog = client(&server).tasks().list_or_embedded().await;
    assert_eq!(catalog.source, TaskSource::Embedded);
    assert_eq!(catalog.tasks.len(), pipeline_types().len());
    assert_eq!(catalog.tasks.len(), 57);
    assert!(catalog.fallback_reason.as_deref().unwrap().contains("503"));
    let robotics = catalog.get("robotics").unwrap();
    assert_eq!(robotics.modality, Some(Modality::Rl));
    assert_eq!(robotics.summary, None);

    // A body that is not the taxonomy: the decode error is the reason.
    let server = MockServer::start().await;
    serve_tasks(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"text-classification": {"datasets": 3}}"#,
            "application/json",
        ),
    )
    .await;
    let catalog = client(&server).tasks().list_or_embedded().await;
    assert_eq!(catalog.source, TaskSource::Embedded);
    assert!(
        catalog
            .fallback_reason
            .as_deref()
            .unwrap()
            .contains("text-classification")
    );

    // Nothing listening at all.
    let dead = hf_client::HfClientBuilder::new()
        .with_endpoint("http://127.0.0.1:9")
        .with_retry(crate::support::quick_retry())
        .build()
        .unwrap();
    let catalog = dead.tasks().list_or_embedded().await;
    assert_eq!(catalog.source, TaskSource::Embedded);
    let json = serde_json::to_value(&catalog).unwrap();
    assert_eq!(json["source"], "embedded");
}
