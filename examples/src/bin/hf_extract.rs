//! `hf-extract`: materialise hf-extractor's assets into a run folder.
//!
//! ```text
//! hf-extract materialize --offline                       # the whole pipeline on the bundled offline Hub
//! hf-extract materialize --select 'hf_raw_models'        # one asset (and what it needs upstream)
//! hf-extract materialize --select 'hf_enriched_*' --from /data/raw/hf/<earlier run>
//! hf-extract materialize --since-run /data/raw/hf/<earlier run>   # only what changed since
//! hf-extract materialize --resume /data/raw/hf/<interrupted run>   # continue after a crash
//! hf-extract list-assets [--json]
//! hf-extract materialize --offline --started-at 2026-11-27T12:00:00Z --select 'hf_raw_models'
//! hf-extract materialize --offline --run-folder <run folder> --shard 0/2   # one shard's per-model stages
//! hf-extract merge-shards <run folder>
//! ```
//!
//! Launched by Dagster (`DAGSTER_PIPES_CONTEXT` set), `materialize` takes its selection from the
//! context's asset keys, its shard from the partition key (`03-of-16`) or `extras["shard"]`,
//! its run folder from `extras["run_folder"]`, reports each asset through Pipes as soon as its
//! file is written and forwards its logs; see `dagster/README.md`.
//!
//! Every flag mirrors an environment variable (`--num-models` ↔ `HF_NUM_MODELS`, …); a flag wins
//! over its variable. Exit status: 0 when the run completes (entity failures are listed in the
//! summary and in `run.json`), 1 on a fatal error, 2 with `--strict` when anything failed.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use hf_extractor::assets::{graph, select};
use hf_extractor::config::ExtractorConfig;
use hf_extractor::manifest::AssetReport;
use hf_extractor::pipes::{MetadataValue, Pipes, PipesLogLayer, PipesObserver, PipesSelection};
use hf_extractor::shard::{Shard, ShardRun};
use hf_extractor::{HfExtractor, MaterializeOptions, RunObserver};
use hf_extractor_examples::offline_hub::OfflineHub;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Extract Hugging Face model metadata and everything it points to into a run folder.
#[derive(Debug, Parser)]
#[command(name = "hf-extract", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Materialise a selection of assets (default: all) into a new run folder.
    Materialize(Box<Materialize>),
    /// List the assets, their dependencies and files.
    ListAssets {
        /// As JSON: `[{"name", "deps", "file", "sharded"}]` (what `dagster/definitions.py` reads).
        #[arg(long)]
        json: bool,
    },
    /// Merge the shards of a run folder (`shards/KK-of-NN/`) into its own files.
    MergeShards(MergeShards),
}

#[derive(Debug, Args)]
struct MergeShards {
    /// The run folder whose shards to merge (under Dagster: `extras["run_folder"]` if not given).
    #[arg(value_name = "RUN_FOLDER")]
    run_folder: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
struct Materialize {
    /// Assets to materialise: names, `+name` / `*name` (upstream), `name+` / `name*`
    /// (downstream), globs (`hf_enriched_*`), comma-separated. Default: all.
    #[arg(long)]
    select: Option<String>,
    /// Load upstream assets from this earlier run folder instead of recomputing them.
    #[arg(long, value_name = "RUN_FOLDER")]
    from: Option<std::path::PathBuf>,
    /// Continue this interrupted run folder from its checkpoint (same settings as the run).
    #[arg(long, value_name = "RUN_FOLDER", conflicts_with_all = ["select", "from", "shard", "run_folder"])]
    resume: Option<std::path::PathBuf>,
    /// Serve the bundled offline Hub on loopback and extract from it (no network needed).
    /// `--resume` of a run made with it serves it again by itself.
    #[arg(long)]
    offline: bool,
    /// Exit with status 2 when any model or entity failed.
    #[arg(long)]
    strict: bool,
    /// No progress bars (they are also off when stderr is not a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Compute shard K of N (`K/N` or `KK-of-NN`) of the per-model stages of `--run-folder`.
    #[arg(long, env = "HF_SHARD")]
    shard: Option<String>,
    /// The run folder (made by the listing) a shard continues.
    #[arg(long, value_name = "RUN_FOLDER")]
    run_folder: Option<std::path::PathBuf>,
    /// The run's start (RFC 3339), stamped on every record: two runs with the same start over
    /// the same Hub write the same bytes. Default: now (a shard: its run folder's).
    #[arg(long, env = "HF_RUN_STARTED_AT")]
    started_at: Option<String>,
    #[command(flatten)]
    env: EnvFlags,
}

/// Flags mirroring the environment variables; a flag wins over its variable.
#[derive(Debug, Args)]
struct EnvFlags {
    /// HF_NUM_MODELS: models of the latest-N listing [default: 50].
    #[arg(long)]
    num_models: Option<String>,
    /// HF_UPDATE_RECENT: newest by last update (true) or by creation (false) [default: true].
    #[arg(long)]
    update_recent: Option<String>,
    /// HF_THREADS: cards fetched at once [default: 4].
    #[arg(long)]
    threads: Option<String>,
    /// HF_MODELS_FILE_PATH: model ids to extract too [default: /data/refs/hf_model_ids.txt].
    #[arg(long)]
    models_file: Option<String>,
    /// HF_ENRICHMENT_THREADS: related entities fetched at once [default: 4].
    #[arg(long)]
    enrichment_threads: Option<String>,
    /// HF_BASE_MODEL_ITERATIONS: generations of base models to follow [default: 1].
    #[arg(long)]
    base_model_iterations: Option<String>,
    /// HF_OUTPUT_DIR: where run folders are created [default: /data/raw/hf].
    #[arg(long)]
    output_dir: Option<String>,
    /// HF_FILTER_LOW_INFO: drop models with too little information [default: false].
    #[arg(long)]
    filter_low_info: Option<String>,
    /// HF_ENDPOINT: the Hub [default: <https://huggingface.co>].
    #[arg(long)]
    endpoint: Option<String>,
    /// HF_ARXIV_ENDPOINT: the arXiv export API [default: <https://export.arxiv.org>].
    #[arg(long)]
    arxiv_endpoint: Option<String>,
    /// HF_ARXIV_DELAY_MS: spacing of arXiv requests [default: 3000].
    #[arg(long)]
    arxiv_delay_ms: Option<String>,
    /// HF_SPDX_LICENSES_URL: refresh the SPDX list from this licenses.json.
    #[arg(long)]
    spdx_licenses_url: Option<String>,
    /// HF_SINCE: only models last modified since this RFC 3339 time (newest first, no --num-models cut).
    #[arg(long)]
    since: Option<String>,
    /// HF_SINCE_RUN: only models changed since this earlier run folder's watermark; reuse its cards.
    #[arg(long, value_name = "RUN_FOLDER")]
    since_run: Option<String>,
}

impl EnvFlags {
    fn get(&self, variable: &str) -> Option<String> {
        match variable {
            "HF_NUM_MODELS" => self.num_models.clone(),
            "HF_UPDATE_RECENT" => self.update_recent.clone(),
            "HF_THREADS" => self.threads.clone(),
            "HF_MODELS_FILE_PATH" => self.models_file.clone(),
            "HF_ENRICHMENT_THREADS" => self.enrichment_threads.clone(),
            "HF_BASE_MODEL_ITERATIONS" => self.base_model_iterations.clone(),
            "HF_OUTPUT_DIR" => self.output_dir.clone(),
            "HF_FILTER_LOW_INFO" => self.filter_low_info.clone(),
            "HF_ENDPOINT" => self.endpoint.clone(),
            "HF_ARXIV_ENDPOINT" => self.arxiv_endpoint.clone(),
            "HF_ARXIV_DELAY_MS" => self.arxiv_delay_ms.clone(),
            "HF_SPDX_LICENSES_URL" => self.spdx_licenses_url.clone(),
            "HF_SINCE" => self.since.clone(),
            "HF_SINCE_RUN" => self.since_run.clone(),
            _ => None,
        }
    }
}

/// What `run.json` and the journal say served a run made with `--offline`
/// ([`MaterializeOptions::served_by`]): `--resume` of it serves the bundled Hub again.
const OFFLINE_HUB: &str = "offline-hub";

/// How many failures the summary lists (run.json has them all).
const MAX_FAILURES_SHOWN: usize = 20;

/// Progress bars per asset, drawn on stderr; log lines are printed above them.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
}

impl Bars {
    fn new(enabled: bool) -> Self {
        let multi = MultiProgress::new();
        if !enabled {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        Self {
            multi,
            bars: Mutex::new(Vec::new()),
        }
    }

    fn bar(&self, name: &str) -> Option<ProgressBar> {
        let bars = self.bars.lock().ok()?;
        bars.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone())
    }
}

impl RunObserver for Bars {
    fn asset_started(&self, name: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:<28} {pos:>7}/{len:7} {per_sec:>10} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(name.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut bars) = self.bars.lock() {
            bars.push((name.to_owned(), bar));
        }
    }

    fn progress(&self, name: &str, done: u64, total: Option<u64>) {
        if let Some(bar) = self.bar(name) {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    fn asset_done(&self, report: &AssetReport, _path: Option<&std::path::Path>) {
        let bar = self.bar(&report.name).unwrap_or_else(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_prefix(report.name.clone());
            bar
        });
        bar.set_style(
            ProgressStyle::with_template("✔ {prefix:<28} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let how = if report.loaded_from.is_some() {
            " (loaded)"
        } else {
            ""
        };
        bar.finish_with_message(format!(
            "{} records, {} failures, {} requests{how}",
            report.count, report.failures, report.requests
        ));
    }
}

/// Log lines go above the progress bars instead of through them.
#[derive(Clone)]
struct LogWriter(MultiProgress);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ListAssets { json: true } => {
            match serde_json::to_string_pretty(&hf_extractor::shard::graph_json()) {
                Ok(text) => println!("{text}"),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Command::MergeShards(args) => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            let pipes = match Pipes::from_env() {
                Ok(pipes) => pipes,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match tokio::runtime::Runtime::new()
                .map_err(|e| e.to_string())
                .and_then(|rt| {
                    rt.block_on(merge_shards(args, pipes.as_ref()))
                        .map_err(|e| e.to_string())
                }) {
                Ok(()) => {
                    if let Some(pipes) = &pipes {
                        pipes.close();
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    if let Some(pipes) = &pipes {
                        pipes.close_with_exception("HfExtractError", &e);
                    }
                    ExitCode::FAILURE
                }
            }
        }
        Command::ListAssets { json: false } => {
            println!("{:<28} {:<34} depends on", "asset", "file");
            for asset in graph() {
                println!(
                    "{:<28} {:<34} {}",
                    asset.name,
                    asset.file.as_deref().unwrap_or("-"),
                    asset.deps.join(", ")
                );
            }
            ExitCode::SUCCESS
        }
        Command::Materialize(args) => {
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            runtime.block_on(materialize(*args))
        }
    }
}

async fn materialize(mut args: Materialize) -> ExitCode {
    // Launched by Dagster but with a context we cannot use: fail loudly, before anything else.
    let pipes = match Pipes::from_env() {
        Ok(pipes) => pipes.map(Arc::new),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bars = Bars::new(!args.no_progress && pipes.is_none());
    let writer = LogWriter(bars.multi.clone());
    let env_filter =
        || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let pipes_logs = pipes
        .clone()
        .map(|p| PipesLogLayer::new(p, tracing::Level::INFO).with_filter(env_filter()));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(env_filter()),
        )
        .with(pipes_logs)
        .init();

    let result = match &pipes {
        None => run(&args, &bars, &bars).await,
        Some(pipes) => match dagster_launch(pipes, &mut args) {
            Err(e) => Err(e),
            Ok(selection) => {
                let observer = PipesObserver::new(pipes.clone(), selection);
                tokio::select! {
                    result = run(&args, &observer, &bars) => result,
                    _ = tokio::signal::ctrl_c() => {
                        pipes.close_with_exception(
                            "Interrupted",
                            "hf-extract interrupted (SIGINT): the run stopped before its end",
                        );
                        eprintln!("error: interrupted");
                        return ExitCode::from(130);
                    }
                }
            }
        },
    };
    match result {
        Ok(code) => {
            if let Some(pipes) = &pipes {
                if code == ExitCode::SUCCESS {
                    pipes.close();
                } else {
                    // --strict: the run is complete but something failed; Dagster fails the step.
                    pipes.close_with_exception(
                        "HfExtractStrict",
                        "--strict: models or entities failed (run.json lists them)",
                    );
                }
            }
            code
        }
        Err(e) => {
            tracing::error!("{e}");
            let _ = bars.multi.clear();
            eprintln!("error: {e}");
            if let Some(hf_extractor::Error::Unreachable { folder, .. }) =
                e.downcast_ref::<hf_extractor::Error>()
            {
                eprintln!(
                    "Resume the run once the Hub answers (with the same settings; --endpoint if it moved):\n  hf-extract materialize --resume {}",
                    folder.display()
                );
            }
            if let Some(pipes) = &pipes {
                pipes.close_with_exception("HfExtractError", &e.to_string());
            }
            ExitCode::FAILURE
        }
    }
}

/// Under Dagster: the selection from the context's asset keys, the shard from the partition key
/// (or `extras["shard"]`), the run folder from `extras["run_folder"]`.
fn dagster_launch(
    pipes: &Pipes,
    args: &mut Materialize,
) -> Result<PipesSelection, Box<dyn std::error::Error>> {
    let context = pipes.context();
    let selection = PipesSelection::from_context(context)?
        .ok_or("the Dagster context names no asset keys: run hf-extract from an asset")?;
    args.select = Some(selection.names().join(","));
    let extra = |name: &str| {
        context
            .extras
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    if let Some(folder) = extra("run_folder") {
        args.run_folder = Some(folder.into());
    }
    if let Some(shard) = extra("shard").or_else(|| context.partition_key.clone()) {
        args.shard = Some(shard);
    }
    Ok(selection)
}

/// Merge the shards; under Dagster, report the context's asset (the merge) with the run folder,
/// the merged assets' count, requests and failures, and a data version over their checksums.
async fn merge_shards(
    args: MergeShards,
    pipes: Option<&Pipes>,
) -> Result<(), Box<dyn std::error::Error>> {
    let from_extras = pipes
        .and_then(|p| p.context().extras.get("run_folder"))
        .and_then(|v| v.as_str())
        .map(std::path::PathBuf::from);
    let run_folder = args
        .run_folder
        .or(from_extras)
        .ok_or("merge-shards needs the run folder")?;
    let parent = run_folder
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| ".".into());
    let config = ExtractorConfig::from_env_with(|variable| match variable {
        "HF_OUTPUT_DIR" => Some(parent.clone()),
        // Merging reads files only: no token is needed.
        "HF_TOKEN" | "HF_TOKEN_PATH" | "HF_HOME" | "HOME" => None,
        _ => std::env::var(variable).ok(),
    })?;
    let outcome = HfExtractor::new(config)?.merge_shards(&run_folder).await?;
    if let Some(pipes) = pipes {
        let manifest = &outcome.manifest;
        let merged: Vec<_> = manifest
            .assets
            .iter()
            .filter(|a| hf_extractor::shard::is_sharded(&a.name))
            .collect();
        let checksums: String = merged
            .iter()
            .filter_map(|a| a.sha256.as_deref())
            .collect::<Vec<_>>()
            .join("\n");
        let int = |n: usize| MetadataValue::Int(i64::try_from(n).unwrap_or(i64::MAX));
        let folder = outcome.folder.path().display().to_string();
        let metadata = [
            ("count", int(merged.len())),
            ("failures", int(manifest.failures.len())),
            ("requests", int(manifest.http.requests as usize)),
            (
                "path",
                MetadataValue::Path(outcome.folder.path().join("run.json").display().to_string()),
            ),
            ("run_folder", MetadataValue::Path(folder)),
        ];
        let version = hf_extractor::shard::sha256_hex(checksums.as_bytes());
        for key in pipes.context().asset_keys.iter().flatten() {
            pipes.report_asset_materialization(key, &metadata, Some(&version))?;
        }
    }
    println!("run folder: {}", outcome.folder.path().display());
    for asset in &outcome.manifest.assets {
        println!(
            "{:<28} {:>8} {:>9} {:>9}",
            asset.name, asset.count, asset.failures, asset.requests
        );
    }
    Ok(())
}

async fn run(
    args: &Materialize,
    observer: &dyn RunObserver,
    bars: &Bars,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // Everything is validated before the first request.
    let selection = match &args.select {
        Some(s) => select(s)?,
        None => Vec::new(),
    };
    let shard = match (&args.shard, &args.run_folder) {
        (Some(shard), Some(folder)) => Some(ShardRun::new(folder, shard.parse::<Shard>()?)),
        (Some(_), None) => {
            return Err("--shard needs --run-folder (the listing's run folder)".into());
        }
        (None, Some(_)) => {
            return Err("--run-folder needs --shard (use --shard 0/1 for all models)".into());
        }
        (None, None) => None,
    };
    let started_at = args
        .started_at
        .as_deref()
        .map(|s| {
            s.parse::<jiff::Timestamp>()
                .map_err(|e| format!("--started-at / HF_RUN_STARTED_AT {s:?}: {e}"))
        })
        .transpose()?;
    // A run made with --offline is resumed on the bundled Hub again, on its new port.
    let resumed_offline = match &args.resume {
        Some(folder) => {
            hf_extractor::checkpoint::RunStart::read(folder)?
                .served_by
                .as_deref()
                == Some(OFFLINE_HUB)
        }
        None => false,
    };
    if resumed_offline && !args.offline {
        tracing::info!("the run was made with --offline: serving the bundled Hub again");
    }
    let offline = if args.offline || resumed_offline {
        let hub = OfflineHub::start().await?;
        tracing::info!(endpoint = %hub.uri(), "offline Hub serving the bundled snapshot");
        Some(hub)
    } else {
        None
    };
    let offline_uri = offline.as_ref().map(OfflineHub::uri);
    let config = ExtractorConfig::from_env_with(|variable| {
        if let Some(uri) = &offline_uri {
            match variable {
                "HF_ENDPOINT" | "HF_ARXIV_ENDPOINT" => return Some(uri.clone()),
                "HF_ARXIV_DELAY_MS" => return Some("0".into()),
                // The bundled Hub is not the real one: never send a real token to it.
                "HF_TOKEN" | "HF_TOKEN_PATH" | "HF_HOME" | "HOME" => return None,
                "HF_OUTPUT_DIR" if args.env.output_dir.is_none() => {
                    return std::env::var(variable).ok().or_else(|| Some("out".into()));
                }
                "HF_MODELS_FILE_PATH" if args.env.models_file.is_none() => {
                    return Some(
                        hf_extractor_examples::offline_hub::snapshot_dir()
                            .join("model_ids.txt")
                            .display()
                            .to_string(),
                    );
                }
                _ => {}
            }
        }
        args.env
            .get(variable)
            .or_else(|| std::env::var(variable).ok())
    })?;
    let extractor = HfExtractor::new(config)?;
    let options = MaterializeOptions {
        selection,
        from: args.from.clone(),
        shard,
        started_at,
        served_by: offline.is_some().then(|| OFFLINE_HUB.to_owned()),
    };
    let outcome = match &args.resume {
        Some(folder) => extractor.resume(folder, observer).await?,
        None => extractor.materialize(&options, observer).await?,
    };
    let _ = bars.multi.clear();

    let manifest = &outcome.manifest;
    println!("run folder: {}", outcome.folder.path().display());
    println!(
        "{:<28} {:>8} {:>9} {:>9} {:>8}  file",
        "asset", "records", "failures", "requests", "ms"
    );
    for asset in &manifest.assets {
        println!(
            "{:<28} {:>8} {:>9} {:>9} {:>8}  {}{}",
            asset.name,
            asset.count,
            asset.failures,
            asset.requests,
            asset.duration_ms,
            asset.file.as_deref().unwrap_or("-"),
            if asset.loaded_from.is_some() {
                " (loaded)"
            } else {
                ""
            }
        );
    }
    let http = &manifest.http;
    println!(
        "HTTP: {} requests ({:.3} per model), {} retries, {} answered 429, {} rate-limit pauses",
        http.requests,
        http.requests_per_model,
        http.retries,
        http.rate_limited,
        http.rate_limit_pauses
    );
    if let Some(inc) = &manifest.incremental {
        println!(
            "incremental since {}: {} cards reused (requests saved), {} answered 304",
            inc.since, inc.cards_reused, inc.cards_not_modified
        );
    }
    if let Some(resumed) = &manifest.resumed {
        println!(
            "resumed: {} pages, {} models, {} failed ids and {} assets taken over",
            resumed.pages,
            resumed.models,
            resumed.failures,
            resumed.assets.len()
        );
    }
    if !manifest.failures.is_empty() {
        println!("{} failures (all in run.json):", manifest.failures.len());
        for f in manifest.failures.iter().take(MAX_FAILURES_SHOWN) {
            let line = f.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            println!("  {}: {}{line}: {}", f.asset, f.id, f.error);
        }
        if manifest.failures.len() > MAX_FAILURES_SHOWN {
            println!(
                "  … and {} more",
                manifest.failures.len() - MAX_FAILURES_SHOWN
            );
        }
    }
    Ok(if args.strict && !manifest.failures.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
