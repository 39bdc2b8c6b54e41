//! A synthetic Hub for the memory measurement: `N` models made up on the fly (nothing stored),
//! each with a card of `CARD_BYTES` bytes, served on loopback until killed. Run it in its own
//! process so its memory is not counted with the extractor's:
//!
//! ```text
//! cargo run -p hf-extractor-examples --example synthetic_hub -- 100000 4096 &
//! /usr/bin/time -v hf-extract materialize --endpoint <printed URI> --num-models 100000 ...
//! ```
//!
//! Listing pages (`/api/models`, `limit` models per page, `Link: rel="next"` with a cursor) and
//! cards (`/api/resolve-cache/models/{id}/{sha}/README.md`) are answered; everything else is a
//! 404, which the extractor records as a failure and goes on.
#![allow(missing_docs)]

use std::fmt::Write as _;

use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Synthetic {
    models: usize,
    card_bytes: usize,
}

fn model_id(i: usize) -> String {
    format!("synth/model-{i:06}")
}

fn sha(i: usize) -> String {
    format!("{:040x}", (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15)
}

impl Synthetic {
    fn page(&self, request: &Request) -> ResponseTemplate {
        let get = |key: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let limit = get("limit").unwrap_or(1000).clamp(1, 1000);
        let cursor = get("cursor").unwrap_or(0);
        let end = (cursor + limit).min(self.models);
        let items: Vec<serde_json::Value> = (cursor..end)
            .map(|i| {
                // Newest first: the listing is sorted by lastModified, descending.
                let seconds = 1_700_000_000 + (self.models - i) as i64;
                let time = jiff::Timestamp::from_second(seconds)
                    .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string())
                    .unwrap_or_default();
                serde_json::json!({
                    "_id": format!("{i:024x}"),
                    "id": model_id(i),
                    "author": "synth",
                    "sha": sha(i),
                    "lastModified": time,
                    "createdAt": time,
                    "private": false,
                    "gated": false,
                    "disabled": false,
                    "downloads": i,
                    "likes": i % 17,
                    "library_name": "transformers",
                    "pipeline_tag": "text-classification",
                    "tags": ["transformers", "text-classification", "license:mit", "en"],
                    "cardData": {"license": "mit", "language": ["en"]},
                })
            })
            .collect();
        let mut answer = ResponseTemplate::new(200).set_body_json(items);
        if end < self.models {
            let mut next = request.url.clone();
            let pairs: Vec<(String, String)> = request
                .url
                .query_pairs()
                .filter(|(k, _)| k != "cursor")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            next.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("cursor", &end.to_string());
            // Relative: the request's URL does not know the port it came in on.
            let link = format!(
                "<{}?{}>; rel=\"next\"",
                next.path(),
                next.query().unwrap_or("")
            );
            answer = answer.insert_header("link", link.as_str());
        }
        answer
    }

    fn card(&self, id: &str) -> ResponseTemplate {
        let mut card = format!(
            "---\nlicense: mit\nlanguage:\n- en\npipeline_tag: text-classification\n---\n# {id}\n\n"
        );
        let mut line = 0;
        while card.len() < self.card_bytes {
            line += 1;
            let _ = writeln!(
                card,
                "Line {line} of the synthetic card of {id}: the model classifies text."
            );
        }
        card.truncate(self.card_bytes.max(1));
        ResponseTemplate::new(200)
            .insert_header("etag", format!("\"{:x}\"", card.len()).as_str())
            .set_body_raw(card, "text/plain; charset=utf-8")
    }
}

impl Respond for Synthetic {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        if path == "/api/models" {
            return self.page(request);
        }
        if let Some(rest) = path.strip_prefix("/api/resolve-cache/models/") {
            let parts: Vec<&str> = rest.split('/').collect();
            if let [owner, name, _sha, "README.md"] = parts.as_slice() {
                return self.card(&format!("{owner}/{name}"));
            }
        }
        ResponseTemplate::new(404)
            .insert_header("x-error-code", "EntryNotFound")
            .set_body_json(serde_json::json!({"error": "not in the synthetic Hub"}))
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let models = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let card_bytes = args.next().and_then(|a| a.parse().ok()).unwrap_or(4096);
    // Requests are not recorded: 100,000 of them would only measure the mock.
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Synthetic { models, card_bytes })
        .mount(&server)
        .await;
    println!("{}", server.uri());
    // Serve until killed.
    std::future::pending::<()>().await;
}
