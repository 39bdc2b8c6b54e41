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
//! ```no_run
//! use futures::TryStreamExt;
//! use hf_client::HfClient;
//! use hf_client::models::{ModelProperty, Sort};
//!
//! # #[tokio::main] async fn main() -> hf_client::Result<()> {
//! // HF_ENDPOINT, HF_TOKEN (or the token file) are read here.
//! let client = HfClient::from_env()?;
//!
//! // The ten most recently updated models, with their commit and tags.
//! let models: Vec<_> = client
//!     .models()
//!     .list()
//!     .sort(Sort::LastModified)
//!     .expand([ModelProperty::Sha, ModelProperty::Tags, ModelProperty::PipelineTag])
//!     .limit(10)
//!     .stream()
//!     .try_collect()
//!     .await?;
//!
//! // One model, asked by a legacy id: the Hub redirects to the canonical one.
//! let bert = client.models().info("bert-base-uncased").send().await?;
//! assert_eq!(bert.id, "google-bert/bert-base-uncased");
//!
//! // Its card, in one request since the commit is known.
//! if let Some(card) = client.models().card(&bert.id).sha(bert.info.sha.clone().unwrap_or_default()).send().await? {
//!     println!("{} bytes of card", card.text.len());
//! }
//! # Ok(()) }
//! ```

pub mod arxiv;
pub mod card;
pub mod client;
pub mod config;
pub mod datasets;
pub mod error;
pub mod models;
pub mod pagination;
pub mod papers;
pub mod rate_limit;
pub mod response;
pub mod retry;
pub mod wire;

pub use client::{HfClient, HubRequest, RequestStats};
pub use config::{ClientConfig, HfClientBuilder, Secret};
pub use error::{Error, HubErrorInfo, ResourceKind, Result};
pub use response::HubResponse;
pub use retry::RetryConfig;
