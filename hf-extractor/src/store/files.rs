//! The one interface a run's files are written through: [`AssetFiles`], where whole files go,
//! and [`RunFiles`], the shapes the run writes through it — a value as pretty JSON, an array or
//! an object element by element (hashed as it goes), a file written behind while the run goes
//! on.
//!
//! The run folder ([`RunFolder`](crate::store::run_folder::RunFolder)) is the backend of every run today: each file written to a
//! temporary file beside its name, synced, then renamed. Another backend (object storage, a
//! database) implements [`AssetFiles`] — a file is written whole or not at all, and has a
//! location to name in errors — and the stages, which hold a [`RunFiles`], do not change.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::json_stream::{HashingWriter, JsonWriter, OutputFormat};

/// What writes one file's bytes, once.
pub(crate) type Fill<'a> = Box<dyn FnOnce(&mut dyn Write) -> Result<()> + 'a>;

/// Where a run's files go, each written whole or not at all.
pub(crate) trait AssetFiles: Send + Sync + 'static {
    /// Write the file `name` with what `fill` writes: once this returns `Ok`, the whole file
    /// is there; after an error (or a crash), no part of it is. Returns its location.
    fn write(&self, name: &str, fill: Fill<'_>) -> Result<PathBuf>;

    /// Where the file `name` is (or will be): what errors and observers name.
    fn locate(&self, name: &str) -> PathBuf;

    /// Whether the file `name` was written.
    fn exists(&self, name: &str) -> bool;
}

/// A run's files, as the stages write them. Cloning it is cheap: the clones share the backend.
///
/// The files of records are named as JSON arrays (`hf_models.json`) by the stages and laid out
/// in the run's [`OutputFormat`]: in JSON Lines, `hf_models.json` is written (and located) as
/// `hf_models.jsonl`, one record per line.
#[derive(Clone)]
pub(crate) struct RunFiles(Arc<dyn AssetFiles>, OutputFormat);

impl RunFiles {
    /// The files of `backend`, records as JSON arrays.
    pub(crate) fn new(backend: impl AssetFiles) -> Self {
        Self(Arc::new(backend), OutputFormat::Json)
    }

    /// The same files, records laid out as `format`.
    pub(crate) fn laid_out(mut self, format: OutputFormat) -> Self {
        self.1 = format;
        self
    }

    /// The name the file of records `name` has in the run's format.
    pub(crate) fn name_of(&self, name: &str) -> String {
        self.1.file_name(name).into_owned()
    }

    /// Where the file of records `name` is (or will be).
    pub(crate) fn locate(&self, name: &str) -> PathBuf {
        self.0.locate(&self.1.file_name(name))
    }

    /// Whether the file of records `name` was written.
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.0.exists(&self.1.file_name(name))
    }

    /// Write `value` as pretty JSON (two-space indent, a final newline) to `name`.
    pub(crate) fn write_json<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<PathBuf> {
        let target = self.0.locate(name);
        self.0.write(
            name,
            Box::new(|out| {
                serde_json::to_writer_pretty(&mut *out, value).map_err(|source| Error::Json {
                    path: target.clone(),
                    source,
                })?;
                out.write_all(b"\n").map_err(|e| Error::io(&target, e))
            }),
        )
    }

    /// `records` written as a JSON array behind, on a blocking thread, element by element
    /// (the bytes of [`write_json`](Self::write_json) of the whole array, without a
    /// [`serde_json::Value`] of it), with the file's SHA-256.
    pub(crate) fn write_records_behind(
        &self,
        name: &str,
        records: Box<dyn Records>,
    ) -> FileWriting {
        let (files, name) = (self.clone(), name.to_owned());
        FileWriting::spawn(move || files.write_json_array(&name, |array| records.write_into(array)))
    }

    /// Write a JSON array element by element through `fill` (see [`JsonWriter`]), hashing it
    /// on the fly. The bytes are those of [`write_json`](Self::write_json) of the whole array.
    pub(crate) fn write_json_array(
        &self,
        name: &str,
        fill: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>,
    ) -> Result<WrittenArray> {
        self.write_streamed(name, false, fill)
    }

    /// Write a JSON object entry by entry through `fill`, as
    /// [`write_json_array`](Self::write_json_array) does an array.
    pub(crate) fn write_json_object(
        &self,
        name: &str,
        fill: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>,
    ) -> Result<WrittenArray> {
        self.write_streamed(name, true, fill)
    }

    fn write_streamed(
        &self,
        name: &str,
        object: bool,
        fill: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>,
    ) -> Result<WrittenArray> {
        let (format, name) = (self.1, self.1.file_name(name));
        let path = self.0.locate(&name);
        let mut written = None;
        self.0.write(
            &name,
            Box::new(|out| {
                let mut hashing = HashingWriter::new(out);
                let json = if object {
                    JsonWriter::object(&mut hashing, &path)
                } else {
                    JsonWriter::array(&mut hashing, &path)
                };
                let mut json = json.laid_out(format);
                fill(&mut json)?;
                let count = json.finish()?;
                if format == OutputFormat::Json {
                    hashing.write_all(b"\n").map_err(|e| Error::io(&path, e))?;
                }
                written = Some((count, hashing.hex_digest()));
                Ok(())
            }),
        )?;
        let (count, sha256) = written.unwrap_or_default();
        Ok(WrittenArray {
            path,
            count,
            sha256,
        })
    }
}

/// A file of the run folder written behind, on one of Tokio's blocking threads, while the run
/// goes on.
pub(crate) struct FileWriting(tokio::task::JoinHandle<Result<(WrittenArray, Instant)>>);

impl FileWriting {
    /// Write a file with `write` behind, on a blocking thread (in the caller's runtime).
    pub(crate) fn spawn(write: impl FnOnce() -> Result<WrittenArray> + Send + 'static) -> Self {
        Self(tokio::task::spawn_blocking(move || {
            write().map(|written| (written, Instant::now()))
        }))
    }

    /// Whether the file is written (or failed): [`wait`](Self::wait) then returns at once.
    pub(crate) fn is_finished(&self) -> bool {
        self.0.is_finished()
    }

    /// The file written, and when it was done. A panic while writing goes on as the caller's.
    pub(crate) async fn wait(self) -> Result<(WrittenArray, Instant)> {
        match self.0.await {
            Ok(written) => written,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the runtime shuts down.
            Err(_) => Err(Error::Cancelled),
        }
    }
}

/// A file written by [`RunFiles::write_json_array`] or [`RunFiles::write_json_object`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenArray {
    /// Where it was written.
    pub path: PathBuf,
    /// Its elements.
    pub count: u64,
    /// Its SHA-256, computed as it was written.
    pub sha256: String,
}

/// Records a stage hands over, written as a JSON array element by element when their file's
/// turn comes: a `Vec` of any serialisable record.
pub(crate) trait Records: Send {
    /// Write each record into `array`, in order.
    fn write_into(&self, array: &mut JsonWriter<'_>) -> Result<()>;
}

impl<T: Serialize + Send> Records for Vec<T> {
    fn write_into(&self, array: &mut JsonWriter<'_>) -> Result<()> {
        self.iter().try_for_each(|record| array.push(record))
    }
}

/// What a run writes for an asset.
pub(crate) enum Output {
    /// Nothing (no file).
    None,
    /// These records, written as an array.
    Records(Box<dyn Records>),
    /// A file already written, element by element.
    Written(WrittenArray),
    /// A file being written on a thread of its own.
    Writing(FileWriting),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;
    use crate::store::json_stream::Rendered;
    use crate::store::run_folder::RunFolder;

    /// Files kept in memory, each stored only once written whole.
    #[derive(Default, Clone)]
    struct InMemory(Arc<Mutex<BTreeMap<String, Vec<u8>>>>);

    impl AssetFiles for InMemory {
        fn write(&self, name: &str, fill: Fill<'_>) -> Result<PathBuf> {
            let mut bytes = Vec::new();
            fill(&mut bytes)?;
            self.0.lock().unwrap().insert(name.to_owned(), bytes);
            Ok(self.locate(name))
        }

        fn locate(&self, name: &str) -> PathBuf {
            PathBuf::from("memory://").join(name)
        }

        fn exists(&self, name: &str) -> bool {
            self.0.lock().unwrap().contains_key(name)
        }
    }

    #[test]
    fn another_backend_gets_the_bytes_the_run_folder_gets() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RunFolder::create(dir.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        let memory = InMemory::default();
        let (on_disk, in_memory) = (RunFiles::new(folder.clone()), RunFiles::new(memory.clone()));
        let records = [
            serde_json::json!({"id": "a/b", "n": [1, 2]}),
            serde_json::json!(null),
        ];
        for files in [&on_disk, &in_memory] {
            files.write_json("whole.json", &records).unwrap();
            let written = files
                .write_json_array("array.json", |array| {
                    let path = Path::new("array.json");
                    records
                        .iter()
                        .try_for_each(|r| array.push_rendered(&Rendered::new(r, path)?))
                })
                .unwrap();
            assert_eq!(written.count, 2);
            assert_eq!(written.path, files.locate("array.json"));
            assert!(files.exists("array.json"));
            assert!(!files.exists("never.json"));
        }
        let stored = memory.0.lock().unwrap();
        for name in ["whole.json", "array.json"] {
            let disk = std::fs::read(folder.path().join(name)).unwrap();
            assert_eq!(stored[name], disk, "{name}");
        }
        // Streamed or whole, the same bytes.
        assert_eq!(stored["whole.json"], stored["array.json"]);
    }

    #[test]
    fn a_failed_fill_leaves_no_file_in_either_backend() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RunFolder::create(dir.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        let memory = InMemory::default();
        for files in [RunFiles::new(folder.clone()), RunFiles::new(memory.clone())] {
            let failed = files.write_json_object("half.json", |object| {
                object.entry("a", &1)?;
                Err(Error::io("half.json", std::io::Error::other("cut")))
            });
            assert!(failed.is_err());
            assert!(!files.exists("half.json"));
        }
        assert!(std::fs::read_dir(folder.path()).unwrap().next().is_none());
    }

    #[tokio::test]
    async fn a_file_written_behind_is_the_file_written_in_turn() {
        let out = tempfile::tempdir().unwrap();
        let run =
            RunFiles::new(RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap());
        let value = serde_json::json!([{"b": 1, "a": ["x"]}, {"c": null}]);
        let in_turn = run.write_json("in-turn.json", &value).unwrap();
        /// Records whose fields come in another order than sorted: written sorted, as the
        /// whole write of their values is.
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Record {
            BA { b: u8, a: Vec<&'static str> },
            C { c: Option<u8> },
        }
        let records = vec![Record::BA { b: 1, a: vec!["x"] }, Record::C { c: None }];
        let writing = run.write_records_behind("behind.json", Box::new(records));
        let (written, _) = writing.wait().await.unwrap();
        assert_eq!(written.path, run.locate("behind.json"));
        assert_eq!(written.count, 2);
        assert_eq!(
            std::fs::read(&written.path).unwrap(),
            std::fs::read(&in_turn).unwrap()
        );
        assert_eq!(
            written.sha256,
            crate::store::json_stream::file_sha256(&in_turn).unwrap()
        );
        // A write that fails is told when its turn comes.
        std::fs::create_dir(run.locate("taken.json")).unwrap();
        let failed = run.write_records_behind("taken.json/x/y.json", Box::new(vec![1]));
        assert!(failed.wait().await.is_err());
    }

    #[test]
    fn an_array_written_element_by_element() {
        let out = tempfile::tempdir().unwrap();
        let run =
            RunFiles::new(RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap());
        let path = run.locate("n.json");
        let written = run
            .write_json_array("n.json", |array| {
                (1..=3).try_for_each(|n| array.push_rendered(&Rendered::new(&n, &path)?))
            })
            .unwrap();
        assert_eq!(written.count, 3);
        assert_eq!(
            std::fs::read_to_string(&written.path).unwrap(),
            "[\n  1,\n  2,\n  3\n]\n"
        );
    }
}
