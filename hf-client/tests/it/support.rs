//! Shared test support: paths to the real samples, a client for a mock server, the recorded
//! exchanges replayed on wiremock.

use std::path::PathBuf;
use std::time::Duration;

use hf_client::{HfClient, HfClientBuilder, RetryConfig};
use serde_json::Value;
use wiremock::matchers::{method, path, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `testdata/hub-samples/` seen from this crate.
pub fn samples_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/hub-samples"
    ))
}

pub fn sample(rel: &str) -> String {
    let p = samples_dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Fast retries so tests do not sleep long.
pub fn quick_retry() -> RetryConfig {
    RetryConfig {
        max_retries: 4,
        max_elapsed: Duration::from_secs(30),
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_rate_limit_waits: 4,
    }
}

pub fn builder(server: &MockServer) -> HfClientBuilder {
    HfClientBuilder::new()
        .with_endpoint(server.uri())
        .with_retry(quick_retry())
        .with_timeout(Duration::from_secs(5))
}

pub fn client(server: &MockServer) -> HfClient {
    builder(server).build().unwrap()
}

/// The recorded exchanges of `model-info/_exchanges.json`.
pub fn exchanges() -> Vec<Value> {
    serde_json::from_str(&sample("model-info/_exchanges.json")).unwrap()
}

/// A response replaying a recorded exchange: status, headers (less the hop-by-hop ones), body.
pub fn replay(exchange: &Value) -> ResponseTemplate {
    let status = exchange["status"].as_u64().unwrap() as u16;
    let mut template = ResponseTemplate::new(status);
    for (name, value) in exchange["headers"].as_object().unwrap() {
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "content-length" | "connection" | "transfer-encoding" | "content-encoding"
        ) {
            continue;
        }
        template = template.insert_header(name.as_str(), value.as_str().unwrap());
    }
    let body = match (exchange.get("saved_as"), exchange.get("body_text")) {
        (Some(Value::String(file)), _) if file.contains('/') => sample(file),
        (Some(Value::String(file)), _) => sample(&format!("model-info/{file}")),
        (_, Some(Value::String(text))) => text.clone(),
        _ => String::new(),
    };
    template.set_body_raw(
        body,
        exchange["headers"]["Content-Type"]
            .as_str()
            .unwrap_or("application/json"),
    )
}

/// Mount every recorded exchange without a query string at its recorded path.
pub async fn mount_recorded_model_info(server: &MockServer) {
    for exchange in exchanges() {
        let uri = exchange["uri"].as_str().unwrap();
        let url = url::Url::parse(uri).unwrap();
        if url.query().is_some() {
            continue;
        }
        Mock::given(method("GET"))
            .and(path(url.path()))
            .and(query_param_is_missing("expand[]"))
            .respond_with(replay(&exchange))
            .mount(server)
            .await;
    }
}

/// A list item built from a real model-info body, renamed to `id`.
pub fn list_item(id: &str) -> Value {
    serde_json::json!({
        "_id": format!("{:024x}", fxhash(id)),
        "id": id,
        "modelId": id,
        "author": id.split('/').next().unwrap(),
        "sha": format!("{:040x}", fxhash(id) as u128 * 7919),
        "likes": 3,
        "downloads": 10,
        "private": false,
        "tags": ["transformers", "pytorch", "license:mit"],
        "pipeline_tag": "fill-mask",
        "library_name": "transformers",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "lastModified": "2025-01-01T00:00:00.000Z",
    })
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}
