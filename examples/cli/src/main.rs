//! `hf-extract`: materialise hf-extractor's assets into a run folder.
//!
//! ```text
//! hf-extract materialize --offline                       # the whole pipeline on the bundled offline Hub
//! hf-extract materialize --select 'hf_raw_models'        # one asset (and what it needs upstream)
//! hf-extract materialize --select 'hf_enriched_*' --from /data/raw/hf/<earlier run>
//! hf-extract materialize --since-run /data/raw/hf/<earlier run>   # only what changed since
//! hf-extract materialize --resume /data/raw/hf/<interrupted run>   # continue after a crash
//! hf-extract materialize --resume out/<interrupted --offline run>  # serves the bundled Hub again
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
//! summary and in `run.json`), 1 on a fatal error, 2 with `--strict` when anything failed. A Hub
//! that refuses every connection from the run's first request on is a fatal error within
//! seconds, naming `HF_ENDPOINT` and the command that resumes the run.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use hf_extractor::assets::{Asset, graph, select};
use hf_extractor::config::ExtractorConfig;
use hf_extractor::manifest::AssetReport;
use hf_extractor::pipes::{MetadataValue, Pipes, PipesLogLayer, PipesObserver, PipesSelection};
use hf_extractor::shard::{Shard, ShardRun};
use hf_extractor::{HfExtractor, MaterializeOptions, RunObserver};
use hf_offline_hub::OfflineHub;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The process's allocator. glibc's gives each thread that allocates an arena of its own, and a
/// run's threads (the async workers, the CPU pool, the blocking threads writing files) each
/// keep the peak of theirs: mimalloc shares and returns freed pages, for a lower peak memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        /// As JSON: `[{"name", "deps", "file", "sharded", "group", "tags"}]` (what `dagster/definitions.py` reads).
        #[arg(long)]
        json: bool,
    },
    /// Merge the shards of a run folder (`shards/KK-of-NN/`) into its own files.
    MergeShards(MergeShards),
    /// Print a run folder's journal (`checkpoint.jsonl.zst`, each line compressed alone) as JSON
    /// Lines, one event per line; with `--follow`, go on printing what a run still going appends.
    Journal {
        /// The run folder.
        #[arg(value_name = "RUN_FOLDER")]
        run_folder: std::path::PathBuf,
        /// Keep printing lines as the run appends them (stop with Ctrl-C).
        #[arg(long)]
        follow: bool,
    },
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
    /// How the files of records are written: `json` (arrays, what the downstream's contract
    /// reads) or `jsonl` (JSON Lines, `hf_models.jsonl`, …: one record per line, for tools that
    /// read big files line by line). A resumed run keeps the format it started with.
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "json",
        conflicts_with = "resume"
    )]
    format: hf_extractor::OutputFormat,
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
    /// HF_CPU_THREADS: threads of the run's CPU work (identifying, rendering, writing) [default: the cores].
    #[arg(long)]
    cpu_threads: Option<String>,
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
            "HF_CPU_THREADS" => self.cpu_threads.clone(),
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

/// The bundled demo's model-id file (`--offline` without `--models-file`), written to a folder
/// of its own under the temporary directory for `HF_MODELS_FILE_PATH` to name: the run reads a
/// file, and an installed binary has no checkout beside it. Removed when dropped.
struct DemoModelIds {
    dir: std::path::PathBuf,
}

impl DemoModelIds {
    fn write() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("hf-extract-offline-{}-{nanos:08x}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir(&dir)?;
        let ids = Self { dir };
        std::fs::write(ids.path(), hf_offline_hub::bundled_model_ids())?;
        Ok(ids)
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.join("model_ids.txt")
    }
}

impl Drop for DemoModelIds {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How many failures the summary lists (run.json has them all).
const MAX_FAILURES_SHOWN: usize = 20;

/// Progress bars per asset, drawn on stderr; log lines are printed above them.
///
/// One line per asset, within 80 columns: a spinner, the asset (as wide as the widest name),
/// done / total, a whole rate (`112/s`) and what is left (`eta 1m05s`) once there
/// is a total and a rate; then `✔ asset  N records, …` when it is done.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
    /// Before a total is known: what is done and the rate.
    counting: ProgressStyle,
    /// With a total: done / total, the rate and the time left.
    measured: ProgressStyle,
    done: ProgressStyle,
}

/// The widest asset name of the graph (`hf_identified_modelcard_chunks`): the first column of
/// the bars and of the tables, so that every name lines up.
fn asset_width() -> usize {
    graph().iter().map(|a| a.name().len()).max().unwrap_or(0)
}

impl Bars {
    fn new(enabled: bool) -> Self {
        let multi = MultiProgress::new();
        if !enabled {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let style = |template: &str| {
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&whole_rate(s.per_sec()));
                })
                .with_key("left", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&time_left(s.pos(), s.len(), s.eta()));
                })
        };
        Self {
            multi,
            bars: Mutex::new(Vec::new()),
            counting: style(&format!(
                "{{spinner}} {{prefix:<{w}}} {{pos:>7}}         {{rate:>7}}",
                w = asset_width()
            )),
            measured: style(&format!(
                "{{spinner}} {{prefix:<{w}}} {{pos:>7}}/{{len:<7}} {{rate:>7}} {{left}}",
                w = asset_width()
            )),
            done: style(&format!("✔ {{prefix:<{w}}} {{msg}}", w = asset_width())),
        }
    }

    fn bar(&self, name: &str) -> Option<ProgressBar> {
        let bars = self.bars.lock().ok()?;
        bars.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone())
    }
}

/// A rate as a person reads it, cut to what is whole: `112/s` (for 112.53…), `0.4/s` below
/// one a second, nothing before any.
fn whole_rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        String::new()
    } else if per_sec < 1.0 {
        format!("{:.1}/s", (per_sec * 10.0).floor() / 10.0)
    } else {
        format!("{:.0}/s", per_sec.floor())
    }
}

/// `eta 7.0s`, `eta 1m05s`, `eta 2h03m`; nothing until something is done towards a total.
fn time_left(pos: u64, len: Option<u64>, eta: Duration) -> String {
    match len {
        Some(len) if pos > 0 && pos < len => format!("eta {}", short_duration(eta)),
        _ => String::new(),
    }
}

/// A duration as a person reads it: `0.4s`, `12s`, `1m05s`, `2h03m`.
fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..10 => format!("{:.1}s", d.as_secs_f64()),
        10..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

impl RunObserver for Bars {
    fn asset_started(&self, asset: Asset) {
        let name = asset.name();
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(self.counting.clone());
        bar.set_prefix(name.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut bars) = self.bars.lock() {
            bars.push((name.to_owned(), bar));
        }
    }

    fn progress(&self, asset: Asset, done: u64, total: Option<u64>) {
        if let Some(bar) = self.bar(asset.name()) {
            if let Some(total) = total {
                if bar.length() != Some(total) {
                    bar.set_style(self.measured.clone());
                }
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    fn asset_done(&self, asset: Asset, report: &AssetReport, _path: Option<&std::path::Path>) {
        let bar = self.bar(asset.name()).unwrap_or_else(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_prefix(report.name.clone());
            bar
        });
        bar.set_style(self.done.clone());
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

/// What a person at a terminal is not shown as log lines, because it is said elsewhere: each
/// entity that could not be fetched (the warnings of `hf_enrich` naming one: the summary lists
/// the failures, `run.json` has them all), and each asset materialised while its bar says so.
/// `RUST_LOG` shows them again.
fn said_elsewhere(meta: &tracing::Metadata<'_>, bars: bool) -> bool {
    const ENTITY_FIELDS: [&str; 5] = ["dataset", "article", "parent", "model", "id"];
    let failed_entity = *meta.level() == tracing::Level::WARN
        && meta.target().starts_with("hf_enrich")
        && ENTITY_FIELDS
            .iter()
            .any(|f| meta.fields().field(f).is_some());
    let materialised = bars && meta.target() == "hf_extractor::reports_in_order";
    failed_entity || materialised
}

/// Log lines as a person reads them: the time of day (UTC), the level unless it is INFO, the
/// message and its fields — `20:13:02 run started folder=… assets=24`,
/// `20:13:05 WARN model-id file: line skipped …`.
struct ForAPerson;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for ForAPerson
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(w, "{} ", jiff::Timestamp::now().strftime("%H:%M:%S"))?;
        let level = *event.metadata().level();
        if level != tracing::Level::INFO {
            write!(w, "{level} ")?;
        }
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// `text` cut to `width` characters (its end marked `…`), when the width is known.
fn fit(text: &str, width: Option<usize>) -> std::borrow::Cow<'_, str> {
    match width {
        Some(width) if text.chars().count() > width => {
            let kept: String = text.chars().take(width.saturating_sub(1)).collect();
            format!("{kept}…").into()
        }
        _ => text.into(),
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
        Command::Journal { run_folder, follow } => print_journal(&run_folder, follow),
        Command::ListAssets { json: false } => {
            let w = asset_width();
            println!("{:<w$} {:<34} depends on", "asset", "file");
            for asset in graph() {
                println!(
                    "{:<w$} {:<34} {}",
                    asset.name(),
                    asset.file().unwrap_or("-"),
                    asset
                        .deps()
                        .into_iter()
                        .map(|d| d.name())
                        .collect::<Vec<_>>()
                        .join(", ")
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

/// `hf-extract journal`: the journal's lines on stdout.
fn print_journal(folder: &std::path::Path, follow: bool) -> ExitCode {
    use hf_extractor::checkpoint::JournalText;
    use std::io::Write;
    let journal = if follow {
        Ok(JournalText::new(folder))
    } else {
        JournalText::open(folder)
    };
    let mut journal = match journal {
        Ok(journal) => journal,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut closed = false;
    loop {
        let printed = journal.each_new_line(|line| {
            closed = closed || stdout.write_all(line.as_bytes()).is_err();
        });
        // A closed pipe (`| head`) ends the command quietly.
        if closed || stdout.flush().is_err() {
            return ExitCode::SUCCESS;
        }
        if let Err(e) = printed {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        if !follow {
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
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
    let with_bars = !args.no_progress && pipes.is_none();
    let bars = Bars::new(with_bars);
    let writer = LogWriter(bars.multi.clone());
    let env_filter =
        || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let pipes_logs = pipes
        .clone()
        .map(|p| PipesLogLayer::new(p, tracing::Level::INFO).with_filter(env_filter()));
    let terminal = std::io::stderr().is_terminal();
    // A person at a terminal who did not choose what to log gets short lines and not what is
    // said elsewhere (see `said_elsewhere`); RUST_LOG, a pipe or Dagster get everything.
    let for_a_person = terminal && std::env::var_os("RUST_LOG").is_none() && pipes.is_none();
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(move || writer.clone())
        .with_ansi(terminal);
    let lines = if for_a_person {
        lines.event_format(ForAPerson).boxed()
    } else {
        lines.boxed()
    };
    tracing_subscriber::registry()
        .with(
            lines
                .with_filter(env_filter())
                .with_filter(tracing_subscriber::filter::filter_fn(move |meta| {
                    !(for_a_person && said_elsewhere(meta, with_bars))
                })),
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
            if !for_a_person {
                tracing::error!("{e}");
            }
            let _ = bars.multi.clear();
            eprintln!("error: {e}");
            if let Some(hf_extractor::Error::Unreachable { folder, .. }) =
                e.downcast_ref::<hf_extractor::Error>()
            {
                eprintln!(
                    "Resume it once the Hub answers (same settings; --endpoint if it moved):\n  hf-extract materialize --resume {}",
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
            .filter(|a| a.name.parse().is_ok_and(hf_extractor::shard::is_sharded))
            .collect();
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
        let version = hf_extractor::shard::merged_data_version(&manifest.assets);
        for key in pipes.context().asset_keys.iter().flatten() {
            pipes.report_asset_materialization(key, &metadata, Some(&version))?;
        }
    }
    println!("run folder: {}", outcome.folder.path().display());
    let w = asset_width();
    for asset in &outcome.manifest.assets {
        println!(
            "{:<w$} {:>8} {:>9} {:>9}",
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
        tracing::info!(endpoint = %hub.uri(), "serving the bundled offline Hub");
        Some(hub)
    } else {
        None
    };
    let offline_uri = offline.as_ref().map(OfflineHub::uri);
    let demo_ids = match (&offline, &args.env.models_file) {
        (Some(_), None) => Some(DemoModelIds::write()?),
        _ => None,
    };
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
                "HF_MODELS_FILE_PATH" => {
                    if let Some(ids) = &demo_ids {
                        return Some(ids.path().display().to_string());
                    }
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
        format: args.format,
        ..MaterializeOptions::default()
    };
    let outcome = match &args.resume {
        Some(folder) => extractor.resume(folder, observer).await?,
        None => extractor.materialize(&options, observer).await?,
    };
    let _ = bars.multi.clear();

    let manifest = &outcome.manifest;
    println!("run folder: {}", outcome.folder.path().display());
    // Within the terminal: the files (the widest column) only when they fit.
    let width = console::Term::stdout()
        .size_checked()
        .map(|(_, columns)| usize::from(columns));
    let file_of = |asset: &AssetReport| {
        let loaded = if asset.loaded_from.is_some() {
            " (loaded)"
        } else {
            ""
        };
        format!("{}{loaded}", asset.file.as_deref().unwrap_or("-"))
    };
    let files_width = manifest.assets.iter().map(|a| file_of(a).len()).max();
    let names = asset_width();
    let with_files = width.is_none_or(|w| w >= names + 36 + files_width.unwrap_or(0));
    let row = |asset: &str, records: &str, failures: &str, requests: &str, time: &str| {
        format!("{asset:<names$} {records:>8} {failures:>8} {requests:>8} {time:>7}")
    };
    let header = row("asset", "records", "failures", "requests", "time");
    println!(
        "{}",
        if with_files {
            format!("{header}  file")
        } else {
            header
        }
    );
    for asset in &manifest.assets {
        let line = row(
            &asset.name,
            &asset.count.to_string(),
            &asset.failures.to_string(),
            &asset.requests.to_string(),
            &short_duration(Duration::from_millis(asset.duration_ms)),
        );
        if with_files {
            println!("{line}  {}", file_of(asset));
        } else {
            println!("{line}");
        }
    }
    let http = &manifest.http;
    let limited = if http.rate_limited + http.rate_limit_pauses > 0 {
        format!(
            "{} answered 429, {} rate-limit pauses",
            http.rate_limited, http.rate_limit_pauses
        )
    } else {
        "no 429".to_owned()
    };
    println!(
        "HTTP: {} requests ({:.2} per model), {} retries, {limited}",
        http.requests, http.requests_per_model, http.retries,
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
            // `dataset not found: wikipedia` after `wikipedia:` says the id twice.
            let error = f
                .error
                .strip_suffix(f.id.as_str())
                .map(|e| e.trim_end_matches([' ', ':']))
                .filter(|e| !e.is_empty())
                .unwrap_or(&f.error);
            let text = format!("  {}: {}{line}: {error}", f.asset, f.id);
            println!("{}", fit(&text, width));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_times_read_as_a_person_reads_them() {
        assert_eq!(whole_rate(112.533_950_971_3), "112/s");
        assert_eq!(whole_rate(0.25), "0.2/s");
        assert_eq!(whole_rate(0.0), "");
        assert_eq!(whole_rate(f64::NAN), "");
        assert_eq!(short_duration(Duration::from_millis(350)), "0.3s");
        assert_eq!(short_duration(Duration::from_secs(42)), "42s");
        assert_eq!(short_duration(Duration::from_secs(65)), "1m05s");
        assert_eq!(short_duration(Duration::from_secs(2 * 3600 + 180)), "2h03m");
        // No time left before something is done, without a total, or once done.
        let eta = Duration::from_secs(7);
        assert_eq!(time_left(5, Some(10), eta), "eta 7.0s");
        assert_eq!(time_left(0, Some(10), eta), "");
        assert_eq!(time_left(5, None, eta), "");
        assert_eq!(time_left(10, Some(10), eta), "");
    }

    #[test]
    fn long_lines_are_cut_to_the_terminal() {
        assert_eq!(fit("abcdef", Some(4)), "abc…");
        assert_eq!(fit("abcdef", Some(6)), "abcdef");
        assert_eq!(fit("abcdef", None), "abcdef");
        assert_eq!(fit("ééééé", Some(3)), "éé…");
    }

    /// A terminal of 200 columns that keeps the lines written to it.
    #[derive(Debug, Clone, Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);

    impl indicatif::TermLike for Capture {
        fn width(&self) -> u16 {
            200
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            if !s.trim().is_empty() {
                self.0.lock().unwrap().push(s.to_owned());
            }
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_bar_fits_80_columns_and_shows_a_whole_rate() {
        let bars = Bars::new(false);
        let capture = Capture::default();
        let bar = ProgressBar::with_draw_target(
            Some(1_234_567),
            ProgressDrawTarget::term_like(Box::new(capture.clone())),
        );
        bar.set_style(bars.measured.clone());
        bar.set_prefix("hf_identified_base_models");
        for pos in [1, 123_456] {
            std::thread::sleep(Duration::from_millis(60));
            bar.set_position(pos);
        }
        bar.tick();
        let lines = capture.0.lock().unwrap().clone();
        let line = lines.last().expect("the bar was drawn");
        assert!(line.chars().count() <= 80, "{line:?}");
        assert!(line.contains("hf_identified_base_models"), "{line:?}");
        assert!(line.contains(" 123456/1234567 "), "{line:?}");
        let rate = line.split_whitespace().find(|w| w.ends_with("/s"));
        assert!(
            rate.is_some_and(|r| r.trim_end_matches("/s").parse::<u64>().is_ok()),
            "{line:?}"
        );
        assert!(line.contains("eta "), "{line:?}");
    }
}
