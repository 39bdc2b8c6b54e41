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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use hf_enrich::readme_languages::{ReadmeLanguage, card_languages};

use crate::checkpoint::Stored;
use crate::cpu::CpuPool;

/// Cards waiting for the pool, at most (4 KB each for a typical card).
const QUEUE: usize = 1024;

/// What was found: languages by the place of the card's model in the journal.
type Found = HashMap<Stored, Vec<ReadmeLanguage>>;

/// The languages of the cards handed over, detected on the run's CPU pool.
#[derive(Debug)]
pub(crate) struct LanguagesAhead {
    pool: CpuPool,
    queue: usize,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// Whether cards are still taken.
    closed: AtomicBool,
    /// Cards handed to the pool and not detected yet.
    queued: Mutex<usize>,
    all_done: Condvar,
    found: Mutex<Found>,
}

/// One card handed over: counted as queued until dropped (detected, or its job unwound).
struct Queued(Arc<Shared>);

impl Drop for Queued {
    fn drop(&mut self) {
        let mut queued = self.0.queued.lock().unwrap_or_else(PoisonError::into_inner);
        *queued -= 1;
        if *queued == 0 {
            self.0.all_done.notify_all();
        }
    }
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
            shared: Arc::default(),
        }
    }

    /// Hand over the card of the model journaled `at`, if the pool is not [`QUEUE`] cards
    /// behind (else it is detected later, by the asset); never waits.
    pub(crate) fn submit(&self, at: Stored, card: Option<&str>) {
        let Some(card) = card else { return };
        if self.shared.closed.load(Ordering::Acquire) {
            return;
        }
        {
            let mut queued = self
                .shared
                .queued
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // Behind: the asset detects it.
            if *queued >= self.queue {
                return;
            }
            *queued += 1;
        }
        let queued = Queued(Arc::clone(&self.shared));
        let (card, pool) = (card.to_owned(), self.pool.clone());
        self.pool.spawn(move || {
            let shared = Arc::clone(&queued.0);
            if !pool.is_cancelled() {
                let languages = card_languages(&card);
                shared
                    .found
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(at, languages);
            }
            drop(queued);
        });
    }

    /// Stop taking cards, wait for the cards handed over to be detected (a blocking wait: call
    /// it off the async workers), and return what was found. A second call finds nothing.
    pub(crate) fn known(&self) -> KnownLanguages {
        self.shared.closed.store(true, Ordering::Release);
        let mut queued = self
            .shared
            .queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *queued > 0 {
            queued = self
                .shared
                .all_done
                .wait(queued)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(queued);
        KnownLanguages(std::mem::take(
            &mut *self
                .shared
                .found
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

/// The languages of the cards detected ahead.
#[derive(Debug, Default)]
pub(crate) struct KnownLanguages(Found);

impl KnownLanguages {
    /// The languages of the card of the model journaled `at`, if detected ahead.
    pub(crate) fn of(&self, at: Stored) -> Option<Vec<ReadmeLanguage>> {
        self.0.get(&at).cloned()
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
