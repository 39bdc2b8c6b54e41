//! HF paper pages: `GET /api/papers/{id}`, bare or wrapped, and 404 as "no page".

use hf_client::papers::PaperPage;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, sample};

fn daily_item() -> Value {
    serde_json::from_str(&sample("papers/daily_papers.item__2602.23229.json")).unwrap()
}

fn check(page: &PaperPage) {
    assert_eq!(page.id, "2602.23229");
    assert_eq!(
        page.title.as_deref(),
        Some("Large Multimodal Models as General In-Context Classifiers")
    );
    assert!(
        page.summary
            .as_deref()
            .unwrap()
            .starts_with("Which multimodal model should we use for classification?")
    );
    let authors: Vec<_> = page.authors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        authors,
        [
            "Marco Garosi",
            "Matteo Farina",
            "Alessandro Conti",
            "Massimiliano Mancini",
            "Elisa Ricci"
        ]
    );
    assert_eq!(
        page.authors[0].object_id.as_deref(),
        Some("69aa20ecc4f6edddcc6c85cd")
    );
    assert_eq!(page.authors[0].hidden, Some(false));
    // The paper's own date, not the wrapper's.
    assert_eq!(
        page.published_at.as_ref().unwrap().as_str(),
        "2026-02-26T17:08:18.000Z"
    );
    assert_eq!(page.upvotes, Some(10));
    assert_eq!(
        page.github_repo.as_deref(),
        Some("https://github.com/marco-garosi/CIRCLE")
    );
    assert_eq!(page.github_stars, Some(9));
    assert_eq!(
        page.project_page.as_deref(),
        Some("https://circle-lmm.github.io/")
    );
    assert_eq!(page.ai_keywords.len(), 9);
    assert_eq!(page.ai_keywords[0], "Vision-Language Models");
    assert!(page.ai_keywords.contains(&"CIRCLE".to_owned()));
    assert!(page.ai_summary.is_some());
    assert_eq!(
        page.discussion_id.as_deref(),
        Some("69aa20edc4f6edddcc6c85d2")
    );
    assert_eq!(page.organization.as_ref().unwrap()["name"], "MHUGLab");
    assert!(page.extra.contains_key("mediaUrls"));
    assert!(page.extra.contains_key("submittedOnDailyBy"));
}

#[test]
fn the_recorded_daily_papers_item_reads_wrapped_and_bare() {
    let wrapped = PaperPage::from_value(daily_item()).unwrap();
    check(&wrapped);
    // The wrapper's own keys are kept.
    assert_eq!(wrapped.extra["numComments"], 1);
    assert!(wrapped.extra.contains_key("thumbnail"));

    let bare = PaperPage::from_value(daily_item()["paper"].clone()).unwrap();
    check(&bare);
    assert!(!bare.extra.contains_key("numComments"));

    // And it goes into a run folder and back.
    let again: PaperPage = serde_json::from_value(serde_json::to_value(&bare).unwrap()).unwrap();
    assert_eq!(again, bare);
}

#[test]
fn a_bad_field_names_its_path() {
    let mut item = daily_item();
    item["paper"]["upvotes"] = "many".into();
    let err = PaperPage::from_value(item).unwrap_err();
    assert_eq!(err.path().to_string(), "upvotes");
}

#[tokio::test]
async fn a_paper_page_over_http_asked_without_version() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/papers/2602.23229"))
        .respond_with(ResponseTemplate::new(200).set_body_json(daily_item()["paper"].clone()))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .papers()
        .info("arXiv:2602.23229v2")
        .send()
        .await
        .unwrap()
        .unwrap();
    check(&page);
}

#[tokio::test]
async fn no_paper_page_is_none_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/papers/1605.08386"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"error": "Paper not found"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server)
        .papers()
        .info("1605.08386")
        .send()
        .await
        .unwrap();
    assert_eq!(page, None);
}

#[tokio::test]
async fn other_failures_are_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/papers/1605.08386"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let err = client(&server)
        .papers()
        .info("1605.08386")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
}
