//! Compiles the bundled snapshot into the library: `OUT_DIR/bundled.rs` lists, with
//! `include_str!`, every file the offline Hub loads from this folder (`recorded.json`,
//! `routes.json`, `model_ids.txt` and the files of its snapshot folders) and the recorded
//! answers `recorded.json` lists from `testdata/hub-samples/`. About 1.3 MB of text: an
//! installed `hf-extract --offline` needs no checkout.

use std::path::{Path, PathBuf};

/// The snapshot folders the offline Hub reads.
const FOLDERS: [&str; 7] = [
    "models",
    "cards",
    "datasets",
    "croissant",
    "arxiv",
    "papers",
    "tasks",
];

/// The snapshot's own files at its top.
const FILES: [&str; 3] = ["recorded.json", "routes.json", "model_ids.txt"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let mut files: Vec<String> = Vec::new();
    for name in FILES {
        println!("cargo::rerun-if-changed={name}");
        if dir.join(name).is_file() {
            files.push(name.to_owned());
        }
    }
    for folder in FOLDERS {
        // A folder: Cargo rebuilds when any file in it changes, or one is added or removed.
        println!("cargo::rerun-if-changed={folder}");
        let Ok(entries) = std::fs::read_dir(dir.join(folder)) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            if entry.path().is_file()
                && let Some(name) = entry.file_name().to_str()
            {
                files.push(format!("{folder}/{name}"));
            }
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("recorded.json")) {
        let recorded: serde_json::Value = serde_json::from_str(&text)?;
        let samples = recorded["samples"].as_str().unwrap_or(".");
        let lists = ["models", "cards", "arxiv", "papers"]
            .into_iter()
            .flat_map(|key| recorded[key].as_array().into_iter().flatten());
        let croissant = recorded["croissant"].as_object().into_iter().flatten();
        for path in lists
            .chain(croissant.map(|(_, path)| path))
            .chain(Some(&recorded["tasks"]))
            .filter_map(serde_json::Value::as_str)
        {
            let relative = format!("{samples}/{path}");
            println!("cargo::rerun-if-changed={relative}");
            files.push(relative);
        }
    }
    files.sort();
    let mut out = String::from("&[\n");
    for relative in &files {
        let absolute = dir.join(relative);
        if !absolute.is_file() {
            return Err(format!("{}: listed but missing", absolute.display()).into());
        }
        out.push_str(&format!(
            "    ({relative:?}, include_str!({:?})),\n",
            absolute.display().to_string()
        ));
    }
    out.push_str("]\n");
    let target = Path::new(&std::env::var("OUT_DIR")?).join("bundled.rs");
    std::fs::write(target, out)?;
    Ok(())
}
