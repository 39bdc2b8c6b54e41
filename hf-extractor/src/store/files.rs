//! The one interface a run's files are written through: [`AssetFiles`], where whole files go,
//! and [`RunFiles`], the shapes the run writes through it — a value as pretty JSON, an array or
//! an object element by element (hashed as it goes), a file written behind while the run goes
//! on.
//!
//! The run folder ([`RunFolder`](crate::store::run_folder::RunFolder)) is the backend of every run today: each file written to a
//! temporary file beside its name, synced, then renamed. Another backend (object storage, a
//! database) implements [`AssetFiles`] — a file is written whole or not at all, and has a
//! location to name in errors — and the stages, which hold a [`RunFiles`], do not change.
//!
//! A file of records is written element by element, and each element goes to the run's
//! consumers of records in the same order: the backend's file (laid out as the run's
//! [`OutputFormat`], and hashed), and the caller's [`RecordSink`], if it gave one. A run that
//! keeps no files of records ([`RunFiles::without_records`]) hands them to the sink only; their
//! reports still count and hash them as their files would hold them.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::assets::Asset;
use crate::error::{Error, Result};
use crate::record::{AssetRecord, RecordSink};
use crate::store::json_read::{for_each_element, for_each_entry};
use crate::store::json_stream::{HashingWriter, JsonWriter, OutputFormat, compact_into};

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
pub(crate) struct RunFiles {
    backend: Arc<dyn AssetFiles>,
    format: OutputFormat,
    /// Whether the files of records are written (or only handed to the sink).
    keep_records: bool,
    sink: Option<RecordSink>,
}

impl RunFiles {
    /// The files of `backend`, records as JSON arrays.
    pub(crate) fn new(backend: impl AssetFiles) -> Self {
        Self {
            backend: Arc::new(backend),
            format: OutputFormat::Json,
            keep_records: true,
            sink: None,
        }
    }

    /// The same files, records laid out as `format`.
    pub(crate) fn laid_out(mut self, format: OutputFormat) -> Self {
        self.format = format;
        self
    }

    /// The same files, each record also handed to `sink` as it is written.
    pub(crate) fn handing_to(mut self, sink: Option<RecordSink>) -> Self {
        self.sink = sink;
        self
    }

    /// The same run, its records handed to the sink only: no file of records is written.
    pub(crate) fn without_records(mut self) -> Self {
        self.keep_records = false;
        self
    }

    /// The name the file of records `name` has in the run's format.
    pub(crate) fn name_of(&self, name: &str) -> String {
        self.format.file_name(name).into_owned()
    }

    /// Where the file of records `name` is (or will be).
    pub(crate) fn locate(&self, name: &str) -> PathBuf {
        self.backend.locate(&self.format.file_name(name))
    }

    /// Whether the file of records `name` was written.
    pub(crate) fn exists(&self, name: &str) -> bool {
        self.backend.exists(&self.format.file_name(name))
    }

    /// Hand the records of `asset`'s file at `path`, written by an earlier process (the run
    /// being resumed), to the sink, if the run has one. On a blocking thread.
    pub(crate) fn hand_over(&self, asset: Asset, path: &std::path::Path) -> Result<()> {
        let Some(sink) = &self.sink else {
            return Ok(());
        };
        type Raw = Box<serde_json::value::RawValue>;
        let mut compact = Vec::new();
        let mut take = |key: Option<&str>, raw: Raw| {
            compact.clear();
            compact_into(&mut compact, raw.get().as_bytes());
            sink.take(AssetRecord::new(
                asset,
                key,
                &String::from_utf8_lossy(&compact),
            ));
            Ok(())
        };
        if asset.maps_models() {
            for_each_entry(path, |key, raw: Raw| take(Some(&key), raw))?;
        } else {
            for_each_element(path, |raw: Raw| take(None, raw))?;
        }
        Ok(())
    }

    /// Write `value` as pretty JSON (two-space indent, a final newline) to `name`.
    pub(crate) fn write_json<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<PathBuf> {
        let target = self.backend.locate(name);
        self.backend.write(
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

    /// `records` written as `asset`'s JSON array behind, on a blocking thread, element by
    /// element (the bytes of [`write_json`](Self::write_json) of the whole array, without a
    /// [`serde_json::Value`] of it), with the file's SHA-256.
    pub(crate) fn write_records_behind(
        &self,
        asset: Asset,
        records: Box<dyn Records>,
    ) -> FileWriting {
        let files = self.clone();
        FileWriting::spawn(move || files.write_json_array(asset, |array| records.write_into(array)))
    }

    /// Write `asset`'s file, a JSON array, element by element through `fill` (see
    /// [`JsonWriter`]), hashing it on the fly. The bytes are those of
    /// [`write_json`](Self::write_json) of the whole array.
    pub(crate) fn write_json_array(
        &self,
        asset: Asset,
        fill: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>,
    ) -> Result<WrittenArray> {
        self.write_streamed(asset, false, fill)
    }

    /// Write `asset`'s file, a JSON object, entry by entry through `fill`, as
    /// [`write_json_array`](Self::write_json_array) does an array.
    pub(crate) fn write_json_object(
        &self,
        asset: Asset,
        fill: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>,
    ) -> Result<WrittenArray> {
        self.write_streamed(asset, true, fill)
    }

    /// Each element `fill` writes goes to the consumers of records: the file (through the
    /// hash, into the backend, unless the run keeps no files of records) and the sink.
    fn write_streamed(
        &self,
        asset: Asset,
        object: bool,
        fill: impl FnOnce(&mut JsonWriter<'_>) -> Result<()>,
    ) -> Result<WrittenArray> {
        let format = self.format;
        let name = format.file_name(asset.file().unwrap_or_default());
        let path = self.backend.locate(&name);
        let mut written = None;
        let sink = self.sink.as_ref();
        let lay_out = |out: &mut dyn Write| {
            let mut hashing = HashingWriter::new(out);
            let json = if object {
                JsonWriter::object(&mut hashing, &path)
            } else {
                JsonWriter::array(&mut hashing, &path)
            };
            let mut hand = |key: Option<&str>, json: &[u8]| {
                if let Some(sink) = sink {
                    sink.take(AssetRecord::new(asset, key, &String::from_utf8_lossy(json)));
                }
            };
            let mut json = json.laid_out(format);
            if sink.is_some() {
                json = json.tapped(&mut hand);
            }
            fill(&mut json)?;
            let count = json.finish()?;
            if format == OutputFormat::Json {
                hashing.write_all(b"\n").map_err(|e| Error::io(&path, e))?;
            }
            written = Some((count, hashing.hex_digest()));
            Ok(())
        };
        let kept = if self.keep_records {
            self.backend.write(&name, Box::new(lay_out))?;
            Some(path.clone())
        } else {
            lay_out(&mut std::io::sink())?;
            None
        };
        let (count, sha256) = written.unwrap_or_default();
        Ok(WrittenArray {
            path: kept,
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
    /// Where it was written: `None` when the run keeps no files of records.
    pub path: Option<PathBuf>,
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

    /// A file of records of the tests: `sources.json`.
    const ARRAY: Asset = Asset::CatalogSources;
    /// A file that maps models to values: `hf_detected_readme_languages.json`.
    const OBJECT: Asset = Asset::ReadmeLanguages;

    fn file(asset: Asset) -> &'static str {
        asset.file().unwrap()
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
                .write_json_array(ARRAY, |array| {
                    let path = Path::new(file(ARRAY));
                    records
                        .iter()
                        .try_for_each(|r| array.push_rendered(&Rendered::new(r, path)?))
                })
                .unwrap();
            assert_eq!(written.count, 2);
            assert_eq!(written.path, Some(files.locate(file(ARRAY))));
            assert!(files.exists(file(ARRAY)));
            assert!(!files.exists("never.json"));
        }
        let stored = memory.0.lock().unwrap();
        for name in ["whole.json", file(ARRAY)] {
            let disk = std::fs::read(folder.path().join(name)).unwrap();
            assert_eq!(stored[name], disk, "{name}");
        }
        // Streamed or whole, the same bytes.
        assert_eq!(stored["whole.json"], stored[file(ARRAY)]);
    }

    #[test]
    fn a_failed_fill_leaves_no_file_in_either_backend() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RunFolder::create(dir.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        let memory = InMemory::default();
        for files in [RunFiles::new(folder.clone()), RunFiles::new(memory.clone())] {
            let failed = files.write_json_object(OBJECT, |object| {
                object.entry("a", &1)?;
                Err(Error::io("half.json", std::io::Error::other("cut")))
            });
            assert!(failed.is_err());
            assert!(!files.exists(file(OBJECT)));
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
        let writing = run.write_records_behind(ARRAY, Box::new(records));
        let (written, _) = writing.wait().await.unwrap();
        assert_eq!(written.path, Some(run.locate(file(ARRAY))));
        assert_eq!(written.count, 2);
        assert_eq!(
            std::fs::read(written.path.unwrap()).unwrap(),
            std::fs::read(&in_turn).unwrap()
        );
        assert_eq!(
            written.sha256,
            crate::store::json_stream::file_sha256(&in_turn).unwrap()
        );
        // A write that fails is told when its turn comes: a folder stands where the file goes.
        let taken = run.locate(file(OBJECT));
        std::fs::create_dir(&taken).unwrap();
        std::fs::write(taken.join("x"), "").unwrap();
        let failed = run.write_records_behind(OBJECT, Box::new(vec![1]));
        assert!(failed.wait().await.is_err());
    }

    #[test]
    fn an_array_written_element_by_element() {
        let out = tempfile::tempdir().unwrap();
        let run =
            RunFiles::new(RunFolder::create(out.path(), jiff::Timestamp::UNIX_EPOCH).unwrap());
        let path = run.locate(file(ARRAY));
        let written = run
            .write_json_array(ARRAY, |array| {
                (1..=3).try_for_each(|n| array.push_rendered(&Rendered::new(&n, &path)?))
            })
            .unwrap();
        assert_eq!(written.count, 3);
        assert_eq!(
            std::fs::read_to_string(written.path.unwrap()).unwrap(),
            "[\n  1,\n  2,\n  3\n]\n"
        );
    }

    /// A sink keeping what it is handed.
    fn keeping() -> (RecordSink, Arc<Mutex<Vec<AssetRecord>>>) {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let into = Arc::clone(&kept);
        let sink = RecordSink::new(move |record| into.lock().unwrap().push(record));
        (sink, kept)
    }

    /// Each pushed element and written entry: rendered beforehand, rendered by the writer.
    fn fill_both(files: &RunFiles) -> [WrittenArray; 2] {
        let path = Path::new(file(ARRAY));
        let array = files
            .write_json_array(ARRAY, |array| {
                array.push_rendered(&Rendered::new(
                    &serde_json::json!({"b": [1, 2], "a": "x y"}),
                    path,
                )?)?;
                array.push(&serde_json::json!(null))
            })
            .unwrap();
        let object = files
            .write_json_object(OBJECT, |object| {
                object.entry("org/one", &serde_json::json!([{"code": "en"}]))?;
                let rendered = object.render_value(&serde_json::json!({"n": 2.5}))?;
                object.entry_rendered("org/two", &rendered)
            })
            .unwrap();
        [array, object]
    }

    #[test]
    fn the_sink_gets_each_record_compact_as_the_file_gets_it() {
        for format in [OutputFormat::Json, OutputFormat::JsonLines] {
            let dir = tempfile::tempdir().unwrap();
            let folder = RunFolder::create(dir.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
            let (sink, kept) = keeping();
            let files = RunFiles::new(folder)
                .laid_out(format)
                .handing_to(Some(sink));
            let [array, object] = fill_both(&files);
            let expected = [
                AssetRecord::new(ARRAY, None, r#"{"a":"x y","b":[1,2]}"#),
                AssetRecord::new(ARRAY, None, "null"),
                AssetRecord::new(OBJECT, Some("org/one"), r#"[{"code":"en"}]"#),
                AssetRecord::new(OBJECT, Some("org/two"), r#"{"n":2.5}"#),
            ];
            assert_eq!(*kept.lock().unwrap(), expected, "{format}");
            assert_eq!((array.count, object.count), (2, 2));
            // The file's records are those handed over, read back from it.
            let (sink, again) = keeping();
            let reader = files.clone().handing_to(Some(sink));
            for written in [&array, &object] {
                let path = written.path.as_ref().unwrap();
                let asset = if written == &array { ARRAY } else { OBJECT };
                reader.hand_over(asset, path).unwrap();
            }
            assert_eq!(*again.lock().unwrap(), expected, "{format}: read back");
        }
    }

    #[test]
    fn without_files_of_records_the_sink_alone_gets_them_counted_and_hashed_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RunFolder::create(dir.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        let written = fill_both(&RunFiles::new(folder));
        let other = tempfile::tempdir().unwrap();
        let folder = RunFolder::create(other.path(), jiff::Timestamp::UNIX_EPOCH).unwrap();
        let (sink, kept) = keeping();
        let files = RunFiles::new(folder.clone())
            .handing_to(Some(sink))
            .without_records();
        let handed = fill_both(&files);
        for (with, without) in written.iter().zip(&handed) {
            assert!(with.path.is_some());
            assert_eq!(without.path, None);
            assert_eq!((without.count, &without.sha256), (with.count, &with.sha256));
        }
        assert_eq!(kept.lock().unwrap().len(), 4);
        assert!(std::fs::read_dir(folder.path()).unwrap().next().is_none());
    }
}
