//! Retries, rate limits and the token, on wiremock.

use std::time::{Duration, Instant};

use hf_client::{Error, HubRequest};
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{builder, client, list_item};

fn ok_model(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(list_item(id))
}

#[tokio::test]
async fn a_503_is_retried_and_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models/a/b"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/models/a/b"))
        .respond_with(ok_model("a/b"))
        .mount(&server)
        .await;
    let client = client(&server);
    let info = client.models().info("a/b").send().await.unwrap();
    assert_eq!(info.id, "a/b");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(client.stats().retries, 2);
}

#[tokio::test]
async fn retries_end_at_the_retry_count_with_the_last_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).insert_header("x-request-id", "req-7"))
        .mount(&server)
        .await;
    let err = client(&server)
        .models()
        .info("a/b")
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Http { status, info, .. } => {
            assert_eq!(status.as_u16(), 502);
            assert_eq!(info.request_id.as_deref(), Some("req-7"));
        }
        other => panic!("{other}"),
    }
    assert!(err.is_retryable());
    // 1 attempt + max_retries (4) of the test policy.
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
}

#[tokio::test]
async fn retries_end_at_the_time_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let client = builder(&server)
        .with_retry(hf_client::RetryConfig {
            max_retries: 100,
            max_elapsed: Duration::from_millis(400),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
            max_rate_limit_waits: 0,
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.models().info("a/b").send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert!(started.elapsed() < Duration::from_secs(2));
    let n = server.received_requests().await.unwrap().len();
    assert!(
        (3..=9).contains(&n),
        "{n} attempts in a 400 ms budget with 50–100 ms waits"
    );
}

#[tokio::test]
async fn a_429_with_an_exhausted_quota_makes_the_next_requests_wait_then_succeed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models/first/one"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("ratelimit", r#""api";r=0;t=2"#)
                .insert_header("ratelimit-policy", r#""fixed window";"api";q=500;w=300"#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(|req: &Request| {
            let id = req.url.path().trim_start_matches("/api/models/").to_owned();
            ResponseTemplate::new(200)
                .insert_header("ratelimit", r#""api";r=400;t=250"#)
                .set_body_json(list_item(&id))
        })
        .mount(&server)
        .await;
    let client = client(&server);
    let started = Instant::now();
    let first = client.models().info("first/one").send().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(first.id, "first/one");
    assert!(waited >= Duration::from_secs(2), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");

    // While a bucket is paused, every request to it waits for the same reset.
    let server2 = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/models/x/0"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ratelimit", r#""api";r=0;t=2"#)
                .set_body_json(list_item("x/0")),
        )
        .mount(&server2)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_item("x/n")))
        .mount(&server2)
        .await;
    let client = crate::support::client(&server2);
    client.models().info("x/0").send().await.unwrap();
    let started = Instant::now();
    let handles: Vec<_> = (1..=4)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.models().info(format!("x/{i}")).send().await })
        })
        .collect();
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2),
        "the others did not wait: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let stats = client.stats();
    assert_eq!(stats.rate_limited, 0, "no request ran into its own 429");
    assert_eq!(stats.buckets[&hf_client::rate_limit::Bucket::Api].pauses, 1);
}

#[tokio::test]
async fn retry_after_is_honoured_on_a_429_without_ratelimit_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ok_model("a/b"))
        .mount(&server)
        .await;
    let client = client(&server);
    let started = Instant::now();
    client.models().info("a/b").send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(client.stats().rate_limited, 1);
}

#[tokio::test]
async fn an_action_limit_429_is_reported_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("ratelimit", r#""api";r=120;t=200"#)
                .set_body_json(serde_json::json!({"error": "You have exceeded the rate limit for repository creation (300 per day)."})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .models()
        .info("a/b")
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::RateLimited { info, .. } => assert!(info.body_excerpt.contains("300 per day")),
        other => panic!("{other}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_token_goes_to_the_hub_host_and_not_across_a_redirect_to_another_host() {
    let hub = MockServer::start().await;
    let cdn = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/org/model/resolve/main/model.safetensors"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/blobs/abc", cdn.uri()).as_str()),
        )
        .mount(&hub)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/models/org/model"))
        .and(header("authorization", "Bearer hf_secret_token"))
        .respond_with(ok_model("org/model"))
        .mount(&hub)
        .await;
    Mock::given(method("GET"))
        .and(path("/blobs/abc"))
        .respond_with(ResponseTemplate::new(200).set_body_string("weights"))
        .mount(&cdn)
        .await;
    Mock::given(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&cdn)
        .await;

    let client = builder(&hub).with_token("hf_secret_token").build().unwrap();
    // To the Hub: with the token (the mock only answers 200 when it is there).
    client.models().info("org/model").send().await.unwrap();
    // Redirected to another host: without it.
    let url = client.hub_url(&["org/model", "resolve", "main", "model.safetensors"]);
    let resp = client.get(url).await.unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(&resp.body[..], b"weights");
    assert!(resp.was_redirected());
    // Straight to another host: without it too.
    let direct = url::Url::parse(&format!("{}/blobs/abc", cdn.uri())).unwrap();
    client.send(HubRequest::get(direct)).await.unwrap();

    for req in cdn.received_requests().await.unwrap() {
        assert!(
            req.headers.get("authorization").is_none(),
            "token leaked to {}",
            req.url
        );
    }
    let hub_requests = hub.received_requests().await.unwrap();
    assert!(
        hub_requests
            .iter()
            .all(|r| r.headers.get("authorization").is_some())
    );
    let ua = hub_requests[0]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(ua.starts_with("hf-extractor/"), "{ua}");
    assert_eq!(client.stats().requests_per_host.len(), 2);
}

#[tokio::test]
async fn errors_and_debug_output_never_show_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let client = builder(&server)
        .with_token("hf_do_not_print")
        .build()
        .unwrap();
    let err = client.models().info("a/b").send().await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hf_do_not_print"));
    assert!(!format!("{client:?}").contains("hf_do_not_print"));
}

#[tokio::test]
async fn counted_handles_count_their_own_requests_and_share_the_totals() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_model("a/b"))
        .mount(&server)
        .await;
    let client = client(&server);
    let (first, first_count) = client.counted();
    let (second, second_count) = client.counted();
    let third = first.clone();
    first.models().info("a/b").send().await.unwrap();
    third.models().info("a/b").send().await.unwrap();
    second.models().info("a/b").send().await.unwrap();
    client.models().info("a/b").send().await.unwrap();
    assert_eq!(
        first_count.get(),
        2,
        "a clone of a counted handle counts on it"
    );
    assert_eq!(second_count.get(), 1);
    assert_eq!(client.stats().total_requests(), 4, "totals are shared");
}
