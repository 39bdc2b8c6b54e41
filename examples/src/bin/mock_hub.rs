//! `mock-hub`: a synthetic Hub on loopback for benchmarks and scripts.
//!
//! ```text
//! mock-hub --models 10000 --card-bytes 4096 --latency-ms 20
//! mock-hub --models 3000 --quota 100 --window-s 2 --port 8765
//! mock-hub --models 100000 --repetitive
//! ```
//!
//! Serves the bundled offline Hub plus `--models` models generated on the fly
//! (`syn/<family>-<n>`, newest first), each with its own keywords, datasets, papers, parents,
//! license and languages drawn from large vocabularies (`--repetitive`: the snapshot's five
//! families of fillers over and over, which share a handful of lists): the listing with `Link` pagination, `expand[]` and
//! `full=true`, model info, cards through `/resolve/` and `/api/resolve-cache/` (GET and HEAD,
//! with `ETag`, `X-Linked-Etag` and `X-Repo-Commit`), datasets, Croissant, arXiv and paper pages.
//! Every answer waits `--latency-ms` first and carries the `RateLimit` headers.
//!
//! Prints its base URL on the first line of stdout (use it as `HF_ENDPOINT` and as the arXiv
//! endpoint), then serves until killed. `GET /_mock/requests` answers the requests counted so
//! far, by method and route, as JSON.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use hf_offline_hub::{OfflineHub, Snapshot, SyntheticHub, Variety};

/// Serve a synthetic Hub on loopback until killed.
#[derive(Debug, Parser)]
#[command(name = "mock-hub", version)]
struct Cli {
    /// Synthetic models to serve (generated on the fly, not stored).
    #[arg(long, default_value_t = 1000)]
    models: usize,
    /// Length of every model card in bytes.
    #[arg(long, default_value_t = SyntheticHub::DEFAULT_CARD_BYTES)]
    card_bytes: usize,
    /// Milliseconds waited before every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Enforce this many requests per window and bucket (429 beyond it).
    #[arg(long)]
    quota: Option<usize>,
    /// The quota's window in seconds.
    #[arg(long, default_value_t = 300, requires = "quota")]
    window_s: u64,
    /// Models that repeat five families' lists instead of each drawing its own.
    #[arg(long)]
    repetitive: bool,
    /// Port on 127.0.0.1 (default: a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match serve(&cli).await {
        Ok(hub) => {
            println!("{}", hub.uri());
            let _ = std::io::stdout().flush();
            // Serve until the process is killed.
            std::future::pending::<()>().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: &Cli) -> std::io::Result<OfflineHub> {
    let variety = if cli.repetitive {
        Variety::Repetitive
    } else {
        Variety::Varied
    };
    let mut synthetic = SyntheticHub::new(cli.models)
        .variety(variety)
        .card_bytes(cli.card_bytes)
        .latency(Duration::from_millis(cli.latency_ms));
    if let Some(quota) = cli.quota {
        synthetic = synthetic.quota(quota, Duration::from_secs(cli.window_s.max(1)));
    }
    let listener = std::net::TcpListener::bind(("127.0.0.1", cli.port))
        .map_err(|e| std::io::Error::new(e.kind(), format!("127.0.0.1:{}: {e}", cli.port)))?;
    OfflineHub::serve_synthetic_on(listener, Snapshot::bundled()?, synthetic).await
}
