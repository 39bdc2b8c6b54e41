//! A Hugging Face Hub client that survives the real Hub.
//!
//! - **Typed**: model listings and model info as [`wire::ModelInfo`], cards split into front
//!   matter and body ([`card::ModelCard`]), errors a caller can act on ([`Error`]).
//! - **Economical**: pages of up to 1000 models, `expand[]` for exactly the fields needed, cards
//!   in one request when the commit is known.
//! - **Robust**: retries with jittered exponential backoff, the Hub's announced rate limits
//!   honoured with one shared pause per bucket, redirects of renamed repos followed with both
//!   ids kept.
//! - **Safe with secrets**: the token is redacted in `Debug`, never logged, and sent only to the
//!   Hub's own host.
//!
//! # Example
//!
//! This example runs as a test against a local mock Hub (hidden lines set it up); against the
//! real Hub, build the client with [`HfClient::from_env`] instead.
//!
//! ```
//! use futures::TryStreamExt;
//! use hf_client::HfClient;
//! use hf_client::models::{ModelProperty, Sort};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> hf_client::Result<()> {
//! # use wiremock::{Mock, MockServer, ResponseTemplate, matchers::{method, path}};
//! # let hub = MockServer::start().await;
//! # let sha = "86b5e0934494bd15c9632b12f734a8a67f723594";
//! # let bert = serde_json::json!({"_id": "621ffdc036468d709f174338", "id": "google-bert/bert-base-uncased",
//! #     "sha": sha, "tags": ["transformers", "fill-mask", "license:apache-2.0"], "pipeline_tag": "fill-mask"});
//! # Mock::given(method("GET")).and(path("/api/models"))
//! #     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([bert]))).mount(&hub).await;
//! # Mock::given(method("GET")).and(path("/api/models/bert-base-uncased"))
//! #     .respond_with(ResponseTemplate::new(307).insert_header("location", "/api/models/google-bert/bert-base-uncased"))
//! #     .mount(&hub).await;
//! # Mock::given(method("GET")).and(path("/api/models/google-bert/bert-base-uncased"))
//! #     .respond_with(ResponseTemplate::new(200).set_body_json(&bert)).mount(&hub).await;
//! # Mock::given(method("GET")).and(path(format!("/api/resolve-cache/models/google-bert/bert-base-uncased/{sha}/README.md")))
//! #     .respond_with(ResponseTemplate::new(200).set_body_string("---\nlicense: apache-2.0\nlanguage: en\n---\n# BERT base model (uncased)\n"))
//! #     .mount(&hub).await;
//! # let endpoint = hub.uri();
//! let client = HfClient::builder().with_endpoint(endpoint).build()?;
//!
//! // The most recently updated models, with just the fields we need.
//! let models: Vec<_> = client
//!     .models()
//!     .list()
//!     .sort(Sort::LastModified)
//!     .expand([ModelProperty::Sha, ModelProperty::Tags, ModelProperty::PipelineTag])
//!     .limit(10)
//!     .stream()
//!     .try_collect()
//!     .await?;
//! assert_eq!(models[0].pipeline_tag.as_deref(), Some("fill-mask"));
//!
//! // One model, asked by its legacy id: the Hub redirects to the canonical one; both are kept.
//! let bert = client.models().info("bert-base-uncased").send().await?;
//! assert_eq!(bert.requested_id, "bert-base-uncased");
//! assert_eq!(bert.id, "google-bert/bert-base-uncased");
//!
//! // Its card, in one request since the commit is known; the front matter is parsed safely.
//! let sha = bert.info.sha.clone().unwrap_or_default();
//! let card = client.models().card(&bert.id).sha(sha).send().await?.expect("a README");
//! let license = card.card.card_data.and_then(|d| d.license).map(|l| l.into_vec());
//! assert_eq!(license, Some(vec!["apache-2.0".to_string()]));
//! assert_eq!(client.stats().total_requests(), 4);
//! # Ok(()) }
//! ```

pub mod arxiv;
pub mod card;
pub mod client;
pub mod config;
pub mod datasets;
pub mod error;
pub mod languages;
pub mod licenses;
pub mod models;
pub mod pagination;
pub mod papers;
pub mod rate_limit;
pub mod repo;
pub mod response;
pub mod retry;
pub mod tags;
pub mod tasks;
pub mod wire;

pub use client::{HfClient, HubRequest, RequestCounter, RequestStats};
pub use config::{ClientConfig, HfClientBuilder, Secret};
pub use error::{Error, HubErrorInfo, ResourceKind, Result};
pub use response::HubResponse;
pub use retry::RetryConfig;
