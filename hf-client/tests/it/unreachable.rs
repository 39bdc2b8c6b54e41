//! A host that refuses every connection from the first request on is given up on within
//! seconds; a host that has answered once is retried as usual when it starts refusing.

use std::time::{Duration, Instant};

use futures::FutureExt;
use hf_client::{Error, HfClientBuilder, RetryConfig};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::{list_item, quick_retry};

/// A loopback address nothing listens on: bound, its port taken, and let go.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn a_host_refusing_from_the_first_request_on_fails_within_seconds_naming_it() {
    let endpoint = closed_port();
    // The default policy: 5 retries with up to 30 s between them, a 15-minute budget.
    let client = HfClientBuilder::new()
        .with_endpoint(&endpoint)
        .with_retry(RetryConfig::default())
        .build()
        .unwrap();
    let url = client.hub_url(&["api", "models", "a/b"]);
    let watcher = client.unreachable(&url);
    let started = Instant::now();
    let error = client.models().info("a/b").send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{error}");
    assert!(error.is_unreachable(), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&endpoint), "{message}");
    assert!(message.contains("refused"), "{message}");
    // A couple of quick retries, not the policy's five.
    let first = client.stats().requests_to(&url);
    assert!((1..=3).contains(&first), "{first} attempts");
    // Whoever waits for the give-up hears of it, with the same error.
    let heard = watcher.now_or_never().expect("the give-up is heard");
    assert_eq!(heard.to_string(), message);

    // Later requests to the host are tried once, not retried.
    let error = client
        .get(client.hub_url(&["api", "models"]))
        .await
        .unwrap_err();
    assert!(error.is_unreachable(), "{error:?}");
    assert_eq!(client.stats().requests_to(&url), first + 1);
    assert!(error.to_string().contains("attempts: 1;"), "{error}");
}

#[tokio::test]
async fn no_retries_means_one_attempt_even_when_refused() {
    let client = HfClientBuilder::new()
        .with_endpoint(closed_port())
        .with_retry(RetryConfig::none())
        .build()
        .unwrap();
    let url = client.hub_url(&["api", "models"]);
    assert!(client.get(url.clone()).await.unwrap_err().is_unreachable());
    assert_eq!(client.stats().requests_to(&url), 1);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn refusals_after_the_host_answered_are_retried_as_any_transport_error() {
    // A server of its own (not from wiremock's pool), so that dropping it closes its port.
    let server = MockServer::builder().start().await;
    Mock::given(method("GET"))
        .and(path("/api/models/a/b"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(list_item("a/b")))
        .mount(&server)
        .await;
    let client = HfClientBuilder::new()
        .with_endpoint(server.uri())
        .with_retry(quick_retry())
        .build()
        .unwrap();
    let url = client.hub_url(&["api", "models", "a/b"]);
    assert_eq!(client.models().info("a/b").send().await.unwrap().id, "a/b");

    let address = server.address().to_owned();
    drop(server);
    // The port closes once the server has shut down.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(address).is_ok() {
        assert!(Instant::now() < deadline, "the mock server still listens");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let retries_before = client.stats().retries;
    let error = client.models().info("a/b").send().await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    // Every retry of the policy was spent, as before this host was known to refuse.
    assert_eq!(
        client.stats().retries - retries_before,
        quick_retry().max_retries as u64
    );
    assert!(client.unreachable(&url).now_or_never().is_none());
}
