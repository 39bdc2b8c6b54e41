//! End to end against the synthetic Hub: latest-N with cards and enrichment, wall time against
//! the ideal (requests × latency ÷ concurrency), and requests per model.
//!
//! ```text
//! cargo bench -p hf-extractor-benches --bench end_to_end
//! E2E_MODELS=1000 E2E_IN_FLIGHT=4,32 E2E_LATENCY_MS=20 cargo bench -p hf-extractor-benches --bench end_to_end
//! ```
//!
//! Not a criterion bench: one run of 10,000 models at 4 in flight takes a minute, so each
//! configuration runs `E2E_RUNS` times (default 1) and the best is reported.
//!
//! `E2E_SELECT=hf_raw_models_latest` (comma-separated asset names) runs a selection instead of
//! the whole pipeline.
//!
//! The mock's own answer time is measured too (`floor ms`): `in flight × 20` card requests sent
//! by a bare HTTP client (no parsing, nothing else running), as many at a time, to a Hub like
//! the run's; the mean is what a request costs on this machine whatever the client, and the
//! last column is the wall time against the ideal computed with it.

use std::time::{Duration, Instant};

use hf_extractor::config::ExtractorConfig;
use hf_extractor::pipeline::Silent;
use hf_extractor::{HfExtractor, MaterializeOptions};
use hf_offline_hub::{OfflineHub, Snapshot, SyntheticHub};

/// One configuration's figures.
struct Figures {
    wall: Duration,
    requests: usize,
    models: u64,
    stages: Vec<(String, u64, u64)>,
}

fn list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// A synthetic Hub of `models` models answering after `latency`.
async fn synthetic_hub(models: usize, latency: Duration) -> OfflineHub {
    OfflineHub::serve_synthetic(
        Snapshot::bundled().expect("the bundled snapshot"),
        SyntheticHub::new(models).latency(latency),
    )
    .await
    .expect("the synthetic Hub")
}

/// The mean answer time of the synthetic Hub for card requests sent `in_flight` at a time by a
/// bare client (its own Hub, so the run's request counts are untouched).
async fn floor(models: usize, in_flight: usize, latency: Duration) -> Duration {
    let hub = synthetic_hub(models, latency).await;
    let uri = hub.uri();
    let client = reqwest::Client::new();
    let samples = in_flight * 20;
    let listed: Vec<serde_json::Value> = client
        .get(format!("{uri}/api/models?limit={samples}&expand[]=sha"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the listing")
        .json()
        .await
        .expect("a listing");
    let urls: Vec<String> = listed
        .iter()
        .filter_map(|m| Some((m.get("id")?.as_str()?, m.get("sha")?.as_str()?)))
        .map(|(id, sha)| format!("{uri}/api/resolve-cache/models/{id}/{sha}/README.md"))
        .collect();
    let mut urls = urls.into_iter();
    let mut tasks = tokio::task::JoinSet::new();
    let mut total = Duration::ZERO;
    let mut answered = 0u32;
    loop {
        while tasks.len() < in_flight
            && let Some(url) = urls.next()
        {
            let client = client.clone();
            tasks.spawn(async move {
                let started = Instant::now();
                client.get(url).send().await?.bytes().await?;
                Ok::<_, reqwest::Error>(started.elapsed())
            });
        }
        match tasks.join_next().await {
            Some(joined) => {
                let took = joined.expect("a task").expect("a card");
                total += took;
                answered += 1;
            }
            None => break,
        }
    }
    total / answered.max(1)
}

async fn run(models: usize, in_flight: usize, latency: Duration) -> Figures {
    let hub = synthetic_hub(models, latency).await;
    let out = tempfile::tempdir().expect("a temporary folder");
    let uri = hub.uri();
    let out_dir = out.path().display().to_string();
    let config = ExtractorConfig::from_env_with(|variable| match variable {
        "HF_ENDPOINT" | "HF_ARXIV_ENDPOINT" => Some(uri.clone()),
        "HF_ARXIV_DELAY_MS" => Some("0".into()),
        "HF_NUM_MODELS" => Some(models.to_string()),
        "HF_THREADS" | "HF_ENRICHMENT_THREADS" => Some(in_flight.to_string()),
        "HF_OUTPUT_DIR" => Some(out_dir.clone()),
        "HF_MODELS_FILE_PATH" => Some("/nonexistent/hf_model_ids.txt".into()),
        _ => None,
    })
    .expect("a valid configuration");
    let extractor = HfExtractor::new(config).expect("an extractor");
    let started = Instant::now();
    let outcome = extractor
        .materialize(
            &MaterializeOptions {
                selection: std::env::var("E2E_SELECT")
                    .map(|s| hf_extractor::assets::select(&s).expect("E2E_SELECT: a selection"))
                    .unwrap_or_default(),
                ..MaterializeOptions::default()
            },
            &Silent,
        )
        .await
        .expect("a run");
    let wall = started.elapsed();
    let manifest = &outcome.manifest;
    Figures {
        wall,
        requests: hub.request_count(),
        models: manifest
            .assets
            .iter()
            .find(|a| a.name == "hf_raw_models")
            .map_or(0, |a| a.count),
        stages: manifest
            .assets
            .iter()
            .filter(|a| a.requests > 0 || a.duration_ms >= 10)
            .map(|a| (a.name.clone(), a.requests, a.duration_ms))
            .collect(),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood.
    let sizes = list("E2E_MODELS", &[1000, 10_000]);
    let in_flights = list("E2E_IN_FLIGHT", &[4, 32]);
    let latency = Duration::from_millis(list("E2E_LATENCY_MS", &[20])[0] as u64);
    let runs = list("E2E_RUNS", &[1])[0].max(1);
    let verbose = std::env::var_os("E2E_VERBOSE").is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{:>7} {:>9} {:>9} {:>10} {:>9} {:>7} {:>12} {:>9} {:>14}",
        "models",
        "in flight",
        "requests",
        "wall s",
        "ideal s",
        "ratio",
        "req/model",
        "floor ms",
        "ratio (floor)"
    );
    for &models in &sizes {
        for &in_flight in &in_flights {
            let mut best: Option<Figures> = None;
            for _ in 0..runs {
                let f = runtime.block_on(run(models, in_flight, latency));
                if best.as_ref().is_none_or(|b| f.wall < b.wall) {
                    best = Some(f);
                }
            }
            let Some(f) = best else { continue };
            let floor = runtime.block_on(floor(models, in_flight, latency));
            let ideal = latency.as_secs_f64() * f.requests as f64 / in_flight as f64;
            let ideal_at_floor = floor.as_secs_f64() * f.requests as f64 / in_flight as f64;
            println!(
                "{:>7} {:>9} {:>9} {:>10.2} {:>9.2} {:>7.2} {:>12.3} {:>9.1} {:>14.2}",
                f.models,
                in_flight,
                f.requests,
                f.wall.as_secs_f64(),
                ideal,
                f.wall.as_secs_f64() / ideal,
                f.requests as f64 / f.models.max(1) as f64,
                floor.as_secs_f64() * 1000.0,
                f.wall.as_secs_f64() / ideal_at_floor
            );
            if verbose {
                for (name, requests, ms) in &f.stages {
                    println!("          {name:<28} {requests:>7} requests {ms:>7} ms");
                }
            }
        }
    }
}
