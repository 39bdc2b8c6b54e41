//! A run of a few thousand varied synthetic models through the path a million take (the
//! benches' `memory.sh 1000000` is this at scale): every asset, lineage on, the journal
//! compressed, the files of records as JSON arrays and as JSON Lines. What is checked is
//! correctness, never time: JSON Lines hold the arrays' records, the journal is compressed and
//! resumes a run cut short into the same files.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hf_extractor::checkpoint::{CHECKPOINT_FILE, JournalText};
use hf_extractor::pipeline::Silent;
use hf_extractor::run_folder::RunFolder;
use hf_extractor::{HfExtractor, MaterializeOptions, OutputFormat, RunOutcome};
use hf_offline_hub::OfflineHub;
use serde_json::Value;

const MODELS: usize = 2000;

mod common;

fn extractor(hub: &OfflineHub, out: &Path) -> HfExtractor {
    common::synthetic_extractor(hub, MODELS, out)
}

async fn run(hub: &OfflineHub, out: &Path, format: OutputFormat) -> RunOutcome {
    let options = MaterializeOptions {
        started_at: Some("2026-12-01T00:00:00Z".parse().unwrap()),
        format,
        ..MaterializeOptions::default()
    };
    extractor(hub, out)
        .materialize(&options, &Silent)
        .await
        .unwrap()
}

/// The files of a run folder by name, but for its manifest and journal.
fn files(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_owned(), p))
        .filter(|(name, _)| name != "run.json" && name != CHECKPOINT_FILE)
        .map(|(name, p)| (name, std::fs::read(p).unwrap()))
        .collect()
}

/// The records of a JSON Lines file as the JSON array of them, or as the object of their
/// entries (each line an object of one entry) when `object`.
fn as_json(name: &str, jsonl: &[u8], object: bool) -> Value {
    let lines = std::str::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}")));
    if !object {
        return Value::Array(lines.collect());
    }
    let mut entries = serde_json::Map::new();
    for line in lines {
        let entry = line.as_object().unwrap();
        assert_eq!(entry.len(), 1, "{name}: {entry:?}");
        entries.extend(entry.clone());
    }
    Value::Object(entries)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_thousand_varied_models_in_json_lines_and_a_compressed_journal_that_resumes() {
    let (hub, _) = common::serve_varied(MODELS, 700).await;
    let root = tempfile::tempdir().unwrap();

    let arrays = run(&hub, &root.path().join("json"), OutputFormat::Json).await;
    let lines = run(&hub, &root.path().join("jsonl"), OutputFormat::JsonLines).await;
    assert_eq!(arrays.manifest.models.merged, MODELS as u64);

    // Every file of records has its JSON Lines twin, holding the same records in the same order.
    let (json_files, jsonl_files) = (files(arrays.folder.path()), files(lines.folder.path()));
    assert!(json_files.len() > 20, "{:?}", json_files.keys());
    assert_eq!(json_files.len(), jsonl_files.len());
    for (name, bytes) in &json_files {
        let twin = format!("{name}l");
        let jsonl = jsonl_files
            .get(&twin)
            .unwrap_or_else(|| panic!("no {twin}"));
        let array: Value = serde_json::from_slice(bytes).unwrap();
        let count = array
            .as_array()
            .map(Vec::len)
            .or(array.as_object().map(serde_json::Map::len))
            .unwrap();
        assert_eq!(
            jsonl.iter().filter(|&&b| b == b'\n').count(),
            count,
            "{twin}"
        );
        assert_eq!(as_json(&twin, jsonl, array.is_object()), array, "{twin}");
    }
    // The manifest names the files written, with their counts.
    for (report, twin) in arrays.manifest.assets.iter().zip(&lines.manifest.assets) {
        assert_eq!(report.count, twin.count, "{}", report.name);
        if let Some(file) = &report.file {
            assert_eq!(twin.file.as_deref(), Some(&*format!("{file}l")));
        }
    }

    // The journal is compressed: a fraction of its text, and of the models' file.
    let journal = std::fs::metadata(arrays.folder.path().join(CHECKPOINT_FILE))
        .unwrap()
        .len();
    let text = JournalText::read_all(arrays.folder.path()).unwrap();
    let models_file = json_files["hf_models.json"].len() as u64;
    assert!(
        journal * 4 < text.len() as u64,
        "{journal} of {}",
        text.len()
    );
    assert!(
        journal * 100 <= models_file * 35,
        "{journal} of {models_file}"
    );
    let model_lines = text
        .lines()
        .filter(|l| l.starts_with(r#"{"event":"model""#))
        .count();
    assert!(model_lines >= MODELS, "{model_lines}");

    // Killed half way through the listing's models: resumed from the compressed journal, it
    // ends with the files of the run that was not killed.
    let folder = lines.folder.path();
    let mut seen = 0;
    let kept: String = text_of(folder)
        .split_inclusive('\n')
        .take_while(|l| {
            seen += usize::from(l.starts_with(r#"{"event":"model""#));
            seen <= MODELS / 2
        })
        .collect();
    let cut = root.path().join("cut");
    copy_cut(folder, &cut, &kept);
    let resumed = extractor(&hub, &root.path().join("unused"))
        .resume(&cut, &Silent)
        .await
        .unwrap();
    assert!(resumed.manifest.resumed.is_some());
    assert_eq!(files(&cut), jsonl_files);

    // Two runs over the same Hub write the same bytes.
    let again = run(&hub, &root.path().join("again"), OutputFormat::JsonLines).await;
    assert_eq!(files(again.folder.path()), jsonl_files);
}

fn text_of(folder: &Path) -> String {
    JournalText::read_all(folder).unwrap()
}

/// A copy of the run folder `from` at `to` as if killed once its journal held `journal`: the
/// journal alone.
fn copy_cut(from: &Path, to: &Path, journal: &str) {
    std::fs::create_dir_all(to).unwrap();
    JournalText::write_all(to, journal).unwrap();
    // A run folder is a folder with a journal; nothing else was written before the kill.
    RunFolder::open(PathBuf::from(to)).unwrap();
    assert!(from.join(CHECKPOINT_FILE).is_file());
}
