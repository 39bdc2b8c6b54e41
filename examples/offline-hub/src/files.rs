//! Where a snapshot's files are read from: a snapshot folder, or the bundled snapshot compiled
//! into the library, so that a binary installed with no checkout beside it serves it too.

use std::path::{Path, PathBuf};

/// The bundled snapshot's files, `(path, text)`, the path relative to the snapshot folder as
/// the snapshot names it (the recorded answers under `recorded.json`'s `samples`). Written by
/// `build.rs`, which lists what is compiled in.
static BUNDLED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The files a snapshot is loaded from.
#[derive(Debug, Clone, Default)]
pub(crate) enum SnapshotFiles {
    /// A snapshot folder on disk.
    Folder(PathBuf),
    /// The bundled snapshot (`examples/offline-hub/` as it was built).
    #[default]
    Bundled,
}

impl SnapshotFiles {
    /// The text of the file at `relative`, `None` if there is none.
    pub(crate) fn read(&self, relative: &Path) -> std::io::Result<Option<String>> {
        match self {
            Self::Folder(dir) => match std::fs::read_to_string(dir.join(relative)) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            Self::Bundled => Ok(BUNDLED
                .iter()
                .find(|(path, _)| Path::new(path) == relative)
                .map(|(_, text)| (*text).to_owned())),
        }
    }

    /// The text of the file at `relative`, which must exist.
    pub(crate) fn require(&self, relative: &Path) -> std::io::Result<String> {
        self.read(relative)?.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file", self.display(relative)),
            )
        })
    }

    /// The files directly in `folder` whose name ends with `suffix`, sorted by path; nothing
    /// when there is no such folder.
    pub(crate) fn list(&self, folder: &str, suffix: &str) -> std::io::Result<Vec<PathBuf>> {
        let mut paths: Vec<PathBuf> = match self {
            Self::Folder(dir) => {
                let dir = dir.join(folder);
                if !dir.is_dir() {
                    return Ok(Vec::new());
                }
                std::fs::read_dir(&dir)?
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .map(|e| Path::new(folder).join(e.file_name()))
                    .collect()
            }
            Self::Bundled => BUNDLED
                .iter()
                .map(|(path, _)| Path::new(path))
                .filter(|path| path.parent() == Some(Path::new(folder)))
                .map(Path::to_path_buf)
                .collect(),
        };
        paths.retain(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
        });
        paths.sort();
        Ok(paths)
    }

    /// How an error names the file at `relative`.
    pub(crate) fn display(&self, relative: &Path) -> String {
        match self {
            Self::Folder(dir) => dir.join(relative).display().to_string(),
            Self::Bundled => format!("<bundled offline Hub>/{}", relative.display()),
        }
    }
}

/// The bundled demo's model-id file (`model_ids.txt`: what `hf-extract materialize --offline`
/// extracts besides the listing).
pub fn bundled_model_ids() -> &'static str {
    BUNDLED
        .iter()
        .find(|(path, _)| *path == "model_ids.txt")
        .map_or("", |(_, text)| text)
}
