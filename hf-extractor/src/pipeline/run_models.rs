//! The run's models between stages: each one a place in the journal
//! ([`Checkpoint`](crate::store::checkpoint::Checkpoint)) with its id, aliases and the place of
//! its identified references in the run's spool — never its card, which is read back from the
//! journal only while its record is written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, Semaphore};

use hf_enrich::identify::identify_model;
use hf_enrich::lineage::ModelKey;
use hf_enrich::lookahead::Lookahead;
use hf_enrich::models::{FetchedModel, ModelSource, SourceOutcome, merge, merge_model};
use hf_identifiers::BaseModelRef;

use crate::assets::Asset;
use crate::cpu::CpuPool;
use crate::error::{Error, Result};
use crate::pipeline::arrivals::Arrivals;
use crate::pipeline::packed_refs::{PackedRefs, PackedRun, SpooledRefs};
use crate::store::checkpoint::Stored;
use crate::store::files::{FileWriting, RunFiles, WrittenArray};
use crate::store::record_spool::SpoolPlace;

/// A model of the run: its ids and its place in the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: ModelKey,
    pub at: Stored,
}

/// The lineage reads the run's entries as they are, without a list of their keys.
impl AsRef<ModelKey> for Entry {
    fn as_ref(&self) -> &ModelKey {
        &self.key
    }
}

/// What a model source produced: its models in source order, each with what was identified in
/// it, and the outcome's failures, filtered counts and watermark (its `models` stay empty).
#[derive(Debug, Default, Clone)]
pub(crate) struct SourceModels {
    pub outcome: SourceOutcome,
    pub models: Vec<(Entry, SpooledRefs)>,
}

/// A model of a source at its position, with what was identified in it.
type Positioned = (usize, Entry, SpooledRefs);

/// Takes the models of a source as they are fetched: journals each one, identifies it, and
/// keeps its place. The first journal error is kept and returned by [`Collector::finish`].
pub(crate) struct Collector {
    arrivals: Arrivals,
    source: ModelSource,
    /// Told of each model identified, to fetch ahead what the run will ask of it.
    lookahead: Option<Arc<Lookahead>>,
    models: Mutex<Vec<Positioned>>,
    error: Mutex<Option<Error>>,
}

impl Collector {
    pub fn new(arrivals: &Arrivals, source: ModelSource) -> Self {
        Self {
            arrivals: arrivals.clone(),
            source,
            lookahead: None,
            models: Mutex::new(Vec::new()),
            error: Mutex::new(None),
        }
    }

    /// Tell `lookahead` of each model identified.
    pub fn with_lookahead(mut self, lookahead: Option<Arc<Lookahead>>) -> Self {
        self.lookahead = lookahead;
        self
    }

    /// Identify and journal one model, and tell [`Arrivals`] of it (its record rendered
    /// ahead); returns how many the collector holds.
    pub fn add(&self, position: usize, model: &FetchedModel) -> usize {
        let identified = identify_model(model);
        if let Some(lookahead) = &self.lookahead {
            lookahead.run_model(&model.id, &model.aliases, &identified);
        }
        let found = PackedRefs::pack(identified);
        let stored = self
            .arrivals
            .checkpoint()
            .append_model(self.source, position, model);
        if let Ok(at) = stored {
            self.arrivals.arrived(at, model);
            self.note(self.arrivals.render_ahead(at, model, found.base_models()));
            self.arrivals
                .announce(self.source, model, found.base_models());
        }
        self.keep(position, model, stored, found)
    }

    /// Take models already in the journal (a resumed run).
    pub fn seed(&self, models: Vec<(usize, Entry, PackedRefs)>) {
        let spool = self.arrivals.refs_spool();
        for (position, entry, found) in models {
            match found.spool(spool) {
                Ok(found) => self.lock().push((position, entry, found)),
                Err(e) => self.note::<()>(Err(e)),
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Positioned>> {
        self.models.lock().unwrap_or_else(|e| e.into_inner())
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
        // Spooled before the lock is taken: the appends of the pool's threads overlap.
        let kept = stored.and_then(|at| Ok((at, found.spool(self.arrivals.refs_spool())?)));
        let mut models = self.lock();
        match kept {
            Ok((at, found)) => models.push((
                position,
                Entry {
                    key: ModelKey::of(model),
                    at,
                },
                found,
            )),
            Err(e) => self.note::<()>(Err(e)),
        }
        models.len()
    }

    /// How many models the collector holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// The models collected, sorted by position, or the first journal error. The collector is
    /// left empty.
    pub fn finish(&self) -> Result<Vec<Positioned>> {
        if let Some(e) = self.error.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(e);
        }
        let mut models = std::mem::take(&mut *self.lock());
        models.sort_by_key(|(position, ..)| *position);
        Ok(models)
    }
}

/// Models handed over and not journaled yet, at most (a few KB each): the room of the
/// sources' listing ([`ListingPlan::room`](hf_enrich::models::ListingPlan::room)).
const JOURNAL_QUEUE: usize = 256;

/// Hands the models of a source to the run's CPU pool as they arrive, where each is
/// identified, journaled and rendered ([`Collector::add`]): the task fetching the cards only
/// hands each model over and asks the next card (identifying, writing and rendering a model is
/// most of the CPU a card costs).
///
/// The source waits for [`room`](Self::room) before each card (without blocking), so at most
/// [`JOURNAL_QUEUE`] models wait for the pool, plus the few a source hands over at once.
/// [`finish`](Self::finish) waits (without blocking) until every model handed over is
/// journaled, so none is lost.
pub(crate) struct Handoff {
    pool: CpuPool,
    room: Arc<Semaphore>,
    pending: Arc<Pending>,
}

/// The models handed over and not journaled yet.
#[derive(Default)]
struct Pending {
    count: Mutex<usize>,
    idle: Notify,
}

/// One model handed over: counted as pending until dropped (done, or its job unwound).
struct Handed(Arc<Pending>);

impl Handed {
    fn new(pending: &Arc<Pending>) -> Self {
        *pending.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Self(Arc::clone(pending))
    }
}

impl Drop for Handed {
    fn drop(&mut self) {
        let mut count = self.0.count.lock().unwrap_or_else(|e| e.into_inner());
        *count -= 1;
        if *count == 0 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Handoff {
    pub fn new(pool: &CpuPool) -> Self {
        Self {
            pool: pool.clone(),
            room: Arc::new(Semaphore::new(JOURNAL_QUEUE)),
            pending: Arc::default(),
        }
    }

    /// The room the source waits for before each card.
    pub fn room(&self) -> Arc<Semaphore> {
        Arc::clone(&self.room)
    }

    /// Hand a model over to be journaled on the pool.
    pub fn send(&self, collector: &Arc<Collector>, position: usize, model: FetchedModel) {
        // None free: one of the few handed over at once, queued beyond the room.
        let permit = Arc::clone(&self.room).try_acquire_owned().ok();
        let handed = Handed::new(&self.pending);
        let (collector, pool) = (Arc::clone(collector), self.pool.clone());
        self.pool.spawn(move || {
            let (_handed, _permit) = (handed, permit);
            // A run stopped journals nothing more.
            if !pool.is_cancelled() {
                collector.add(position, &model);
            }
        });
    }

    /// Wait until every model handed over is journaled.
    pub async fn finish(&self) {
        loop {
            let idle = self.pending.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if *self.pending.count.lock().unwrap_or_else(|e| e.into_inner()) == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// The models at the `kept` positions (ascending) of `models` (sorted by position), in the
/// buffer of `models` (collected in place: a million models are not held twice).
pub(crate) fn keep_positions<R>(models: Vec<(usize, Entry, R)>, kept: &[usize]) -> Vec<(Entry, R)> {
    let mut kept = kept.iter().peekable();
    models
        .into_iter()
        .filter_map(|(position, entry, found)| {
            while kept.next_if(|&&k| k < position).is_some() {}
            kept.next_if(|&&k| k == position).map(|_| (entry, found))
        })
        .collect()
}

/// A model of a file of records: its place in the journal and the base models it links.
pub(crate) type RecordOf<'a> = (Stored, Option<&'a [BaseModelRef]>);

/// Write `asset`'s file, an array of model records, reading each model back from the journal
/// and rendering its record on the pool (written in the models' order). On a blocking thread.
fn write_records(
    pool: &CpuPool,
    folder: &RunFiles,
    arrivals: &Arrivals,
    asset: Asset,
    models: &[RecordOf<'_>],
    stamp: &str,
) -> Result<WrittenArray> {
    let path = folder.locate(asset.file().unwrap_or_default());
    let render = |(at, refs): &RecordOf<'_>| arrivals.record(*at, *refs, stamp, &path);
    folder.write_json_array(asset, |array| {
        pool.for_each_in_order(models, render, |record| array.push_rendered(&record))
    })
}

/// Write `asset`'s file, the records of the models `models` lists of `owner` (their places and base
/// models, borrowed from it), and give `owner` back. The stage's own models and references
/// move to a blocking thread and back, so nothing of them is copied.
///
/// With the journal's record spool for `stamp`, each record is rendered (or found rendered)
/// there first, on the pool, before this returns; the file is then copied from there behind,
/// one record at a time, while the run goes on (the copy holds only the records' places).
/// Without it, the file is written before this returns.
pub(crate) async fn write_model_records<T: Send + 'static>(
    (pool, folder, arrivals): (&CpuPool, &RunFiles, &Arrivals),
    asset: Asset,
    stamp: &str,
    owner: T,
    models: for<'a> fn(&'a T) -> Vec<RecordOf<'a>>,
) -> Result<(T, FileWriting)> {
    let (folder, arrivals) = (folder.clone(), arrivals.clone());
    let stamp = stamp.to_owned();
    let on_pool = pool.clone();
    if !arrivals.keeps_records(&stamp) {
        let (owner, written) = pool
            .blocking(move || {
                let list = models(&owner);
                let written = write_records(&on_pool, &folder, &arrivals, asset, &list, &stamp);
                drop(list);
                Ok((owner, written))
            })
            .await?;
        return Ok((owner, FileWriting::spawn(move || written)));
    }
    let spool = arrivals.clone();
    let (owner, places) = pool
        .blocking(move || {
            let list = models(&owner);
            let mut places: Vec<SpoolPlace> = Vec::with_capacity(list.len());
            let place = |(at, refs): &RecordOf<'_>| spool.record_place(*at, *refs, &stamp);
            on_pool.for_each_in_order(&list, place, |place| {
                places.push(place);
                Ok(())
            })?;
            drop(list);
            Ok((owner, places))
        })
        .await?;
    let pool = pool.clone();
    let writing = FileWriting::spawn(move || {
        // One record read at a time: a copy, no work to spread over the pool.
        folder.write_json_array(asset, |array| {
            places.iter().try_for_each(|place| {
                pool.check()?;
                array.push_rendered(&arrivals.kept_record(*place)?)
            })
        })
    });
    Ok((owner, writing))
}

/// Merge the two sources by canonical id (sorted by id), as [`merge`] does with whole models: a
/// model both sources gave is read back, merged, identified again and journaled. Returns the
/// run's models, what was identified in them, and the merged outcome (failures, filtered
/// counts, watermark).
pub(crate) fn merge_sources(
    arrivals: &Arrivals,
    sources: [SourceModels; 2],
) -> Result<(Vec<Entry>, PackedRun, SourceOutcome)> {
    let checkpoint = arrivals.checkpoint();
    // The first source's list becomes the merged one (no copy when the second is empty).
    let [first, second] = sources;
    let mut all = first.models;
    all.extend(second.models);
    let outcomes = [first.outcome, second.outcome];
    let outcome = merge(outcomes);
    // Stable: the models of one id stay in source order (latest first).
    all.sort_by(|a, b| a.0.key.id.cmp(&b.0.key.id));
    // The few ids both sources gave: the first model of each becomes the merged one, journaled
    // and identified again, and the others go.
    let mut merged: HashMap<String, PackedRefs> = HashMap::new();
    for group in all.chunk_by_mut(|a, b| a.0.key.id == b.0.key.id) {
        if let [first, others @ ..] = group
            && !others.is_empty()
        {
            let mut model = checkpoint.model(first.0.at)?;
            for other in others {
                merge_model(&mut model, checkpoint.model(other.0.at)?);
            }
            first.0 = Entry {
                key: ModelKey::of(&model),
                at: checkpoint.append_merged(&model)?,
            };
            merged.insert(model.id.clone(), PackedRefs::of(&model));
        }
    }
    all.dedup_by(|later, first| later.0.key.id == first.0.key.id);
    // The entries are collected in the list's own buffer: a million models are not held twice.
    let mut refs = PackedRun::new(arrivals.refs_spool());
    let entries = all
        .into_iter()
        .map(|(entry, found)| {
            match merged.remove(&entry.key.id) {
                Some(packed) => refs.insert(&entry.key.id, packed)?,
                None => refs.insert_spooled(&entry.key.id, found)?,
            }
            Ok(entry)
        })
        .collect::<Result<Vec<Entry>>>()?;
    Ok((entries, refs, outcome))
}

/// Identify models already in the journal (models loaded from an earlier run).
pub(crate) fn identify_entries(arrivals: &Arrivals, entries: &[Entry]) -> Result<PackedRun> {
    let mut refs = PackedRun::new(arrivals.refs_spool());
    for entry in entries {
        let model = arrivals.checkpoint().model(entry.at)?;
        refs.insert(&entry.key.id, PackedRefs::of(&model))?;
    }
    Ok(refs)
}
