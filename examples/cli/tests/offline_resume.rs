//! Resuming a run made with `--offline`, and runs whose Hub refuses every connection, for real:
//! the `hf-extract` binary, its bundled offline Hub on loopback, and a closed loopback port.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hf_extractor::checkpoint::{CHECKPOINT_FILE, JournalText, RunStart};

// The end-to-end tests' shared helpers, beside the offline Hub's other tests.
#[path = "../../tests/common/mod.rs"]
mod common;
use common::{manifest, run_folder};

/// Every model of the offline Hub.
const ALL: &str = "201";
const STARTED_AT: &str = "2026-11-27T12:00:00Z";

/// `hf-extract materialize` with no token of the machine and no progress bars.
fn hf_extract(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hf-extract"));
    cmd.arg("materialize")
        .arg("--no-progress")
        .env_remove("HF_TOKEN")
        .env_remove("HF_TOKEN_PATH")
        .env_remove("HF_ENDPOINT")
        .env_remove("HF_ARXIV_ENDPOINT")
        .env("HF_HOME", home)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `cmd` (a run on `endpoint`, where nothing listens) fails within seconds, naming the endpoint
/// and saying how to resume the run in `folder` (the one in `out` when not given); the folder.
fn fails_fast_saying_how_to_resume(
    mut cmd: Command,
    endpoint: &str,
    out: &Path,
    folder: Option<&Path>,
) -> std::path::PathBuf {
    let started = Instant::now();
    let output = cmd.output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains(&format!("HF_ENDPOINT={endpoint}/")), "{text}");
    assert!(text.contains("refused"), "{text}");
    // The run folder is kept, and the error says how to resume it.
    let folder = folder.map_or_else(|| run_folder(out), Path::to_owned);
    let resume = format!("hf-extract materialize --resume {}", folder.display());
    assert!(text.contains(&resume), "{text}");
    assert!(!folder.join("run.json").exists());
    folder
}

/// A loopback address nothing listens on: bound, its port taken, and let go.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// As if the run in `folder` had been killed after the first `lines` lines of its journal:
/// the journal cut there and every file written after it gone.
fn cut_short(folder: &Path, lines: usize) {
    let journal = folder.join(CHECKPOINT_FILE);
    let text = JournalText::read_all(folder).unwrap();
    let kept: String = text.lines().take(lines).map(|l| format!("{l}\n")).collect();
    assert!(kept.len() < text.len());
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && path != journal {
            std::fs::remove_file(path).unwrap();
        }
    }
    JournalText::write_all(folder, &kept).unwrap();
}

#[test]
fn a_run_made_offline_resumes_on_the_bundled_hub_by_itself() {
    let root = tempfile::tempdir().unwrap();
    let run = |out: &Path| {
        let output = hf_extract(root.path())
            .arg("--offline")
            .args(["--num-models", ALL, "--started-at", STARTED_AT])
            .arg("--output-dir")
            .arg(out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        run_folder(out)
    };
    let clean = run(&root.path().join("clean"));
    let clean_files = common::outputs_without_times(&clean, &manifest(&clean).started_at);
    // The journal and run.json say which Hub served the run, and never hold a token.
    let start = RunStart::read(&clean).unwrap();
    assert_eq!(start.served_by.as_deref(), Some("offline-hub"));
    let clean_endpoint = start.endpoint.unwrap();
    assert!(
        clean_endpoint.starts_with("http://127.0.0.1:"),
        "{clean_endpoint}"
    );
    let config = manifest(&clean).config;
    assert_eq!(config.served_by.as_deref(), Some("offline-hub"));
    assert_eq!(config.token, None);
    // `hf-extract journal` prints the compressed journal as its JSON Lines; a folder without
    // one is an error naming it.
    let journal = |folder: &Path| {
        Command::new(env!("CARGO_BIN_EXE_hf-extract"))
            .arg("journal")
            .arg(folder)
            .output()
            .unwrap()
    };
    let printed = journal(&clean);
    assert!(printed.status.success(), "{}", stderr(&printed));
    let text = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(text, JournalText::read_all(&clean).unwrap());
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "started");
    assert!(events.iter().filter(|e| e["event"] == "model").count() >= 201);
    let missing = journal(root.path());
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains(CHECKPOINT_FILE),
        "{}",
        stderr(&missing)
    );

    // Killed early: the listing's page and a few models journaled. Its Hub is gone with it.
    let folder = run(&root.path().join("killed"));
    cut_short(&folder, 12);
    let started = Instant::now();
    let output = hf_extract(root.path())
        .args(["--num-models", ALL])
        .arg("--resume")
        .arg(&folder)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
    let resumed = manifest(&folder);
    assert_eq!(resumed.config.served_by.as_deref(), Some("offline-hub"));
    assert_eq!(resumed.config.token, None);
    assert!(resumed.config.endpoint.starts_with("http://127.0.0.1:"));
    assert!(resumed.resumed.unwrap().models > 0);
    assert_eq!(resumed.http.retries, 0, "{:?}", resumed.http);
    let files = common::outputs_without_times(&folder, &resumed.started_at);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        clean_files.keys().collect::<Vec<_>>()
    );
    for (file, text) in &clean_files {
        assert!(&files[file] == text, "{file} differs from the clean run's");
    }
}

#[test]
fn a_run_whose_hub_refuses_every_connection_fails_within_seconds_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let endpoint = closed_port();
    let mut cmd = hf_extract(root.path());
    cmd.args(["--endpoint", &endpoint, "--arxiv-endpoint", &endpoint])
        .arg("--output-dir")
        .arg(&out)
        .args(["--models-file", "/nonexistent/ids.txt"]);
    fails_fast_saying_how_to_resume(cmd, &endpoint, &out, None);
}

#[test]
fn resuming_on_a_hub_that_refuses_every_connection_fails_within_seconds_saying_how_to_resume() {
    let root = tempfile::tempdir().unwrap();
    // An interrupted run of a Hub (not the bundled one) that is gone since.
    let out = root.path().join("out");
    let output = hf_extract(root.path())
        .arg("--offline")
        .args(["--num-models", ALL, "--started-at", STARTED_AT])
        .arg("--output-dir")
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let folder = run_folder(&out);
    cut_short(&folder, 12);
    let text = JournalText::read_all(&folder).unwrap();
    JournalText::write_all(
        &folder,
        &text.replacen(r#","served_by":"offline-hub""#, "", 1),
    )
    .unwrap();
    assert_eq!(RunStart::read(&folder).unwrap().served_by, None);

    let endpoint = closed_port();
    let mut cmd = hf_extract(root.path());
    cmd.args(["--endpoint", &endpoint, "--arxiv-endpoint", &endpoint])
        .args(["--num-models", ALL])
        .arg("--resume")
        .arg(&folder);
    fails_fast_saying_how_to_resume(cmd, &endpoint, &out, Some(&folder));
}
