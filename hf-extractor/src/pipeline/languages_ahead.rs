//! README languages detected while the network stage runs.
//!
//! Detecting a card's languages (`readme_languages`) is the largest CPU cost of a run after its
//! requests, and it needs nothing but the card. So when the run selects that asset, each card
//! is handed as it is journaled to the run's CPU pool ([`LanguagesAhead::submit`]), which keeps
//! the languages per card by the model's place in the journal ([`Stored`]: one place, one card,
//! so a card is only ever matched with its own languages). The asset then looks each model's
//! place up ([`KnownLanguages::of`]) and reads back and detects only the cards not seen: those
//! of models loaded from elsewhere (`--from`, `--resume`, shards), and those dropped because the
//! pool was behind — the hand-off never waits, so it never slows the requests, and the
//! queue of cards waiting is bounded.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use hf_enrich::readme_languages::{ReadmeLanguage, card_languages};

use crate::cpu::CpuPool;
use crate::store::by_place::ByPlace;
use crate::store::checkpoint::Stored;

/// Cards waiting for detection, at most (4 KB each for a typical card).
const QUEUE: usize = 1024;

/// What was found: languages by the place of the card's model in the journal.
type Found = ByPlace<Kept>;

/// A card's languages while they wait for the asset, in the value itself when it can be. A
/// language must hold most of the card's prose
/// ([`MIN_CONFIDENCE`](hf_enrich::readme_languages::MIN_CONFIDENCE)), so a card has none or one;
/// a million of them kept as lists of strings were a large part of a run's memory.
#[derive(Debug, Clone, PartialEq)]
enum Kept {
    /// One language of an ASCII code of at most 3 letters (`len` of `code`), its confidence
    /// in ten-thousandths (as rounded).
    One {
        code: [u8; 3],
        len: u8,
        confidence: u16,
    },
    /// Any other list (none included), as found.
    List(Box<[ReadmeLanguage]>),
}

impl Kept {
    fn of(mut languages: Vec<ReadmeLanguage>) -> Self {
        if let [one] = languages.as_slice()
            && let Some(kept) = Self::one(one)
        {
            return kept;
        }
        languages.shrink_to_fit();
        Self::List(languages.into_boxed_slice())
    }

    /// `language` in place, if it comes back the same.
    fn one(language: &ReadmeLanguage) -> Option<Self> {
        let bytes = language.code.as_bytes();
        let len = bytes.len();
        if len > 3 || !language.code.is_ascii() {
            return None;
        }
        let mut code = [0; 3];
        code[..len].copy_from_slice(bytes);
        let scaled = (language.confidence * 10_000.0).round();
        if !(0.0..=f64::from(u16::MAX)).contains(&scaled) {
            return None;
        }
        let kept = Self::One {
            code,
            len: len as u8,
            confidence: scaled as u16,
        };
        (kept.languages().first() == Some(language)).then_some(kept)
    }

    fn languages(&self) -> Vec<ReadmeLanguage> {
        match self {
            Self::One {
                code,
                len,
                confidence,
            } => vec![ReadmeLanguage {
                code: String::from_utf8_lossy(&code[..usize::from(*len)]).into_owned(),
                confidence: f64::from(*confidence) / 10_000.0,
            }],
            Self::List(languages) => languages.to_vec(),
        }
    }
}

/// The languages of the cards handed over, detected on the run's CPU pool by at most one job
/// fewer than its threads (the models arriving need one), so that the detection never takes
/// the pool from the journaling of the models.
#[derive(Debug)]
pub(crate) struct LanguagesAhead {
    pool: CpuPool,
    queue: usize,
    /// Detection jobs at once, at most.
    jobs: usize,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    waiting: Mutex<Waiting>,
    all_done: Condvar,
    found: Mutex<Found>,
}

/// The cards waiting, and the detection jobs running.
#[derive(Debug, Default)]
struct Waiting {
    cards: VecDeque<(Stored, String)>,
    jobs: usize,
    closed: bool,
}

impl LanguagesAhead {
    /// Detect the cards handed over on `pool`.
    pub(crate) fn start(pool: &CpuPool) -> Self {
        Self::start_on(pool, QUEUE)
    }

    fn start_on(pool: &CpuPool, queue: usize) -> Self {
        Self {
            pool: pool.clone(),
            queue,
            jobs: pool.threads().saturating_sub(1).max(1),
            shared: Arc::default(),
        }
    }

    /// Hand over the card of the model journaled `at`, unless [`QUEUE`] cards wait already
    /// (it is then detected later, by the asset); never waits.
    pub(crate) fn submit(&self, at: Stored, card: Option<&str>) {
        let Some(card) = card else { return };
        let mut waiting = self.shared.lock();
        if waiting.closed || waiting.cards.len() >= self.queue {
            return;
        }
        waiting.cards.push_back((at, card.to_owned()));
        if waiting.jobs < self.jobs {
            waiting.jobs += 1;
            let (shared, pool) = (Arc::clone(&self.shared), self.pool.clone());
            self.pool.spawn(move || shared.detect_waiting(&pool));
        }
    }

    /// Stop taking cards, wait for the cards handed over to be detected (a blocking wait: call
    /// it off the async workers), and return what was found. A second call finds nothing.
    pub(crate) fn known(&self) -> KnownLanguages {
        let mut waiting = self.shared.lock();
        waiting.closed = true;
        while waiting.jobs > 0 {
            waiting = self
                .shared
                .all_done
                .wait(waiting)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(waiting);
        KnownLanguages(std::mem::take(
            &mut *self
                .shared
                .found
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One detection job: the cards waiting, until there are none (a run stopped skips them).
    fn detect_waiting(&self, pool: &CpuPool) {
        /// Says the job ended even if the detection panics, so `known` does not wait for it.
        struct Ended<'s>(&'s Shared);
        impl Drop for Ended<'_> {
            fn drop(&mut self) {
                let mut waiting = self.0.lock();
                waiting.jobs -= 1;
                if waiting.jobs == 0 {
                    self.0.all_done.notify_all();
                }
            }
        }
        let _ended = Ended(self);
        loop {
            let Some((at, card)) = self.lock().cards.pop_front() else {
                return;
            };
            if pool.is_cancelled() {
                continue;
            }
            let languages = card_languages(&card);
            self.found
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(at, Kept::of(languages));
        }
    }
}

/// The languages of the cards detected ahead.
#[derive(Debug, Default)]
pub(crate) struct KnownLanguages(Found);

impl KnownLanguages {
    /// The languages of the card of the model journaled `at`, if detected ahead.
    pub(crate) fn of(&self, at: Stored) -> Option<Vec<ReadmeLanguage>> {
        self.0.get(at).map(Kept::languages)
    }

    /// How many cards were detected ahead.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const EN: &str = "The weights were trained for three days on a small cluster, and the \
        evaluation shows steady gains on every benchmark we tried.";
    const ES: &str = "Este modelo fue entrenado con un gran conjunto de textos en español para \
        clasificar noticias según su tema principal.";

    fn sample_cards() -> Vec<String> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples/cards");
        let mut cards: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        cards.extend([EN.to_owned(), ES.to_owned(), format!("{EN}\n\n{ES}")]);
        cards
    }

    #[test]
    fn languages_found_ahead_are_those_found_later() {
        let cards = sample_cards();
        let ahead = LanguagesAhead::start_on(&CpuPool::new(2).unwrap(), cards.len());
        for (n, card) in cards.iter().enumerate() {
            ahead.submit(Stored::at(n as u64), Some(card));
        }
        ahead.submit(Stored::at(cards.len() as u64), None);
        let known = ahead.known();
        assert_eq!(known.len(), cards.len());
        for (n, card) in cards.iter().enumerate() {
            assert_eq!(
                known.of(Stored::at(n as u64)),
                Some(card_languages(card)),
                "{card:.60}"
            );
        }
        assert_eq!(known.of(Stored::at(cards.len() as u64)), None, "no card");
        // Stopped: nothing more is taken, and nothing is found twice.
        ahead.submit(Stored::at(0), Some(EN));
        assert_eq!(ahead.known().len(), 0);
    }

    #[test]
    fn languages_kept_in_place_come_back_the_same() {
        let language = |code: &str, confidence: f64| ReadmeLanguage {
            code: code.to_owned(),
            confidence,
        };
        let lists = [
            vec![],
            vec![language("en", 1.0)],
            vec![language("es", 0.8123)],
            vec![language("zh", 0.75)],
            vec![language("yue", 0.9999)],
            vec![language("en", 0.0)],
            // Not in place: a longer code, a confidence not rounded, two languages.
            vec![language("abcd", 0.9)],
            vec![language("de", 0.123456789)],
            vec![language("en", 0.8), language("fr", 0.2)],
        ];
        for list in lists {
            let kept = Kept::of(list.clone());
            assert_eq!(kept.languages(), list);
        }
        assert!(matches!(
            Kept::of(vec![language("es", 0.8123)]),
            Kept::One { .. }
        ));
        assert!(matches!(
            Kept::of(vec![language("de", 0.123456789)]),
            Kept::List(_)
        ));
        // Every card of the samples: the same languages, in place or not.
        for card in sample_cards() {
            let found = card_languages(&card);
            assert_eq!(Kept::of(found.clone()).languages(), found, "{card:.60}");
        }
    }

    #[test]
    fn a_card_not_seen_or_dropped_is_not_known() {
        // A pool busy with a long job and a queue of one: the first card waits, the others are
        // dropped (none of the hand-offs waits); the card that waited is found.
        let cards = sample_cards();
        let pool = CpuPool::new(1).unwrap();
        let (release, busy) = std::sync::mpsc::channel::<()>();
        pool.spawn(move || busy.recv().unwrap());
        let ahead = LanguagesAhead::start_on(&pool, 1);
        for (n, card) in cards.iter().enumerate() {
            ahead.submit(Stored::at(n as u64), Some(card));
        }
        release.send(()).unwrap();
        let known = ahead.known();
        assert_eq!(known.len(), 1);
        assert_eq!(known.of(Stored::at(0)), Some(card_languages(&cards[0])));
        assert_eq!(known.of(Stored::at(1)), None);
    }
}
