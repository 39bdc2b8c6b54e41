//! `checkpoint.jsonl`: the run's journal, one JSON line per event, appended as the run goes.
//!
//! Every model fetched (with its card) goes here the moment it arrives, and the pipeline keeps
//! only its place in the file plus what later stages need (ids, aliases,
//! identified references). The JSON files are then written by reading the models back one at a
//! time, in sorted order — so a run's memory does not grow with its cards.
//!
//! The same journal makes a run resumable: it also holds the listing's pages (with the next
//! page's URL), the models that could not be fetched, and each asset finished. A line is written
//! with one `write` call, so a `kill -9` leaves at most a torn last line, which opening the
//! journal again cuts off.
//!
//! The journal only journals: appending and reading back. The work a model's arrival starts
//! (languages, derived values, rendered records) is asked by whoever hands the model over
//! (the pipeline's `arrivals`).
//!
//! The journal is the crate's own; what others read of it is the file's name
//! ([`CHECKPOINT_FILE`]) and how a run started ([`RunStart`]).

use std::collections::BTreeMap;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hf_enrich::lineage::BaseModelStub;
use hf_enrich::models::{FetchedModel, ListedPage, ModelFailure, ModelSource};
use serde::{Deserialize, Serialize};

use crate::assets::Asset;
use crate::error::{Error, Result};
use crate::manifest::{AssetReport, FailureReport};
use crate::store::append_file::{AppendFile, create_read_write};

/// The journal's file name in a run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.jsonl";

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
}

impl RunStart {
    /// How the run in `folder` started, read from the first line of its journal only: what a
    /// resumed run needs to know before it is configured (which Hub served it).
    pub fn read(folder: &Path) -> Result<Self> {
        let path = folder.join(CHECKPOINT_FILE);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut first = String::new();
        BufReader::new(file)
            .read_line(&mut first)
            .map_err(|e| Error::io(&path, e))?;
        serde_json::from_str(&first)
            .ok()
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
            } => Some(Self {
                started_at,
                selection,
                from,
                models,
                endpoint,
                served_by,
            }),
            _ => None,
        }
    }
}

/// Where a model's line is in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Stored {
    offset: u64,
    len: u32,
}

#[cfg(test)]
impl Stored {
    /// A place for tests of what is kept by place.
    pub(crate) fn at(offset: u64) -> Self {
        Self { offset, len: 1 }
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
    file: AppendFile,
}

impl Checkpoint {
    /// Create the journal of a new run in `folder` (replacing the journal of an earlier
    /// computation in the same folder, such as a shard computed again).
    pub fn create(folder: &Path) -> Result<Self> {
        let path = folder.join(CHECKPOINT_FILE);
        let file = create_read_write(&path)?;
        Self::of(path, file)
    }

    /// Open the journal of an interrupted run in `folder` to append to it: a torn last line (a
    /// kill in the middle of a write) is cut off. Each event is handed to `each` with its place,
    /// in order, one at a time.
    pub fn open(folder: &Path, each: impl FnMut(Stored, Event) -> Result<()>) -> Result<Self> {
        let path = folder.join(CHECKPOINT_FILE);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let valid = scan(&path, &file, each)?;
        file.set_len(valid).map_err(|e| Error::io(&path, e))?;
        Self::of(path, file)
    }

    /// Open the journal of an earlier run in `folder` to read models from it; each event is
    /// handed to `each` as in [`open`](Self::open). The file is not changed.
    pub fn read_only(folder: &Path, each: impl FnMut(Stored, Event) -> Result<()>) -> Result<Self> {
        let path = folder.join(CHECKPOINT_FILE);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        scan(&path, &file, each)?;
        Self::of(path, file)
    }

    fn of(path: PathBuf, file: File) -> Result<Self> {
        let file = AppendFile::new(file).map_err(|e| Error::io(&path, e))?;
        Ok(Self {
            journal: Arc::new(Journal { path, file }),
        })
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
        let len = u32::try_from(line.len()).map_err(|_| {
            Error::io(
                &self.journal.path,
                std::io::Error::other("a journal line longer than 4 GiB"),
            )
        })?;
        let offset = self
            .journal
            .file
            .append(&line)
            .map_err(|e| Error::io(&self.journal.path, e))?;
        Ok(Stored { offset, len })
    }

    /// The model at `at`.
    pub fn model(&self, at: Stored) -> Result<FetchedModel> {
        let mut line = vec![0; at.len as usize];
        self.journal
            .file
            .read_exact_at(&mut line, at.offset)
            .map_err(|e| Error::io(&self.journal.path, e))?;
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

/// Read every whole line of the journal; returns the length of the whole lines.
fn scan(
    path: &Path,
    file: &File,
    mut each: impl FnMut(Stored, Event) -> Result<()>,
) -> Result<u64> {
    let mut reader = BufReader::new(file);
    let mut offset = 0u64;
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok(offset);
        }
        number += 1;
        let event: Event = serde_json::from_slice(&line).map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {number}: {e}"),
                ),
            )
        })?;
        let stored = Stored {
            offset,
            len: u32::try_from(n).unwrap_or(u32::MAX),
        };
        each(stored, event)?;
        offset += n as u64;
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

        // A kill in the middle of a line.
        let path = dir.path().join(CHECKPOINT_FILE);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"event\":\"model\",\"sou").unwrap();
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
        std::fs::write(dir.path().join(CHECKPOINT_FILE), "{\"event\":\"nope\"}\n").unwrap();
        let err = Checkpoint::open(dir.path(), |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(CHECKPOINT_FILE) && err.contains("line 1"),
            "{err}"
        );
    }
}
