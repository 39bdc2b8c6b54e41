//! Who shares each model and its citation chunk, derived as the model is journaled.
//!
//! `hf_identified_sharedby` and `chunks_citation` need one small value per model (the
//! author or the id's namespace; the first citation section of the card), but computing them
//! after the network stage meant reading every model back from the journal, card and all — at
//! 10,000 models, about 100 ms each, on the run's critical path. When the run selects them,
//! [`Arrivals::arrived`](crate::pipeline::arrivals::Arrivals::arrived) hands each model to
//! [`DerivedAhead::add`] on the thread that journals it, which keeps the values by the
//! model's place in the journal ([`Stored`]: one place, one model, so a value is only ever
//! matched with its own model). The assets take them ([`DerivedAhead::sharedby`],
//! [`DerivedAhead::citation`]) and read back only the models journaled without them: those
//! merged from both sources, and those of a resumed run.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use hf_client::card::ModelCard;
use hf_enrich::citation::{CitationChunk, citation_chunk};
use hf_enrich::models::FetchedModel;
use hf_enrich::sharedby::{SharedByRef, shared_by};

use crate::store::by_place::ByPlace;
use crate::store::checkpoint::Stored;

/// What is derived for one model (each only when the run selects its asset; a chunk is boxed so
/// that the many cards without one cost a pointer). The sharer is the number of its
/// [`Sharers`] entry: a user or organisation shares many models.
#[derive(Debug, Default)]
struct Derived {
    sharedby: Option<Option<u32>>,
    citation: Option<Option<Box<CitationChunk>>>,
}

/// The values derived so far, by journal place.
#[derive(Debug)]
pub(crate) struct DerivedAhead {
    sharedby: bool,
    citation: bool,
    found: Mutex<Found>,
}

#[derive(Debug, Default)]
struct Found {
    by_place: ByPlace<Derived>,
    sharers: Sharers,
}

/// The distinct sharers, each kept once and numbered.
#[derive(Debug, Default)]
struct Sharers {
    all: Vec<SharedByRef>,
    numbers: BTreeMap<SharedByRef, u32>,
}

impl Sharers {
    fn number(&mut self, sharer: SharedByRef) -> u32 {
        if let Some(n) = self.numbers.get(&sharer) {
            return *n;
        }
        // Fewer sharers than models: far below 4 billion.
        let n = self.all.len() as u32;
        self.all.push(sharer.clone());
        self.numbers.insert(sharer, n);
        n
    }

    fn get(&self, n: u32) -> Option<SharedByRef> {
        self.all.get(n as usize).cloned()
    }
}

impl DerivedAhead {
    /// Derive who shares each model (`sharedby`) and its citation chunk (`citation`).
    pub(crate) fn new(sharedby: bool, citation: bool) -> Self {
        Self {
            sharedby,
            citation,
            found: Mutex::default(),
        }
    }

    /// Derive the values of `model`, journaled `at`.
    pub(crate) fn add(&self, at: Stored, model: &FetchedModel) {
        let sharer = self.sharedby.then(|| shared_by(model));
        let mut found = self.lock();
        let derived = Derived {
            sharedby: sharer.map(|s| s.map(|s| found.sharers.number(s))),
            // As `citation_chunks` finds it, without its one-entry map.
            citation: self.citation.then(|| {
                let card = model.card.as_deref()?;
                citation_chunk(ModelCard::body_of(card)).map(Box::new)
            }),
        };
        found.by_place.insert(at, derived);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Found> {
        self.found.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Who shares the model journaled `at`, if derived (taken: a second call finds nothing).
    /// (As [`identify_sharedby`](hf_enrich::sharedby::identify_sharedby) gives it: none or
    /// one.)
    pub(crate) fn sharedby(&self, at: Stored) -> Option<Vec<SharedByRef>> {
        let mut found = self.lock();
        let sharer = take(&mut found.by_place, at, |d| d.sharedby.take())?;
        Some(
            sharer
                .and_then(|n| found.sharers.get(n))
                .into_iter()
                .collect(),
        )
    }

    /// The citation chunk of the model journaled `at`, if derived (taken).
    pub(crate) fn citation(&self, at: Stored) -> Option<Option<CitationChunk>> {
        let chunk = take(&mut self.lock().by_place, at, |d| d.citation.take())?;
        Some(chunk.map(|c| *c))
    }
}

/// Take a value of the model journaled `at` (its chunk's memory goes with it).
fn take<T>(
    found: &mut ByPlace<Derived>,
    at: Stored,
    value: impl FnOnce(&mut Derived) -> Option<T>,
) -> Option<T> {
    value(found.get_mut(at)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::pipeline::arrivals::Arrivals;
    use crate::store::checkpoint::Checkpoint;
    use crate::store::checkpoint::tests::model;
    use hf_enrich::citation::citation_chunks;
    use hf_enrich::models::ModelSource;
    use hf_enrich::sharedby::identify_sharedby;

    const CITED: &str = "# Model\n\n## Citation\n\n```bibtex\n@misc{a, title={A}}\n```\n";

    #[test]
    fn values_derived_as_journaled_are_those_of_the_model_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Checkpoint::create(dir.path()).unwrap();
        let arrivals = Arrivals::new(&journal);
        arrivals.derive(true, true);
        // Two models of one sharer, kept once.
        let models = [
            model("org/cited", CITED),
            model("solo", "# No citation"),
            model("org/other", "# No citation"),
        ];
        let places: Vec<Stored> = models
            .iter()
            .enumerate()
            .map(|(n, m)| {
                let at = journal.append_model(ModelSource::Latest, n, m).unwrap();
                arrivals.arrived(at, m);
                at
            })
            .collect();
        let derived = arrivals.derived().unwrap();
        for at in places {
            let back = journal.model(at).unwrap();
            let one = std::slice::from_ref(&back);
            let sharedby = identify_sharedby(one).into_values().next().unwrap();
            let citation = citation_chunks(one).into_values().next().unwrap();
            assert_eq!(derived.sharedby(at), Some(sharedby), "{}", back.id);
            assert_eq!(derived.citation(at), Some(citation), "{}", back.id);
            // Taken: asked again, the asset reads the model back.
            assert_eq!(derived.sharedby(at), None);
            assert_eq!(derived.citation(at), None);
        }
        assert!(
            derived
                .lock()
                .by_place
                .values()
                .all(|d| d.sharedby.is_none() && d.citation.is_none()),
            "nothing is kept once taken"
        );
        assert_eq!(derived.lock().sharers.all.len(), 1, "org, once");
        let cited = citation_chunks(std::slice::from_ref(&models[0]));
        assert!(cited["org/cited"].is_some(), "the sample has a citation");
    }

    #[test]
    fn only_what_the_run_selects_is_derived() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Checkpoint::create(dir.path()).unwrap();
        let arrivals = Arrivals::new(&journal);
        arrivals.derive(false, true);
        let cited = model("org/cited", CITED);
        let at = journal
            .append_model(ModelSource::Latest, 0, &cited)
            .unwrap();
        arrivals.arrived(at, &cited);
        let derived = arrivals.derived().unwrap();
        assert_eq!(derived.sharedby(at), None);
        assert!(derived.citation(at).unwrap().is_some());
        // Without `derive`, nothing is.
        let plain = Arrivals::new(&journal);
        plain.arrived(at, &cited);
        assert!(plain.derived().is_none());
    }
}
