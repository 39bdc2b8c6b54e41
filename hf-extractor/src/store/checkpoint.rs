//! `checkpoint.jsonl.zst`: the run's journal, one JSON line per event, appended as the run goes,
//! each line compressed alone (see `journal_file`) so it can be read back by its place.
//!
//! Every model fetched (with its card) goes here the moment it arrives, and the pipeline keeps
//! only its place in the file plus what later stages need (ids, aliases,
//! identified references). The JSON files are then written by reading the models back one at a
//! time, in sorted order — so a run's memory does not grow with its cards.
//!
//! The same journal makes a run resumable: it also holds the listing's pages (with the next
//! page's URL), the models that could not be fetched, and each asset finished. A line is written
//! with one `write` call, so a `kill -9` leaves at most a torn last line, which opening the
//! journal again cuts off. [`JournalText`] reads a journal's lines as text, as it grows.
//!
//! The journal only journals: appending and reading back. The work a model's arrival starts
//! (languages, derived values, rendered records) is asked by whoever hands the model over
//! (the pipeline's `arrivals`).
//!
//! The journal is the crate's own; what others read of it is the file's name
//! ([`CHECKPOINT_FILE`]), how a run started ([`RunStart`]) and its text ([`JournalText`]).

use std::collections::BTreeMap;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hf_enrich::lineage::BaseModelStub;
use hf_enrich::models::{FetchedModel, ListedPage, ModelFailure, ModelSource};
use serde::{Deserialize, Serialize};

use crate::assets::Asset;
use crate::error::{Error, Result};
use crate::manifest::{AssetReport, FailureReport};
use crate::store::journal_file::{Format, JournalFile, Tail};
use crate::store::json_stream::OutputFormat;

pub(crate) use crate::store::journal_file::{Place as Stored, PlaceKey};

/// The journal's file name in a run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.jsonl.zst";

/// The journal's file name in run folders written before it was compressed: such a journal is
/// read (`--resume`, `--since-run`) and appended to as it is.
pub const PLAIN_CHECKPOINT_FILE: &str = "checkpoint.jsonl";

/// The journal of the run folder `folder`, if it has one: its path and how it is stored.
fn find(folder: &Path) -> Option<(PathBuf, Format)> {
    [
        (CHECKPOINT_FILE, Format::Zstd),
        (PLAIN_CHECKPOINT_FILE, Format::Plain),
    ]
    .into_iter()
    .map(|(name, format)| (folder.join(name), format))
    .find(|(path, _)| path.is_file())
}

/// Whether the run folder `folder` has a journal.
pub(crate) fn exists(folder: &Path) -> bool {
    find(folder).is_some()
}

/// A new, empty journal in `folder`, replacing the one there, and a plain one of an earlier
/// version (which would otherwise stay beside it, stale).
fn create_in(folder: &Path) -> Result<(PathBuf, JournalFile)> {
    let plain = folder.join(PLAIN_CHECKPOINT_FILE);
    if plain.is_file() {
        std::fs::remove_file(&plain).map_err(|e| Error::io(&plain, e))?;
    }
    let path = folder.join(CHECKPOINT_FILE);
    let file = JournalFile::create(&path)?;
    Ok((path, file))
}

/// The journal of `folder`, opened to read (and to append to, if `append`); an error naming
/// [`CHECKPOINT_FILE`] if there is none.
fn open_in(folder: &Path, append: bool) -> Result<(PathBuf, File, Format)> {
    let Some((path, format)) = find(folder) else {
        let path = folder.join(CHECKPOINT_FILE);
        let missing =
            std::io::Error::new(std::io::ErrorKind::NotFound, "no journal in the run folder");
        return Err(Error::io(&path, missing));
    };
    let file = OpenOptions::new()
        .read(true)
        .append(append)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    Ok((path, file, format))
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event {
    /// The run started (the first line).
    Started {
        /// When (RFC 3339): the extraction time of every record of the run.
        started_at: String,
        /// The assets selected.
        selection: Vec<Asset>,
        /// The earlier run folder upstream assets were loaded from, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<PathBuf>,
        /// The file the run's models were read from, if they were not extracted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        models: Option<PathBuf>,
        /// The Hub's endpoint (`HF_ENDPOINT`; never a token): a resumed run asks the listing's
        /// next page of its own endpoint when this one has moved.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        /// What served the Hub, when not the service at the endpoint itself (see
        /// [`MaterializeOptions::served_by`](crate::MaterializeOptions::served_by)).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        served_by: Option<String>,
        /// How the files of records are laid out, when not JSON arrays.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        format: Option<OutputFormat>,
    },
    /// A page of the latest-N listing arrived.
    Page(ListedPage),
    /// A model was fetched: by the listing (`position` in it), the model-id file (`position`:
    /// the entry's index), the lineage, or merged from both sources.
    Model {
        /// Which source.
        source: ModelSource,
        /// Its position in that source.
        position: usize,
        /// The model, card included.
        model: FetchedModel,
    },
    /// A model of both sources, merged (its card from whichever had one).
    Merged {
        /// The merged model.
        model: FetchedModel,
    },
    /// A model of the model-id file could not be fetched.
    Failed {
        /// The entry's index.
        position: usize,
        /// Why.
        failure: ModelFailure,
    },
    /// The lineage was followed: the parents that could not be read, and the failures.
    Lineage {
        /// The stubs.
        stubs: Vec<BaseModelStub>,
        /// The namespace-less base-model ids the Hub answered under another id, with that id
        /// ([`Lineage::renamed`](hf_enrich::lineage::Lineage::renamed)).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        renamed: BTreeMap<String, String>,
    },
    /// An asset is done: its file written.
    AssetDone {
        /// Its report.
        report: AssetReport,
        /// The failures it added to the run.
        failures: Vec<FailureReport>,
    },
}

/// How a run started: what the first line of its journal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStart {
    /// When (RFC 3339): the extraction time of every record of the run.
    pub started_at: String,
    /// The assets selected.
    pub selection: Vec<Asset>,
    /// The earlier run folder upstream assets were loaded from, if any.
    pub from: Option<PathBuf>,
    /// The file the run's models were read from, if they were not extracted.
    pub models: Option<PathBuf>,
    /// The Hub's endpoint, when the journal says (journals written before it did do not).
    pub endpoint: Option<String>,
    /// What served the Hub, when not the service at the endpoint itself.
    pub served_by: Option<String>,
    /// How the run's files of records are laid out, when not JSON arrays.
    pub format: Option<OutputFormat>,
}

impl RunStart {
    /// How the run in `folder` started, read from the first line of its journal only: what a
    /// resumed run needs to know before it is configured (which Hub served it).
    pub fn read(folder: &Path) -> Result<Self> {
        let (path, file, format) = open_in(folder, false)?;
        let first = JournalFile::first_line(&path, &file, format)?;
        first
            .and_then(|line| serde_json::from_slice(&line).ok())
            .and_then(Self::of)
            .ok_or_else(|| Error::Config {
                variable: "--resume".into(),
                value: folder.display().to_string(),
                reason: format!("its {CHECKPOINT_FILE} does not say how the run started"),
            })
    }

    /// What an [`Event::Started`] says; `None` for any other event.
    pub(crate) fn of(event: Event) -> Option<Self> {
        match event {
            Event::Started {
                started_at,
                selection,
                from,
                models,
                endpoint,
                served_by,
                format,
            } => Some(Self {
                started_at,
                selection,
                from,
                models,
                endpoint,
                served_by,
                format,
            }),
            _ => None,
        }
    }
}

/// The journal of a run folder, appended from any task or thread, read back by [`Stored`]
/// place. Cloning it is cheap: the clones share one file.
#[derive(Debug, Clone)]
pub(crate) struct Checkpoint {
    journal: Arc<Journal>,
}

#[derive(Debug)]
struct Journal {
    path: PathBuf,
    /// Appended to one line per call, read back by any thread at once.
    file: JournalFile,
}

impl Checkpoint {
    /// Create the journal of a new run in `folder` (replacing the journal of an earlier
    /// computation in the same folder, such as a shard computed again).
    pub fn create(folder: &Path) -> Result<Self> {
        let (path, file) = create_in(folder)?;
        Ok(Self::of(path, file))
    }

    /// Open the journal of an interrupted run in `folder` to append to it: a torn last line (a
    /// kill in the middle of a write) is cut off. Each event is handed to `each` with its place,
    /// in order, one at a time.
    pub fn open(folder: &Path, each: impl FnMut(Stored, Event) -> Result<()>) -> Result<Self> {
        let (path, file, format) = open_in(folder, true)?;
        let cut = file.try_clone().map_err(|e| Error::io(&path, e))?;
        let (journal, valid) = JournalFile::read(&path, file, format, events(&path, each))?;
        cut.set_len(valid).map_err(|e| Error::io(&path, e))?;
        Ok(Self::of(path, journal))
    }

    /// Open the journal of an earlier run in `folder` to read models from it; each event is
    /// handed to `each` as in [`open`](Self::open). The file is not changed.
    pub fn read_only(folder: &Path, each: impl FnMut(Stored, Event) -> Result<()>) -> Result<Self> {
        let (path, file, format) = open_in(folder, false)?;
        let (journal, _) = JournalFile::read(&path, file, format, events(&path, each))?;
        Ok(Self::of(path, journal))
    }

    fn of(path: PathBuf, file: JournalFile) -> Self {
        Self {
            journal: Arc::new(Journal { path, file }),
        }
    }

    /// The journal's file.
    pub(crate) fn path(&self) -> &Path {
        &self.journal.path
    }

    /// The run folder the journal is in.
    pub(crate) fn folder(&self) -> &Path {
        self.journal.path.parent().unwrap_or(Path::new("."))
    }

    /// Append one event; returns its place.
    pub fn append(&self, event: &Event) -> Result<Stored> {
        self.append_line(event)
    }

    /// Append a listing page ([`Event::Page`], the page borrowed); returns its place.
    pub fn append_page(&self, page: &ListedPage) -> Result<Stored> {
        /// [`Event::Page`] with the page borrowed.
        #[derive(Serialize)]
        #[serde(tag = "event", rename = "page")]
        struct PageLine<'p> {
            #[serde(flatten)]
            page: &'p ListedPage,
        }
        self.append_line(&PageLine { page })
    }

    /// Append a model of `source`, at `position` in it; returns its place.
    pub fn append_model(
        &self,
        source: ModelSource,
        position: usize,
        model: &FetchedModel,
    ) -> Result<Stored> {
        /// [`Event::Model`] with the model borrowed.
        #[derive(Serialize)]
        #[serde(tag = "event", rename = "model")]
        struct ModelLine<'m> {
            source: ModelSource,
            position: usize,
            model: &'m FetchedModel,
        }
        self.append_line(&ModelLine {
            source,
            position,
            model,
        })
    }

    /// Append a model merged from both sources; returns its place.
    pub fn append_merged(&self, model: &FetchedModel) -> Result<Stored> {
        /// [`Event::Merged`] with the model borrowed.
        #[derive(Serialize)]
        #[serde(tag = "event", rename = "merged")]
        struct MergedLine<'m> {
            model: &'m FetchedModel,
        }
        self.append_line(&MergedLine { model })
    }

    fn append_line(&self, event: &impl Serialize) -> Result<Stored> {
        let mut line = serde_json::to_vec(event).map_err(|source| Error::Json {
            path: self.journal.path.clone(),
            source,
        })?;
        line.push(b'\n');
        self.journal.file.append(&line)
    }

    /// The model at `at`.
    pub fn model(&self, at: Stored) -> Result<FetchedModel> {
        let line = self.journal.file.line(at)?;
        /// A [`Event::Model`] or [`Event::Merged`] line, its model read straight into place
        /// (an internally tagged [`Event`] would first copy the whole line, card included,
        /// into a buffer of its own).
        #[derive(Deserialize)]
        struct ModelOfLine {
            event: String,
            model: Option<FetchedModel>,
        }
        match serde_json::from_slice(&line) {
            Ok(ModelOfLine {
                event,
                model: Some(model),
            }) if event == "model" || event == "merged" => Ok(model),
            Ok(_) => Err(Error::io(
                &self.journal.path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("byte {}: not a model line", at.offset),
                ),
            )),
            Err(source) => Err(Error::Json {
                path: self.journal.path.clone(),
                source,
            }),
        }
    }
}

/// What reads the journal's lines at `path`: each parsed into an [`Event`] and handed to `each`;
/// a line that is not an event is an error naming its number.
fn events(
    path: &Path,
    mut each: impl FnMut(Stored, Event) -> Result<()>,
) -> impl FnMut(Stored, &[u8]) -> Result<()> {
    let mut number = 0usize;
    move |at, line| {
        number += 1;
        let event: Event = serde_json::from_slice(line).map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {number}: {e}"),
                ),
            )
        })?;
        each(at, event)
    }
}

/// A run folder's journal read as text, as it grows: its lines of JSON (each one event of the
/// run, in the order they happened), whichever way they are stored. What a tool watching a run,
/// or a person, reads of it.
///
/// ```no_run
/// # fn main() -> hf_extractor::Result<()> {
/// use hf_extractor::checkpoint::JournalText;
///
/// let mut journal = JournalText::new("runs/run_2026-12-07_10-00-00".as_ref());
/// let models = journal.read_new()?.lines().filter(|l| l.starts_with(r#"{"event":"model""#)).count();
/// println!("{models} models journaled so far");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct JournalText {
    folder: PathBuf,
    tail: Option<(File, Tail)>,
}

impl JournalText {
    /// The journal of the run folder `folder`, read from its start once it is there.
    pub fn new(folder: &Path) -> Self {
        Self {
            folder: folder.to_owned(),
            tail: None,
        }
    }

    /// The journal of the run folder `folder`, from its start; an error if the folder has no
    /// journal.
    pub fn open(folder: &Path) -> Result<Self> {
        let (path, file, format) = open_in(folder, false)?;
        Ok(Self {
            folder: folder.to_owned(),
            tail: Some((file, Tail::new(&path, format))),
        })
    }

    /// Hand each whole line appended since the last call (with its final newline) to `each`;
    /// returns how many there were. None while the folder has no journal yet; a line being
    /// written is read by the next call.
    pub fn each_new_line(&mut self, mut each: impl FnMut(&str)) -> Result<usize> {
        if self.tail.is_none() {
            let Some((path, format)) = find(&self.folder) else {
                return Ok(0);
            };
            let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
            self.tail = Some((file, Tail::new(&path, format)));
        }
        let mut lines = 0;
        if let Some((file, tail)) = &mut self.tail {
            tail.read_new(file, |_, line| {
                each(&String::from_utf8_lossy(line));
                lines += 1;
                Ok(std::ops::ControlFlow::Continue(()))
            })?;
        }
        Ok(lines)
    }

    /// The whole lines appended since the last call, as one text (see
    /// [`each_new_line`](Self::each_new_line)).
    pub fn read_new(&mut self) -> Result<String> {
        let mut text = String::new();
        self.each_new_line(|line| text.push_str(line))?;
        Ok(text)
    }

    /// The whole journal of `folder` as text.
    pub fn read_all(folder: &Path) -> Result<String> {
        Self::open(folder)?.read_new()
    }

    /// Replace the journal of `folder` by the lines of `text`, stored as a run stores them (a
    /// journal edited by hand, or cut short to replay a crash).
    pub fn write_all(folder: &Path, text: &str) -> Result<()> {
        let (_, journal) = create_in(folder)?;
        for line in text.split_inclusive('\n') {
            journal.append(line.as_bytes())?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use hf_client::wire::ModelInfo;
    use std::io::Write;

    /// A model of the listing with just an id and a card.
    pub(crate) fn model(id: &str, card: &str) -> FetchedModel {
        let info: ModelInfo = serde_json::from_value(serde_json::json!({"id": id})).unwrap();
        FetchedModel::new(info, Some(card.into()), ModelSource::Latest)
    }

    #[test]
    fn models_read_back_by_place_and_a_torn_line_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Checkpoint::create(dir.path()).unwrap();
        let a = journal
            .append_model(ModelSource::Latest, 0, &model("a/a", "card\nof a"))
            .unwrap();
        let b = journal
            .append_model(ModelSource::File, 3, &model("b/b", "b"))
            .unwrap();
        assert_eq!(journal.model(b).unwrap().id, "b/b");
        assert_eq!(
            journal.model(a).unwrap().card.as_deref(),
            Some("card\nof a")
        );
        drop(journal);

        // A kill in the middle of a line: the first bytes of its frame are written.
        let path = dir.path().join(CHECKPOINT_FILE);
        let whole = std::fs::read(&path).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&whole[b.offset as usize..][..b.len as usize / 2])
            .unwrap();
        let mut events = Vec::new();
        let journal = Checkpoint::open(dir.path(), |at, e| {
            events.push((at, e));
            Ok(())
        })
        .unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].0, b);
        assert!(matches!(&events[1].1, Event::Model { position: 3, .. }));
        let c = journal
            .append_model(ModelSource::Lineage, 0, &model("c/c", ""))
            .unwrap();
        assert_eq!(journal.model(c).unwrap().id, "c/c");
        let merged = journal.append_merged(&model("d/d", "")).unwrap();
        assert_eq!(journal.model(merged).unwrap().id, "d/d");
        assert!(journal.model(Stored { offset: 1, len: 5 }).is_err());
    }

    #[test]
    fn a_page_written_borrowed_reads_back_as_the_page_event() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Checkpoint::create(dir.path()).unwrap();
        let page = ListedPage {
            first_position: 1000,
            items: vec![model("a/a", "").info, model("b/b", "").info],
            next: Some("https://hub.test/api/models?cursor=x".into()),
        };
        let at = journal.append_page(&page).unwrap();
        let err = journal.model(at).unwrap_err().to_string();
        assert!(err.contains("not a model line"), "{err}");
        drop(journal);
        let mut events = Vec::new();
        Checkpoint::open(dir.path(), |_, e| {
            events.push(e);
            Ok(())
        })
        .unwrap();
        assert_eq!(events, [Event::Page(page)]);
    }

    #[test]
    fn a_bad_line_is_an_error_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        JournalText::write_all(
            dir.path(),
            "{\"event\":\"page\",\"first_position\":0,\"items\":[]}\n{\"event\":\"nope\"}\n",
        )
        .unwrap();
        let err = Checkpoint::open(dir.path(), |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(CHECKPOINT_FILE) && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn a_plain_journal_of_an_earlier_version_is_resumed_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let started = r#"{"event":"started","started_at":"2026-01-01T00:00:00Z","selection":[]}"#;
        let plain = dir.path().join(PLAIN_CHECKPOINT_FILE);
        std::fs::write(&plain, format!("{started}\n{{\"event\":\"mod")).unwrap();
        assert_eq!(
            RunStart::read(dir.path()).unwrap().started_at,
            "2026-01-01T00:00:00Z"
        );
        let mut events = 0;
        let journal = Checkpoint::open(dir.path(), |_, _| {
            events += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(events, 1);
        let at = journal
            .append_model(ModelSource::Latest, 0, &model("a/a", "card"))
            .unwrap();
        assert_eq!(journal.model(at).unwrap().id, "a/a");
        assert!(!dir.path().join(CHECKPOINT_FILE).exists());
        let text = JournalText::read_all(dir.path()).unwrap();
        assert!(
            text.starts_with(&format!("{started}\n{{\"event\":\"model\"")),
            "{text}"
        );
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn the_text_of_a_journal_is_read_as_it_grows_and_written_back_compressed() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = JournalText::new(dir.path());
        assert_eq!(text.read_new().unwrap(), "");
        assert!(JournalText::read_all(dir.path()).is_err());
        let journal = Checkpoint::create(dir.path()).unwrap();
        journal
            .append_model(ModelSource::Latest, 0, &model("a/a", "card"))
            .unwrap();
        let first = text.read_new().unwrap();
        assert!(
            first.starts_with(r#"{"event":"model","source":"latest","position":0"#),
            "{first}"
        );
        assert_eq!(text.read_new().unwrap(), "");
        journal.append_merged(&model("b/b", "")).unwrap();
        let second = text.read_new().unwrap();
        assert!(second.starts_with(r#"{"event":"merged""#), "{second}");
        drop(journal);

        // The whole text, cut to its first line and written back: a journal of that line.
        let all = JournalText::read_all(dir.path()).unwrap();
        assert_eq!(all, format!("{first}{second}"));
        JournalText::write_all(dir.path(), &first).unwrap();
        let mut models = Vec::new();
        Checkpoint::read_only(dir.path(), |_, e| {
            models.push(e);
            Ok(())
        })
        .unwrap();
        assert!(matches!(&models[..], [Event::Model { position: 0, .. }]));
        let size = std::fs::metadata(dir.path().join(CHECKPOINT_FILE))
            .unwrap()
            .len();
        assert!(
            size > first.len() as u64,
            "the head frame holds the dictionary"
        );
    }
}
