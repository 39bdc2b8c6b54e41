//! The synthetic part of a benchmark Hub: `N` models made on the fly from their number.
//!
//! Model number `n` is named `syn/<family>-<n>` (five families in turn) and is made one of two
//! ways ([`Variety`]):
//!
//! - **varied** (the benchmarks' default): the model draws its own keywords, datasets, papers,
//!   parents, license and languages from large vocabularies (see [`varied`](super::varied)),
//!   and the Hub serves every dataset (with its Croissant) and paper it cites, so a run finds
//!   as many distinct entities as a crawl of the Hub would;
//! - **repetitive**: the offline Hub's filler model of family `n % 5` (see
//!   [`generate`](super::generate)): same tags, card data, base models, datasets and arXiv ids,
//!   so enrichment finds the bundled snapshot's entities, and a million models share a handful
//!   of lists.
//!
//! Nothing is stored: a body or card is rebuilt from `n` for each request, so a million models
//! cost no memory. Models are numbered newest first (`lastModified` descends with `n`).

use std::time::Duration;

use serde_json::{Map, Value};

/// What a synthetic Hub serves besides the bundled snapshot, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticHub {
    /// Models generated on the fly (`syn/<family>-<n>`, `n` from 0), listed newest first.
    pub models: usize,
    /// How the models differ.
    pub variety: Variety,
    /// The length of every model card in bytes (a template card is padded the same way).
    pub card_bytes: usize,
    /// Time waited before every answer.
    pub latency: Duration,
    /// Requests per window and bucket, if a quota is to be enforced (as
    /// [`FaultPlan::with_quota`](super::FaultPlan::with_quota)); without one,
    /// [`SyntheticHub::UNLIMITED`].
    pub quota: Option<(usize, Duration)>,
}

/// How the models of a [`SyntheticHub`] differ: the varied ones are described in [`crate::varied`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variety {
    /// The snapshot's five families of fillers over and over.
    #[default]
    Repetitive,
    /// Each model its own lists, drawn from large vocabularies.
    Varied,
}

impl SyntheticHub {
    /// Default of [`SyntheticHub::card_bytes`]: the issue's 4 KB average card.
    pub const DEFAULT_CARD_BYTES: usize = 4096;

    /// The quota announced and enforced when none is set: a million requests per bucket and
    /// 5-minute window, more than any benchmark sends, counted down honestly.
    pub const UNLIMITED: (usize, Duration) = (1_000_000, Duration::from_secs(300));

    /// `models` synthetic models, [repetitive](Variety::Repetitive), with 4 KB cards, no
    /// latency, no quota.
    pub fn new(models: usize) -> Self {
        Self {
            models,
            variety: Variety::Repetitive,
            card_bytes: Self::DEFAULT_CARD_BYTES,
            latency: Duration::ZERO,
            quota: None,
        }
    }

    /// Models that differ as `variety` says.
    pub fn variety(mut self, variety: Variety) -> Self {
        self.variety = variety;
        self
    }

    /// Cards of `bytes` bytes.
    pub fn card_bytes(mut self, bytes: usize) -> Self {
        self.card_bytes = bytes;
        self
    }

    /// Wait `latency` before every answer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Enforce `quota` requests per `window` in each bucket.
    pub fn quota(mut self, quota: usize, window: Duration) -> Self {
        self.quota = Some((quota.max(1), window));
        self
    }

    /// The id of synthetic model number `n`.
    ///
    /// ```
    /// use hf_offline_hub::SyntheticHub;
    /// assert_eq!(SyntheticHub::model_id(0), "syn/bert-sst2-0");
    /// assert_eq!(SyntheticHub::model_id(7), "syn/vit-mnist-7");
    /// ```
    pub fn model_id(n: usize) -> String {
        super::generate::synthetic_id(n)
    }

    /// The number of the synthetic model `id`, if it is one of the first [`models`](Self::models).
    pub fn number(&self, id: &str) -> Option<usize> {
        let n: usize = id.strip_prefix("syn/")?.rsplit_once('-')?.1.parse().ok()?;
        (n < self.models && Self::model_id(n) == id).then_some(n)
    }

    /// The model info body of synthetic model `n` (all keys, expand-only ones included).
    pub fn body(&self, n: usize) -> Map<String, Value> {
        match self.variety {
            Variety::Repetitive => super::generate::synthetic_model(n),
            Variety::Varied => super::varied::varied_model(n, self.models),
        }
    }

    /// The card (`README.md`) of synthetic model `n`, padded to [`card_bytes`](Self::card_bytes).
    /// `None` when the model has no card.
    pub fn card(&self, n: usize) -> Option<String> {
        let mut card = match self.variety {
            Variety::Repetitive => super::generate::synthetic_card(n)?,
            Variety::Varied => super::varied::varied_card(n, self.models)?,
        };
        pad(&mut card, self.card_bytes);
        Some(card)
    }
}

impl SyntheticHub {
    /// The number of the dataset `id` in the varied vocabulary, if a varied model may cite it.
    fn varied_dataset(&self, id: &str) -> Option<usize> {
        (self.variety == Variety::Varied)
            .then(|| super::varied::dataset_number(id))
            .flatten()
    }

    /// The `GET /api/datasets/{id}` body of a dataset a varied model cites, if `id` is one.
    pub fn dataset_info(&self, id: &str) -> Option<Map<String, Value>> {
        let k = self.varied_dataset(id)?;
        let croissant = super::stand_ins::croissant_document(id);
        Some(super::generate::dataset_info(id, Some(&croissant), k))
    }

    /// The Croissant document of a dataset a varied model cites, if `id` is one.
    pub fn croissant(&self, id: &str) -> Option<Value> {
        self.varied_dataset(id)?;
        Some(super::stand_ins::croissant_document(id))
    }

    /// The arXiv `<entry>` of a paper a varied model cites (canonical id), if `id` is one.
    pub fn paper_entry(&self, id: &str) -> Option<String> {
        if self.variety != Variety::Varied {
            return None;
        }
        super::varied::paper_number(id)?;
        Some(super::stand_ins::arxiv_entry(id, None))
    }
}

/// Prose a card is padded with: no entity references, so identification finds in a padded
/// card what it finds in the generated one.
const FILLER: &str = "This section repeats a paragraph of plain prose so that the card reaches \
the size of a typical model card on the Hub. It describes nothing in particular: training ran for \
a few epochs on a single machine, the learning rate was warmed up and then decayed, and the \
evaluation was done on a held-out split. ";

/// Grow `card` to `bytes` bytes with a final section of [`FILLER`] (cards already that long are
/// left alone; the section's heading is left out when it does not fit).
fn pad(card: &mut String, bytes: usize) {
    const HEADING: &str = "\n## More details\n\n";
    if card.len() >= bytes {
        return;
    }
    if card.len() + HEADING.len() < bytes {
        card.push_str(HEADING);
    }
    while card.len() < bytes {
        let room = bytes - card.len();
        // FILLER is ASCII: any cut is a character boundary.
        card.push_str(&FILLER[..room.min(FILLER.len())]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_have_the_asked_size_and_keep_their_front_matter() {
        let hub = SyntheticHub::new(10).card_bytes(4096);
        for n in 0..10 {
            let card = hub.card(n).unwrap();
            assert_eq!(card.len(), 4096, "model {n}");
            assert!(card.starts_with("---\n"), "model {n}");
        }
        // A tiny size leaves the generated card alone; a size just above it is met exactly.
        let small = SyntheticHub::new(1).card_bytes(10).card(0).unwrap();
        assert!(small.len() > 10);
        assert!(!small.contains("More details"));
        let just = SyntheticHub::new(1)
            .card_bytes(small.len() + 3)
            .card(0)
            .unwrap();
        assert_eq!(just.len(), small.len() + 3);
    }

    #[test]
    fn ids_round_trip_and_stay_in_range() {
        let hub = SyntheticHub::new(100);
        for n in [0, 1, 5, 99] {
            assert_eq!(hub.number(&SyntheticHub::model_id(n)), Some(n));
            assert_eq!(hub.body(n)["id"], SyntheticHub::model_id(n).as_str());
        }
        assert_eq!(hub.number(&SyntheticHub::model_id(100)), None);
        assert_eq!(hub.number("syn/bert-sst2-1"), None, "wrong family for 1");
        assert_eq!(hub.number("gen/bert-sst2-0"), None);
        assert_eq!(hub.number("syn/bert-sst2-x"), None);
    }

    #[test]
    fn models_are_numbered_newest_first() {
        let hub = SyntheticHub::new(3000);
        let modified = |n| hub.body(n)["lastModified"].as_str().unwrap().to_owned();
        for n in [0, 1, 500, 2998] {
            assert!(modified(n) > modified(n + 1), "{n}");
        }
    }
}
