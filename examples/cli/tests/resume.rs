//! Incremental and resumable runs, for real: the `hf-extract` binary against the offline Hub
//! (with latency), killed with SIGKILL at several points, resumed with `--resume`, and compared
//! with a clean run file by file; and an incremental run (`--since-run`) that reuses the cards
//! of an earlier run.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hf_extractor::checkpoint::JournalText;
use hf_offline_hub::{FaultPlan, OfflineHub, Snapshot, snapshot_dir};
use serde_json::Value;

// The end-to-end tests' shared helpers, beside the offline Hub's other tests.
#[path = "../../tests/common/mod.rs"]
mod common;
use common::{manifest, run_folder};

/// The CLI's standard error, in the output folder (beside the run folder).
const STDERR_FILE: &str = "stderr.log";

/// Every model of the offline Hub.
const ALL: usize = 201;

fn command(hub: &OfflineHub, out: &Path) -> Command {
    std::fs::create_dir_all(out).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hf-extract"));
    cmd.arg("materialize")
        .args(["--endpoint", &hub.uri()])
        .args(["--arxiv-endpoint", &hub.uri()])
        .args(["--arxiv-delay-ms", "0"])
        .args(["--num-models", &ALL.to_string()])
        .args(["--base-model-iterations", "3"])
        .arg("--models-file")
        .arg(snapshot_dir().join("model_ids.txt"))
        .arg("--output-dir")
        .arg(out)
        .arg("--no-progress")
        // No token of the machine goes to the offline Hub.
        .env_remove("HF_TOKEN")
        .env_remove("HF_TOKEN_PATH")
        .env("HF_HOME", out)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        // Kept beside the run folder, for the message of a run that ends unexpectedly.
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(out.join(STDERR_FILE))
                .unwrap(),
        );
    cmd
}

/// Every output file of a run folder, the run's start blanked out.
fn outputs(folder: &Path) -> BTreeMap<String, String> {
    common::outputs_without_times(folder, &manifest(folder).started_at)
}

/// The events of a journal.
fn journal(folder: &Path) -> Vec<Value> {
    JournalText::read_all(folder)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The paths the Hub was asked, from request `from` on, with how often.
fn paths_since(hub: &OfflineHub, from: usize) -> BTreeMap<String, usize> {
    let mut paths = BTreeMap::new();
    for r in &hub.received_requests().expect("a snapshot Hub")[from..] {
        *paths.entry(r.url.path().to_owned()).or_default() += 1;
    }
    paths
}

/// No card of a model of the run (`hf_models.json`) is among `asked`.
fn assert_no_card_of_the_run_asked(folder: &Path, asked: &BTreeMap<String, usize>) {
    let models: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(folder.join("hf_models.json")).unwrap())
            .unwrap();
    for path in asked
        .keys()
        .filter(|p| p.starts_with("/api/resolve-cache/"))
    {
        assert!(
            !models
                .iter()
                .any(|m| path.contains(&format!("/{}/", m["modelId"].as_str().unwrap()))),
            "a card of the run asked again: {path}"
        );
    }
}

/// Where to kill a run.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// Once the journal has this many models.
    Models(usize),
    /// Once this asset is done.
    Asset(&'static str),
}

impl KillAt {
    /// Whether the journal's text has reached this point. Read as text, not parsed: the
    /// check runs every few milliseconds while the run goes on, and the end of a run is
    /// quick (its last files are written side by side), so a slow check would miss it.
    fn reached(self, journal: &str) -> bool {
        match self {
            Self::Models(n) => {
                journal
                    .lines()
                    .filter(|l| l.starts_with(r#"{"event":"model""#))
                    .count()
                    >= n
            }
            Self::Asset(name) => {
                let named = format!(r#""report":{{"name":"{name}""#);
                journal
                    .lines()
                    .any(|l| l.starts_with(r#"{"event":"asset_done""#) && l.contains(&named))
            }
        }
    }
}

/// A journal's text as it grows, read a little at a time.
#[derive(Default)]
struct GrowingText {
    text: String,
    journal: Option<JournalText>,
}

impl GrowingText {
    /// Read what was appended to the journal of `folder` since the last call; whether anything
    /// was.
    fn read_new(&mut self, folder: &Path) -> bool {
        let journal = self.journal.get_or_insert_with(|| JournalText::new(folder));
        // Whole lines only: a line being appended is read with the next call.
        match journal.read_new() {
            Ok(new) if !new.is_empty() => {
                self.text.push_str(&new);
                true
            }
            _ => false,
        }
    }
}

/// Kill `child` (SIGKILL) as soon as its journal shows `at`. The journal is watched from a
/// thread of its own every 100 µs, not from the runtime's timer (a millisecond tick, later on a
/// busy machine): the last assets of a run take only a few milliseconds.
async fn kill_when(child: Child, out: &Path, at: KillAt) {
    let out = out.to_owned();
    let watched = tokio::task::spawn_blocking(move || kill_when_seen(child, &out, at)).await;
    if let Err(e) = watched {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn kill_when_seen(mut child: Child, out: &Path, at: KillAt) {
    let mut journal_text = GrowingText::default();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let stderr = std::fs::read_to_string(out.join(STDERR_FILE)).unwrap_or_default();
            panic!("the run ended ({status}) before {at:?}: give the Hub more latency\n{stderr}");
        }
        // The output folder is there once the run has started.
        let folder = std::fs::read_dir(out).ok().and_then(|mut entries| {
            entries.find_map(|e| Some(e.ok()?.path()).filter(|p| p.is_dir()))
        });
        if let Some(folder) = folder
            && journal_text.read_new(&folder)
            && at.reached(&journal_text.text)
        {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_at_any_point_resumes_to_the_files_of_a_clean_run_fetching_nothing_twice() {
    let plan = FaultPlan::every(0).with_latency(Duration::from_millis(15));
    let hub = OfflineHub::serve_with_faults(Snapshot::bundled().unwrap(), Some(plan))
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();

    let clean_out = root.path().join("clean");
    let status = command(&hub, &clean_out).status().unwrap();
    assert!(status.success());
    let clean = run_folder(&clean_out);
    let clean_paths = paths_since(&hub, 0);
    let clean_files = outputs(&clean);
    assert!(clean_files.len() >= 18, "{:?}", clean_files.keys());

    let points = [
        KillAt::Models(1),
        KillAt::Models(120),
        KillAt::Asset("hf_raw_models"),
        KillAt::Asset("hf_identified_datasets"),
        KillAt::Asset("hf_enriched_datasets"),
    ];
    for (i, at) in points.into_iter().enumerate() {
        let out = root.path().join(format!("killed-{i}"));
        let before = hub.request_count();
        kill_when(command(&hub, &out).spawn().unwrap(), &out, at).await;
        let folder = run_folder(&out);
        assert!(
            !folder.join("run.json").exists(),
            "{at:?}: killed before the end"
        );
        let events = journal(&folder);
        let killed_paths = paths_since(&hub, before);

        let resume_from = hub.request_count();
        let status = command(&hub, &out)
            .arg("--resume")
            .arg(&folder)
            .status()
            .unwrap();
        assert!(status.success(), "{at:?}: the resumed run failed");
        let resumed_paths = paths_since(&hub, resume_from);

        // The same files as a clean run.
        let files = outputs(&folder);
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            clean_files.keys().collect::<Vec<_>>()
        );
        for (file, text) in &clean_files {
            assert!(
                &files[file] == text,
                "{at:?}: {file} differs from the clean run's"
            );
        }

        // Nothing journaled is fetched again: per card, per model info and for the listing,
        // what the resumed run asked plus what the journal holds is at most what a clean run
        // asks.
        let mut journaled: BTreeMap<String, usize> = BTreeMap::new();
        let mut models = 0;
        for e in &events {
            match e["event"].as_str() {
                Some("model") if e["source"] != "lineage" => {
                    models += 1;
                    let id = e["model"]["id"].as_str().unwrap();
                    let sha = e["model"]["info"]["sha"].as_str().unwrap_or_default();
                    *journaled
                        .entry(format!("/api/resolve-cache/models/{id}/{sha}/README.md"))
                        .or_default() += 1;
                }
                Some("page") => *journaled.entry("/api/models".into()).or_default() += 1,
                _ => {}
            }
        }
        for (path, n) in &journaled {
            let again = resumed_paths.get(path).copied().unwrap_or(0);
            let clean = clean_paths.get(path).copied().unwrap_or(0);
            assert!(
                n + again <= clean,
                "{at:?}: {path} journaled {n}x, asked {again}x again, a clean run asks {clean}x"
            );
        }
        let resumed = manifest(&folder).resumed.unwrap();
        assert_eq!(resumed.models, models, "{at:?}");
        // The two processes together asked about what one clean run asks: at most the
        // requests in flight at the kill, and the assets cut short, twice.
        let total: usize = killed_paths.values().chain(resumed_paths.values()).sum();
        let clean_total: usize = clean_paths.values().sum();
        println!(
            "{at:?}: {models} models journaled; killed run {} requests, resumed run {} (clean: {clean_total}); assets taken over: {:?}",
            killed_paths.values().sum::<usize>(),
            resumed_paths.values().sum::<usize>(),
            resumed.assets
        );
        assert!(total >= clean_total, "{at:?}: {total} < {clean_total}");
        if let KillAt::Asset(_) = at {
            // Both sources were done: no card of the run's models is asked again (the
            // lineage's parents are, when the lineage had not finished).
            assert_no_card_of_the_run_asked(&folder, &resumed_paths);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_run_lists_since_the_watermark_and_reuses_unchanged_cards() {
    let hub = OfflineHub::start().await.unwrap();
    let root = tempfile::tempdir().unwrap();
    let first_out = root.path().join("first");
    assert!(command(&hub, &first_out).status().unwrap().success());
    let first = run_folder(&first_out);
    let watermark = manifest(&first).watermark.unwrap();
    // As if BERT's commit had changed since the first run (its card has not): its card is
    // asked with the earlier ETag and answered 304.
    const BERT: &str = "google-bert/bert-base-uncased";
    let first_models: BTreeMap<String, Value> = serde_json::from_str::<Vec<Value>>(
        &std::fs::read_to_string(first.join("hf_models.json")).unwrap(),
    )
    .unwrap()
    .into_iter()
    .map(|m| (m["modelId"].as_str().unwrap().to_owned(), m))
    .collect();
    let bert_sha = first_models[BERT]["sha"].as_str().unwrap();
    let text = JournalText::read_all(&first).unwrap();
    let older = text.replace(
        &format!("\"sha\":\"{bert_sha}\""),
        &format!("\"sha\":\"{}\"", "0".repeat(40)),
    );
    assert_ne!(older, text);
    JournalText::write_all(&first, &older).unwrap();

    let second_out = root.path().join("second");
    let before = hub.request_count();
    let status = command(&hub, &second_out)
        .arg("--since-run")
        .arg(&first)
        .status()
        .unwrap();
    assert!(status.success());
    let asked = paths_since(&hub, before);
    let second = run_folder(&second_out);
    let m = manifest(&second);
    let incremental = m.incremental.clone().unwrap();
    assert_eq!(
        incremental.since.parse::<jiff::Timestamp>().unwrap(),
        watermark.parse::<jiff::Timestamp>().unwrap()
    );
    // Only the models modified at or after the watermark were listed.
    let latest: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(second.join("hf_raw_models_latest.json")).unwrap(),
    )
    .unwrap();
    assert!(!latest.is_empty() && latest.len() < ALL, "{}", latest.len());
    for model in &latest {
        assert!(model["last_modified"].as_str().unwrap() >= watermark.as_str());
    }
    // No other sha changed: every other card of the run's models came from the first run,
    // without a request (the lineage's parents are read as before).
    let others: BTreeMap<String, usize> = asked
        .into_iter()
        .filter(|(p, _)| !p.contains(&format!("/{BERT}/")))
        .collect();
    assert_no_card_of_the_run_asked(&second, &others);
    let models = m.models.latest + m.models.from_file;
    let bert_asked: Vec<_> = hub.received_requests().expect("a snapshot Hub")[before..]
        .iter()
        .filter(|r| {
            r.url
                .path()
                .starts_with(&format!("/api/resolve-cache/models/{BERT}/"))
        })
        .map(|r| r.headers.get("if-none-match").cloned())
        .collect();
    assert!(!bert_asked.is_empty() && bert_asked.iter().all(Option::is_some));
    assert_eq!(incremental.cards_not_modified, bert_asked.len() as u64);
    assert_eq!(
        incremental.cards_reused + incremental.cards_not_modified,
        models
    );
    assert_eq!(incremental.requests_saved, incremental.cards_reused);
    // The cards are the first run's.
    let second_models: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(second.join("hf_models.json")).unwrap())
            .unwrap();
    let ids: BTreeSet<&str> = second_models
        .iter()
        .map(|m| m["modelId"].as_str().unwrap())
        .collect();
    assert!(ids.contains("google-bert/bert-base-uncased"));
    for model in &second_models {
        let id = model["modelId"].as_str().unwrap();
        assert_eq!(model["card"], first_models[id]["card"], "{id}");
    }

    // A run folder without a watermark is an error naming it.
    let empty = root.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = command(&hub, &root.path().join("third"))
        .arg("--since-run")
        .arg(&empty)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("empty") && stderr.contains("run.json"),
        "{stderr}"
    );
}
