//! The run's models between stages: each one a place in the journal ([`Checkpoint`]) with its
//! id, aliases and identified references — never its card, which is read back from the journal
//! only while its record is written.

use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use hf_enrich::identify::identify_model;
use hf_enrich::lineage::ModelKey;
use hf_enrich::lookahead::Lookahead;
use hf_enrich::models::{FetchedModel, ModelSource, SourceOutcome, merge, merge_model};
use hf_identifiers::BaseModelRef;

use crate::checkpoint::{Checkpoint, Stored};
use crate::error::{Error, Result};
use crate::in_order::for_each_in_order;
use crate::packed_refs::{Interner, PackedRefs, PackedRun};
use crate::record_spool::SpoolPlace;
use crate::run_folder::{FileWriting, RunFolder, WrittenArray};

/// A model of the run: its ids and its place in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: ModelKey,
    pub at: Stored,
}

/// What a model source produced: its models in source order, each with what was identified in
/// it, and the outcome's failures, filtered counts and watermark (its `models` stay empty).
#[derive(Debug, Default)]
pub(crate) struct SourceModels {
    pub outcome: SourceOutcome,
    pub models: Vec<(Entry, PackedRefs)>,
}

/// A model of a source at its position, with what was identified in it.
type Positioned = (usize, Entry, PackedRefs);

/// Takes the models of a source as they are fetched: journals each one, identifies it, and
/// keeps its place. The first journal error is kept and returned by [`Collector::finish`].
pub(crate) struct Collector {
    checkpoint: Checkpoint,
    source: ModelSource,
    /// Told of each model identified, to fetch ahead what the run will ask of it.
    lookahead: Option<Arc<Lookahead>>,
    models: Mutex<(Vec<Positioned>, Interner)>,
    error: Mutex<Option<Error>>,
}

impl Collector {
    pub fn new(checkpoint: Checkpoint, source: ModelSource) -> Self {
        Self {
            checkpoint,
            source,
            lookahead: None,
            models: Mutex::new((Vec::new(), Interner::default())),
            error: Mutex::new(None),
        }
    }

    /// Tell `lookahead` of each model identified.
    pub fn with_lookahead(mut self, lookahead: Option<Arc<Lookahead>>) -> Self {
        self.lookahead = lookahead;
        self
    }

    /// Journal and identify one model; returns how many the collector holds.
    pub fn add(&self, position: usize, model: &FetchedModel) -> usize {
        let identified = identify_model(model);
        if let Some(lookahead) = &self.lookahead {
            lookahead.run_model(&model.id, &model.aliases, &identified);
        }
        let found = PackedRefs::pack(identified);
        let stored = self.checkpoint.append_model(self.source, position, model);
        if let Ok(at) = stored {
            self.note(self.checkpoint.render_ahead(at, model, found.base_models()));
        }
        self.keep(position, model, stored, found)
    }

    /// Take models already in the journal (a resumed run).
    pub fn seed(&self, models: Vec<(usize, Entry, PackedRefs)>) {
        let mut held = self.models.lock().unwrap_or_else(|e| e.into_inner());
        let (held, interner) = &mut *held;
        held.extend(
            models
                .into_iter()
                .map(|(position, entry, found)| (position, entry, interner.intern(found))),
        );
    }

    /// Keep the first error of a journal write.
    pub fn note<T>(&self, written: Result<T>) {
        if let Err(e) = written {
            let mut error = self.error.lock().unwrap_or_else(|e| e.into_inner());
            error.get_or_insert(e);
        }
    }

    fn keep(
        &self,
        position: usize,
        model: &FetchedModel,
        stored: Result<Stored>,
        found: PackedRefs,
    ) -> usize {
        let mut models = self.models.lock().unwrap_or_else(|e| e.into_inner());
        let (models, interner) = &mut *models;
        match stored {
            Ok(at) => models.push((
                position,
                Entry {
                    key: ModelKey::of(model),
                    at,
                },
                interner.intern(found),
            )),
            Err(e) => self.note::<()>(Err(e)),
        }
        models.len()
    }

    /// How many models the collector holds.
    pub fn len(&self) -> usize {
        self.models
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .len()
    }

    /// The models collected, sorted by position, or the first journal error. The collector is
    /// left empty.
    pub fn finish(&self) -> Result<Vec<(usize, Entry, PackedRefs)>> {
        if let Some(e) = self.error.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(e);
        }
        let (mut models, _) =
            std::mem::take(&mut *self.models.lock().unwrap_or_else(|e| e.into_inner()));
        models.sort_by_key(|(position, ..)| *position);
        Ok(models)
    }
}

/// Models waiting for the journal threads, at most (a few KB each).
const JOURNAL_QUEUE: usize = 256;

/// Threads (one per core) that identify, journal and render the models handed to them
/// ([`Collector::add`]), so the task fetching the cards only hands each model over and asks the
/// next card: identifying, writing and rendering a model is most of the CPU a card costs.
///
/// [`send`](Self::send) waits when the threads are [`JOURNAL_QUEUE`] models behind. Dropping
/// the handle (or [`finish`](Self::finish)) lets the threads journal what was handed over and
/// waits for them, so no model handed over is lost.
pub(crate) struct JournalThreads {
    models: Option<SyncSender<(usize, FetchedModel)>>,
    threads: Vec<JoinHandle<()>>,
}

impl JournalThreads {
    pub fn start(collector: &Arc<Collector>) -> Self {
        let (models, received) = sync_channel::<(usize, FetchedModel)>(JOURNAL_QUEUE);
        let received = Arc::new(Mutex::new(received));
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let threads: Vec<_> = (0..cores)
            .filter_map(|_| {
                let collector = Arc::clone(collector);
                let received = Arc::clone(&received);
                let spawned =
                    std::thread::Builder::new()
                        .name("hf-journal".into())
                        .spawn(move || {
                            loop {
                                let next =
                                    received.lock().unwrap_or_else(|e| e.into_inner()).recv();
                                let Ok((position, model)) = next else { break };
                                collector.add(position, &model);
                            }
                        });
                spawned
                    .map_err(|e| tracing::warn!(error = %e, "a journal thread could not start"))
                    .ok()
            })
            .collect();
        Self {
            // No thread to be had: the caller journals.
            models: (!threads.is_empty()).then_some(models),
            threads,
        }
    }

    /// Hand a model over (or journal it here, without a thread).
    pub fn send(&self, collector: &Collector, position: usize, model: FetchedModel) {
        match &self.models {
            Some(models) => {
                if let Err(std::sync::mpsc::SendError((position, model))) =
                    models.send((position, model))
                {
                    // The threads are gone (they panicked; `finish` says so): journal here.
                    collector.add(position, &model);
                }
            }
            None => {
                collector.add(position, &model);
            }
        }
    }

    /// Wait until every model handed over is journaled.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.models = None;
        for thread in self.threads.drain(..) {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

impl Drop for JournalThreads {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.stop();
        }
    }
}

/// The models at the `kept` positions (ascending) of `models` (sorted by position).
pub(crate) fn keep_positions(
    models: Vec<(usize, Entry, PackedRefs)>,
    kept: &[usize],
) -> Vec<(Entry, PackedRefs)> {
    let mut kept = kept.iter().peekable();
    let mut out = Vec::with_capacity(kept.len());
    for (position, entry, found) in models {
        while kept.next_if(|&&k| k < position).is_some() {}
        if kept.next_if(|&&k| k == position).is_some() {
            out.push((entry, found));
        }
    }
    out
}

/// Write `file` as an array of model records, reading each model back from the journal and
/// rendering its record on all cores (written in the models' order).
pub(crate) fn write_records<'a>(
    folder: &RunFolder,
    checkpoint: &Checkpoint,
    file: &str,
    models: impl IntoIterator<Item = (Stored, Option<&'a [BaseModelRef]>)>,
    stamp: &str,
) -> Result<WrittenArray> {
    let models: Vec<_> = models.into_iter().collect();
    let path = folder.path().join(file);
    let render =
        |&(at, refs): &(Stored, Option<&[BaseModelRef]>)| checkpoint.record(at, refs, stamp, &path);
    folder.write_json_array(file, |array| {
        for_each_in_order(&models, render, |record| array.push_rendered(&record))
    })
}

/// [`write_records`], the writing done on a thread of its own while the run goes on. Each
/// record is rendered (or found rendered) in the journal's record spool first, on all cores;
/// the thread then copies the records from there one by one, so it holds only their places
/// and one record. Without a spool for `stamp`, the file is written here.
pub(crate) fn write_records_behind<'a>(
    folder: &RunFolder,
    checkpoint: &Checkpoint,
    file: &str,
    models: impl IntoIterator<Item = (Stored, Option<&'a [BaseModelRef]>)>,
    stamp: &str,
) -> Result<FileWriting> {
    if !checkpoint.keeps_records(stamp) {
        return Ok(FileWriting::done(write_records(
            folder, checkpoint, file, models, stamp,
        )));
    }
    let models: Vec<_> = models.into_iter().collect();
    let mut places: Vec<SpoolPlace> = Vec::with_capacity(models.len());
    let place =
        |&(at, refs): &(Stored, Option<&[BaseModelRef]>)| checkpoint.record_place(at, refs, stamp);
    for_each_in_order(&models, place, |place| {
        places.push(place);
        Ok(())
    })?;
    drop(models);
    let (folder, checkpoint, file) = (folder.clone(), checkpoint.clone(), file.to_owned());
    let path = folder.path().join(&file);
    FileWriting::spawn(&path, move || {
        // One record read at a time: a copy, no work to spread over the cores.
        folder.write_json_array(&file, |array| {
            places
                .iter()
                .try_for_each(|place| array.push_rendered(&checkpoint.kept_record(*place)?))
        })
    })
}

/// Merge the two sources by canonical id (sorted by id), as [`merge`] does with whole models: a
/// model both sources gave is read back, merged, identified again and journaled. Returns the
/// run's models, what was identified in them, and the merged outcome (failures, filtered
/// counts, watermark).
pub(crate) fn merge_sources(
    checkpoint: &Checkpoint,
    sources: [SourceModels; 2],
) -> Result<(Vec<Entry>, PackedRun, SourceOutcome)> {
    // The first source's list becomes the merged one (no copy when the second is empty).
    let [first, second] = sources;
    let mut all = first.models;
    all.extend(second.models);
    let outcomes = [first.outcome, second.outcome];
    let outcome = merge(outcomes);
    // Stable: the models of one id stay in source order (latest first).
    all.sort_by(|a, b| a.0.key.id.cmp(&b.0.key.id));
    let mut refs = PackedRun::default();
    let mut entries = Vec::with_capacity(all.len());
    let mut all = all.into_iter().peekable();
    while let Some((first, found)) = all.next() {
        let id = first.key.id.clone();
        let mut group = Vec::new();
        while let Some((other, _)) = all.next_if(|(e, _)| e.key.id == id) {
            group.push(other);
        }
        let (entry, found) = if group.is_empty() {
            (first, found)
        } else {
            let mut merged = checkpoint.model(first.at)?;
            for other in group {
                merge_model(&mut merged, checkpoint.model(other.at)?);
            }
            let found = PackedRefs::of(&merged);
            let at = checkpoint.append_merged(&merged)?;
            (
                Entry {
                    key: ModelKey::of(&merged),
                    at,
                },
                found,
            )
        };
        refs.insert(&id, found);
        entries.push(entry);
    }
    Ok((entries, refs, outcome))
}

/// Identify models already in the journal (models loaded from an earlier run).
pub(crate) fn identify_entries(checkpoint: &Checkpoint, entries: &[Entry]) -> Result<PackedRun> {
    let mut refs = PackedRun::default();
    for entry in entries {
        let model = checkpoint.model(entry.at)?;
        refs.insert(&entry.key.id, PackedRefs::of(&model));
    }
    Ok(refs)
}
