//! List models of the Hub with their card sizes: a first look at `hf-client`.
//!
//! ```text
//! cargo run -p hf-extractor-examples --bin list-models -- --offline        # bundled offline Hub
//! cargo run -p hf-extractor-examples --bin list-models -- --limit 20       # the real Hub (HF_ENDPOINT)
//! ```

use std::time::Instant;

use clap::Parser;
use futures::{StreamExt, TryStreamExt};
use hf_client::models::{ModelProperty, Sort};
use hf_client::{HfClient, HfClientBuilder};
use hf_offline_hub::OfflineHub;

/// List models of the Hub, most recently updated first, with their cards.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Serve the bundled snapshot on loopback and list from it (no network needed).
    #[arg(long)]
    offline: bool,
    /// How many models to list.
    #[arg(long, default_value_t = 20, env = "HF_NUM_MODELS")]
    limit: usize,
    /// Cards fetched at once.
    #[arg(long, default_value_t = 4, env = "HF_THREADS")]
    threads: usize,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    let offline = if args.offline {
        Some(OfflineHub::start().await?)
    } else {
        None
    };
    let mut builder = HfClientBuilder::from_env()?.with_max_in_flight(args.threads.max(1));
    if let Some(hub) = &offline {
        builder = builder.with_endpoint(hub.uri()).without_token();
        eprintln!("offline Hub serving the bundled snapshot at {}", hub.uri());
    }
    let client: HfClient = builder.build()?;

    let started = Instant::now();
    let models: Vec<_> = client
        .models()
        .list()
        .sort(Sort::LastModified)
        .expand([
            ModelProperty::Sha,
            ModelProperty::LastModified,
            ModelProperty::PipelineTag,
            ModelProperty::Tags,
        ])
        .limit(args.limit)
        .stream()
        .try_collect()
        .await?;

    let cards: Vec<_> = futures::stream::iter(models.iter())
        .map(|model| {
            let client = client.clone();
            async move {
                let mut request = client.models().card(&model.id);
                if let Some(sha) = &model.sha {
                    request = request.sha(sha);
                }
                request.send().await
            }
        })
        .buffered(args.threads.max(1))
        .collect()
        .await;

    println!(
        "{:<60} {:<28} {:>8} {:>6}",
        "model", "pipeline_tag", "card", "tags"
    );
    for (model, card) in models.iter().zip(&cards) {
        let card = match card {
            Ok(Some(card)) => format!("{} B", card.text.len()),
            Ok(None) => "none".to_owned(),
            Err(e) => format!("error: {e}"),
        };
        println!(
            "{:<60} {:<28} {:>8} {:>6}",
            model.id,
            model.pipeline_tag.as_deref().unwrap_or("-"),
            card,
            model.tags.len()
        );
    }
    let stats = client.stats();
    println!(
        "\n{} models, {} HTTP requests ({:.2} per model), {} retries, in {:.2?}",
        models.len(),
        stats.total_requests(),
        stats.total_requests() as f64 / models.len().max(1) as f64,
        stats.retries,
        started.elapsed()
    );
    Ok(())
}
