//! What is done with each model as it arrives, beyond journaling it — and read back when the
//! files are written.
//!
//! Three assets need per-model work that is cheapest while the model is at hand: the README
//! languages (detected on the CPU pool, [`crate::pipeline::languages_ahead`]), who shares the model and
//! its citation chunk ([`crate::pipeline::derived_ahead`]), and the model records (rendered once,
//! [`crate::store::record_spool`]). [`Arrivals`] holds what the run selected of them. Whoever hands a
//! model over — the sources' [`Collector`](crate::pipeline::run_models::Collector), the lineage, a model
//! loaded from an earlier run — journals it ([`Checkpoint::append_model`]), then tells
//! [`Arrivals::arrived`] (and [`Arrivals::render_ahead`] for a model whose record will be
//! written); the journal itself only journals.
//!
//! Owned by the run and shared (cheap clones) with the stages that write the files.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use hf_enrich::models::{FetchedModel, ModelSource};
use hf_enrich::records::{BaseModelLink, ModelRecord};
use hf_identifiers::BaseModelRef;

use crate::assets::Asset;
use crate::cpu::CpuPool;
use crate::error::{Error, Result};
use crate::observer::ModelSink;
use crate::pipeline::derived_ahead::DerivedAhead;
use crate::pipeline::languages_ahead::{KnownLanguages, LanguagesAhead};
use crate::store::blob_spool::BlobSpool;
use crate::store::checkpoint::{Checkpoint, Stored};
use crate::store::json_stream::Rendered;
use crate::store::record_spool::{RecordSpool, SpoolPlace};

/// The per-model work of a run (see the [module](self)). Cloning it is cheap: the clones share
/// it.
#[derive(Debug, Clone)]
pub(crate) struct Arrivals {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    checkpoint: Checkpoint,
    /// What was identified in each model, kept on disk beside the journal.
    refs: BlobSpool,
    /// When the run computes `readme_languages`: the languages of each card, detected on the
    /// pool as the models arrive.
    languages: OnceLock<LanguagesAhead>,
    /// When the run writes model records: each record rendered once.
    records: OnceLock<RecordSpool>,
    /// When the run computes who shares the models or their citation chunks: those values,
    /// derived as each model arrives.
    derived: OnceLock<DerivedAhead>,
    /// When the run's observer takes the models as they arrive: where, and the run's stamp
    /// for their records.
    announced: OnceLock<(ModelSink, String)>,
}

impl Arrivals {
    /// No per-model work yet, for the models of `checkpoint`.
    pub(crate) fn new(checkpoint: &Checkpoint) -> Self {
        Self {
            inner: Arc::new(Inner {
                checkpoint: checkpoint.clone(),
                refs: BlobSpool::in_folder(checkpoint.folder()),
                languages: OnceLock::new(),
                records: OnceLock::new(),
                derived: OnceLock::new(),
                announced: OnceLock::new(),
            }),
        }
    }

    /// The run's journal.
    pub(crate) fn checkpoint(&self) -> &Checkpoint {
        &self.inner.checkpoint
    }

    /// The run's spool of what was identified in each model
    /// ([`SpooledRefs`](crate::pipeline::packed_refs::SpooledRefs)).
    pub(crate) fn refs_spool(&self) -> &BlobSpool {
        &self.inner.refs
    }

    /// From now on, detect the README languages of each card that arrives, on `pool`.
    pub(crate) fn detect_languages(&self, pool: &CpuPool) {
        self.inner
            .languages
            .get_or_init(|| LanguagesAhead::start(pool));
    }

    /// From now on, derive who shares each model that arrives (`sharedby`) and its citation
    /// chunk (`citation`).
    pub(crate) fn derive(&self, sharedby: bool, citation: bool) {
        self.inner
            .derived
            .get_or_init(|| DerivedAhead::new(sharedby, citation));
    }

    /// From now on, keep each model record rendered (extracted at `stamp`), so the files of
    /// model records render it once.
    pub(crate) fn keep_records(&self, stamp: &str) -> Result<()> {
        if self.inner.records.get().is_none() {
            let folder = self.inner.checkpoint.folder();
            let spool = RecordSpool::create(folder, stamp)?;
            // A second caller at the same moment keeps the first spool.
            let _ = self.inner.records.set(spool);
        }
        Ok(())
    }

    /// From now on, hand each model a source fetches to `sink`, its record extracted at `stamp`.
    pub(crate) fn announce_to(&self, sink: ModelSink, stamp: &str) {
        let _ = self.inner.announced.set((sink, stamp.to_owned()));
    }

    /// `model` of `source` arrived, linking the base models of `refs`: handed to the run's
    /// model sink, if it has one.
    pub(crate) fn announce(
        &self,
        source: ModelSource,
        model: &FetchedModel,
        refs: Option<&[BaseModelRef]>,
    ) {
        let Some((sink, stamp)) = self.inner.announced.get() else {
            return;
        };
        let asset = match source {
            ModelSource::Latest => Asset::RawModelsLatest,
            ModelSource::File => Asset::RawModelsFromFile,
            // Parents are models of the lineage, not of a source.
            ModelSource::Lineage => return,
        };
        let links = refs.map(BaseModelLink::from_refs).unwrap_or_default();
        sink.take(asset, Box::new(ModelRecord::new(model, links, stamp)));
    }

    /// `model`, journaled at `at`, arrived: its languages and derived values are found, when
    /// the run wants them.
    pub(crate) fn arrived(&self, at: Stored, model: &FetchedModel) {
        if let Some(languages) = self.inner.languages.get() {
            languages.submit(at, model.card.as_deref());
        }
        if let Some(derived) = self.inner.derived.get() {
            derived.add(at, model);
        }
    }

    /// Render the record of `model` (journaled at `at`) ahead, when records are kept.
    pub(crate) fn render_ahead(
        &self,
        at: Stored,
        model: &FetchedModel,
        refs: Option<&[BaseModelRef]>,
    ) -> Result<()> {
        if let Some(records) = self.inner.records.get() {
            let links = refs.map(BaseModelLink::from_refs).unwrap_or_default();
            records.render(at, model, links)?;
        }
        Ok(())
    }

    /// The values derived as the models arrived, if the run derives any.
    pub(crate) fn derived(&self) -> Option<&DerivedAhead> {
        self.inner.derived.get()
    }

    /// The README languages detected as the cards arrived (waiting, blocking, for the cards
    /// handed over: call it off the async workers); the detection stops.
    pub(crate) fn known_languages(&self) -> KnownLanguages {
        self.inner
            .languages
            .get()
            .map(LanguagesAhead::known)
            .unwrap_or_default()
    }

    /// The record of the model at `at` with the links of `refs`, extracted at `stamp`: the
    /// bytes kept when it was rendered before with the same links, else read back, rendered
    /// (and kept, when records are kept). `path` names the file written in errors.
    pub(crate) fn record(
        &self,
        at: Stored,
        refs: Option<&[BaseModelRef]>,
        stamp: &str,
        path: &Path,
    ) -> Result<Rendered> {
        let links = refs.map(BaseModelLink::from_refs).unwrap_or_default();
        let checkpoint = &self.inner.checkpoint;
        let records = self.inner.records.get().filter(|r| r.serves(stamp));
        if let Some(records) = records {
            if let Some(rendered) = records.get(at, &links)? {
                return Ok(rendered);
            }
            return records.render(at, &checkpoint.model(at)?, links);
        }
        Rendered::new(
            &ModelRecord::new(&checkpoint.model(at)?, links, stamp),
            path,
        )
    }

    /// Whether records are kept for `stamp` (see [`record_place`](Self::record_place)).
    pub(crate) fn keeps_records(&self, stamp: &str) -> bool {
        self.inner.records.get().is_some_and(|r| r.serves(stamp))
    }

    /// Where the record of the model at `at` with `refs` is kept, rendered now if it was not.
    /// An error when no records are kept for `stamp` ([`keeps_records`](Self::keeps_records)).
    pub(crate) fn record_place(
        &self,
        at: Stored,
        refs: Option<&[BaseModelRef]>,
        stamp: &str,
    ) -> Result<SpoolPlace> {
        let links = refs.map(BaseModelLink::from_refs).unwrap_or_default();
        self.spool(stamp)?
            .place(at, links, || self.inner.checkpoint.model(at))
    }

    /// The record kept at `place` (a place [`record_place`](Self::record_place) gave).
    pub(crate) fn kept_record(&self, place: SpoolPlace) -> Result<Rendered> {
        self.spool_any()?.read(place)
    }

    /// The records kept for `stamp`.
    fn spool(&self, stamp: &str) -> Result<&RecordSpool> {
        self.spool_any().and_then(|spool| {
            spool
                .serves(stamp)
                .then_some(spool)
                .ok_or_else(|| self.no_records(&format!("no records are kept for {stamp}")))
        })
    }

    fn spool_any(&self) -> Result<&RecordSpool> {
        self.inner
            .records
            .get()
            .ok_or_else(|| self.no_records("no records are kept beside this journal"))
    }

    fn no_records(&self, why: &str) -> Error {
        Error::io(
            self.inner.checkpoint.path(),
            std::io::Error::other(why.to_owned()),
        )
    }
}
