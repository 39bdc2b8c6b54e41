//! Run folders: one folder per run, every file written atomically.
//!
//! A run writes into `<output dir>/<YYYY-MM-DD_HH-MM-SS>_<8 hex>/`. Each file is written to a
//! temporary file in the same folder, flushed to disk, then renamed over its final name, so a
//! crash never leaves a truncated JSON file: a file is there whole, or not at all. The folder
//! is the backend of the store interface (`store::files`) through which the run writes its files.

use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::store::files::{AssetFiles, Fill, RunFiles};
use crate::store::json_stream::OutputFormat;

/// A run's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFolder {
    path: PathBuf,
}

impl RunFolder {
    /// Create a new run folder under `output_dir` (created if missing), named after `started`
    /// (UTC) and 8 random hex digits.
    ///
    /// ```
    /// use hf_extractor::run_folder::RunFolder;
    ///
    /// let out = tempfile::tempdir()?;
    /// let started = "2026-11-27T11:38:00Z".parse()?;
    /// let run = RunFolder::create(out.path(), started)?;
    /// assert!(run.name().starts_with("2026-11-27_11-38-00_"));
    /// let path = run.write_json("hello.json", &serde_json::json!({"hello": "world"}))?;
    /// assert_eq!(std::fs::read_to_string(path)?, "{\n  \"hello\": \"world\"\n}\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create(output_dir: &Path, started: jiff::Timestamp) -> Result<Self> {
        std::fs::create_dir_all(output_dir).map_err(|e| Error::io(output_dir, e))?;
        let stamp = started.strftime("%Y-%m-%d_%H-%M-%S").to_string();
        loop {
            let name = format!("{stamp}_{:08x}", fastrand::u32(..));
            let path = output_dir.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(path, e)),
            }
        }
    }

    /// An existing run folder (to resume it, or to read upstream outputs from it).
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if !path.is_dir() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a run folder"),
            ));
        }
        Ok(Self { path })
    }

    /// The file of records `name` (a `.json` name) in this folder, as a JSON array or as JSON
    /// Lines (`.jsonl`), if it is there.
    pub(crate) fn records_file(&self, name: &str) -> Option<PathBuf> {
        [OutputFormat::Json, OutputFormat::JsonLines]
            .into_iter()
            .map(|format| self.path.join(&*format.file_name(name)))
            .find(|path| path.is_file())
    }

    /// Remove what writes cut short left behind (a kill in the middle of
    /// [`write_atomically`]: its temporary file, never renamed into place). Returns how many
    /// files were removed.
    pub(crate) fn remove_partial_writes(&self) -> Result<usize> {
        let entries = std::fs::read_dir(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut removed = 0;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.path, e))?;
            let name = entry.file_name();
            let partial = name.to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX));
            if partial && entry.file_type().is_ok_and(|t| t.is_file()) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder's name (`YYYY-MM-DD_HH-MM-SS_<8 hex>`).
    pub fn name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    /// Write `value` as pretty JSON (two-space indent, a final newline) to `file_name`, atomically.
    pub fn write_json<T: Serialize + ?Sized>(&self, file_name: &str, value: &T) -> Result<PathBuf> {
        RunFiles::new(self.clone()).write_json(file_name, value)
    }
}

impl AssetFiles for RunFolder {
    fn write(&self, name: &str, fill: Fill<'_>) -> Result<PathBuf> {
        let target = self.locate(name);
        write_atomically(&target, |out| fill(out))?;
        Ok(target)
    }

    fn locate(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn exists(&self, name: &str) -> bool {
        self.locate(name).is_file()
    }
}

/// The buffer of [`write_atomically`].
const WRITE_BUFFER: usize = 256 * 1024;

/// The name prefix of [`write_atomically`]'s temporary files.
const TEMP_PREFIX: &str = ".tmp-";

/// Write a file through `fill`: into a temporary file beside `target`, flushed and synced,
/// then renamed to `target` (and the folder synced, where the platform allows).
pub(crate) fn write_atomically(
    target: &Path,
    fill: impl FnOnce(&mut BufWriter<&File>) -> Result<()>,
) -> Result<()> {
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    // Readable by the downstream like any file the process writes (tempfile defaults to 0600).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let temp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    {
        // Big writes: a file of model records is tens of MB (8 KB would be a call per record).
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, temp.as_file());
        fill(&mut out)?;
        out.flush().map_err(|e| Error::io(target, e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(target, e))?;
    temp.persist(target)
        .map_err(|e| Error::io(target, e.error))?;
    // Make the rename itself durable.
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_replaced_whole_and_no_temp_file_is_left() {
        let out = tempfile::tempdir().unwrap();
        let run = RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert!(run.name().starts_with("1970-01-01_00-00-00_"));
        assert_eq!(run.name().len(), "1970-01-01_00-00-00_".len() + 8);
        run.write_json("a.json", &vec![1, 2, 3]).unwrap();
        run.write_json("a.json", &vec![4]).unwrap();
        let text = std::fs::read_to_string(run.path().join("a.json")).unwrap();
        assert_eq!(text, "[\n  4\n]\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(run.path().join("a.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        let names: Vec<_> = std::fs::read_dir(run.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["a.json"]);
    }

    #[test]
    fn a_failed_write_keeps_the_previous_file() {
        let out = tempfile::tempdir().unwrap();
        let run = RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        run.write_json("a.json", &"old").unwrap();
        let target = run.path().join("a.json");
        let err = write_atomically(&target, |out| {
            out.write_all(b"{\"half\": ").unwrap();
            Err(Error::io(&target, std::io::Error::other("crash mid-write")))
        })
        .unwrap_err();
        assert!(err.to_string().contains("crash mid-write"));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "\"old\"\n");
        assert_eq!(std::fs::read_dir(run.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_write_cut_short_leaves_a_temporary_file_that_resuming_removes() {
        let out = tempfile::tempdir().unwrap();
        let run = RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        run.write_json("a.json", &"kept").unwrap();
        // What a kill in the middle of `write_atomically` leaves: its temporary file.
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(run.path())
            .unwrap();
        let (_, left) = temp.keep().unwrap();
        std::fs::create_dir(run.path().join(".tmp-a-folder")).unwrap();
        assert_eq!(run.remove_partial_writes().unwrap(), 1);
        assert!(!left.exists());
        let mut names: Vec<_> = std::fs::read_dir(run.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [".tmp-a-folder", "a.json"]);
        assert_eq!(run.remove_partial_writes().unwrap(), 0);
    }

    #[test]
    fn two_runs_in_the_same_second_get_two_folders() {
        let out = tempfile::tempdir().unwrap();
        let a = RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        let b = RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn an_unwritable_output_dir_is_an_error_naming_it() {
        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let err = RunFolder::create(&file.join("sub"), jiff::Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.to_string().contains("file/sub"), "{err}");
        RunFolder::create(&out.path().join("new/dir"), jiff::Timestamp::UNIX_EPOCH).unwrap();
    }
}
