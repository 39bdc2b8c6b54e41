//! Regenerate the generated part of the offline Hub's snapshot (`gen__*` models and cards, the
//! dataset bodies, the stand-ins): `cargo run -p hf-extractor-examples --bin gen-offline-hub [DIR]`.
//!
//! Deterministic: the same inputs give the same bytes. Stale generated files are removed.

use std::path::PathBuf;

use hf_offline_hub::{generate, snapshot_dir};

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(snapshot_dir, PathBuf::from);
    let files = generate::generate(&dir)?;
    for folder in generate::GENERATED_FOLDERS {
        std::fs::create_dir_all(dir.join(folder))?;
        for entry in std::fs::read_dir(dir.join(folder))? {
            let path = entry?.path();
            let relative = path.strip_prefix(&dir).unwrap_or(&path).to_path_buf();
            if generate::is_generated(&relative) && !files.iter().any(|(p, _)| *p == relative) {
                std::fs::remove_file(&path)?;
                println!("removed {}", relative.display());
            }
        }
    }
    for (relative, text) in &files {
        std::fs::write(dir.join(relative), text)?;
    }
    println!("wrote {} files under {}", files.len(), dir.display());
    Ok(())
}
